"""The seed's registry workflow (issue 5), verbatim, for any ``mlflow``-like module and client class:
runyard's embedded store, runyard through a server, and the stock MLflow client on a runyard server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

NAME = "HousingPricePredictor"


def housing_data() -> tuple[np.ndarray, np.ndarray]:
    return make_regression(n_samples=120, n_features=4, noise=0.1, random_state=0)


def train_best_run(mlflow: Any, name: str = "model", **log_kwargs: Any) -> SimpleNamespace:
    """A run that logged a fitted regressor as ``name``; the run id, the model and its data. (A linear
    model: MLflow's skops format refuses tree ensembles unless their types are trusted explicitly.)"""
    X, y = housing_data()
    model = Ridge(alpha=0.5).fit(X, y)
    with mlflow.start_run() as run:
        mlflow.log_metric("r2", float(model.score(X, y)))
        mlflow.sklearn.log_model(model, name=name, **log_kwargs)
    return SimpleNamespace(run_id=run.info.run_id, model=model, X=X)


def seed_workflow(mlflow: Any, MlflowClient: type, best_run_id: str, name: str = NAME) -> Any:
    """Issue 5's workflow, as the seed's users run it (stages warn: FutureWarning)."""
    mv = mlflow.register_model(f"runs:/{best_run_id}/model", name,
                               tags={"purpose": "production"})
    client = MlflowClient()
    client.transition_model_version_stage(name, mv.version, "Staging")
    client.transition_model_version_stage(name, mv.version, "Production",
                                          archive_existing_versions=True)
    client.set_registered_model_alias(name, "champion", mv.version)
    client.update_model_version(name, mv.version, description="RF, R2=0.85")
    client.set_model_version_tag(name, mv.version, "approved_by", "alice")
    return mv


def assert_loads_every_form(mlflow: Any, name: str, version: str, X: np.ndarray, expected: np.ndarray) -> None:
    """``models:/name/Production``, ``@champion``, ``/<version>`` and ``/latest`` all load the
    version and predict as the trained model does."""
    for uri in (f"models:/{name}/Production", f"models:/{name}/production", f"models:/{name}@champion",
                f"models:/{name}/{version}", f"models:/{name}/latest"):
        loaded = mlflow.pyfunc.load_model(uri)
        np.testing.assert_allclose(np.asarray(loaded.predict(X)).ravel(), expected, rtol=1e-9, err_msg=uri)
