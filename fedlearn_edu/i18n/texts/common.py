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
}
