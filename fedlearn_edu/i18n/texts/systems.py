"""Notebook 04's dashboard and figures (latency, stragglers, sync vs async, compression):
widgets/systems.py and plots/systems.py. Terms follow notebooks/GLOSSARY.md (延迟, 掉队者, 截止时间,
同步 / 异步, 通信开销, 近端项); "clients", "round", "client", "test accuracy" come from common.py
and noniid.py."""

ZH = {
    # controls (widgets/systems.py)
    "mean latency (ms)": "平均延迟（毫秒）",
    "latency spread": "延迟差异（对数正态）",
    "straggler fraction": "掉队者比例",
    "deadline (s)": "截止时间（秒）",
    "mode": "聚合模式",
    "FedProx mu": "FedProx 近端项 μ",
    "compression": "压缩方式",
    "timeline round": "时间线显示的轮次",
    # the modes (dropdown, legend, status line) and compression methods; "deadline" is also
    # the Gantt chart's deadline line
    "sync": "同步（sync）",
    "deadline": "截止时间（deadline）",
    "fedprox": "FedProx（部分工作）",
    "async": "异步（async）",
    "fedbuff": "缓冲异步（fedbuff）",
    "topk": "top-k 稀疏化",
    "int8": "8 位量化（int8）",
    # the three runs (legend, status line)
    "chosen": "所选模式",
    "compressed": "压缩后",
    "no compression": "不压缩",
    "{mode} (chosen)": "所选：{mode}",
    "{mode}, dense": "{mode}，不压缩",
    "{mode}, {method}": "{mode}，{method}",
    # status line (widgets/systems.py: SUMMARY, NO_CLIENT, DIVERGED)
    "time to {target:.2f} accuracy: {mode} {t_mode:.3g} s, sync {t_sync:.3g} s (simulated). "
    "Final accuracy {acc:.3f} vs sync {acc_sync:.3f}; compression sends {ratio:.1f}x fewer "
    "bytes (accuracy {acc_comp:.3f}).":
        "达到准确率 {target:.2f} 所需的时间：{mode} {t_mode:.3g} 秒，同步 {t_sync:.3g} 秒"
        "（模拟时间）。最终准确率 {acc:.3f}，同步为 {acc_sync:.3f}；"
        "压缩把上传的字节数降到原来的 1/{ratio:.1f}（准确率 {acc_comp:.3f}）。",
    "No client ever met the deadline, so the model never changed: raise the deadline or lower "
    "the latency.":
        "没有一个客户端赶上截止时间，模型从未更新：请放宽截止时间，或降低延迟。",
    "{name} run diverged: {message}": "「{name}」这次运行发散了：{message}",
    # figure (plots/systems.py)
    "simulated time (s)": "模拟时间（秒）",
    "Accuracy vs simulated time": "准确率随模拟时间的变化",
    "download": "下载",
    "compute": "计算",
    "partial": "部分工作",
    "upload": "上传",
    "idle": "空闲等待",
    "late / crashed": "超时 / 崩溃",
    "offline": "离线",
    "simulated time in the round (s)": "本轮内的模拟时间（秒）",
    "Who waits for whom (one round)": "谁在等谁（一轮）",
    "Who waits for whom (round {r})": "谁在等谁（第 {r} 轮）",
    "Jobs that arrived in update batch {r}": "第 {r} 批更新中到达的任务",
    "simulated time since the previous batch (s)": "距上一批更新的模拟时间（秒）",
    "bytes uploaded (cumulative)": "累计上传字节数",
    "Communication cost": "通信开销",
}
