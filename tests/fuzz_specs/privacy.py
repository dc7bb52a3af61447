"""Valid calls of ``fedlearn_edu.privacy``'s public names (see ``fuzz_specs/__init__.py``).

The inversion specs use a logistic model with 3 features (4 parameters), so that
Hypothesis' small arrays (sides <= 4) also reach the arithmetic, not only the shape checks.
"""

import numpy as np

from fedlearn_edu import privacy
from fedlearn_edu.core.config import FedConfig
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.models import Model

from . import Spec


def rng(seed=0):
    return np.random.default_rng(seed)


def normal(*shape, seed=0):
    return rng(seed).normal(size=shape)


def logistic():
    return Model("logistic", 3, 2)


def examples():
    return normal(4, 3, seed=1), np.array([0, 1, 1, 0])


def one_gradient():
    model = logistic()
    X, y = examples()
    return privacy.example_gradient(model, normal(4), X[0], y[0])


def softmax_test_set():
    X = normal(12, 8, seed=2)
    return X, np.arange(12) % 3


def private_server_args():
    config = FedConfig(num_clients=4, rounds=1, attack=privacy.AttackConfig("sign_flip", 0.25))
    return dict(config=config, fed=Federation(config))


SPECS = [
    Spec(privacy.RDPAccountant, lambda: dict(orders=[1.5, 2.0, 8.0], conversion="improved")),
    Spec(privacy.epsilon, lambda: dict(q=0.1, noise_multiplier=1.0, steps=10, delta=1e-5,
                                       orders=[1.5, 2.0, 8.0, 32.0], conversion="improved")),
    Spec(privacy.backdoor_success_rate,
         lambda: dict(model=Model("softmax", 8, 3), w=normal(27), X_test=softmax_test_set()[0],
                      y_test=softmax_test_set()[1], target=0, trigger=np.array([6, 7]),
                      value=6.0)),
    Spec(privacy.poison_updates, lambda: dict(updates=normal(3, 4), kind="sign_flip", scale=2.0,
                                              rng=rng())),
    Spec(privacy.AttackConfig, lambda: dict(kind="sign_flip", fraction=0.2, scale=4.0,
                                            backdoor_target=0)),
    Spec(privacy.DPConfig, lambda: dict(noise_multiplier=1.0, clip_norm=1.0, delta=1e-5)),
    Spec(privacy.adaptive_clip_norm,
         lambda: dict(clip_norm=1.0, update_norms=np.array([0.5, 1.5, 2.0]),
                      target_quantile=0.5, lr=0.2, count_noise=0.5, rng=rng())),
    Spec(privacy.dp_fedavg_aggregate,
         lambda: dict(w_global=np.zeros(4), client_models=normal(3, 4),
                      weights=np.array([1.0, 0.5, 0.2]), clip_norm=1.0, noise_multiplier=1.0,
                      expected_weight=2.0, rng=rng())),
    Spec(privacy.secure_sum,
         lambda: dict(X=normal(3, 4), threshold=2, drop_before_upload=[0], drop_before_unmask=[],
                      seed=0, frac_bits=16, ring_bits=32)),
    Spec(privacy.PrivateServer, private_server_args),
    Spec(privacy.shamir_share, lambda: dict(secret=12345, n=5, t=3, rng=rng())),
    Spec(privacy.shamir_reconstruct, lambda: dict(shares=[(1, 5), (2, 9), (3, 20)], t=3)),
    Spec(privacy.encode, lambda: dict(x=np.array([0.5, -1.25, 3.0]), frac_bits=16, ring_bits=32,
                                      num_inputs=4)),
    Spec(privacy.decode, lambda: dict(v=privacy.encode(np.array([0.5, -1.25, 3.0])),
                                      frac_bits=16, ring_bits=32)),
    Spec(privacy.prg, lambda: dict(seed=3, size=5, ring_bits=32)),
    Spec(privacy.fixed_point_sum, lambda: dict(X=normal(3, 4), frac_bits=16)),
    Spec(privacy.example_gradient,
         lambda: dict(model=logistic(), w=normal(4), X=examples()[0], y=examples()[1])),
    Spec(privacy.invert_gradient, lambda: dict(model=logistic(), w=normal(4),
                                               grad=one_gradient())),
    Spec(privacy.batch_mixture, lambda: dict(model=logistic(), w=normal(4), X=examples()[0],
                                             y=examples()[1], c=0)),
    Spec(privacy.dp_noised_gradient, lambda: dict(grad=normal(6), clip_norm=1.0,
                                                  noise_multiplier=0.5, rng=rng())),
    Spec(privacy.relative_error, lambda: dict(x_hat=normal(5, seed=3), x=normal(5))),
]
