"""A model on disk loads without any tracking store being opened (no runyard.db appears)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression

import runyard


def test_loading_a_local_model_opens_no_tracking_store(tmp_path, monkeypatch):
    X = np.arange(20, dtype=float).reshape(-1, 2)
    model = LinearRegression().fit(X, X[:, 0] * 3)
    path = tmp_path / "saved"
    runyard.sklearn.save_model(model, str(path))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("RUNYARD_TRACKING_URI", raising=False)
    loaded = runyard.pyfunc.load_model(str(path))
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(runyard.sklearn.load_model(path.as_uri()).predict(X), model.predict(X))
    assert list(elsewhere.iterdir()) == []
