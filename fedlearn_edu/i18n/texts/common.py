"""Texts every dashboard shares (the base class's status line, buttons, progress bar)."""

ZH = {
    "{n} clients per round": "每轮 {n} 个客户端",
    "Reset to defaults": "恢复默认值",
    "progress": "进度",
    "computing…": "计算中…",
    "done": "完成",
    "Setting not allowed: {e}": "该设置不允许：{e}",
    "round": "轮次",
    "test accuracy": "测试准确率",
    "loss": "损失",
    "train loss": "训练损失",
    "test loss": "测试损失",
    # shared by several dashboards (widgets/base.py, plots/base.py's ConvergencePlot, and the
    # controls of notebooks 00, 01: widgets/intro.py, widgets/scale.py)
    "{kind}: {e}": "出错了（{kind}）：{e}",
    "Diverged: {message}": "训练发散：{message}",
    "FedAvg": "联邦平均（FedAvg）",
    "Test accuracy": "测试准确率",
    "Loss": "损失",
    "cross-entropy": "交叉熵",
    "train objective": "训练目标函数",
    "centralised (sklearn)": "集中式训练（sklearn）",
    "centralised test loss": "集中式训练的测试损失",
    "clients": "客户端数量",
    "rounds": "通信轮数",
    "client fraction C": "客户端比例 C",
    "local epochs E": "本地训练轮数 E",
    "learning rate η": "学习率 η",
    "seed": "随机种子",
    "client": "客户端",
}
