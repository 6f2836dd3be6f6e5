"""Default regressor metrics (MLflow's names), computed with scikit-learn."""

from __future__ import annotations

import numpy as np

from runyard.errors import InvalidParameterValue


def numeric(values: np.ndarray, field: str) -> np.ndarray:
    """``values`` as floats; a clear error naming ``field`` when they are not numbers."""
    try:
        return values.astype(float)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"{field} must be numeric for model_type 'regressor'; found values such as "
                                    f"{values[:3].tolist()!r}") from None


def regressor_metrics(targets: np.ndarray, predictions: np.ndarray,
                      sample_weights: np.ndarray | None = None) -> dict[str, float]:
    """example_count, the error metrics, r2_score and the target's sum and mean."""
    from sklearn import metrics  # noqa: PLC0415 - scikit-learn is optional (checked by evaluate)

    mse = float(metrics.mean_squared_error(targets, predictions, sample_weight=sample_weights))
    return {
        "example_count": len(targets),
        "mean_absolute_error": float(metrics.mean_absolute_error(targets, predictions, sample_weight=sample_weights)),
        "mean_squared_error": mse,
        "root_mean_squared_error": float(np.sqrt(mse)),
        "sum_on_target": float(np.sum(targets)),
        "mean_on_target": float(np.mean(targets)),
        "r2_score": float(metrics.r2_score(targets, predictions, sample_weight=sample_weights)),
        "max_error": float(metrics.max_error(targets, predictions)),
        "mean_absolute_percentage_error": float(
            metrics.mean_absolute_percentage_error(targets, predictions, sample_weight=sample_weights)),
    }
