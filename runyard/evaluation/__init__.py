"""Model evaluation (``runyard.models.evaluate``): the default evaluator's regressor and classifier
metrics, plots and tables, logged to a run; custom metrics (``make_metric``) and artifacts.

Metrics are computed with scikit-learn and plots drawn with matplotlib, both imported only when an
evaluation runs.
"""

from runyard.evaluation.api import evaluate
from runyard.evaluation.artifacts import (
    CsvEvaluationArtifact,
    EvaluationArtifact,
    EvaluationResult,
    ImageEvaluationArtifact,
    JsonEvaluationArtifact,
    NumpyEvaluationArtifact,
    TextEvaluationArtifact,
)
from runyard.evaluation.custom_metrics import EvaluationMetric, MetricValue, make_metric

__all__ = [
    "CsvEvaluationArtifact",
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "ImageEvaluationArtifact",
    "JsonEvaluationArtifact",
    "MetricValue",
    "NumpyEvaluationArtifact",
    "TextEvaluationArtifact",
    "evaluate",
    "make_metric",
]
