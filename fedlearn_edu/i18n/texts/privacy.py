"""Notebook 06's dashboards and figures (differential privacy, poisoning, secure aggregation):
widgets/privacy.py, widgets/secagg.py and plots/privacy.py. Terms follow notebooks/GLOSSARY.md
(差分隐私, 噪声乘数, 裁剪, 隐私预算, 安全聚合, 掉线, 投毒攻击, 后门, 中位数, 截尾均值);
"rounds", "round", "seed", "test accuracy", "Diverged: {message}" come from common.py and
noniid.py."""

ZH = {
    # DP dashboard: controls, progress, status line (widgets/privacy.py)
    "noise multiplier σ": "噪声乘数 σ",
    "clip norm S": "裁剪范数 S",
    "sampling rate q": "采样率 q",
    "clients N": "客户端数量 N",
    "reference run without DP…": "正在运行不加差分隐私的参照…",
    "σ = 0: clipping only, no privacy guarantee (ε = ∞); accuracy {acc:.3f} vs {ref:.3f} "
    "without DP":
        "σ = 0：只有裁剪，没有任何隐私保证（ε = ∞）；准确率 {acc:.3f}，不加差分隐私时为 {ref:.3f}",
    # one whole message per band of epsilon (EPS_MESSAGES)
    "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: strong privacy "
    "(ε ≤ 1). A test of 'was this client in?' that wrongly accuses {fpr:.0%} of outsiders "
    "catches at most {tpr:.0%} of members (TPR ≤ e^ε·FPR + δ). Accuracy {acc:.3f} vs {ref:.3f} "
    "without DP.":
        "第 {rounds} 轮之后，每个客户端都受 (ε = {eps:.2f}, δ = {delta:g})-差分隐私保护：强隐私"
        "（ε ≤ 1）。一个判断「这个客户端参加了吗？」的检验，如果冤枉 {fpr:.0%} 的局外人，"
        "最多只能认出 {tpr:.0%} 的参与者（TPR ≤ e^ε·FPR + δ）。准确率 {acc:.3f}，"
        "不加差分隐私时为 {ref:.3f}。",
    "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: the range common "
    "in deployments (1 < ε ≤ 10). The bound TPR ≤ e^ε·FPR + δ still lets a membership test "
    "with {fpr:.0%} false positives catch up to {tpr:.0%} of members. Accuracy {acc:.3f} vs "
    "{ref:.3f} without DP.":
        "第 {rounds} 轮之后，每个客户端都受 (ε = {eps:.2f}, δ = {delta:g})-差分隐私保护："
        "实际部署中常见的范围（1 < ε ≤ 10）。上界 TPR ≤ e^ε·FPR + δ 仍然允许一个假阳性率为 "
        "{fpr:.0%} 的成员推断检验认出多达 {tpr:.0%} 的参与者。准确率 {acc:.3f}，"
        "不加差分隐私时为 {ref:.3f}。",
    "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: weak privacy "
    "(ε > 10). The bound TPR ≤ e^ε·FPR + δ rules out almost nothing (up to {tpr:.0%} of "
    "members caught at {fpr:.0%} false positives). Accuracy {acc:.3f} vs {ref:.3f} without DP.":
        "第 {rounds} 轮之后，每个客户端都受 (ε = {eps:.2f}, δ = {delta:g})-差分隐私保护：弱隐私"
        "（ε > 10）。上界 TPR ≤ e^ε·FPR + δ 几乎什么也排除不了（假阳性率 {fpr:.0%} 时，"
        "最多可认出 {tpr:.0%} 的参与者）。准确率 {acc:.3f}，不加差分隐私时为 {ref:.3f}。",
    # attack dashboard (widgets/privacy.py)
    "attacker fraction": "攻击者比例",
    "attack (投毒攻击)": "攻击方式",
    "defence (aggregator)": "防御（聚合规则）",
    "none": "无攻击（none）",
    "sign_flip": "符号翻转（sign_flip）",
    "scale": "放大更新（scale）",
    "gaussian": "高斯噪声（gaussian）",
    "nonfinite": "非有限值（nonfinite）",
    "label_flip": "标签翻转（label_flip）",
    "backdoor": "后门（backdoor）",
    "mean": "均值（mean）",
    "median": "中位数（median）",
    "trimmed_mean": "截尾均值（trimmed_mean）",
    "krum": "Krum（krum）",
    "multi_krum": "Multi-Krum（multi_krum）",
    "norm_clip": "范数裁剪（norm_clip）",
    "clean reference run…": "正在运行无攻击的参照…",
    "the model diverged (NaN/inf) in round {r}": "模型在第 {r} 轮发散了（出现 NaN/inf）",
    "attackers: {k} of {n} clients ({kind}); defence {defence}: accuracy {acc:.3f} (clean "
    "{clean:.3f}), backdoor success {rate:.2f}":
        "攻击者：{n} 个客户端中有 {k} 个（{kind}）；防御 {defence}：准确率 {acc:.3f}"
        "（无攻击时 {clean:.3f}），后门成功率 {rate:.2f}",
    # secure-aggregation dashboard (widgets/secagg.py)
    "clients n": "客户端数量 n",
    "threshold t": "门限 t",
    "dropout fraction": "掉线比例",
    "threshold t must be <= clients n, got t={t} > n={n}":
        "门限 t 不能大于客户端数量 n，当前 t={t} > n={n}",
    "one FedAvg round of local training, then the protocol…":
        "先做一轮联邦平均的本地训练，再运行协议…",
    "Protocol refused: {gone} of {n} clients dropped out. {e}":
        "协议拒绝了这一轮：{n} 个客户端中有 {gone} 个掉线。{e}",
    "dropped: {d} of {n} clients (t = {t}); secure sum == plain sum: {exact} (max float error "
    "{err:.1e}). Upload {up:.1f} KB = masked vectors {vec:.1f} KB (as large as sending them in "
    "the clear) + keys and shares {keys:.1f} KB; download {down:.1f} KB":
        "掉线：{n} 个客户端中 {d} 个（t = {t}）；安全求和 == 明文求和：{exact}（最大浮点误差 "
        "{err:.1e}）。上传 {up:.1f} KB = 掩码向量 {vec:.1f} KB（和明文发送一样大）+ 密钥与份额 "
        "{keys:.1f} KB；下载 {down:.1f} KB",
    "True": "是",
    "False": "否",
    # figures (plots/privacy.py)
    "original": "原图",
    "from gradient": "从梯度还原",
    "DP-FedAvg": "差分隐私联邦平均（DP-FedAvg）",
    "FedAvg (no DP)": "联邦平均（不加差分隐私）",
    "utility": "效用",
    "ε ≤ 1: strong": "ε ≤ 1：强隐私",
    "1–10: common in deployments": "1–10：实际部署中常见",
    "ε > 10: weak": "ε > 10：弱隐私",
    "epsilon": "隐私损失 ε",
    # no $...$ in a Chinese text: matplotlib's mathtext draws every character of a string with
    # a $ in it with its own fonts, which have no CJK glyphs (plain Unicode ε, σ, √ instead)
    r"$\varepsilon$ spent": "已花费的 ε",
    "privacy loss": "隐私损失",
    r"$\sigma S/(qN)$": "闭式解 σS/(qN)",
    "this run": "本次运行",
    "measured": "实测",
    "{formula} (update)": "{formula}（一次更新的大小）",
    "noise std per coordinate": "每个坐标上的噪声标准差",
    "noise on the average update": "平均更新上的噪声",
    "under attack": "受攻击",
    "no attack, mean": "无攻击，均值聚合",
    "clean accuracy": "干净测试集上的准确率",
    "backdoor success": "后门成功",
    "no attack": "无攻击",
    "triggered digits -> target": "带触发图案的数字 → 目标类别",
    "backdoor success rate": "后门攻击成功率",
    "plain sum": "明文求和",
    "secure sum": "安全求和",
    "parameter": "参数",
    "sum of survivors' updates": "留下的客户端的更新之和",
    "exact-sum check": "精确求和检验",
    "in the clear\n(same encoding,\nsame clients)": "明文发送\n（同样编码，\n同样客户端）",
    "SecAgg\nupload": "安全聚合\n上传",
    "SecAgg\ndownload": "安全聚合\n下载",
    "update vectors": "更新向量",
    "keys, shares, ids": "密钥、份额、编号",
    "kilobytes": "千字节（KB）",
    "traffic of one round": "一轮的通信量",
}
