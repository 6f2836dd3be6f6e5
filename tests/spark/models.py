"""Custom models the Spark tests score; they live in an importable module so that Spark's Python
workers can unpickle them."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import runyard.pyfunc


class Labeller(runyard.pyfunc.PythonModel):
    """Several outputs per row: a label (from the text input ``tag``), a score, a list and a value
    read from the environment."""

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        score = (model_input["x"] + model_input["y"]) * scale
        return pd.DataFrame({
            "label": [f"{tag}:{sign}" for tag, sign in zip(model_input["tag"], np.where(score > 0, "pos", "neg"))],
            "score": score,
            "pair": [[float(a), float(b)] for a, b in zip(model_input["x"], model_input["y"])],
            "flag": os.environ.get("RUNYARD_SPARK_TEST_FLAG", "unset"),
        })


class LoadCounter(runyard.pyfunc.PythonModel):
    """Writes its process id to ``<log_dir>/load`` on each load and ``<log_dir>/batch`` on each batch."""

    def load_context(self, context):
        self.log_dir = context.model_config["log_dir"]
        self._note("load")

    def _note(self, event):
        with open(os.path.join(self.log_dir, event), "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\n")

    def predict(self, context, model_input, params=None):
        self._note("batch")
        return model_input["x"] * 2


class TensorSum(runyard.pyfunc.PythonModel):
    """Sums each row of a float32 tensor of shape (-1, 3)."""

    def predict(self, context, model_input, params=None):
        assert isinstance(model_input, np.ndarray) and model_input.dtype == np.float32, type(model_input)
        return model_input.sum(axis=1).astype(np.float64)
