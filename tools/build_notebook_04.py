# ruff: noqa: E501  (Markdown tables and prose in the cell strings below cannot be wrapped)
"""Write notebooks/04_latency_and_stragglers.ipynb (no outputs).

Run ``.venv/bin/python tools/build_notebook_04.py`` after editing the cells below;
the committed .ipynb is the product, this script only keeps it easy to review.
"""

from __future__ import annotations

from nbbuild import code, md, write  # tools/nbbuild.py

CELLS = [
    md(r"""
# 04 · Latency, stragglers, sync vs async, and communication cost

**What you'll learn**
- to measure federated training on a **virtual clock** (虚拟时钟) in simulated seconds, not rounds:
  every message pays network **latency** (延迟) and **bandwidth** (带宽), every client computes at
  its own speed;
- why a synchronous (同步) server is only as fast as its slowest client, the **straggler** (掉队者),
  and three answers: a **deadline** (截止时间) that drops late clients, **FedProx** partial work,
  and **asynchronous** (异步) aggregation (FedAsync, FedBuff);
- that dropping stragglers is not free: on skewed data it silently **biases** the model;
- how top-k sparsification and 8-bit quantisation cut the **communication cost** (通信开销);
- the FedProx paper's Synthetic(1,1) result, reproduced on a NumPy port of its data.

**What you need**: notebooks 01–02 (FedAvg, non-IID data). Everything is simulated; the notebook
runs in well under 30 seconds.
"""),
    md(r"""
## 1. The idea: a clock for every client

Client $i$ has a compute speed $s_i$ (examples/s), a latency $\ell_i$ (per message), and
bandwidths $b_i^{\downarrow}, b_i^{\uparrow}$ (Mbit/s). With $n_i$ examples, $E$ local epochs and a
model of $P$ bytes ($P$ = parameters × 8 for float64), one round of work takes

$$T_i = \underbrace{\ell_i + \frac{8P}{b_i^{\downarrow}}}_{\text{download}}
      + \underbrace{\frac{E\,n_i}{s_i}}_{\text{compute}}
      + \underbrace{\ell_i + \frac{8P_{\uparrow}}{b_i^{\uparrow}}}_{\text{upload}} .$$

| mode | the server's round ends … | who contributes |
|---|---|---|
| `sync` | after $\max_i T_i$ | everyone online |
| `deadline` | after $\min(D, \max_i T_i)$ | only clients with $T_i \le D$ |
| `fedprox` | after $\min(D, \max_i T_i)$ | everyone; late clients send the local steps they managed, trained with the proximal term $\frac{\mu}{2}\lVert v-w\rVert^2$ |
| `async` (FedAsync) | never: each update is applied on arrival, $w \leftarrow (1-\alpha)w + \alpha v_i$, $\alpha = a\,s(\tau)$, $s(\tau)=(\tau+1)^{-p}$ | everyone, weighted down by staleness $\tau$ |
| `fedbuff` | never: every $K$ arrivals, $w \leftarrow w + \sum_i n_i s(\tau_i)\Delta_i / \sum_i n_i$ | everyone |

Profiles come from presets (`ideal`, `datacenter`, `mobile`, `iot`) with a seed, and any client can
be overridden. Clients may also be offline (availability) or crash mid-round (dropout).
"""),
    code(r"""
%matplotlib widget
import matplotlib.pyplot as plt
import numpy as np

from fedlearn_edu import FedConfig, Federation, simulate
from fedlearn_edu.plots_systems import GanttPlot
from fedlearn_edu.synthetic_fedprox import synthetic_fedprox
from fedlearn_edu.systems import PRESETS, Profiles, client_times, make_profiles
from fedlearn_edu.systems_run import run_systems
from fedlearn_edu.widgets_systems import SystemsDashboard, time_to_accuracy

for name, p in PRESETS.items():
    print(f"{name:10s} speed {p['speed']:>9} ex/s  latency {p['latency_ms']:>5} ms  "
          f"up/down {p['up_mbps']}/{p['down_mbps']} Mbit/s  online {p['availability']}  "
          f"crash {p['dropout']}")
"""),
    md(r"""
Three hand-made clients on iris (38, 37 and 37 training examples, a 15-parameter softmax
model = 120 bytes per message, $E = 2$). Client 1 is slow in every way:
"""),
    code(r"""
three = Profiles(speed=np.array([100.0, 50.0, 200.0]), latency_ms=np.array([50.0, 100.0, 10.0]),
                 up_mbps=np.array([1.0, 0.5, 8.0]), down_mbps=np.array([2.0, 1.0, 8.0]),
                 availability=np.ones(3), dropout=np.zeros(3), straggler=np.zeros(3, bool))
iris3 = FedConfig(dataset="iris", num_clients=3, rounds=2, local_epochs=2, batch_size=10)
by_hand = np.array([
    (0.05 + 8 * 120 / 2e6) + 2 * 38 / 100 + (0.05 + 8 * 120 / 1e6),
    (0.10 + 8 * 120 / 1e6) + 2 * 37 / 50 + (0.10 + 8 * 120 / 0.5e6),
    (0.01 + 8 * 120 / 8e6) + 2 * 37 / 200 + (0.01 + 8 * 120 / 8e6),
])
run = run_systems(iris3, profiles=three)
print("T_i by hand:", by_hand.round(5), " wall clock after 2 rounds:", run.history.wall_clock)
print("bytes up per round:", run.history.bytes_up, "(3 clients x 120 B)")
"""),
    code(r"""
assert Federation(iris3).counts.tolist() == [38, 37, 37]
assert np.allclose(run.history.wall_clock, [by_hand.max(), 2 * by_hand.max()], rtol=0, atol=1e-12)
assert np.all(run.history.bytes_up == 360)
td, tc, tu = client_times(three, [0, 1, 2], [38, 37, 37], 2, 120, 120)
assert np.allclose(td + tc + tu, by_hand, atol=1e-12)
"""),
    md(r"""
Everyone waits for client 1 (grey = idle waiting). With a 1-second deadline the server stops
waiting; under `fedprox`, client 1 sends the 4 of its 8 local steps that fit:
"""),
    code(r"""
fig, axes = plt.subplots(1, 2, figsize=(9, 2.6))
GanttPlot(axes[0]).update(run.timeline, 1)
prox3 = run_systems(iris3.replace(mode="fedprox", deadline_s=1.0, mu=0.5), profiles=three)
GanttPlot(axes[1]).update(prox3.timeline, 1, deadline=1.0)
axes[0].set_title("sync: round 1")
axes[1].set_title("fedprox, deadline 1 s: round 1")
for ax in axes:
    ax.get_legend().remove()
fig.tight_layout()
print("round times: sync", run.history.wall_clock[0].round(4), "s   fedprox",
      prox3.history.wall_clock[0].round(4), "s")
assert np.isclose(prox3.history.wall_clock[0], 0.10096 + 4 * 0.185 + 0.10192)
"""),
    md(r"""
## 2. Live dashboard

Each change runs three simulations on digits (20 clients, `mobile` devices): `sync`, the chosen
mode, and the chosen mode with compressed updates. Left: accuracy against **simulated time**.
Middle: one round per client (download / compute / upload; gold = partial work; grey = idle;
red × = late or crashed). Right: accuracy against bytes uploaded.

Things to try:
- **mean latency** 0 → 2000 ms in `sync`: the sync curve stretches right but keeps its shape;
- **stragglers** 0.6 with mode `deadline` and a 1 s deadline: short rounds, but fewer clients;
- mode `async` or `fedbuff`: no waiting at all (the timeline shows jobs overlapping);
- **clients** 3 with mode `fedbuff` (buffer of 5): the status line explains why not.
"""),
    code(r"""
dash = SystemsDashboard()
dash
"""),
    code(r"""
assert dash.wait(120), "the dashboard's first run did not finish"
print(dash.message)
assert dash.level == "info" and len(dash.plot.time.lines["chosen"].get_xdata()) == 20
"""),
    md(r"""
## 3. Checks on real numbers

**(a) Latency moves the clock, not the learning.** In `sync` mode every round waits for the same
clients whatever the latency, so the accuracy-per-round curve is identical; only time stretches.
"""),
    code(r"""
base = FedConfig(num_clients=20, rounds=20, local_epochs=2, system_preset="mobile")
near = simulate(base)
far = simulate(base.replace(latency_ms=1000, latency_spread=1.0))
print(f"after 20 rounds: accuracy {near.test_accuracy[-1]:.3f} vs {far.test_accuracy[-1]:.3f}; "
      f"simulated time {near.wall_clock[-1]:.1f} s vs {far.wall_clock[-1]:.1f} s")
assert np.array_equal(near.test_accuracy, far.test_accuracy)
assert far.wall_clock[-1] > near.wall_clock[-1] + 20 * 2 * 0.2  # >= 2 slower messages a round
"""),
    md(r"""
**(b) Many stragglers: partial work and asynchrony win on the clock.** Half the clients compute
10× slower. Time to reach 92% test accuracy:
"""),
    code(r"""
strag = base.replace(straggler_fraction=0.5, latency_ms=100)
runs = {
    "sync": run_systems(strag).history,
    "fedprox": run_systems(strag.replace(mode="fedprox", mu=0.1, deadline_s=1.5)).history,
    "async": run_systems(strag.replace(mode="async")).history,
    "fedbuff": run_systems(strag.replace(mode="fedbuff", buffer_size=5)).history,
}
target = 0.92
tta = {k: time_to_accuracy(h, target) for k, h in runs.items()}
fig, ax = plt.subplots(figsize=(6, 3))
for k, h in runs.items():
    ax.plot(h.wall_clock, h.test_accuracy, "-o", ms=3, label=f"{k}: {tta[k]:.1f} s to {target}")
ax.axhline(target, color="0.5", ls=":")
ax.set(xlabel="simulated time (s)", ylabel="test accuracy", title="50% stragglers")
ax.legend(fontsize=8)
fig.tight_layout()
"""),
    code(r"""
assert tta["fedprox"] < 0.7 * tta["sync"]   # partial work: no waiting for the slowest
assert tta["async"] < 0.5 * tta["sync"]     # asynchronous: nobody waits at all
assert tta["fedbuff"] < 0.5 * tta["sync"]
assert runs["fedprox"].test_accuracy[-1] > runs["sync"].test_accuracy[-1] - 0.01
"""),
    md(r"""
**(c) Dropping stragglers biases the model.** Label-skewed data: every client holds one digit
(`shards`, one shard each). Suppose the slow phones are exactly the users who hold digits 0, 1
and 2 (say, an older region). A deadline drops them every round, so the model *never sees* those
digits; FedProx partial work keeps them in.
"""),
    code(r"""
skew = FedConfig(num_clients=20, rounds=20, local_epochs=2, partition="shards",
                 shards_per_client=1, system_preset="mobile", latency_ms=100,
                 deadline_s=1.5, mu=0.1)
fed = Federation(skew)
digit = np.array([np.bincount(fed.data.y_train[p], minlength=10).argmax() for p in fed.parts])
slow = np.flatnonzero(np.isin(digit, [0, 1, 2]))
prof = make_profiles(20, "mobile", latency_ms=100,
                     overrides={int(i): {"speed": 50.0} for i in slow})  # 20x slower

def recall(hist):
    pred = fed.model.predict(hist.final_weights, fed.data.X_test)
    return np.array([np.mean(pred[fed.data.y_test == c] == c) for c in range(10)])

bias = {m: run_systems(skew.replace(mode=m), profiles=prof).history
        for m in ("sync", "deadline", "fedprox")}
rec = {m: recall(h) for m, h in bias.items()}
fig, ax = plt.subplots(figsize=(7, 3.2))
for j, (m, r) in enumerate(rec.items()):
    ax.bar(np.arange(10) + (j - 1) * 0.27, r, width=0.27,
           label=f"{m}: acc {bias[m].test_accuracy[-1]:.2f}, {bias[m].wall_clock[-1]:.0f} s")
ax.set(xticks=range(10), xlabel="digit", ylabel="recall",
       title="Per-digit recall (slow clients hold 0, 1, 2)")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=3, frameon=False)
fig.tight_layout()
print("slow clients:", slow.tolist(), "hold digits", sorted(set(digit[slow].tolist())))
"""),
    code(r"""
assert sorted(set(digit[slow].tolist())) == [0, 1, 2]
assert rec["deadline"][:3].max() < 0.1          # deadline: digits 0-2 are never learned
assert rec["fedprox"][:3].min() > 0.7           # partial work keeps them
assert bias["deadline"].test_accuracy[-1] < bias["fedprox"].test_accuracy[-1] - 0.15
assert bias["fedprox"].wall_clock[-1] < 0.6 * bias["sync"].wall_clock[-1]  # and is still fast
"""),
    md(r"""
**(d) Compression.** Top-k keeps the 10% largest entries of each update; it sends values *and*
their int32 positions, 12 bytes per kept entry, so the honest cut is 6.7×, not 10×. Error feedback
adds what was dropped to the next update. 8-bit quantisation sends one byte per entry plus min and
scale.
"""),
    code(r"""
dc = base.replace(system_preset="datacenter")
dense = simulate(dc)
comp = {"top-k 10% + error feedback": simulate(dc.replace(compression="topk", error_feedback=True)),
        "top-k 10%, no feedback": simulate(dc.replace(compression="topk")),
        "8-bit": simulate(dc.replace(compression="int8"))}
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(np.cumsum(dense.bytes_up), dense.test_accuracy, "-o", ms=3, label="dense float64")
for k, h in comp.items():
    cut = dense.bytes_up.sum() / h.bytes_up.sum()
    ax.plot(np.cumsum(h.bytes_up), h.test_accuracy, "-o", ms=3,
            label=f"{k}: {cut:.1f}x fewer bytes")
    print(f"{k:28s} {cut:4.1f}x fewer bytes, accuracy {h.test_accuracy[-1]:.3f} "
          f"(dense {dense.test_accuracy[-1]:.3f})")
ax.set(xscale="log", xlabel="bytes uploaded", ylabel="test accuracy")
ax.legend(fontsize=8)
fig.tight_layout()
"""),
    code(r"""
for k, h in comp.items():
    assert dense.bytes_up.sum() / h.bytes_up.sum() >= 4, k
ef = comp["top-k 10% + error feedback"]
assert ef.test_accuracy[-1] >= dense.test_accuracy[-1] - 0.02                     # small cost
assert comp["8-bit"].test_accuracy[-1] >= dense.test_accuracy[-1] - 0.01
assert ef.test_accuracy[-1] >= comp["top-k 10%, no feedback"].test_accuracy[-1]  # feedback helps
"""),
    md(r"""
## 4. FedProx on Synthetic(1,1), 90% stragglers

Li, Sahu, Zaheer, Sanjabi, Talwalkar and Smith, *Federated Optimization in Heterogeneous
Networks*, MLSys 2020 (arXiv:1812.06127, 2018). Their Synthetic($\alpha,\beta$) data give each of
30 devices its own softmax model $W_k \sim N(u_k, 1)$, $u_k \sim N(0,\alpha)$, and its own inputs
$x \sim N(v_k, \Sigma)$, $v_k \sim N(B_k, 1)$, $B_k \sim N(0,\beta)$, $\Sigma_{jj} = j^{-1.2}$, with
60 features, 10 classes and power-law sizes $n_k = \lfloor \mathrm{LogNormal}(4, 2)\rfloor + 50$.
`fedlearn_edu.synthetic_fedprox` is a NumPy port (sizes capped at 200 here to stay fast).

Their experiment: 10 of 30 devices per round, and 90% of the devices are stragglers that cannot
finish $E$ epochs in time. **FedAvg drops them; FedProx accepts their partial work.** Our
stragglers compute 10× slower and the deadline is what the fast devices need ($E = 10$,
batch 20, lr 0.01, 40 rounds; smaller than the paper's $E = 20$, 200 rounds).
"""),
    code(r"""
data, parts = synthetic_fedprox(1, 1, seed=0, max_samples=200)
n_k = np.array([len(p) for p in parts])
fp = FedConfig(num_clients=30, client_fraction=1 / 3, rounds=40, local_epochs=10, batch_size=20,
               lr=0.01, system_preset="datacenter", straggler_fraction=0.9, seed=0)
fp_prof = make_profiles(30, "datacenter", straggler_fraction=0.9, seed=0)
deadline = 1.001 * float((fp.local_epochs * n_k / fp_prof.speed)[~fp_prof.straggler].max())
print(f"{len(parts)} devices, sizes {n_k.min()}..{n_k.max()}, "
      f"{fp_prof.straggler.sum()} stragglers, deadline {deadline * 1e3:.1f} ms")
variants = {"FedAvg, stragglers dropped": dict(mode="deadline"),
            "FedProx mu=0, partial work": dict(mode="fedprox", mu=0.0),
            "FedProx mu=1, partial work": dict(mode="fedprox", mu=1.0)}
fph = {k: run_systems(fp.replace(deadline_s=deadline, **kw), data=data, parts=parts).history
       for k, kw in variants.items()}
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
for k, h in fph.items():
    a1.plot(np.arange(1, 41), h.train_loss, label=k)
    a2.plot(np.arange(1, 41), h.test_accuracy, label=k)
a1.set(xlabel="round", ylabel="training loss", title="Synthetic(1,1), 90% stragglers")
a2.set(xlabel="round", ylabel="test accuracy")
a1.legend(fontsize=8)
fig.tight_layout()
for k, h in fph.items():
    print(f"{k:28s} loss {h.train_loss[0]:.2f} -> {h.train_loss[-1]:.2f}, "
          f"accuracy {h.test_accuracy[-1]:.3f}")
"""),
    code(r"""
drop, prox0, prox1 = fph.values()
assert drop.train_loss[-1] > drop.train_loss[0]          # dropping 90%: the objective gets worse
assert drop.test_accuracy[-1] < prox1.test_accuracy[-1] - 0.3
assert prox1.train_loss[-1] < 0.6 * prox1.train_loss[0]  # partial work with mu > 0 converges
assert np.all(np.diff(prox1.train_loss[5:]) < 0.05)      # ... steadily
assert prox1.test_accuracy[-1] > 0.6
"""),
    md(r"""
What we see matches the paper's Figure 1 qualitatively: dropping the stragglers trains on the 3
fast devices only and each round jumps to *their* model, so the global objective grows; using
partial work converges. Honest note: in this scaled-down run $\mu = 0$ and $\mu = 1$ end close
together (we saw the same with $E = 20$ and with lr 0.05; $\mu = 1$ only has slightly fewer loss
increases). The big effect here is *accepting partial work instead of dropping it*; the paper's
extra stability from $\mu > 0$ shows with its longer runs and more drift.

## Exercise: one client's round time

Write `round_time(n, epochs, speed, latency_ms, down_mbps, up_mbps, nbytes)`: the seconds one
client needs for download + compute + upload (section 1's formula). The solution is filled in
(`# SOLUTION`); delete it, try, then run the self-check.
"""),
    code(r"""
def round_time(n, epochs, speed, latency_ms, down_mbps, up_mbps, nbytes):
    latency = latency_ms / 1000
    download = latency + 8 * nbytes / (down_mbps * 1e6)  # SOLUTION
    upload = latency + 8 * nbytes / (up_mbps * 1e6)  # SOLUTION
    return download + epochs * n / speed + upload  # SOLUTION
"""),
    code(r"""
# self-check
assert np.isclose(round_time(37, 2, 50.0, 100.0, 1.0, 0.5, 120), 1.68288), "client 1, by hand"
mine = [round_time(n, 2, three.speed[i], three.latency_ms[i], three.down_mbps[i],
                   three.up_mbps[i], 120) for i, n in enumerate([38, 37, 37])]
assert np.allclose(mine, by_hand), "differs from the hand-computed T_i"
assert np.isclose(max(mine), run.history.wall_clock[0]), "differs from the engine's clock"
print("✓ round_time matches the hand case and the engine's clock")
"""),
    md(r"""
## Summary

- Simulated time, not rounds, is what a user waits for: $T_i$ = download + $E n_i / s_i$ + upload,
  and a synchronous round lasts $\max_i T_i$.
- Latency stretches the clock but does not change what `sync` learns per round.
- Stragglers: a **deadline** is fast but loses their data (on skewed data whole classes vanish);
  **FedProx** partial work is fast *and* keeps them; **FedAsync/FedBuff** never wait, weighting
  stale updates by $s(\tau)$.
- Top-k (with error feedback) and 8-bit quantisation cut uploaded bytes ≥ 4× (counted honestly:
  indices cost bytes too) for about a point of accuracy or less.
- References: Li et al., *Federated Optimization in Heterogeneous Networks*, MLSys 2020
  (arXiv:1812.06127); Xie et al., *Asynchronous Federated Optimization* (FedAsync), 2019;
  Nguyen et al., *Federated Learning with Buffered Asynchronous Aggregation* (FedBuff), AISTATS
  2022; Seide et al. 2014 and Karimireddy et al. 2019 on error feedback.
"""),
]


def main() -> None:
    write("04_latency_and_stragglers.ipynb", CELLS)

if __name__ == "__main__":
    main()
