"""What travels between our processes: configs and rounds survive the trip exactly, and what
the bridge does not run is refused with a message naming the field."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu import FedConfig, RoundRecord  # noqa: E402
from fedlearn_edu.flower import config_from_json, config_to_json, run_flower  # noqa: E402
from fedlearn_edu.flower.codec import round_from_json, round_to_json  # noqa: E402
from fedlearn_edu.privacy import AttackConfig, DPConfig  # noqa: E402
from fedlearn_edu.systems import SystemsConfig  # noqa: E402


@pytest.mark.parametrize("cfg", [
    FedConfig(),
    FedConfig(num_clients=7, partition="dirichlet", dirichlet_alpha=0.1, mu=0.3, seed=11,
              aggregator="trimmed_mean", aggregator_f=1, dtype="float32"),
    FedConfig(dp=DPConfig(noise_multiplier=1.3, clip_norm=0.7, delta=1e-6),
              client_fraction=0.3, strategy="fedsgd"),
])
def test_config_round_trip(cfg):
    assert config_from_json(config_to_json(cfg)) == cfg


def test_round_round_trip_is_bit_exact():
    rng = np.random.default_rng(0)
    w = rng.normal(size=650) * 10.0 ** rng.integers(-30, 30, size=650)
    rec = RoundRecord(round=3, test_accuracy=0.1 + 0.2, test_loss=1 / 3, train_loss=2 / 7,
                      participants=np.array([0, 4, 9]), bytes_up=123.0, epsilon=float("nan"))
    rec2, w2 = round_from_json(round_to_json(rec, w))
    assert np.array_equal(w2, w) and w2.dtype == np.float64
    assert rec2.test_accuracy == rec.test_accuracy and rec2.round == 3
    assert rec2.participants.tolist() == [0, 4, 9] and np.isnan(rec2.epsilon)


@pytest.mark.parametrize(("changes", "field"), [
    ({"systems": SystemsConfig(latency_ms=100)}, "config.systems"),
    ({"attack": AttackConfig("sign_flip", fraction=0.2)}, "config.attack"),
])
def test_what_flower_does_not_run_is_refused(changes, field):
    with pytest.raises(ValueError, match=field):
        run_flower(FedConfig(**changes))


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="runtime"):
        run_flower(FedConfig(), runtime="cluster")
    with pytest.raises(TypeError, match="config"):
        run_flower({"rounds": 3})
    with pytest.raises(ValueError, match="deployment is only used with runtime='deployment'"):
        from fedlearn_edu.flower import Deployment

        run_flower(FedConfig(), runtime="simulation", deployment=Deployment(0))
