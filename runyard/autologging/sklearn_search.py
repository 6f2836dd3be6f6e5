"""Parameter searches (GridSearchCV, RandomizedSearchCV): what the parent run gets beyond an
ordinary estimator (``best_<param>`` params, ``best_cv_score``, ``cv_results.csv``) and one child
run per explored candidate, the ``max_tuning_runs`` best by rank, with its params and the
summary columns of ``cv_results_`` (mean and std of fit time, score time and test scores, rank)."""

from __future__ import annotations

import logging
import math
import sys
import time
from typing import Any

from runyard import config as settings
from runyard.autologging.sessions import AUTOLOGGING_TAG, AutologRun
from runyard.entities import Metric, Param, RunTag
from runyard.validation import MAX_PARAM_VALUE_LENGTH

_logger = logging.getLogger("runyard.autologging")
_PARENT_TAG = "mlflow.parentRunId"


def is_search(estimator: Any) -> bool:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: PLC0415

    return isinstance(estimator, (GridSearchCV, RandomizedSearchCV))


def param_entities(params: dict[str, Any]) -> list[Param]:
    """Params as MLflow's autolog logs them: values as text, cut at the tracking core's limit."""
    return [Param(str(key), str(value)[:MAX_PARAM_VALUE_LENGTH]) for key, value in params.items()]


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}


def search_params(search: Any) -> dict[str, Any]:
    """The search's own params (not its estimator's, as MLflow) plus ``best_<name>`` of the winner."""
    params = dict(search.get_params(deep=False))
    for key, value in (getattr(search, "best_params_", None) or {}).items():
        params[f"best_{key}"] = value
    return params


def search_metrics(search: Any) -> dict[str, float]:
    score = getattr(search, "best_score_", None)
    return {"best_cv_score": float(score)} if score is not None else {}


def cv_results_csv(search: Any) -> str:
    import pandas as pd  # noqa: PLC0415

    return pd.DataFrame(search.cv_results_).to_csv(index=False)


def _rank_key(search: Any, results: dict[str, Any]) -> str | None:
    refit = search.refit
    candidates = [f"rank_test_{refit}"] if isinstance(refit, str) else []
    candidates.append("rank_test_score")
    candidates.extend(sorted(k for k in results if k.startswith("rank_test_")))
    return next((k for k in candidates if k in results), None)


def best_candidates(search: Any, max_tuning_runs: int | None) -> list[int]:
    """Indices of the candidates to log as child runs, best first."""
    results = search.cv_results_
    count = len(results["params"])
    rank_key = _rank_key(search, results)
    order = sorted(range(count), key=lambda i: (float(results[rank_key][i]), i)) if rank_key else list(range(count))
    if max_tuning_runs is None:
        return order
    chosen = order[:max(0, int(max_tuning_runs))]
    if len(chosen) < count:
        _logger.info("Logging the %d best of %d candidates as child runs", len(chosen), count)
    return chosen


def _candidate_metrics(results: dict[str, Any], index: int) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, column in results.items():
        if key == "params" or key.startswith(("param_", "split")):
            continue
        try:
            value = float(column[index])
        except (TypeError, ValueError):
            continue
        if not math.isnan(value):
            metrics[key] = value
    return metrics


def _child_tags(parent: AutologRun, estimator: Any) -> dict[str, str]:
    return {_PARENT_TAG: parent.run_id, AUTOLOGGING_TAG: "sklearn", "mlflow.user": settings.current_user(),
            "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
            "mlflow.source.type": "LOCAL", **estimator_tags(estimator)}


def log_child_runs(parent: AutologRun, search: Any, max_tuning_runs: int | None) -> list[str]:
    """One FINISHED child run of ``parent`` per chosen candidate; returns their run ids."""
    results = search.cv_results_
    base = search.estimator
    base_params = dict(base.get_params(deep=True))
    client = parent.client
    run_ids = []
    for index in best_candidates(search, max_tuning_runs):
        started = int(time.time() * 1000)
        child = client.create_run(parent.experiment_id, start_time=started, tags=_child_tags(parent, base))
        params = {**base_params, **results["params"][index]}
        points = [Metric(key, value, started, 0) for key, value in _candidate_metrics(results, index).items()]
        client.log_batch(child.info.run_id, metrics=points, params=param_entities(params), synchronous=True)
        client.set_terminated(child.info.run_id, "FINISHED")
        run_ids.append(child.info.run_id)
    return run_ids


def tag_entities(tags: dict[str, str]) -> list[RunTag]:
    return [RunTag(key, value) for key, value in tags.items()]
