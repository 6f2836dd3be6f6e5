"""The MLflow REST endpoints runyard serves and calls: one table for both sides.

Each endpoint is mounted under ``/api/<major>.0`` and ``/ajax-api/<major>.0`` by the server; the
REST store calls the ``/api`` form. ``{name}`` segments are path parameters.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    message: str
    method: str
    path: str
    major: int = 2
    # Whether repeating the request can change the outcome (the REST store retries only the
    # ones where it cannot).
    idempotent: bool = False

    @property
    def api_path(self) -> str:
        return f"/api/{self.major}.0{self.path}"


def _ep(message: str, method: str, path: str, idempotent: bool | None = None, major: int = 2) -> Endpoint:
    if idempotent is None:
        idempotent = method == "GET"
    return Endpoint(message, method, path, major, idempotent)


M = "/mlflow"
ENDPOINTS: tuple[Endpoint, ...] = (
    _ep("CreateExperiment", "POST", f"{M}/experiments/create"),
    _ep("SearchExperiments", "POST", f"{M}/experiments/search", idempotent=True),
    _ep("SearchExperiments", "GET", f"{M}/experiments/search"),
    _ep("GetExperiment", "GET", f"{M}/experiments/get"),
    _ep("GetExperimentByName", "GET", f"{M}/experiments/get-by-name"),
    _ep("DeleteExperiment", "POST", f"{M}/experiments/delete", idempotent=True),
    _ep("RestoreExperiment", "POST", f"{M}/experiments/restore", idempotent=True),
    _ep("UpdateExperiment", "POST", f"{M}/experiments/update", idempotent=True),
    _ep("SetExperimentTag", "POST", f"{M}/experiments/set-experiment-tag", idempotent=True),
    _ep("DeleteExperimentTag", "POST", f"{M}/experiments/delete-experiment-tag"),
    _ep("CreateRun", "POST", f"{M}/runs/create"),
    _ep("UpdateRun", "POST", f"{M}/runs/update", idempotent=True),
    _ep("DeleteRun", "POST", f"{M}/runs/delete", idempotent=True),
    _ep("RestoreRun", "POST", f"{M}/runs/restore", idempotent=True),
    _ep("GetRun", "GET", f"{M}/runs/get"),
    _ep("SearchRuns", "POST", f"{M}/runs/search", idempotent=True),
    # A metric point is keyed by (run, key, step, timestamp, value): sending it twice stores it
    # once, on runyard and on MLflow, so metric writes may be retried safely.
    _ep("LogMetric", "POST", f"{M}/runs/log-metric", idempotent=True),
    _ep("LogParam", "POST", f"{M}/runs/log-parameter", idempotent=True),
    _ep("SetTag", "POST", f"{M}/runs/set-tag", idempotent=True),
    _ep("DeleteTag", "POST", f"{M}/runs/delete-tag"),
    _ep("LogBatch", "POST", f"{M}/runs/log-batch", idempotent=True),
    _ep("LogInputs", "POST", f"{M}/runs/log-inputs"),
    _ep("LogOutputs", "POST", f"{M}/runs/outputs"),
    _ep("LogModel", "POST", f"{M}/runs/log-model"),
    _ep("GetMetricHistory", "GET", f"{M}/metrics/get-history"),
    _ep("GetMetricHistoryBulkInterval", "GET", f"{M}/metrics/get-history-bulk-interval"),
    _ep("ListArtifacts", "GET", f"{M}/artifacts/list"),
    _ep("CreateLoggedModel", "POST", f"{M}/logged-models"),
    _ep("SearchLoggedModels", "POST", f"{M}/logged-models/search", idempotent=True),
    _ep("FinalizeLoggedModel", "PATCH", f"{M}/logged-models/{{model_id}}", idempotent=True),
    _ep("GetLoggedModel", "GET", f"{M}/logged-models/{{model_id}}"),
    _ep("DeleteLoggedModel", "DELETE", f"{M}/logged-models/{{model_id}}", idempotent=True),
    _ep("SetLoggedModelTags", "PATCH", f"{M}/logged-models/{{model_id}}/tags", idempotent=True),
    _ep("DeleteLoggedModelTag", "DELETE", f"{M}/logged-models/{{model_id}}/tags/{{tag_key}}"),
    _ep("LogLoggedModelParams", "POST", f"{M}/logged-models/{{model_id}}/params", idempotent=True),
    _ep("ListLoggedModelArtifacts", "GET", f"{M}/logged-models/{{model_id}}/artifacts/directories"),
    # model registry (reference section 4)
    _ep("CreateRegisteredModel", "POST", f"{M}/registered-models/create"),
    _ep("RenameRegisteredModel", "POST", f"{M}/registered-models/rename"),
    _ep("UpdateRegisteredModel", "PATCH", f"{M}/registered-models/update", idempotent=True),
    _ep("DeleteRegisteredModel", "DELETE", f"{M}/registered-models/delete"),
    _ep("GetRegisteredModel", "GET", f"{M}/registered-models/get"),
    _ep("SearchRegisteredModels", "GET", f"{M}/registered-models/search"),
    _ep("GetLatestVersions", "POST", f"{M}/registered-models/get-latest-versions", idempotent=True),
    _ep("GetLatestVersions", "GET", f"{M}/registered-models/get-latest-versions"),
    _ep("SetRegisteredModelTag", "POST", f"{M}/registered-models/set-tag", idempotent=True),
    _ep("DeleteRegisteredModelTag", "DELETE", f"{M}/registered-models/delete-tag"),
    _ep("SetRegisteredModelAlias", "POST", f"{M}/registered-models/alias", idempotent=True),
    _ep("DeleteRegisteredModelAlias", "DELETE", f"{M}/registered-models/alias"),
    _ep("GetModelVersionByAlias", "GET", f"{M}/registered-models/alias"),
    # Never retried: a repeated create would make a second version.
    _ep("CreateModelVersion", "POST", f"{M}/model-versions/create"),
    _ep("UpdateModelVersion", "PATCH", f"{M}/model-versions/update", idempotent=True),
    _ep("TransitionModelVersionStage", "POST", f"{M}/model-versions/transition-stage"),
    _ep("DeleteModelVersion", "DELETE", f"{M}/model-versions/delete"),
    _ep("GetModelVersion", "GET", f"{M}/model-versions/get"),
    _ep("SearchModelVersions", "GET", f"{M}/model-versions/search"),
    _ep("GetModelVersionDownloadUri", "GET", f"{M}/model-versions/get-download-uri"),
    _ep("SetModelVersionTag", "POST", f"{M}/model-versions/set-tag", idempotent=True),
    _ep("DeleteModelVersionTag", "DELETE", f"{M}/model-versions/delete-tag"),
    # runyard's registry audit trail (MLflow servers do not have these routes)
    _ep("GetRegistryHistory", "GET", f"{M}/registered-models/history"),
    _ep("GetVersionAt", "GET", f"{M}/registered-models/version-at"),
)

BY_MESSAGE: dict[str, Endpoint] = {}
for _endpoint in ENDPOINTS:
    BY_MESSAGE.setdefault(_endpoint.message, _endpoint)

ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
