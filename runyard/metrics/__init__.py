"""``runyard.metrics``: what custom evaluation metrics are made of (``MetricValue``,
``EvaluationMetric``, ``make_metric``), for ``runyard.models.evaluate(extra_metrics=[...])``.

MLflow's ready-made metric objects (``mae()``, ``rmse()``, the GenAI metrics, ...) are not here.
"""

from runyard.evaluation.custom_metrics import EvaluationMetric, MetricValue, make_metric

__all__ = ["EvaluationMetric", "MetricValue", "make_metric"]
