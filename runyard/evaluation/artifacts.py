"""What an evaluation returns: ``EvaluationArtifact`` kinds (a URI plus content loaded from the file)
and ``EvaluationResult`` (metrics, artifacts, run id), which saves to and loads from a directory in
the layout MLflow uses (``metrics.json``, ``artifacts_metadata.json``, ``artifacts/``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from runyard.client.artifacts import download_artifacts
from runyard.errors import InvalidParameterValue


class EvaluationArtifact:
    """An artifact produced by an evaluation: its ``uri`` and its ``content`` (loaded on first use)."""

    def __init__(self, uri: str, content: Any = None) -> None:
        self._uri = uri
        self._content = content

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        with open(local_artifact_path, "rb") as handle:
            return handle.read()

    def _load(self, local_artifact_path: str | None = None) -> Any:
        path = local_artifact_path or download_artifacts(artifact_uri=self._uri)
        self._content = self._load_content_from_file(path)
        return self._content

    @property
    def uri(self) -> str:
        """Where the artifact is stored (in the run's artifacts)."""
        return self._uri

    @property
    def content(self) -> Any:
        """The artifact's content: a PIL image, a DataFrame, parsed JSON, text, ..."""
        if self._content is None:
            self._load()
        return self._content

    def _save(self, output_artifact_path: str) -> None:
        shutil.copyfile(download_artifacts(artifact_uri=self._uri), output_artifact_path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uri={self._uri!r})"


class ImageEvaluationArtifact(EvaluationArtifact):
    """A PNG plot; ``content`` is a PIL image."""

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        from PIL import Image  # noqa: PLC0415 - Pillow is optional (the images extra)

        image = Image.open(local_artifact_path)
        image.load()  # read now: the temporary file goes away
        return image


class CsvEvaluationArtifact(EvaluationArtifact):
    """A table; ``content`` is a pandas DataFrame."""

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        import pandas as pd  # noqa: PLC0415 - kept out of runyard's import

        return pd.read_csv(local_artifact_path)


class JsonEvaluationArtifact(EvaluationArtifact):
    """JSON; ``content`` is the parsed value."""

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        with open(local_artifact_path, encoding="utf-8") as handle:
            return json.load(handle)


class TextEvaluationArtifact(EvaluationArtifact):
    """Text; ``content`` is a string."""

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        with open(local_artifact_path, encoding="utf-8") as handle:
            return handle.read()


class NumpyEvaluationArtifact(EvaluationArtifact):
    """A saved numpy array (``.npy``); ``content`` is the array."""

    def _load_content_from_file(self, local_artifact_path: str) -> Any:
        import numpy as np  # noqa: PLC0415 - kept out of runyard's import

        return np.load(local_artifact_path, allow_pickle=False)


_KINDS = {cls.__name__: cls for cls in (EvaluationArtifact, ImageEvaluationArtifact, CsvEvaluationArtifact,
                                        JsonEvaluationArtifact, TextEvaluationArtifact, NumpyEvaluationArtifact)}
_BY_SUFFIX = {".png": ImageEvaluationArtifact, ".csv": CsvEvaluationArtifact, ".json": JsonEvaluationArtifact,
              ".txt": TextEvaluationArtifact, ".npy": NumpyEvaluationArtifact}


def artifact_for_file(uri: str, local_path: str) -> EvaluationArtifact:
    """The artifact kind that reads ``local_path`` (by its suffix), with its content loaded now."""
    artifact = _BY_SUFFIX.get(Path(local_path).suffix.lower(), EvaluationArtifact)(uri)
    artifact._load(local_path)
    return artifact


class EvaluationResult:
    """What ``evaluate`` returns: ``metrics`` (name -> value), ``artifacts`` (name ->
    ``EvaluationArtifact``) and the ``run_id`` they were logged to."""

    def __init__(self, metrics: dict[str, Any], artifacts: dict[str, EvaluationArtifact],
                 run_id: str | None = None) -> None:
        self._metrics = metrics
        self._artifacts = artifacts
        self._run_id = run_id

    @property
    def metrics(self) -> dict[str, Any]:
        """Metric name -> value."""
        return self._metrics

    @property
    def artifacts(self) -> dict[str, EvaluationArtifact]:
        """Artifact name -> ``EvaluationArtifact``."""
        return self._artifacts

    @property
    def run_id(self) -> str | None:
        """The run the metrics and artifacts were logged to."""
        return self._run_id

    @property
    def tables(self) -> dict[str, Any]:
        """Per-row tables (GenAI evaluations only in MLflow): always empty here."""
        return {}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the metrics, the artifacts' metadata and the artifact files under ``path``."""
        root = Path(path)
        (root / "artifacts").mkdir(parents=True, exist_ok=True)
        (root / "metrics.json").write_text(json.dumps(self._metrics), encoding="utf-8")
        metadata = {name: {"uri": artifact.uri, "class_name": f"{__name__}.{type(artifact).__name__}"}
                    for name, artifact in self._artifacts.items()}
        (root / "artifacts_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        for artifact in self._artifacts.values():
            artifact._save(str(root / "artifacts" / _file_name(artifact.uri)))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EvaluationResult:
        """A result written by ``save`` (runyard's or MLflow's), artifacts read from its files."""
        root = Path(path)
        metrics = json.loads((root / "metrics.json").read_text(encoding="utf-8"))
        metadata = json.loads((root / "artifacts_metadata.json").read_text(encoding="utf-8"))
        artifacts: dict[str, EvaluationArtifact] = {}
        for name, meta in metadata.items():
            kind = _KINDS.get(str(meta.get("class_name", "")).rsplit(".", 1)[-1])
            if kind is None:
                raise InvalidParameterValue(f"Unknown evaluation artifact class {meta.get('class_name')!r} for "
                                            f"artifact {name!r} in {root / 'artifacts_metadata.json'}")
            artifact = kind(meta["uri"])
            artifact._load(str(root / "artifacts" / _file_name(meta["uri"])))
            artifacts[name] = artifact
        return cls(metrics, artifacts, run_id=None)


def _file_name(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]
