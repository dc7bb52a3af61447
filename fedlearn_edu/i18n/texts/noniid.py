"""Notebook 02's dashboard and figure (non-IID data, client drift): widgets/noniid.py and
plots/noniid.py. Terms follow notebooks/GLOSSARY.md (偏斜, 客户端漂移, 余弦相似度, 分片).
Texts already in common.py ("client fraction C", "Diverged: {message}", "round", ...) are
not repeated here."""

ZH = {
    # controls (widgets/noniid.py)
    "partition (划分)": "数据划分",
    "dirichlet": "狄利克雷（dirichlet）",
    "shards": "标签分片（shards）",
    "iid": "独立同分布（iid）",
    "Dirichlet α": "狄利克雷 α",
    "shards per client": "每个客户端的分片数",
    "clients (客户端)": "客户端数量",
    "local epochs": "本地训练轮数",
    "FedProx μ": "FedProx 近端项 μ",
    "rounds (轮数)": "通信轮数",
    "seed": "随机种子",
    # status line and progress (widgets/noniid.py: SUMMARY, COSINE, ... PROGRESS)
    "{rounds}, mean test accuracy: skewed ({label}) {s_acc:.3f} vs IID {i_acc:.3f} "
    "(gap {gap:+.1f} points); {cosine}; clients' own models score {s_loc:.2f} vs "
    "{i_loc:.2f}":
        "{rounds}后，平均测试准确率：偏斜数据（{label}）{s_acc:.3f}，IID {i_acc:.3f}"
        "（差距 {gap:+.1f} 个百分点）；{cosine}；客户端自己的模型准确率 {s_loc:.2f}，"
        "IID 为 {i_loc:.2f}",
    "client updates' mean cosine {s:.2f} vs {i:.2f} (1 = they agree)":
        "客户端更新的平均余弦相似度 {s:.2f}，IID 为 {i:.2f}（1 = 方向完全一致）",
    "no update cosine: {clients} per round cannot disagree":
        "没有更新余弦：每轮只有 {clients}，谈不上方向分歧",
    "{n} round": "{n} 轮",
    "{n} rounds": "{n} 轮",
    "{n} client": "{n} 个客户端",
    "{n} clients": "{n} 个客户端",
    "{n} shard per client": "每个客户端 {n} 个分片",
    "{n} shards per client": "每个客户端 {n} 个分片",
    "skewed: round {r}/{n}": "偏斜数据：第 {r}/{n} 轮",
    "iid: round {r}/{n}": "IID 参照：第 {r}/{n} 轮",
    "partitioning…": "正在划分数据…",
    "Dirichlet α must be in [0.01, 100], got {alpha:g}":
        "狄利克雷 α 必须在 [0.01, 100] 之内，当前为 {alpha:g}",
    # figure (plots/noniid.py)
    "IID reference": "IID 参照",
    "skewed (non-IID)": "偏斜数据（非独立同分布）",
    "client": "客户端",
    "examples": "样本数",
    "Labels per client": "各客户端的标签分布",
    "Accuracy: IID vs skewed": "准确率：IID 与偏斜数据对比",
    "cosine of client updates": "客户端更新的余弦相似度",
    "Client drift: do the updates agree?": "客户端漂移：各更新方向一致吗？",
    "test accuracy of local models": "本地模型的测试准确率",
    "Clients' own models on all labels": "各客户端自己的模型在全部标签上的表现",
}
