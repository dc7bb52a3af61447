"""Notebook 01 section 4's dashboard (widgets/scale.py: ScaleDashboard, up to 10,000 clients).
Its controls (clients, client fraction C, rounds) are shared texts, in common.py."""

ZH = {
    "FedAvg, synthetic users": "联邦平均，合成用户",
    "{m} clients per round x {r} rounds = {total:,} local trainings; this dashboard runs at "
    "most {most:,} per setting: lower the client fraction or the rounds":
        "每轮 {m} 个客户端 × {r} 轮 = {total:,} 次本地训练；这个仪表盘每个设置最多运行 "
        "{most:,} 次：请调低客户端比例或轮数",
    "generating {n} users (once per size)…": "正在生成 {n} 个用户（每种规模只生成一次）…",
    "round {r}: {seconds:.2f} s": "第 {r} 轮：{seconds:.2f} 秒",
    "{n} clients, {m} trained per round: {seconds:.2f} s per round (median), test accuracy "
    "{acc:.3f}":
        "{n} 个客户端，每轮训练 {m} 个：每轮 {seconds:.2f} 秒（中位数），测试准确率 {acc:.3f}",
}
