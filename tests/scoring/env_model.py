"""A model for the environment tests, made by a script run as ``__main__``: its class is pickled by
value, so it loads in a fresh environment that has only the model's requirements (cloudpickle,
pandas) and runyard. Run as ``python env_model.py MODEL_DIR TRACKING_URI``: saves the model to
MODEL_DIR and also logs and registers it as ``Doubler`` version 1 in TRACKING_URI."""

from __future__ import annotations

import sys

import pandas as pd

import runyard
import runyard.pyfunc


class Doubler(runyard.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"y": model_input["x"] * 2})


if __name__ == "__main__":
    runyard.pyfunc.save_model(sys.argv[1], python_model=Doubler())
    runyard.set_tracking_uri(sys.argv[2])
    with runyard.start_run():
        runyard.pyfunc.log_model(name="model", python_model=Doubler(), registered_model_name="Doubler")
