"""Notebook 07's figures (plots/flower.py): Flower's parts and a real run's live curve.

(matplotlib's mathtext has no CJK glyphs and no per-glyph fallback: a Chinese label writes
its symbols with Unicode sub- and superscripts instead of ``$...$``.)"""

ZH = {
    "server machine": "服务器所在的机器",
    "ServerApp\n(our sampling, aggregation,\nevaluation)":
        "ServerApp\n（我们的抽样、聚合、\n评估）",
    "SuperLink\n(nodes, message queues)": "SuperLink\n（节点、消息队列）",
    "SuperNode {i}  →  ClientApp {i}\n(partition {i}, our local SGD)":
        "SuperNode {i}  →  ClientApp {i}\n（第 {i} 份数据，我们的本地 SGD）",
    "train message: global $w_t$": "训练消息：全局模型 wₜ",
    "reply: local $w_t^i$, $n_i$": "回复：本地模型 wₜⁱ 和 nᵢ",
    "One Flower federation: infrastructure (green, yellow) runs our apps (blue)":
        "一个 Flower 联邦：基础设施（绿色、黄色）运行我们的应用（蓝色）",
    "simulate (our engine)": "simulate（我们的引擎）",
    "Flower deployment (live)": "Flower 部署（实时）",
}
