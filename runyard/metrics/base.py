"""``runyard.metrics.base``: ``MetricValue`` where MLflow keeps it (``mlflow.metrics.base``)."""

from runyard.evaluation.custom_metrics import MetricValue

__all__ = ["MetricValue"]
