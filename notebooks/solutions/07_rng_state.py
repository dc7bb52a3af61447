import json

import numpy as np


def save_rng(rng):
    return json.dumps(rng.bit_generator.state)  # PCG64's state: two big integers and a flag


def load_rng(text):
    rng = np.random.default_rng()
    rng.bit_generator.state = json.loads(text)  # continue exactly where the saved one was
    return rng
