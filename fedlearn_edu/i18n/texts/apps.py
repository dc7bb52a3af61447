"""Notebook 08's dashboards and figures (applications on real data): widgets/apps_silos.py,
widgets/apps_recommend.py (with widgets/apps_settings.py's words) and plots/apps.py.
Terms follow notebooks/GLOSSARY.md (跨机构联邦学习, 召回率, 差分隐私随机梯度下降（DP-SGD）,
矩阵分解, 冷启动). Texts already in common.py ("round", "seed", ...) or noniid.py
("rounds (轮数)", "{n} round", "{n} rounds") are not repeated here."""

ZH = {
    # the applications (widgets/apps_settings.py: SETTINGS' label, silo, silos, metric)
    "medical diagnosis": "医疗诊断",
    "financial risk": "金融风控",
    "faces": "人脸识别",
    "text": "文本分类",
    "hospital": "医院",
    "bank": "银行",
    "phone": "手机",
    "shop": "商店",
    "hospitals": "医院",
    "banks": "银行",
    "phones": "手机",
    "shops": "商店",
    "accuracy": "准确率",
    "recall": "召回率",
    "Accuracy": "准确率",
    "Recall": "召回率",
    "{n} hospitals": "{n} 家医院",
    "{n} banks": "{n} 家银行",
    "{n} phones": "{n} 部手机",
    "{n} shops": "{n} 家商店",
    # silo dashboard: controls (widgets/apps_silos.py)
    "{label} ({key})": "{label}（{key}）",
    "application (应用)": "应用场景",
    "silos (clients)": "机构数（客户端）",
    "case mix α (medical)": "病例构成 α（狄利克雷，仅医疗）",
    "DP ε (medical)": "差分隐私 ε（仅医疗）",
    "off (ε = ∞)": "关闭（ε = ∞）",
    # silo dashboard: status line and progress
    "{app}, {count}, {rounds}: mean {metric} alone {a:.3f}, pooled {p:.3f}, federated "
    "{f:.3f}; {name} (the weakest alone) goes from {wa:.3f} to {wf:.3f}":
        "{app}，{count}，{rounds}：平均{metric}——各自单独训练 {a:.3f}，数据集中训练 {p:.3f}，"
        "联邦训练 {f:.3f}；{name}（单独训练时最弱）从 {wa:.3f} 变为 {wf:.3f}",
    "{app}, {count}, {rounds}: mean recall alone {a:.2f}, pooled {p:.2f}, "
    "federated {f:.2f}; {name} (fewest defaults found alone) goes from {wa:.2f} "
    "to {wf:.2f}; AUC alone {auc_a:.3f} vs federated {auc_f:.3f}; the federated "
    "accuracy {acc:.3f} shows none of this (about 97 % of customers never "
    "default)":
        "{app}，{count}，{rounds}：平均召回率——各自单独训练 {a:.2f}，数据集中训练 {p:.2f}，"
        "联邦训练 {f:.2f}；{name}（单独训练时找出的违约最少）从 {wa:.2f} 变为 {wf:.2f}；"
        "AUC 单独训练 {auc_a:.3f}，联邦训练 {auc_f:.3f}；联邦模型的准确率 {acc:.3f} 完全"
        "看不出这些差别（约 97% 的客户从不违约）",
    "{app}, {count}, {rounds}: mean accuracy alone {a:.3f}, pooled {p:.3f}, "
    "federated {f:.3f}; federated with patient-level DP-SGD at ε = {eps:g}: {dp:.3f} "
    "(the same clipped SGD without noise: {clean:.3f})":
        "{app}，{count}，{rounds}：平均准确率——各自单独训练 {a:.3f}，数据集中训练 {p:.3f}，"
        "联邦训练 {f:.3f}；加上患者级差分隐私随机梯度下降（DP-SGD，ε = {eps:g}）的联邦训练："
        "{dp:.3f}（同样裁剪但不加噪声的 SGD：{clean:.3f}）",
    "{app}: loading the {silos} and training each alone and pooled…":
        "{app}：正在加载各{silos}的数据，并分别单独训练和集中训练…",
    "federated round {r}/{n}": "联邦训练：第 {r}/{n} 轮",
    "DP-SGD in every hospital at ε = {eps:g}…": "每家医院都以 ε = {eps:g} 运行 DP-SGD…",
    "the same clipped SGD without noise…": "同样裁剪但不加噪声的 SGD…",
    # silo figure (plots/apps.py, with the dashboard's axis texts)
    "{silo} (defaults in its training rows); scored on all test customers":
        "{silo}（括号内为其训练数据中的违约数）；在全部测试客户上评估",
    "{Metric} of each {silo}'s model": "每家{silo}模型的{Metric}",
    "{silo} (its test rows)": "{silo}（括号内为其测试样本数）",
    "{Metric} on each {silo}'s own test rows": "每家{silo}在自己测试数据上的{Metric}",
    "alone": "单独训练",
    "pooled": "数据集中训练",
    "federated": "联邦训练",
    "federated + DP": "联邦训练 + 差分隐私",
    "federated (live)": "联邦训练（实时）",
    "{series} (end)": "{series}（最终）",
    "mean accuracy over the silos": "各机构的平均准确率",
    "Federated model, round by round": "联邦模型逐轮表现",
    "silo": "机构",
    # recommendation dashboard (widgets/apps_recommend.py)
    "factors k (隐因子)": "隐因子数 k",
    "regularisation λ": "正则化强度 λ",
    "cold-start ratings (冷启动)": "冷启动用户的已知评分数",
    "{n} factor": "{n} 个隐因子",
    "{n} factors": "{n} 个隐因子",
    "a cold-start user with {n} rating: global factors {g:.3f}, movie averages {m:.3f}, "
    "mean rating {r:.3f}":
        "已知 {n} 条评分的冷启动用户：全局电影因子 {g:.3f}，电影平均分 {m:.3f}，"
        "总平均分 {r:.3f}",
    "a cold-start user with {n} ratings: global factors {g:.3f}, movie averages {m:.3f}, "
    "mean rating {r:.3f}":
        "已知 {n} 条评分的冷启动用户：全局电影因子 {g:.3f}，电影平均分 {m:.3f}，"
        "总平均分 {r:.3f}",
    "{rounds}, {factors}, λ = {lam:g}: test RMSE federated {f:.4f} (lowest after round "
    "{best}) vs centralised ALS {a:.4f}; predicting the mean rating {mean:.4f}; {cold}":
        "{rounds}，{factors}，λ = {lam:g}：测试 RMSE——联邦矩阵分解 {f:.4f}（第 {best} 轮后"
        "最低），集中式交替最小二乘（ALS）{a:.4f}；一律预测平均分 {mean:.4f}；{cold}",
    "federated rounds…": "联邦训练中…",
    "federated: round {r}/{n}": "联邦矩阵分解：第 {r}/{n} 轮",
    "centralised ALS: round {r}/{n}": "集中式 ALS：第 {r}/{n} 轮",
    # recommendation figure (plots/apps.py)
    "federated (gradient steps)": "联邦矩阵分解（梯度步）",
    "centralised ALS": "集中式 ALS",
    "predict the mean rating": "一律预测平均分",
    "test RMSE (stars)": "测试 RMSE（星）",
    "Test RMSE, round by round": "测试 RMSE 逐轮变化",
    "mean\nrating": "总体\n平均分",
    "movie\naverages": "电影\n平均分",
    "global\nfactors": "全局\n电影因子",
    "RMSE on their other ratings": "在其余评分上的 RMSE",
    "1 cold-start user, {known} rating": "1 位冷启动用户，{known} 条已知评分",
    "1 cold-start user, {known} ratings": "1 位冷启动用户，{known} 条已知评分",
    "{users} cold-start users, {known} rating each":
        "{users} 位冷启动用户，每人 {known} 条已知评分",
    "{users} cold-start users, {known} ratings each":
        "{users} 位冷启动用户，每人 {known} 条已知评分",
}
