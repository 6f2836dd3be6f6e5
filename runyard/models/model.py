"""The MLmodel file: ``Model`` (read and write with MLflow 3.x keys) and ``ModelInfo``.

A model directory holds an ``MLmodel`` YAML file that names its flavors and how to load them. The
keys and their meaning follow MLflow 3 (``artifact_path`` is the logged model's artifact URI,
``model_id`` = ``model_uuid`` = the logged model's id), so directories cross between runyard and
MLflow in both directions.

``mlflow_version``: runyard writes ``MLFLOW_FORMAT_VERSION``, the MLflow release whose MLmodel
format it writes and tests against, because tools that read MLmodel files (MLflow's loaders and
serving images) gate behaviour on a real MLflow version. ``runyard_version`` says which program
actually wrote the file; MLflow keeps unknown keys, so the two coexist.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import unquote, urlparse

import yaml

from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.models.signature import ModelSignature
from runyard.version import __version__ as RUNYARD_VERSION

MLMODEL_FILE_NAME = "MLmodel"
MLFLOW_FORMAT_VERSION = "3.17.2"
_SIGNATURE_FLAGS = ("is_signature_from_type_hint", "type_hint_from_example")


def utc_now_string() -> str:
    """Now, as MLflow writes ``utc_time_created`` (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class Model:
    """An MLmodel file: flavors plus what is known about the model (signature, ids, example).

    Unknown keys read from a file are kept as attributes and written back, as MLflow does.
    """

    def __init__(self, artifact_path: str | None = None, run_id: str | None = None,
                 utc_time_created: str | None = None, flavors: dict[str, Any] | None = None,
                 signature: ModelSignature | None = None, saved_input_example_info: dict[str, Any] | None = None,
                 model_uuid: str | None = None, mlflow_version: str | None = MLFLOW_FORMAT_VERSION,
                 metadata: dict[str, Any] | None = None, model_size_bytes: int | None = None,
                 model_id: str | None = None, runyard_version: str | None = RUNYARD_VERSION, **kwargs: Any) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or utc_now_string()
        self.flavors = flavors if flavors is not None else {}
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid if model_uuid is not None else (model_id or uuid.uuid4().hex)
        self.model_id = model_id
        self.mlflow_version = mlflow_version
        self.metadata = metadata
        self.model_size_bytes = model_size_bytes
        self.runyard_version = runyard_version
        from_hint, from_example = (bool(kwargs.pop(key, False)) for key in _SIGNATURE_FLAGS)
        if signature is not None and (from_hint or from_example):
            signature._is_signature_from_type_hint = from_hint
            signature._is_type_hint_from_example = from_example
        self.__dict__.update(kwargs)

    # -- flavors and schemas ------------------------------------------------------------------
    def add_flavor(self, name: str, **params: Any) -> "Model":
        """Add (or replace) a flavor and its configuration; returns self for chaining."""
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Any:
        """The signature's input schema, or None."""
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Any:
        """The signature's output schema, or None."""
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> Any:
        """The signature's params schema, or None."""
        return getattr(self.signature, "params", None) if self.signature is not None else None

    def is_signature_from_type_hint(self) -> bool:
        """Whether the signature came from ``predict``'s type hints (its input is then not enforced)."""
        return bool(getattr(self.signature, "_is_signature_from_type_hint", False))

    # -- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The MLmodel content as a dict (keys that are None are left out, except ``model_id``)."""
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        for key in ("artifact_path", "run_id", "signature", "saved_input_example_info", "metadata",
                    "model_size_bytes", "mlflow_version", "runyard_version"):
            if out.get(key) is None:
                out.pop(key, None)
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
            out["is_signature_from_type_hint"] = bool(getattr(self.signature, "_is_signature_from_type_hint", False))
            out["type_hint_from_example"] = bool(getattr(self.signature, "_is_type_hint_from_example", False))
        return out

    def to_yaml(self, stream: IO[str] | None = None) -> str | None:
        """YAML as MLflow writes it (block style, sorted keys)."""
        return yaml.safe_dump(self.to_dict(), stream=stream, default_flow_style=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the MLmodel YAML to ``path`` (a file path)."""
        with open(path, "w", encoding="utf-8") as out:
            self.to_yaml(out)

    @classmethod
    def from_dict(cls, model_dict: dict[str, Any]) -> "Model":
        """A Model from the content of an MLmodel file."""
        if not isinstance(model_dict, dict):
            raise InvalidParameterValue(f"MLmodel content must be a mapping, got {type(model_dict).__name__}")
        fields = dict(model_dict)
        signature = fields.pop("signature", None)
        if isinstance(signature, dict):
            fields["signature"] = ModelSignature.from_dict(signature)
        # Versions a file does not state stay unstated (a file from MLflow has no runyard_version).
        fields.setdefault("runyard_version", None)
        fields.setdefault("mlflow_version", None)
        return cls(**fields)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Model":
        """Read an MLmodel file, or the MLmodel file of a model directory (a local path or ``file:`` URI)."""
        local = local_model_path(os.fspath(path))
        if os.path.isdir(local):
            local = os.path.join(local, MLMODEL_FILE_NAME)
        if not os.path.isfile(local):
            raise ResourceDoesNotExist(f'Could not find an "{MLMODEL_FILE_NAME}" configuration file at "{path}"')
        with open(local, encoding="utf-8") as f:
            return cls.from_dict(yaml.safe_load(f) or {})

    def flavor_conf(self, flavor: str) -> dict[str, Any]:
        """One flavor's configuration; a clear error when the model lacks that flavor."""
        conf = self.flavors.get(flavor)
        if conf is None:
            raise InvalidParameterValue(
                f'Model does not have the "{flavor}" flavor (it has: {", ".join(sorted(self.flavors)) or "none"})'
            )
        return conf

    def get_model_info(self, logged_model: Any = None) -> "ModelInfo":
        """A ModelInfo for this model (``logged_model`` fills in name, params, tags, metrics)."""
        uri = (f"models:/{self.model_id}" if self.model_id
               else f"runs:/{self.run_id}/{self.artifact_path}" if self.run_id else self.artifact_path)
        return ModelInfo(artifact_path=self.artifact_path, flavors=self.flavors, model_uri=uri or "",
                         model_uuid=self.model_uuid, run_id=self.run_id,
                         saved_input_example_info=self.saved_input_example_info, signature=self.signature,
                         utc_time_created=self.utc_time_created, mlflow_version=self.mlflow_version,
                         metadata=self.metadata, logged_model=logged_model, model_id=self.model_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Model(model_id={self.model_id!r}, flavors={sorted(self.flavors)})"


class ModelInfo:
    """What ``log_model`` returns: the model's URI and metadata (MLflow's attribute names)."""

    def __init__(self, artifact_path: str | None, flavors: dict[str, Any], model_uri: str, model_uuid: str | None,
                 run_id: str | None, saved_input_example_info: dict[str, Any] | None,
                 signature: ModelSignature | None, utc_time_created: str, mlflow_version: str | None,
                 metadata: dict[str, Any] | None = None, logged_model: Any = None, model_id: str | None = None,
                 registered_model_version: int | None = None, env_vars: list[str] | None = None) -> None:
        self.artifact_path = artifact_path
        self.flavors = flavors
        self.model_uri = model_uri
        self.model_uuid = model_uuid
        self.run_id = run_id
        self.saved_input_example_info = saved_input_example_info
        self.signature = signature
        self.utc_time_created = utc_time_created
        self.mlflow_version = mlflow_version
        self.metadata = metadata
        self.logged_model = logged_model
        self._model_id = model_id
        self.registered_model_version = registered_model_version
        self.env_vars = env_vars
        self.prompts = None

    @property
    def model_id(self) -> str | None:
        return self.logged_model.model_id if self.logged_model is not None else self._model_id

    def _from_logged(self, attribute: str) -> Any:
        return getattr(self.logged_model, attribute) if self.logged_model is not None else None

    @property
    def name(self) -> str | None:
        return self._from_logged("name")

    @property
    def params(self) -> dict[str, str] | None:
        return self._from_logged("params")

    @property
    def tags(self) -> dict[str, str] | None:
        return self._from_logged("tags")

    @property
    def metrics(self) -> Any:
        metrics = self._from_logged("metrics")
        return list(metrics) if metrics is not None else None

    @property
    def creation_timestamp(self) -> int | None:
        return self._from_logged("creation_timestamp")

    def __repr__(self) -> str:
        return f"ModelInfo(model_uri={self.model_uri!r}, run_id={self.run_id!r})"


def local_model_path(path: str) -> str:
    """The filesystem path named by a local path or ``file:`` URI (other URIs are refused)."""
    if path.startswith("file:"):
        parsed = urlparse(path)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidParameterValue(f"file: URIs must not name a host, got {path!r}")
        return unquote(parsed.path)
    if "://" in path or path.startswith(("runs:", "models:", "mlflow-artifacts:")):
        raise InvalidParameterValue(f"{path!r} is not a local path or file: URI (download remote models first: "
                                    "runyard.pyfunc.load_model and runyard.models.get_model_info take any model URI)")
    return os.path.abspath(os.path.expanduser(path))


def model_size_bytes(path: str) -> int:
    """Total size of the files in a model directory, the MLmodel file left out."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            if root == path and name == MLMODEL_FILE_NAME:
                continue
            total += os.path.getsize(os.path.join(root, name))
    return total


def get_model_info_from_path(path: str) -> ModelInfo:
    """ModelInfo of a local model directory or MLmodel file."""
    return Model.load(path).get_model_info()
