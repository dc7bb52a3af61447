"""Notebook 05's dashboard and figure (federated transfer learning: personalization, pretrained
starts, source selection): widgets/fedtransfer.py and plots/fedtransfer.py. Terms follow
notebooks/GLOSSARY.md (个性化, 微调, 主干, 预训练, 源任务选择, 置信区间, 负迁移)."""

ZH = {
    # controls (widgets/fedtransfer.py)
    "Dirichlet α (skew)": "狄利克雷 α（偏斜程度）",
    "clients (客户端)": "客户端数量",
    "personalization (个性化)": "个性化方法",
    "fine-tune (微调)": "微调（fine-tune）",
    "FedPer (shared body)": "FedPer（共享主干）",
    "Ditto (λ pull)": "Ditto（λ 回拉）",
    "local only (本地)": "仅本地训练（local）",
    "global only": "仅全局模型（global）",
    "fine-tune steps k": "微调步数 k",
    "Ditto λ": "Ditto 回拉强度 λ",
    "source relatedness r": "源任务相关度 r",
    "rounds (轮数)": "通信轮数",
    # refused settings (the dashboard's own checks, shown after "Setting not allowed: ")
    "method must be one of {methods}, got {method!r}":
        "个性化方法必须是 {methods} 之一，当前为 {method!r}",
    "num_clients={n} is too many: each client needs >= {size} of the {pool} client-pool "
    "examples, so at most {most} clients":
        "num_clients={n} 太多了：客户端样本池共 {pool} 个样本，每个客户端至少需要 {size} 个，"
        "所以最多 {most} 个客户端",
    # progress
    "building clients…": "正在构建客户端…",
    "personalization: {method}…": "个性化：{method}…",
    "pretrained vs scratch start…": "预训练起点与从零起点对比…",
    "ranking source tasks…": "正在为候选源任务排序…",
    # method names (status line, legend of panel (a))
    "global": "全局模型",
    "local": "本地训练",
    "finetune": "微调",
    "fedper": "FedPer",
    "ditto": "Ditto",
    # status line: each " | "-separated sentence whole
    "never": "未达到",
    "round {r}": "第 {r} 轮",
    "{method}: mean client accuracy {g:.3f} → {p:.3f} ({gain:+.1f} points)":
        "{method}：客户端平均准确率 {g:.3f} → {p:.3f}（{gain:+.1f} 个百分点）",
    "worst client {g_acc:.2f} [95% CI {g_low:.2f}–{g_high:.2f}, n = {g_n}] → "
    "{p_acc:.2f} [{p_low:.2f}–{p_high:.2f}, n = {p_n}]":
        "最差客户端 {g_acc:.2f} [95% 置信区间 {g_low:.2f}–{g_high:.2f}，n = {g_n}] → "
        "{p_acc:.2f} [{p_low:.2f}–{p_high:.2f}，n = {p_n}]",
    "{target:.0%} reached: pretrained {pre}, scratch {scratch}":
        "达到 {target:.0%} 的轮次：预训练起点 {pre}，从零起点 {scratch}",
    "top-ranked source: {name} (Spearman {rho:.2f})":
        "排名第一的源任务：{name}（Spearman {rho:.2f}）",
    "negative transfer (负迁移): the r={r:.2f} source leaves FedAvg {gap:.1f} points "
    "behind scratch":
        "负迁移（negative transfer）：用 r={r:.2f} 的源任务预训练，联邦平均（FedAvg）反而落后"
        "从零起点 {gap:.1f} 个百分点",
    # source table below the figure
    "probe score": "探针分数",
    "true gain (fine-tune)": "真实收益（微调）",
    "gain (frozen features)": "收益（冻结特征）",
    "Spearman(probe, fine-tune gain) = {rho:.2f}; Spearman(LogME, frozen-feature gain) = "
    "{rho_fx:.2f}":
        "Spearman（探针分数，微调收益）= {rho:.2f}；Spearman（LogME，冻结特征收益）= "
        "{rho_fx:.2f}",
    # the candidate sources' names (plots/fedtransfer.py: source_name)
    "same task": "同一任务",
    "30% label noise": "30% 标签噪声",
    "mirrored digits": "镜像数字（领域偏移）",
    "70% label noise": "70% 标签噪声",
    "random labels": "随机标签（无关）",
    "relabelled c->c+1": "标签改为 c→c+1（相反）",
    "slider source r={r}": "滑块设定的源任务 r={r}",
    # figure (plots/fedtransfer.py)
    "(a) accuracy on each client's own test split": "(a) 各客户端在自己测试集上的准确率",
    "client": "客户端",
    "mean client accuracy": "客户端平均准确率",
    "(b) FedAvg on the target clients": "(b) 目标客户端上的联邦平均（FedAvg）",
    "pretrained start": "预训练起点",
    "scratch start": "从零起点",
    "target": "目标准确率",
    "(c) candidate sources in the probe's order; bar = true gain; ranks by probe (P), "
    "LogME (L), true gain (T)":
        "(c) 候选源任务（按探针分数排序）；条形 = 真实收益；排名：探针 (P)、LogME (L)、"
        "真实收益 (T)",
    "target test accuracy gain from fine-tuning (vs scratch)":
        "微调带来的目标任务测试准确率收益（相对于从头训练）",
    "global model": "全局模型",
    "personalized": "个性化模型",
}
