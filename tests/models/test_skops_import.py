"""Loading a skops model imports neither torch nor the other array libraries scikit-learn knows of."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression

import runyard.sklearn

_CHILD = """
import sys
import numpy as np
import runyard.pyfunc
model = runyard.pyfunc.load_model(sys.argv[1])
prediction = float(model.predict(np.ones((1, 3)))[0])
print(prediction, "torch" in sys.modules)
# Refused only while skops was imported: the module still imports afterwards.
import importlib
importlib.import_module("sklearn.externals.array_api_compat.torch")
print("torch" in sys.modules)
"""


def test_loading_a_skops_model_leaves_torch_alone(tmp_path: Path) -> None:
    model = LinearRegression().fit(np.arange(30.0).reshape(10, 3), np.arange(10.0))
    runyard.sklearn.save_model(model, tmp_path / "model")
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "model")], capture_output=True, text=True,
                          timeout=300, check=True)
    first, second = done.stdout.strip().splitlines()
    prediction, torch_loaded = first.split()
    assert float(prediction) == float(model.predict(np.ones((1, 3)))[0])
    assert torch_loaded == "False"
    assert second == "True"
