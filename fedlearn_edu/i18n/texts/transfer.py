"""Notebook 03's dashboard and figure (transfer learning, the article's α f + β g):
widgets/transfer.py and plots/transfer.py. Terms follow notebooks/GLOSSARY.md (源任务, 目标任务,
微调, 从头训练, 闭式解, 负迁移; related / unrelated / opposite = 相关 / 无关 / 相反)."""

ZH = {
    # controls (widgets/transfer.py)
    "α (source weight)": "α（源任务权重）",
    "β (target weight)": "β（目标任务权重）",
    "target examples": "目标任务样本数",
    "source task (源任务)": "源任务",
    "related": "相关（related）",
    "unrelated": "无关（unrelated）",
    "opposite": "相反（opposite）",
    "GD steps": "梯度下降步数",
    "seed": "随机种子",
    # status line and progress (widgets/transfer.py: VERDICTS, the summary sentence)
    "training from scratch, fine-tuning, joint…": "正在训练：从头训练、微调、联合目标…",
    "scratch": "从头训练",
    "finetune": "微调",
    "joint": "联合目标",
    "transfer helps": "迁移有帮助",
    "negative transfer (负迁移): the source hurts": "负迁移（negative transfer）：源任务反而有害",
    "no clear gain: the target data alone do as well": "没有明显收益：只用目标数据也一样好",
    "target examples: {n_target}, source: {relation} | target test MSE scratch "
    "{scratch:.3g}, fine-tune {finetune:.3g}, joint {joint:.3g} (closed form {closed:.3g}); "
    "best: {best} — {verdict}":
        "目标任务样本数：{n_target}，源任务：{relation} | 目标任务测试 MSE：从头训练 "
        "{scratch:.3g}，微调 {finetune:.3g}，联合目标 {joint:.3g}（闭式解 {closed:.3g}）；"
        "最佳：{best} —— {verdict}",
    # figure (plots/transfer.py)
    "target from scratch": "目标任务从头训练",
    "fine-tune from source": "从源模型微调",
    "joint α f + β g": "联合目标 α f + β g",
    "GD path": "梯度下降路径",
    "source optimum": "源任务最优解",
    "target truth": "目标任务真值",
    "closed-form min": "闭式解（最小点）",
    "GD end": "梯度下降终点",
    "coefficient w₀": "系数 w₀",
    "coefficient w₁": "系数 w₁",
    "α f + β g (2-D slice)": "α f + β g（二维切片）",
    "closed-form joint": "联合目标的闭式解",
    "gradient step": "梯度步数",
    "target test MSE": "目标任务测试 MSE",
    "Training on the target": "在目标任务上训练",
    "Error vs target data": "误差随目标数据量的变化",
}
