# ruff: noqa: E501  (Markdown tables and prose in the cell strings below cannot be wrapped)
"""Write notebooks/00_start_here.ipynb and notebooks/01_federated_averaging.ipynb (no outputs).

Run ``.venv/bin/python tools/build_intro_notebooks.py`` after editing the cells below;
the committed .ipynb files are the product, this script only keeps them easy to review.
"""

from __future__ import annotations

from nbbuild import code, md, write  # tools/nbbuild.py

NB00 = [
    md(r"""
# 00 · Start here: from the article's code to a working federated loop

**What you'll learn**
- why the code in the article (§4) cannot learn anything: a shape error, and a fixed point at `w = 0`;
- what the corrected functions in `fedlearn_edu.seed` change, bug by bug;
- how the article's 8 steps of federated learning (联邦学习) map onto one round of this engine;
- how to run a whole federated simulation with one call, `simulate(FedConfig(...))`.

**What you need**: Python and NumPy basics, and the idea of least squares (最小二乘).
Everything runs in a few seconds on a laptop; nothing is downloaded.
"""),
    code(r"""
%matplotlib widget
import inspect

import matplotlib.pyplot as plt
import numpy as np

from fedlearn_edu import FedConfig, Federation, seed, simulate
from fedlearn_edu.seed import original  # the article's functions, exactly as written
from fedlearn_edu.simulation import iterate

np.set_printoptions(precision=3, suppress=True)
"""),
    md(r"""
## 1. The article's code, run as written

The article sketches federated learning with three functions. Here they are, unchanged
(only the underscores its Markdown swallowed are restored):
"""),
    code(r"""
for fn in (original.generate_data, original.local_train, original.federated_train):
    print(inspect.getsource(fn))
"""),
    md(r"""
Its main program starts from `w = np.zeros(10)` with 5 devices. Running it raises an error:
`np.dot(data, w)` has shape `(100, 10) @ (10,) = (100,)`, which cannot be added to `w` of shape `(10,)`.
"""),
    code(r"""
np.random.seed(0)  # the article uses NumPy's global random state
w = np.zeros(10)
num_devices = 5
try:
    w = original.federated_train(w, num_devices)
    article_error = None
except ValueError as e:
    article_error = e
print(f"{type(article_error).__name__}: {article_error}")
"""),
    code(r"""
assert isinstance(article_error, ValueError) and "broadcast" in str(article_error)
"""),
    md(r"""
**Patch the shapes and it still cannot learn.** The smallest fix that runs is
`w + Xᵀ(X w)/n` (`original.local_train_shape_patched`). But the data have **no labels**, so
there is no loss to minimise: the update is just the linear map `w ← (I + XᵀX/n) w`.
Starting from `w = 0` it returns `0` forever (a *fixed point*, 不动点); starting anywhere
else it blows up, because every eigenvalue of `I + XᵀX/n` is larger than 1.
"""),
    code(r"""
np.random.seed(0)
w_zero, w_small = np.zeros(10), np.full(10, 0.01)
for step in range(5):
    data = original.generate_data()
    w_zero = original.local_train_shape_patched(data, w_zero)
    w_small = original.local_train_shape_patched(data, w_small)
    print(f"step {step + 1}: |w| from zeros = {np.linalg.norm(w_zero):.3g}, "
          f"|w| from 0.01 = {np.linalg.norm(w_small):.3g}")
"""),
    code(r"""
assert np.all(w_zero == 0)  # never leaves zero
assert np.linalg.norm(w_small) > 100 * np.linalg.norm(np.full(10, 0.01))  # explodes otherwise
"""),
    md(r"""
The transfer learning (迁移学习) half of the article has the same shape bug in `source_train`
(`w + np.dot(data, w)`) and `target_train` (`w - np.dot(data, w)`, with the sign flipped):
"""),
    code(r"""
np.random.seed(1)
tl_errors = {}
for fn, make in ((original.source_train, original.generate_source_data),
                 (original.target_train, original.generate_target_data)):
    try:
        fn(make(), np.zeros(10))
    except ValueError as e:
        tl_errors[fn.__name__] = e
        print(f"{fn.__name__}: ValueError: {e}")
assert set(tl_errors) == {"source_train", "target_train"}
"""),
    md(r"""
## 2. The fixes, bug by bug

`fedlearn_edu.seed` keeps the article's names and call shapes, but makes each function correct.
The task becomes least squares with a hidden truth: `y = X w_true + noise`,
loss $f(w) = \frac1n\lVert Xw - y\rVert^2$, gradient $\frac2n X^\top (Xw - y)$.

| Article (§4) | What goes wrong | Fix in `fedlearn_edu.seed` |
|---|---|---|
| `generate_data()` returns `rand(100, 10)` | features only, no labels: nothing to learn | returns `(X, y)` with `y = X w_true + noise` |
| `local_train(data, w) = w + np.dot(data, w)` | `(100,) + (10,)` shape error; no loss, no gradient; `w = 0` is a fixed point | `steps` of gradient descent: `w -= lr · (2/n) Xᵀ(Xw − y)` |
| `federated_train` loops `w = local_train(...)` | devices are chained one after another; nothing is aggregated | every device starts from the **same** global `w`; the server takes the average weighted by data size (FedAvg); repeated for several rounds |
| `source_train` / `target_train` | same shape bug; `target_train` flips the sign | gradient descent on the source loss, then fine-tuning on the target loss from the source weights |
| global `np.random` state | results change from run to run | `seed=` / `rng=` everywhere: same seed, same numbers |

Here is the corrected `local_train`:
"""),
    code(r"""
print(inspect.getsource(seed.local_train))
"""),
    md(r"""
The article's own main program now works, with the same call. We measure the mean squared
error (均方误差, MSE) on 1000 fresh examples from the same truth, round by round:
"""),
    code(r"""
w_fl = seed.federated_train(np.zeros(10), num_devices=5)  # the article's call
test = seed.generate_data(1000, seed=123)  # fresh data, same hidden truth
mse_zero, mse_fl = seed.mse(test, np.zeros(10)), seed.mse(test, w_fl)
print(f"test MSE at w = 0: {mse_zero:.3f}   after federated_train: {mse_fl:.4f}")
print("learned w:", w_fl)
print("true w:   ", seed.true_weights())

rounds = np.arange(1, 21)
curve = [seed.mse(test, seed.federated_train(np.zeros(10), 5, rounds=int(r))) for r in rounds]
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy(rounds, curve, "-o", ms=3)
ax.set(xlabel="round", ylabel="test MSE", title="seed.federated_train, 5 devices")
ax.grid(alpha=0.3)
fig.tight_layout()
"""),
    code(r"""
assert mse_fl < 0.1 * mse_zero  # learned: less than 10% of the error at w = 0
assert curve[-1] < curve[0]  # and the error falls with more rounds
assert mse_fl < 0.02  # close to the noise floor 0.1**2 = 0.01
"""),
    md(r"""
### Live: the same loop with sliders

Move a slider and release it; the curve redraws round by round. Try more devices (设备), fewer
samples per device, and a learning rate above about 0.35: gradient descent on this least-squares
loss diverges once η > 2/λ_max of its Hessian, and the dashboard says so instead of plotting
garbage.
"""),
    code(r"""
from fedlearn_edu.widgets import ArticleFLDashboard

article_dash = ArticleFLDashboard()
article_dash
"""),
    code(r"""
assert article_dash.wait(60), "the dashboard run did not finish"
print(article_dash.message)
if article_dash.values() == article_dash.defaults:  # untouched: the same numbers as above
    assert np.allclose(article_dash.result, curve)
"""),
    md(r"""
Transfer learning, corrected: train on plenty of source data, then fine-tune on only 20 target
examples for 10 steps. Starting from the source weights beats starting from zero:
"""),
    code(r"""
source_w = seed.source_train(seed.generate_source_data(), np.zeros(10))
target_data = seed.generate_target_data()  # 20 examples of a related task
target_test = seed.generate_data(1000, w_true=seed.target_weights(), seed=99)
mse_from_source = seed.mse(target_test, seed.target_train(target_data, source_w))
mse_from_zero = seed.mse(target_test, seed.target_train(target_data, np.zeros(10)))
print(f"target test MSE - fine-tuned from source: {mse_from_source:.3f}, "
      f"from zero: {mse_from_zero:.3f}")
"""),
    code(r"""
assert mse_from_source < 0.5 * mse_from_zero
"""),
    md(r"""
## 3. The article's 8 steps inside one round of the engine

The article lists the steps of federated learning. The engine (`fedlearn_edu.simulation`)
runs exactly these, on real data (scikit-learn's handwritten digits) with a softmax model:

| Article step | Engine |
|---|---|
| (1) choose devices/servers | `strategy.sample_clients` picks `client_fraction × num_clients` clients (客户端) |
| (2) each loads its training data | `Federation.parts[i]`: client *i*'s own examples, never shared |
| (3) train locally | `Federation.train`: `local_epochs` epochs of mini-batch SGD from the global model |
| (4) send parameters to the server | each selected client uploads its parameter vector |
| (5) server combines them | `strategy.aggregate` → `aggregate.weighted_average` (weights `n_i`) |
| (6) send joint parameters back | the new global model is broadcast |
| (7) devices update their parameters | every client starts the next round from it |
| (8) repeat (3)–(7) | `simulate` loops for `rounds` communication rounds (通信轮次) |

One round, annotated:
"""),
    code(r"""
cfg = FedConfig(num_clients=5, rounds=3, client_fraction=0.6, local_epochs=2)
fed = Federation(cfg)
w = fed.model.init()  # the global model: a flat vector of parameters
print(f"global model: {fed.num_params} parameters ({fed.model.kind}, "
      f"{fed.data.n_features} features, {fed.data.n_classes} classes)")

selected = fed.strategy.sample_clients(cfg.num_clients, fed.sample_rng)
print(f"(1) choose devices   : server picks {cfg.clients_per_round} of {cfg.num_clients} "
      f"clients -> {selected.tolist()}")
print(f"(2) load data        : examples per selected client "
      f"{[len(fed.parts[i]) for i in selected]}")
local = fed.train(w, selected)
print(f"(3) local training   : {cfg.local_epochs} epochs, batch {cfg.batch_size}, "
      f"lr {cfg.lr} -> local models {local.shape}")
print(f"(4) send             : {len(selected)} uploads x {fed.num_params * 8} bytes (float64)")
n_sel = fed.counts[selected]
w_new = fed.strategy.aggregate(w, local, n_sel)
print(f"(5) aggregate        : weights n_i / n = {np.round(n_sel / n_sel.sum(), 3).tolist()}")
print("(6) broadcast        : the joint model goes back to every client")
print("(7) update           : clients replace their copy; next round starts from it")
acc, test_loss, train_loss = fed.evaluate(w_new)
print(f"    after round 1    : test accuracy {acc:.3f}, train objective {train_loss:.3f}")
print(f"(8) repeat           : simulate(cfg) runs {cfg.rounds} such rounds")
"""),
    md(r"""
Check the printout against the engine: the aggregate is the weighted mean, and `iterate`,
the generator behind `simulate`, produces the same first round.
"""),
    code(r"""
by_hand = (n_sel[:, None] * local).sum(axis=0) / n_sel.sum()
rec1, w_engine = next(iterate(cfg))
assert np.allclose(w_new, by_hand)
assert np.array_equal(rec1.participants, selected) and np.allclose(w_engine, w_new)
assert np.isclose(rec1.test_accuracy, acc)
"""),
    md(r"""
## 4. A whole simulation in one call

`simulate` returns a `History`: one array entry per round (test accuracy, losses, bytes sent...).
"""),
    code(r"""
hist = simulate(FedConfig(dataset="digits", num_clients=10, rounds=10))
print("test accuracy per round:", hist.test_accuracy.round(3))
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, hist.rounds + 1), hist.test_accuracy, "-o", ms=3)
ax.set(xlabel="round", ylabel="test accuracy", title="FedAvg, 10 clients, digits")
ax.grid(alpha=0.3)
fig.tight_layout()
"""),
    code(r"""
assert hist.ok and not hist.diverged
assert hist.test_accuracy[-1] > 0.9  # 10 clients reach > 90% on handwritten digits
"""),
    md(r"""
## Exercise: fix `local_train` yourself

Write `my_local_train(data, w, lr, steps)`: `steps` steps of gradient descent on
$\frac1n\lVert Xw - y\rVert^2$ starting from `w`, **without changing the caller's `w`**.
The solution is filled in (lines marked `# SOLUTION`); delete them and try it yourself,
then run the self-check.
"""),
    code(r"""
def my_local_train(data, w, lr=0.2, steps=5):
    X, y = data
    w = np.array(w, dtype=float)  # a copy: never modify the caller's array
    for _ in range(steps):  # SOLUTION
        w = w - lr * (2 / len(y)) * X.T @ (X @ w - y)  # SOLUTION
    return w
"""),
    code(r"""
# self-check
data = seed.generate_data(50, seed=7)
w0 = np.zeros(10)
mine = my_local_train(data, w0, lr=0.1, steps=20)
reference = seed.local_train(data, w0, lr=0.1, steps=20)
assert np.allclose(mine, reference), "differs from seed.local_train"
assert np.all(w0 == 0), "my_local_train changed the caller's w"
assert seed.mse(data, mine) < 0.5 * seed.mse(data, w0), "the loss did not go down"
print("✓ my_local_train matches seed.local_train")
"""),
    md(r"""
## Summary

- The article's code fails with a shape error, and even shape-patched it has no labels, no loss
  and a fixed point at `w = 0`.
- The fix: labelled data, gradient descent on a real loss, every device starting from the same
  global model, and a server that averages the local models weighted by data size (FedAvg).
- One engine round = the article's steps (1)–(7); `simulate(FedConfig(...))` repeats it (8).

## Next notebooks

1. [01_federated_averaging](01_federated_averaging.ipynb) — the FedAvg objective and a live dashboard.
2. [02_non_iid](02_non_iid.ipynb) — "model non-adaptation": skewed (non-IID) client data.
3. [03_transfer_learning](03_transfer_learning.ipynb) — source → target, α f + β g.
4. [04_latency_and_stragglers](04_latency_and_stragglers.ipynb) — slow clients and network latency.
5. [05_federated_transfer](05_federated_transfer.ipynb) — transfer learning inside federated learning.
6. [06_privacy_and_security](06_privacy_and_security.ipynb) — what leaves the device, and how to protect it.
"""),
]

NB01 = [
    md(r"""
# 01 · Federated averaging (联邦平均, FedAvg)

**What you'll learn**
- the federated objective (联邦目标函数) $\min_w \sum_i \frac{n_i}{n} f_i(w)$ and why it equals
  the centralised one;
- the FedAvg algorithm, one round written out by hand and checked against the engine;
- how the number of clients (客户端), rounds (通信轮次), local epochs (本地训练轮数),
  learning rate (学习率) and client fraction (客户端比例) shape training, live;
- that on IID data (independent and identically distributed, 独立同分布) FedAvg gets as good as
  centralised training (集中式训练).

**What you need**: notebook 00; softmax regression (a linear model with a cross-entropy loss).
Runs in a few seconds.
"""),
    md(r"""
## 1. The idea

Client $i$ holds $n_i$ examples $D_i$ and has its own loss
$f_i(w) = \frac{1}{n_i}\sum_{(x,y)\in D_i} \ell(w; x, y)$. The article writes the goal as
$\min_w \sum_i f_i(w)$; weighting each client by its share of the data gives

$$\min_w\; F(w) = \sum_{i=1}^{K} \frac{n_i}{n}\, f_i(w), \qquad n = \sum_{i=1}^K n_i .$$

$F(w)$ is exactly the mean loss over all $n$ examples: the objective a central server would
minimise if it had all the data. Federated learning minimises it *without moving the data*.

**FedAvg** (McMahan et al., 2017). In round $t$:
1. the server samples $m = \max(1, \mathrm{round}(C\cdot K))$ of the $K$ clients ($C$ = client fraction);
2. each sampled client runs $E$ local epochs of mini-batch SGD (batch $B$, learning rate $\eta$)
   starting from the global $w_t$, giving $w_t^{i}$;
3. the server averages: $w_{t+1} = \sum_{i \in S_t} \frac{n_i}{n_{S_t}}\, w_t^{i}$.
"""),
    code(r"""
%matplotlib widget
import matplotlib.pyplot as plt
import numpy as np

from fedlearn_edu import FedConfig, Federation, simulate
from fedlearn_edu.aggregate import weighted_average
from fedlearn_edu.simulation import iterate
from fedlearn_edu.widgets import FedAvgDashboard, centralised_baseline

cfg = FedConfig()  # digits, softmax, 10 IID clients, 30 rounds, 5 local epochs, lr 0.1
print(cfg)
"""),
    md(r"""
Check that the weighted sum of the client losses is the loss on the pooled data, at some
arbitrary parameters `w`:
"""),
    code(r"""
fed = Federation(cfg)
w = np.random.default_rng(0).normal(scale=0.1, size=fed.num_params)
n_i = np.array([len(p) for p in fed.parts])
f_i = np.array([fed.model.loss(w, *fed.client_data(i)) for i in range(cfg.num_clients)])
F = np.sum(n_i / n_i.sum() * f_i)
pooled = fed.model.loss(w, fed.data.X_train, fed.data.y_train)
print("examples per client n_i:", n_i.tolist())
print("client losses f_i(w):   ", f_i.round(3).tolist())
print(f"sum_i (n_i/n) f_i(w) = {F:.6f}   loss on all data = {pooled:.6f}")
"""),
    code(r"""
assert np.isclose(F, pooled, rtol=1e-12)
assert np.isclose(F, fed.evaluate(w)[2])  # the engine's 'train_loss' is this objective
"""),
    md(r"""
One FedAvg round by hand (sample, train locally, weighted average) gives the same global model
as the engine's first round:
"""),
    code(r"""
w0 = fed.model.init()
selected = fed.strategy.sample_clients(cfg.num_clients, fed.sample_rng)
local = fed.train(w0, selected)  # (m, p): one local model per selected client
w1 = weighted_average(local, fed.counts[selected])
rec, w1_engine = next(iterate(cfg))
print(f"{len(selected)} clients, local models {local.shape}; "
      f"round-1 test accuracy {fed.evaluate(w1)[0]:.3f}")
assert np.allclose(w1, w1_engine) and np.isclose(rec.test_accuracy, fed.evaluate(w1)[0])
"""),
    md(r"""
## 2. Live dashboard

Move a slider and release it: the run restarts and both curves grow **round by round**.
The dotted line is the centralised baseline: scikit-learn's `LogisticRegression` trained on
all clients' data pooled together, tested on the same test set.

Things to try:
- **clients** 1 → 100: with IID data the final accuracy barely moves, but each client has less data;
- **local epochs** 1 vs 10: more local work per round → fewer rounds for the same accuracy;
- **learning rate** 0.001 (slow) vs 5 (noisy);
- **client fraction** 0.1: only a tenth of the clients per round → noisier curves;
- choose **iris** (112 training examples) with 150 clients: the status line explains why not.
"""),
    code(r"""
dash = FedAvgDashboard(cfg)
dash
"""),
    code(r"""
assert dash.wait(120), "the dashboard's first run did not finish"
print(dash.message)
"""),
    md(r"""
## 3. Checks on real numbers

FedAvg on IID data should land within 1.5 accuracy points of centralised training (on digits
the engine reaches about 0.962, scikit-learn about 0.969).
"""),
    code(r"""
hist = simulate(cfg)
base_acc, base_loss = centralised_baseline(cfg.dataset)
fed_acc = hist.test_accuracy[-1]
print(f"FedAvg after {hist.completed} rounds: {fed_acc:.4f}   centralised: {base_acc:.4f}   "
      f"gap: {100 * (base_acc - fed_acc):.2f} points")
"""),
    code(r"""
assert hist.ok
assert abs(fed_acc - base_acc) <= 0.015  # FedAvg ≈ centralised on IID data
assert fed_acc > hist.test_accuracy[0]  # and training helped
"""),
    md(r"""
Local epochs trade computation for communication: with $E = 5$ local epochs FedAvg reaches 92%
test accuracy in fewer communication rounds than with $E = 1$.
"""),
    code(r"""
def rounds_to(history, target):
    # first round (1-based) with test accuracy >= target, or None
    hit = np.flatnonzero(history.test_accuracy >= target)
    return int(hit[0]) + 1 if hit.size else None

short = cfg.replace(rounds=15)
r1 = rounds_to(simulate(short.replace(local_epochs=1)), 0.92)
r5 = rounds_to(simulate(short.replace(local_epochs=5)), 0.92)
print(f"rounds to 92% accuracy: E=1 -> {r1}, E=5 -> {r5}")
assert r1 is not None and r5 is not None and r5 < r1
"""),
    md(r"""
## Exercise: the server's step

Write `fedavg_aggregate(local_models, n)`: the weighted average
$\sum_i n_i w^{i} / \sum_i n_i$ of the rows of `local_models` (shape `(m, p)`), with weights `n`
(shape `(m,)`). The solution is filled in (`# SOLUTION`); delete it, try, then run the self-check.
"""),
    code(r"""
def fedavg_aggregate(local_models, n):
    local_models, n = np.asarray(local_models, dtype=float), np.asarray(n, dtype=float)
    return (n[:, None] * local_models).sum(axis=0) / n.sum()  # SOLUTION
"""),
    code(r"""
# self-check
toy = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
assert np.allclose(fedavg_aggregate(toy, [1, 1, 2]), [1.75, 1.75]), "hand case: (1+0+2*3)/4"
assert np.allclose(fedavg_aggregate(local, fed.counts[selected]), w1), "differs from the engine"
print("✓ fedavg_aggregate matches the hand-computed case and the engine")
"""),
    md(r"""
## Summary

- The federated objective $\sum_i \frac{n_i}{n} f_i(w)$ is the centralised loss, split by client.
- FedAvg: sample clients, train locally for $E$ epochs, average the models weighted by $n_i$.
- On IID data FedAvg reaches centralised accuracy (within 1.5 points here); more local epochs
  need fewer communication rounds.
- Next: [02_non_iid](02_non_iid.ipynb) — what happens when the clients' data are *not* alike.
"""),
]


if __name__ == "__main__":
    write("00_start_here.ipynb", NB00)
    write("01_federated_averaging.ipynb", NB01)
