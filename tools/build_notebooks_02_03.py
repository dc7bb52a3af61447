# ruff: noqa: E501  (Markdown tables and prose in the cell strings below cannot be wrapped)
"""Write notebooks/02_non_iid.ipynb and notebooks/03_transfer_learning.ipynb (no outputs).

Run ``.venv/bin/python tools/build_notebooks_02_03.py`` after editing the cells below;
the committed .ipynb files are the product, this script only keeps them easy to review.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]


def md(text: str):
    return nbf.v4.new_markdown_cell(text.strip("\n"))


def code(text: str):
    return nbf.v4.new_code_cell(text.strip("\n"))


def write(name: str, cells: list) -> None:
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / name
    path.parent.mkdir(exist_ok=True)
    nbf.validate(nb)
    nbf.write(nb, path)
    print("wrote", path.relative_to(ROOT))


NB02 = [
    md(r"""
# 02 · Non-IID data: when one shared model fits nobody ("model non-adaptation")

**What you'll learn**
- what non-IID (非独立同分布) client data look like, and how a Dirichlet parameter α or label *shards* control the skew;
- why FedAvg gets worse on skewed data: **client drift** (客户端漂移) — each client's local model walks towards its own few labels;
- how to measure the accuracy gap between IID and skewed data, on real numbers, across seeds.

**What you need**: notebook 01 (FedAvg: the objective $\min_w \sum_i \frac{n_i}{n} f_i(w)$, rounds, local epochs, client fraction).
Runs in about 10 seconds; nothing is downloaded.

The article names three challenges of federated learning (联邦学习): limited compute, network latency (延迟) and
**model non-adaptation** (模型不适应性): the shared model does not suit every device, because devices hold
different kinds of data. This notebook makes that concrete.
"""),
    code(r"""
%matplotlib widget
import matplotlib.pyplot as plt
import numpy as np

from fedlearn_edu import FedConfig, Federation
from fedlearn_edu.data import label_histogram, load_dataset, partition
from fedlearn_edu.widgets_noniid import NONIID_DEFAULTS, NonIIDDashboard, run_noniid

np.set_printoptions(precision=3, suppress=True)
digits = load_dataset("digits")  # 1347 training images of 0-9, 64 pixel features
print(digits.X_train.shape, "training examples;", digits.n_classes, "classes")
"""),
    md(r"""
## 1. The idea: how skewed is a client?

In FedAvg every client (客户端) $i$ minimises its own loss $f_i(w)$ on its own examples, and the server (服务器)
averages (聚合, aggregation) the results. The global objective is $F(w) = \sum_i \frac{n_i}{n} f_i(w)$.
If every client's data were an IID sample of the same distribution, every $f_i$ would look like $F$ and
local training would walk in the right direction. With **label skew** they don't: a client that only
holds 3s and 8s has a local optimum $\arg\min f_i$ that calls everything a 3 or an 8.

**Dirichlet partition.** For every class $c$ draw proportions $q_c \sim \mathrm{Dir}(\alpha, \dots, \alpha)$
over the $K$ clients, and give client $i$ the fraction $q_{c,i}$ of class $c$'s examples.
- $\alpha \to \infty$ (say 100): $q_c \approx (1/K, \dots, 1/K)$, every client has every label — IID.
- $\alpha \to 0$ (say 0.01): each $q_c$ is almost one-hot, so each class lands on one or two clients.

**Shards** (McMahan et al., 2017): sort the examples by label, cut them into $K \cdot s$ equal shards and
give each client $s$ shards, so each client sees about $s$ labels.

A handy summary of one client's skew is its **effective number of labels**
$\exp(H)$, with $H = -\sum_c p_c \log p_c$ the entropy of its label distribution (10 = uniform, 1 = a single label).
"""),
    code(r"""
def effective_labels(counts):
    # exp(entropy) of each row of counts: (num_clients, n_classes) -> (num_clients,)
    p = counts / counts.sum(axis=1, keepdims=True)
    logp = np.log(np.where(p > 0, p, 1.0))
    return np.exp(-(p * logp).sum(axis=1))

K = 20
settings = {"α = 100": dict(method="dirichlet", alpha=100.0),
            "α = 1": dict(method="dirichlet", alpha=1.0),
            "α = 0.05": dict(method="dirichlet", alpha=0.05),
            "2 shards / client": dict(method="shards", shards_per_client=2)}
counts = {}
for name, kw in settings.items():
    parts = partition(digits.y_train, K, rng=np.random.default_rng(0), **kw)
    counts[name] = label_histogram(digits.y_train, parts, digits.n_classes)
    print(f"{name:18s} effective labels per client: mean {effective_labels(counts[name]).mean():.2f}, "
          f"client sizes {counts[name].sum(axis=1).min()}..{counts[name].sum(axis=1).max()}")

fig, axes = plt.subplots(1, 4, figsize=(12, 2.8), sharey=False)
for ax, (name, c) in zip(axes, counts.items()):
    bottom = np.zeros(K)
    for label in range(digits.n_classes):
        ax.bar(np.arange(K), c[:, label], bottom=bottom, color=f"C{label}", width=0.85)
        bottom += c[:, label]
    ax.set(title=name, xlabel="client")
axes[0].set_ylabel("examples (colour = label)")
fig.tight_layout()
"""),
    code(r"""
eff = {name: effective_labels(c).mean() for name, c in counts.items()}
assert all(c.sum() == len(digits.y_train) for c in counts.values())  # every example used once
assert eff["α = 100"] > 9.5  # near-uniform: practically IID
assert eff["α = 100"] > eff["α = 1"] > eff["α = 0.05"]  # smaller α, fewer labels per client
assert eff["α = 0.05"] < 2.5 and eff["2 shards / client"] < 2.6
"""),
    md(r"""
## 2. Client drift, measured

Each round, the selected clients start from the same global model $w$ and each returns a local model
$w_i$ after `local_epochs` epochs of SGD on its own data. `run_noniid` runs exactly the FedAvg rounds of
`simulate` (same numbers) and also records, per round, with $p_i = n_i / \sum_j n_j$:

$$\text{drift} = \sum_i p_i \lVert w_i - w \rVert, \qquad
\text{local accuracy} = \sum_i p_i \,\mathrm{acc}(w_i;\ \text{test set}).$$

The *local accuracy* asks: if we kept client $i$'s own model, how good would it be on everybody's data?
On IID data every local model is a decent global model. On skewed data each local model specialises in its few
labels — that is the drift — and averaging four specialists that each forgot the other labels costs accuracy.

The setting (`NONIID_DEFAULTS`): digits, 20 clients, **4 sampled per round** (client fraction 0.2), 10 local epochs,
10 rounds. With so few clients per round, a round may simply not see some labels.
"""),
    code(r"""
cfg = NONIID_DEFAULTS
print({k: getattr(cfg, k) for k in ("dataset", "num_clients", "client_fraction", "local_epochs",
                                    "batch_size", "lr", "rounds")})
runs = {name: run_noniid(cfg.replace(partition="iid" if name == "IID" else "dirichlet",
                                     dirichlet_alpha=alpha))
        for name, alpha in (("IID", 1.0), ("α = 0.05", 0.05))}
print("round  " + "  ".join(f"{n:>24s}" for n in runs))
print("       " + "  ".join(f"{'acc   drift  local acc':>24s}" for _ in runs))
for r in range(cfg.rounds):
    print(f"{r + 1:5d}  " + "  ".join(
        f"{x.history.test_accuracy[r]:10.3f} {x.drift[r]:6.2f} {x.local_accuracy[r]:9.3f}"
        for x in runs.values()))
"""),
    code(r"""
iid, skew = runs["IID"], runs["α = 0.05"]
# parameter distance also depends on how many SGD steps a client takes (skewed clients have
# 2..187 examples), so it is a rough measure; the local models' accuracy is the clear signal
assert skew.drift.mean() > iid.drift.mean()  # skewed clients walk further away ...
assert skew.local_accuracy.mean() < iid.local_accuracy.mean() - 0.15  # ... into specialists
assert iid.local_accuracy.mean() > 0.85  # an IID client's own model is already decent
assert skew.history.test_accuracy.mean() < iid.history.test_accuracy.mean() - 0.05
"""),
    md(r"""
## 3. Live dashboard

Move a slider and release it. The left panel redraws the label histogram for the new partition; the middle
panel shows the test accuracy of the skewed run (red) against the IID reference with the same settings
(grey, dashed); the right panel shows the clients' own models on the test set (client drift). The curves
grow round by round; the status line summarises the gap.

Things to try:
- **α** from 100 down to 0.01 (it is a log-scale slider): watch the histogram turn into single-colour bars and the red curves fall;
- **partition = shards**, shards per client 1 → 5;
- **client fraction** 0.2 → 1.0: with every client in every round, the damage shrinks a lot (all labels are seen in every round);
- **local epochs** 1 vs 20: more local work = more drift;
- shards with 10 shards per client and 200 clients: the status line explains why that is impossible.
"""),
    code(r"""
dash = NonIIDDashboard()
dash
"""),
    code(r"""
assert dash.wait(120), "the dashboard's first run did not finish"
print(dash.message)
assert dash.level == "info" and dash.result["skewed"].history.completed == NONIID_DEFAULTS.rounds
"""),
    md(r"""
## 4. Checks on real numbers: smaller α → lower accuracy at equal rounds

One run is noisy, so we average over 3 seeds (seeds change the partition, the client sampling and SGD) and
compare the **mean test accuracy over the 10 rounds** (the area under the accuracy curve) as well as the
accuracy after the last round. On this easy dataset the final accuracies of mildly skewed runs come close to IID
given enough rounds; the skew shows first in how *fast* FedAvg gets there.
"""),
    code(r"""
seeds = (0, 1, 2)

def sweep(**changes):
    # (mean accuracy over rounds, final accuracy, mean local accuracy), averaged over seeds
    res = [run_noniid(cfg.replace(seed=s, **changes)) for s in seeds]
    return (np.mean([r.history.test_accuracy.mean() for r in res]),
            np.mean([r.history.test_accuracy[-1] for r in res]),
            np.mean([r.local_accuracy.mean() for r in res]))

table = {"IID": sweep(partition="iid")}
alphas = (100.0, 1.0, 0.1, 0.01)
for a in alphas:
    table[f"α = {a:g}"] = sweep(dirichlet_alpha=a)
table["2 shards / client"] = sweep(partition="shards", shards_per_client=2)
table["α = 0.05, all clients every round"] = sweep(dirichlet_alpha=0.05, client_fraction=1.0)
table["IID, all clients every round"] = sweep(partition="iid", client_fraction=1.0)
print(f"{'partition':36s} {'mean acc':>9s} {'final acc':>9s} {'local acc':>9s}")
for name, (m, f, loc) in table.items():
    print(f"{name:36s} {m:9.3f} {f:9.3f} {loc:9.3f}")
"""),
    code(r"""
mean_acc = [table[f"α = {a:g}"][0] for a in alphas]
local_acc = [table[f"α = {a:g}"][2] for a in alphas]
assert all(np.diff(mean_acc) < 0), mean_acc  # strictly lower with every smaller α ...
assert mean_acc[0] - mean_acc[-1] > 0.15  # ... and by a lot at α = 0.01
assert all(np.diff(local_acc) < 0), local_acc  # local models drift more as α shrinks
assert abs(table["α = 100"][0] - table["IID"][0]) < 0.01  # α = 100 is practically IID
assert table["α = 0.01"][1] < table["IID"][1] - 0.05  # also at the final round
assert table["2 shards / client"][0] < table["IID"][0] - 0.05  # shards are worse than IID
gap_partial = table["IID"][0] - sweep(dirichlet_alpha=0.05)[0]
gap_full = table["IID, all clients every round"][0] - table["α = 0.05, all clients every round"][0]
assert gap_full < gap_partial  # skew hurts most when few clients take part per round
"""),
    md(r"""
## 5. Exercise: write the Dirichlet split yourself

Fill in `my_dirichlet_partition(y, num_clients, alpha, rng)`: for every class, shuffle that class's indices,
draw proportions `rng.dirichlet(alpha * np.ones(num_clients))` and cut the indices at
`(np.cumsum(props)[:-1] * n_c).astype(int)` (use `np.split`). Return one sorted index array per client.
The self-check tests that every example is used exactly once and that the skew grows as α shrinks.
(The solution is filled in below, marked `# SOLUTION`, so the notebook runs top to bottom; try it yourself first.)
"""),
    code(r"""
def my_dirichlet_partition(y, num_clients, alpha, rng):
    # SOLUTION
    buckets = [[] for _ in range(num_clients)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        props = rng.dirichlet(alpha * np.ones(num_clients))
        for i, chunk in enumerate(np.split(idx, (np.cumsum(props)[:-1] * len(idx)).astype(int))):
            buckets[i].append(chunk)
    return [np.sort(np.concatenate(b)) for b in buckets]
"""),
    code(r"""
# self-check
y = digits.y_train
mine = {a: my_dirichlet_partition(y, 20, a, np.random.default_rng(1)) for a in (100.0, 0.05)}
for a, parts in mine.items():
    assert len(parts) == 20
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(y))), "each example exactly once"
eff_mine = {a: effective_labels(label_histogram(y, p, 10)[[len(q) > 0 for q in p]]).mean()
            for a, p in mine.items()}
assert eff_mine[100.0] > 9.5 and eff_mine[0.05] < 3, eff_mine
print("well done - effective labels per client:", {a: round(v, 2) for a, v in eff_mine.items()})
"""),
    md(r"""
## Summary

- Non-IID data is the article's "model non-adaptation" (模型不适应性): one shared model, clients with different data.
- The Dirichlet α (log scale, 0.01…100) and label shards control the skew; the effective number of labels per
  client falls from 10 (α = 100) to about 1–2 (α ≤ 0.05, or 2 shards).
- **Client drift**: on skewed data each local model becomes a specialist (its own test accuracy falls far below
  the global model's), local updates point in different directions, and FedAvg needs more rounds; measured over
  3 seeds, the mean accuracy falls strictly with α, and shards are worse than IID.
- The damage is largest when few clients take part per round and when clients do much local work.
  Remedies (next notebooks and the literature): more clients per round, fewer local epochs, FedProx's proximal term
  (`mu` in `local_sgd`), server momentum, personalisation (个性化) — e.g. fine-tuning (微调) the global model on each
  client, which is transfer learning (迁移学习), the topic of notebook 03.
"""),
]


NB03: list = []  # filled in below

if __name__ == "__main__":
    which = set(sys.argv[1:]) or {"02", "03"}
    if "02" in which:
        write("02_non_iid.ipynb", NB02)
    if "03" in which and NB03:
        write("03_transfer_learning.ipynb", NB03)
