# ruff: noqa: E501  (Markdown tables and prose in the cell strings below cannot be wrapped)
"""Write notebooks/02_non_iid.ipynb and notebooks/03_transfer_learning.ipynb (no outputs).

Run ``.venv/bin/python tools/build_notebooks_02_03.py`` after editing the cells below;
the committed .ipynb files are the product, this script only keeps them easy to review.
"""

from __future__ import annotations

import sys

from nbbuild import code, md, write  # tools/nbbuild.py

NB02 = [
    md(r"""
# 02 · Non-IID data: when one shared model fits nobody ("model non-adaptation")

**What you'll learn**
- what non-IID (非独立同分布) client data look like, and how a Dirichlet parameter α or label *shards* control the skew;
- why FedAvg gets worse on skewed data: **client drift** (客户端漂移) — each client's local model walks towards its own few labels;
- how to measure the accuracy gap between IID and skewed data, on real numbers, across seeds.

**What you need**: notebook 01 (FedAvg: the objective $\min_w \sum_i \frac{n_i}{n} f_i(w)$, rounds, local epochs, client fraction).
Runs in about 15 seconds; nothing is downloaded.

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
    sizes = counts[name].sum(axis=1)
    eff_labels = effective_labels(counts[name]).mean()
    print(f"{name:18s} effective labels per client: mean {eff_labels:.2f}, "
          f"client sizes {sizes.min()}..{sizes.max()}")

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
for parts in mine.values():
    assert len(parts) == 20
    used = np.sort(np.concatenate(parts))
    assert np.array_equal(used, np.arange(len(y))), "each example exactly once"
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


NB03 = [
    md(r"""
# 03 · Transfer learning: source task → target task, and the article's α f + β g

**What you'll learn**
- the three ways to use a source task (源任务) for a target task (目标任务): train on the target **from scratch**,
  **fine-tune** (微调) a source model, or minimise the article's **joint objective** $\alpha f(w) + \beta g(w)$;
- that gradient descent on $\alpha f + \beta g$ lands on the closed-form least-squares minimiser, and how α/β move it;
- when transfer pays off (few target examples, related source) and when it backfires: **negative transfer** (负迁移).

**What you need**: least squares and gradient descent (notebook 00). Runs in about 15 seconds; nothing is downloaded.

The article defines transfer learning (迁移学习) as reusing what was learned on one task for a related task, to
save training time and data, and writes its objective as $\min_w \alpha f(w) + \beta g(w)$ with $f$ the source loss
and $g$ the target loss. Its open problem — *choosing a suitable source task* — is exactly what section 4 shows.
"""),
    code(r"""
%matplotlib widget
import matplotlib.pyplot as plt
import numpy as np

from fedlearn_edu import seed
from fedlearn_edu.data import load_dataset
from fedlearn_edu.models import Model, make_model
from fedlearn_edu.transfer import joint_closed_form, joint_loss, joint_train
from fedlearn_edu.widgets_transfer import (TransferDashboard, article_tasks, compare_methods,
                                           lipschitz_lr)

np.set_printoptions(precision=3, suppress=True)
"""),
    md(r"""
## 1. The idea and the formula

Take one model with parameters $w$ (here a linear model $\hat y = x^\top \theta + b$, $w = (\theta, b)$) and two
mean squared errors: $f(w) = \frac{1}{n_s}\lVert A_s w - y_s\rVert^2$ on the source data and
$g(w) = \frac{1}{n_t}\lVert A_t w - y_t\rVert^2$ on the target data ($A = [X, 1]$).

| strategy | what it minimises | starting point |
|---|---|---|
| target from scratch | $g$ only ($\alpha = 0$) | $w = 0$ |
| fine-tune from source | $g$, for a limited number of steps | $w_s = \arg\min f$ |
| joint (the article) | $\alpha f + \beta g$ | $w = 0$ |

Setting the gradient of $\alpha f + \beta g$ to zero gives the **normal equations**

$$\Big(\tfrac{2\alpha}{n_s} A_s^\top A_s + \tfrac{2\beta}{n_t} A_t^\top A_t\Big)\, w^\star
= \tfrac{2\alpha}{n_s} A_s^\top y_s + \tfrac{2\beta}{n_t} A_t^\top y_t ,$$

so $w^\star$ is a compromise between the two tasks' optima, pulled towards the target as $\beta/\alpha$ grows.
Only the ratio $\beta/\alpha$ changes $w^\star$; the scale $\alpha + \beta$ only changes the curvature, so the
gradient step is $1/L$ with $L$ the largest eigenvalue of the matrix on the left (`lipschitz_lr`).

The tasks are the article's: $X \sim U[0,1)^{n\times 10}$, $y = X w_{\text{true}} + 0.1\,\varepsilon$, 100 source
examples, and a target whose truth is the source truth shifted by 0.3 in a fixed direction (`seed.target_weights`).
"""),
    code(r"""
tasks = article_tasks(n_target=5, relation="related", seed=0)
print("source truth:", tasks.w_source)
print("target truth:", tasks.w_target)
print(f"distance between the truths: {np.linalg.norm(tasks.w_source - tasks.w_target):.2f}; "
      f"target examples: {len(tasks.target[1])} for 11 parameters")
model = tasks.model  # Model("linear", 10, 1): 10 coefficients + 1 bias
"""),
    md(r"""
### Check: gradient descent finds the closed-form minimiser

`joint_train` runs full-batch gradient descent on $\alpha f + \beta g$; `joint_closed_form` solves the normal
equations. They must agree for any α, β (with 20 target examples, so that $g$ alone is well-posed too).
"""),
    code(r"""
t20 = tasks.with_n_target(20)
for alpha, beta in [(1.0, 1.0), (3.0, 0.2), (0.2, 3.0)]:
    lr = lipschitz_lr(t20.source, t20.target, alpha, beta)
    w_gd, losses = joint_train(model, t20.source, t20.target, alpha, beta, lr=lr, steps=5000)
    w_cf = joint_closed_form(t20.source, t20.target, alpha, beta)
    gap = np.abs(w_gd - w_cf).max()
    best = joint_loss(model, w_cf, t20.source, t20.target, alpha, beta)
    print(f"α={alpha:3.1f} β={beta:3.1f}: max |w_GD - w*| = {gap:.1e}, "
          f"objective {losses[-1]:.6f} vs {best:.6f}")
    assert gap < 1e-5
    assert losses[-1] <= best + 1e-10
"""),
    md(r"""
## 2. Transfer on the article's tasks: when it helps, when it hurts

`compare_methods` trains the three ways with the same budget (200 gradient steps) and reports the target test
error (MSE on 1000 fresh target examples; the noise floor is $0.1^2 = 0.01$). Three sources:
**related** (the article's), **unrelated** (an independent truth) and **opposite** (the target truth negated).
We average over 5 seeds.
"""),
    code(r"""
def mean_errors(n_target, relation, alpha=1.0, beta=1.0, seeds=range(5)):
    errs = [compare_methods(article_tasks(n_target, relation, s), alpha, beta, 200)["errors"]
            for s in seeds]
    return {m: float(np.mean([e[m] for e in errs])) for m in ("scratch", "finetune", "joint")}

results = {(n, rel): mean_errors(n, rel)
           for n in (5, 200) for rel in ("related", "unrelated", "opposite")}
print(f"{'target examples':>15s} {'source':>10s} {'scratch':>9s} {'fine-tune':>9s} {'joint':>9s}")
for (n, rel), e in results.items():
    print(f"{n:15d} {rel:>10s} {e['scratch']:9.3f} {e['finetune']:9.3f} {e['joint']:9.3f}")
"""),
    code(r"""
few = results[(5, "related")]
assert few["finetune"] < 0.2 * few["scratch"]  # with 5 target examples, transfer wins big ...
assert few["joint"] < 0.3 * few["scratch"]
for rel in ("unrelated", "opposite"):  # ... but an unrelated source makes things worse:
    assert results[(5, rel)]["joint"] > 2 * results[(5, rel)]["scratch"]  # negative transfer
assert results[(5, "opposite")]["finetune"] > 2 * results[(5, "opposite")]["scratch"]
many = results[(200, "related")]
assert many["scratch"] < 0.02  # with 200 target examples scratch is near the noise floor ...
assert many["joint"] > 2 * many["scratch"]  # ... and α = β = 1 now over-weights the source
"""),
    md(r"""
Reading the table:
- **5 target examples, related source**: 5 equations for 11 unknowns — from scratch the target is under-determined,
  while fine-tuning and the joint objective fill the gaps with what the source knows.
- **Unrelated or opposite source**: the joint objective pulls $w$ towards a wrong truth — negative transfer (负迁移).
  Fine-tuning from an *opposite* source is also worse than scratch; from an *unrelated* one it is a coin flip.
- **200 target examples**: the target data alone suffice, and a fixed $\alpha = \beta = 1$ now *biases* the answer
  towards the source. The weight of the target should grow with its data (e.g. $\beta/\alpha \propto n_t/n_s$).

## 3. Live dashboard

Left: $\alpha f + \beta g$ on a 2-D slice through the minimiser (coefficients $w_0, w_1$; all other parameters at
$w^\star$), with the closed-form minimiser ★, the end of gradient descent ●, its path, the source optimum ▲ and
the target truth ✖. Middle: target test error per gradient step for the three strategies. Right: final error
against the number of target examples (the dotted line marks the slider's value).

Things to try:
- move **β** from 0 to 5 with α = 1: the star slides from the source optimum towards the target;
- **target examples** 5 → 200: scratch catches up with (and passes) the joint objective;
- **source task = opposite / unrelated**: the status line reports negative transfer;
- **GD steps** 10 → 1000: the red dot walks to the star; fine-tuning with few steps keeps more of the source;
- set α = β = 0: the status line says why that is not allowed.
"""),
    code(r"""
dash = TransferDashboard()
dash
"""),
    code(r"""
assert dash.wait(120), "the dashboard's first run did not finish"
print(dash.message)
r = dash.result
assert dash.level == "info" and "transfer helps" in dash.message
assert np.allclose(dash.plot.markers["closed_form"].get_xydata()[0], r["closed_form"][:2])
"""),
    md(r"""
## 4. A real task: two hospitals, one diagnosis

Source: the breast-cancer data of "hospital A" (426 labelled cases, 30 measurements, logistic regression (逻辑回归)).
Target: "hospital B" measures the same tumours with differently calibrated instruments — every measurement rescaled
by a factor in [0.5, 2], offset, and 5 of the 30 recorded with the opposite sign — and has only **10 labelled cases**.
A shared model makes sense (same disease, same measurements), but A's model cannot be used as is.

For negative transfer we also use a source whose labels are coded the other way round (benign ↔ malignant): the
same images, the opposite task.
"""),
    code(r"""
bc = load_dataset("breast_cancer")
lmodel = make_model("logistic", bc.n_features, 2)
r = np.random.default_rng(7)  # hospital B's instruments (fixed)
scale = r.uniform(0.5, 2.0, 30)  # unit changes
scale[r.choice(30, 5, replace=False)] *= -1  # 5 measurements with the opposite sign
offset = r.normal(0.0, 1.0, 30)  # calibration offsets

def hospital_b(X):
    return X * scale + offset

source = (bc.X_train, bc.y_train)
flipped_source = (bc.X_train, 1 - bc.y_train)
test_b = (hospital_b(bc.X_test), bc.y_test)
w_a, _ = joint_train(lmodel, source, source, 1.0, 0.0, lr=0.5, steps=300)
w_flip, _ = joint_train(lmodel, flipped_source, flipped_source, 1.0, 0.0, lr=0.5, steps=300)
print(f"hospital A's model: accuracy {lmodel.score(w_a, bc.X_test, bc.y_test):.3f} at A, "
      f"{lmodel.score(w_a, *test_b):.3f} at B")

def few_cases(n, s):
    rng = np.random.default_rng(s)  # n/2 cases of each class from hospital B's training pool
    idx = np.concatenate([rng.choice(np.flatnonzero(bc.y_train == c), n // 2, replace=False)
                          for c in (0, 1)])
    return hospital_b(bc.X_train[idx]), bc.y_train[idx]

runs = {"scratch": (source, 0.0, None),  # name: (source task, alpha, start)
        "fine-tune": (source, 0.0, w_a),
        "joint": (source, 1.0, None),
        "fine-tune (flipped source)": (flipped_source, 0.0, w_flip),
        "joint (flipped source)": (flipped_source, 1.0, None)}
acc = {k: [] for k in runs}
for s in range(5):
    tgt = few_cases(10, s)
    for name, (src, alpha, w0) in runs.items():
        w, _ = joint_train(lmodel, src, tgt, alpha, 1.0, w0=w0, lr=0.1, steps=100)
        acc[name].append(lmodel.score(w, *test_b))
acc = {k: float(np.mean(v)) for k, v in acc.items()}
for k, v in acc.items():
    print(f"{k:28s} accuracy at hospital B: {v:.3f}")
"""),
    code(r"""
assert lmodel.score(w_a, *test_b) < 0.85  # A's model does not fit B as is (model non-adaptation)
assert acc["fine-tune"] > acc["scratch"] + 0.03  # 10 cases + the source beat 10 cases alone
assert acc["joint"] > acc["scratch"] + 0.02
assert acc["fine-tune (flipped source)"] < acc["scratch"] - 0.05  # negative transfer
assert acc["joint (flipped source)"] < acc["scratch"] - 0.05
"""),
    md(r"""
## 5. Exercise: solve the normal equations yourself

Write `my_joint_closed_form(source, target, alpha, beta)` for the linear model with bias (the formula in section 1:
build $A = [X, 1]$ for both tasks, form the matrix and the right-hand side, and call `np.linalg.solve`). The self-check
compares it with `joint_closed_form` and with gradient descent. (The solution is filled in, marked `# SOLUTION`.)
"""),
    code(r"""
def my_joint_closed_form(source, target, alpha, beta):
    # SOLUTION
    (Xs, ys), (Xt, yt) = source, target
    As = np.column_stack([Xs, np.ones(len(Xs))])
    At = np.column_stack([Xt, np.ones(len(Xt))])
    H = 2 * alpha / len(ys) * As.T @ As + 2 * beta / len(yt) * At.T @ At
    b = 2 * alpha / len(ys) * As.T @ ys + 2 * beta / len(yt) * At.T @ yt
    return np.linalg.solve(H, b)
"""),
    code(r"""
# self-check
for alpha, beta in [(1.0, 1.0), (0.3, 2.0)]:
    mine = my_joint_closed_form(t20.source, t20.target, alpha, beta)
    assert mine.shape == (11,), "return the 10 coefficients and the bias"
    assert np.allclose(mine, joint_closed_form(t20.source, t20.target, alpha, beta), atol=1e-10)
mine = my_joint_closed_form(t20.source, t20.target, 1.0, 1.0)
w_gd, _ = joint_train(model, t20.source, t20.target, 1.0, 1.0,
                      lr=lipschitz_lr(t20.source, t20.target, 1.0, 1.0), steps=3000)
assert np.allclose(mine, w_gd, atol=1e-6)
print("well done - your closed form matches the library and gradient descent")
"""),
    md(r"""
## Summary

- Transfer learning (迁移学习) reuses a source task (源任务) for a target task (目标任务). Three ways: from scratch
  (no transfer), fine-tuning (微调) from the source optimum, and the article's joint objective $\alpha f + \beta g$.
- For least squares, gradient descent on $\alpha f + \beta g$ reaches the closed-form normal-equation solution (checked
  to $10^{-5}$); only $\beta/\alpha$ moves the minimiser, which slides from the source optimum towards the target.
- With few target examples and a related source, transfer cuts the target error several-fold (article tasks) and
  lifts accuracy at a second hospital from 10 cases; with an unrelated or opposite source it makes things worse:
  negative transfer (负迁移). With plenty of target data, a fixed α = β over-weights the source.
- Choosing the source — the article's open problem — matters more than the method. In federated learning the same
  tools give personalisation (个性化): fine-tune the global model (source) on each client's data (target).
"""),
]

if __name__ == "__main__":
    which = set(sys.argv[1:]) or {"02", "03"}
    if "02" in which:
        write("02_non_iid.ipynb", NB02)
    if "03" in which and NB03:
        write("03_transfer_learning.ipynb", NB03)
