"""Poisoning attacks: what attackers send, poisoned data, backdoor metric, engine runs."""

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core.data import load_dataset
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.models import make_model
from fedlearn_edu.privacy.attacks import (
    DIGITS_TRIGGER,
    TRIGGER_VALUE,
    add_trigger,
    backdoor_success_rate,
    choose_attackers,
    flip_labels,
    poison_dataset,
    poison_updates,
)
from fedlearn_edu.privacy.config import AttackConfig


def test_model_poisoning_formulas():
    U = np.array([[1.0, -2.0]])
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(poison_updates(U, "sign_flip", 3.0, rng), [[-3.0, 6.0]])
    np.testing.assert_array_equal(poison_updates(U, "scale", 10.0, rng), [[10.0, -20.0]])
    G = poison_updates(np.zeros((500, 40)), "gaussian", 2.0, np.random.default_rng(1))
    assert G.std() == pytest.approx(2.0, rel=0.02)
    with pytest.raises(ValueError, match="kind must be"):
        poison_updates(U, "label_flip", 1.0, rng)
    with pytest.raises(ValueError, match="scale must be"):
        poison_updates(U, "scale", 0.0, rng)


def test_choose_attackers_and_label_flip():
    a = choose_attackers(10, 0.3, np.random.default_rng(0))
    assert len(a) == 3 and np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(a, choose_attackers(10, 0.3, np.random.default_rng(0)))
    np.testing.assert_array_equal(flip_labels(np.array([0, 1, 9]), 10), [9, 8, 0])


def test_poison_dataset_touches_only_attackers_and_copies():
    data = load_dataset("digits")
    fed = Federation(FedConfig())
    bad = np.array([1, 4])
    P = poison_dataset(
        data, fed.parts, bad, "backdoor", target=7, fraction=0.5, rng=np.random.default_rng(0)
    )
    good_rows = np.concatenate([fed.parts[i] for i in range(10) if i not in bad])
    np.testing.assert_array_equal(P.X_train[good_rows], data.X_train[good_rows])
    rows = np.concatenate([fed.parts[i] for i in bad])
    stamped = np.all(P.X_train[rows][:, DIGITS_TRIGGER] == TRIGGER_VALUE, axis=1)
    assert stamped.sum() == sum(round(0.5 * len(fed.parts[i])) for i in bad)
    assert np.all(P.y_train[rows][stamped] == 7)
    assert not data.X_train.flags.writeable and data.X_train[rows[0], 54] != TRIGGER_VALUE
    L = poison_dataset(data, fed.parts, bad, "label_flip")
    np.testing.assert_array_equal(L.y_train[rows], 9 - data.y_train[rows])
    with pytest.raises(ValueError, match="backdoor_target"):
        poison_dataset(data, fed.parts, bad, "backdoor", target=10)


def test_backdoor_success_rate_metric():
    data = load_dataset("digits")
    model = make_model("softmax", 64, 10)
    w = model.init()
    w_bias = w.copy()
    model.unpack(w_bias)[1][3] = 1.0  # always predicts class 3
    assert backdoor_success_rate(model, w_bias, data.X_test, data.y_test, 3) == 1.0
    assert backdoor_success_rate(model, w_bias, data.X_test, data.y_test, 5) == 0.0
    # a model that fires on the trigger pixels only for class 2
    w_trig = w.copy()
    coef, bias = model.unpack(w_trig)
    coef[DIGITS_TRIGGER, 2] = 10.0
    assert backdoor_success_rate(model, w_trig, data.X_test, data.y_test, 2) == 1.0
    X = data.X_test[:3]
    Xt = add_trigger(X)
    assert np.all(Xt[:, DIGITS_TRIGGER] == TRIGGER_VALUE) and np.array_equal(Xt[:, :50], X[:, :50])


def test_sign_flip_collapses_mean_but_not_median_or_krum():
    # Averaged over 3 seeds: a single run's last-round accuracy moves by about 2 points.
    # Krum keeps ONE client's model per round (trained on a tenth of the data), so it pays
    # about 4 points against the clean run; multi-Krum averages the 7 most central ones.
    def final(cfg):
        return np.mean([simulate(cfg.replace(seed=s)).test_accuracy[-1] for s in range(3)])

    base = FedConfig(rounds=10)
    clean = final(base)
    attacked = base.replace(attack=AttackConfig("sign_flip", fraction=0.3))
    assert simulate(attacked).test_accuracy[-1] < 0.3
    assert final(attacked.replace(aggregator="median")) > clean - 0.03
    assert final(attacked.replace(aggregator="krum", aggregator_f=3)) > clean - 0.05
    assert final(attacked.replace(aggregator="multi_krum", aggregator_f=3)) > clean - 0.02


def test_backdoor_attack_plants_a_backdoor():
    cfg = FedConfig(
        rounds=15, attack=AttackConfig(kind="backdoor", fraction=0.3, backdoor_target=0)
    )
    fed_data = load_dataset("digits")
    model = make_model("softmax", 64, 10)
    clean_w = simulate(FedConfig(rounds=15)).final_weights
    w = simulate(cfg).final_weights
    clean_rate = backdoor_success_rate(model, clean_w, fed_data.X_test, fed_data.y_test, 0)
    bd_rate = backdoor_success_rate(model, w, fed_data.X_test, fed_data.y_test, 0)
    assert bd_rate > 0.8 and clean_rate < 0.3
    assert model.score(w, fed_data.X_test, fed_data.y_test) > 0.85  # still looks healthy


def test_attacks_are_deterministic():
    cfg = FedConfig(
        rounds=3, aggregator="median", attack=AttackConfig(kind="gaussian", fraction=0.2)
    )
    np.testing.assert_array_equal(simulate(cfg).final_weights, simulate(cfg).final_weights)


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(attack=lambda: AttackConfig(kind="poison")), "AttackConfig.kind must be one of"),
        (dict(attack=lambda: AttackConfig(fraction=1.0)), "AttackConfig.fraction"),
        (dict(attack=lambda: AttackConfig(scale=0.0)), "AttackConfig.scale"),
        (dict(aggregator="mode"), "aggregator must be one of"),
        (dict(aggregator="krum", aggregator_f=4), r"2\*aggregator_f \+ 2"),
        (dict(aggregator="trimmed_mean", aggregator_f=5), "trimmed_mean"),
        (dict(dataset="diabetes", model="auto", attack=AttackConfig("label_flip")),
         "classification"),
        (dict(attack="sign_flip"), "attack must be a AttackConfig or None"),
    ],
)
def test_bad_config_values(changes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        FedConfig(**{k: v() if callable(v) else v for k, v in changes.items()})
