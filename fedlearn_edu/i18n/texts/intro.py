"""Notebooks 00 and 01's dashboards (widgets/intro.py: ArticleFLDashboard, FedAvgDashboard).
Terms follow notebooks/GLOSSARY.md (设备, 通信轮次, 集中式训练, 均方误差, 联邦平均)."""

ZH = {
    # FedAvgDashboard (01): controls and dataset names
    "dataset": "数据集",
    "digits": "手写数字（digits）",
    "breast_cancer": "乳腺癌诊断（breast_cancer）",
    "wine": "葡萄酒产地（wine）",
    "iris": "鸢尾花（iris）",
    # its progress and status lines
    "centralised baseline for {dataset}…": "正在计算 {dataset} 上的集中式基线…",
    "training 1 client…": "正在训练 1 个客户端…",
    "training {n} clients, {m} per round…": "正在训练 {n} 个客户端，每轮 {m} 个…",
    "1 client, round {r}: FedAvg test accuracy {final:.3f} vs centralised {acc:.3f} "
    "(gap {gap:+.1f} points)":
        "1 个客户端，第 {r} 轮：联邦平均测试准确率 {final:.3f}，集中式训练 {acc:.3f}"
        "（差距 {gap:+.1f} 个百分点）",
    "{n} clients ({m} per round), round {r}: FedAvg test accuracy {final:.3f} vs "
    "centralised {acc:.3f} (gap {gap:+.1f} points)":
        "{n} 个客户端（每轮 {m} 个），第 {r} 轮：联邦平均测试准确率 {final:.3f}，"
        "集中式训练 {acc:.3f}（差距 {gap:+.1f} 个百分点）",
    # ArticleFLDashboard (00): controls, status lines, figure
    "devices": "设备数量",
    "local steps": "本地梯度步数",
    "samples/device": "每个设备的样本数",
    "Diverged in round {r}: the test MSE became {m:.3g}; lower the learning rate "
    "(lr={lr:.3g})":
        "第 {r} 轮训练发散：测试均方误差变成了 {m:.3g}；请调低学习率（当前 lr={lr:.3g}）",
    "1 device, round {rounds}: test MSE {mse:.4f}":
        "1 个设备，第 {rounds} 轮：测试均方误差 {mse:.4f}",
    "{n} devices, round {rounds}: test MSE {mse:.4f}":
        "{n} 个设备，第 {rounds} 轮：测试均方误差 {mse:.4f}",
    "article.federated_train": "article.federated_train（修正版）",
    "noise floor σ² = 0.01": "噪声下限 σ² = 0.01",
    "test MSE": "测试均方误差（MSE）",
    "The article's FL loop, fixed": "原文的联邦学习循环（修正后）",
}
