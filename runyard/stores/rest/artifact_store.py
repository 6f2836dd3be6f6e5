"""``HttpArtifactStore``: artifacts behind a tracking server's proxy (``mlflow-artifacts:/`` URIs,
or ``http(s)://.../api/2.0/mlflow-artifacts/artifacts/...``), streamed both ways."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from runyard import config
from runyard.entities import FileInfo
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.artifact_store import ArtifactReader, ArtifactStore, ArtifactWriter
from runyard.stores.artifacts.paths import safe_relative_path
from runyard.stores.rest.http_client import HttpClient
from runyard.wire import codec
from runyard.wire.endpoints import ARTIFACTS_PREFIX

_CHUNK = 1024 * 1024


def _split_root(root_uri: str, tracking_uri: str | None) -> tuple[str, str]:
    """(server base URL, root path below the proxy) for an artifact root URI."""
    parts = urlsplit(root_uri)
    if parts.scheme == "mlflow-artifacts":
        if parts.netloc:
            base_scheme = urlsplit(tracking_uri).scheme if tracking_uri else "http"
            base = f"{base_scheme if base_scheme in ('http', 'https') else 'http'}://{parts.netloc}"
        else:
            base = tracking_uri or config.tracking_uri() or ""
            if urlsplit(base).scheme not in ("http", "https"):
                raise InvalidParameterValue(
                    f"Artifact URI {root_uri!r} needs an http(s) tracking URI to resolve against, got {base!r}"
                )
        return base.rstrip("/"), parts.path.strip("/")
    if parts.scheme in ("http", "https"):
        index = parts.path.find(ARTIFACTS_PREFIX)
        if index < 0:
            raise InvalidParameterValue(f"Not an artifact proxy URI: {root_uri!r}")
        base = f"{parts.scheme}://{parts.netloc}{parts.path[:index]}"
        return base.rstrip("/"), parts.path[index + len(ARTIFACTS_PREFIX):].strip("/")
    raise InvalidParameterValue(f"Not an artifact proxy URI: {root_uri!r}")


class HttpArtifactStore(ArtifactStore):
    def __init__(self, root_uri: str, tracking_uri: str | None = None) -> None:
        super().__init__(root_uri)
        base, self.root_path = _split_root(root_uri, tracking_uri)
        self.http = HttpClient(base)

    def _full(self, path: str | None, field: str = "artifact_path") -> tuple[str, str]:
        rel = safe_relative_path(path, field)
        return rel, "/".join(p for p in (self.root_path, rel) if p)

    def _file_path(self, full: str) -> str:
        return f"{ARTIFACTS_PREFIX}/{quote(full, safe='/')}"

    def _put(self, full: str, body: Any) -> None:
        response = self.http.request("PUT", self._file_path(full), body=body, idempotent=True, json_body=False)
        response.release_conn()

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        if not os.path.isfile(local_file):
            raise ResourceDoesNotExist(f"Local file {local_file!r} does not exist")
        prefix = safe_relative_path(artifact_path)
        name = os.path.basename(local_file)
        _, full = self._full(f"{prefix}/{name}" if prefix else name)
        with open(local_file, "rb") as f:
            self._put(full, f)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        if not os.path.isdir(local_dir):
            raise ResourceDoesNotExist(f"Local directory {local_dir!r} does not exist")
        prefix = safe_relative_path(artifact_path)
        for dirpath, _, filenames in os.walk(local_dir):
            rel_dir = os.path.relpath(dirpath, local_dir).replace(os.sep, "/")
            target = "/".join(p for p in (prefix, "" if rel_dir == "." else rel_dir) if p)
            for filename in filenames:
                self.log_artifact(os.path.join(dirpath, filename), target or None)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        rel, full = self._full(path, "path")
        response = self.http.request("GET", ARTIFACTS_PREFIX, fields=urlencode({"path": full}), idempotent=True)
        body = json.loads(response.data or b"{}")
        infos = [codec.decode_file_info(f, rel or None) for f in body.get("files", ())]
        # A listing of a file (not a directory) comes back as the file itself on some servers.
        return sorted((i for i in infos if i.path != rel), key=lambda i: i.path)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        rel, _ = self._full(artifact_path)
        dst_root = tempfile.mkdtemp() if dst_path is None else os.path.abspath(dst_path)
        dst = os.path.join(dst_root, *rel.split("/")) if rel else dst_root
        children = self.list_artifacts(rel or None)
        if children or not rel:
            os.makedirs(dst, exist_ok=True)
            for child in children:
                if child.is_dir:
                    self.download_artifacts(child.path, dst_root)
                else:
                    self._download_file(child.path, os.path.join(dst_root, *child.path.split("/")))
            return dst
        self._download_file(rel, dst)
        return dst

    def _download_file(self, rel: str, local_path: str) -> None:
        os.makedirs(os.path.dirname(local_path), exist_ok=True)
        with self.open_reader(rel) as reader, open(local_path, "wb") as out:
            for chunk in reader.chunks(_CHUNK):
                out.write(chunk)

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        _, full = self._full(artifact_path)
        response = self.http.request("DELETE", self._file_path(full), idempotent=True, json_body=False)
        response.release_conn()

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        rel, full = self._full(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required")
        self._put(full, bytes(data))

    def read_bytes(self, artifact_file: str) -> bytes:
        with self.open_reader(artifact_file) as reader:
            return reader.read()

    def open_writer(self, artifact_file: str) -> ArtifactWriter:
        rel, full = self._full(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required")
        return _SpooledUpload(self, full)

    def open_reader(self, artifact_file: str) -> ArtifactReader:
        rel, full = self._full(artifact_file, "artifact_file")
        response = self.http.request("GET", self._file_path(full), idempotent=True, stream=True)
        return _ResponseReader(response)


class _SpooledUpload(ArtifactWriter):
    """Chunks spooled to a local temporary file (memory stays flat), sent in one streamed PUT."""

    def __init__(self, store: HttpArtifactStore, full: str) -> None:
        self.store, self.full = store, full
        self.file = tempfile.TemporaryFile()

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)

    def commit(self) -> None:
        try:
            self.file.seek(0)
            self.store._put(self.full, self.file)
        finally:
            self.file.close()

    def abort(self) -> None:
        self.file.close()


class _ResponseReader(ArtifactReader):
    def __init__(self, response) -> None:
        self.response = response
        length = response.headers.get("content-length")
        self.size = int(length) if length is not None else -1

    def read(self, n: int = -1) -> bytes:
        return self.response.read() if n is None or n < 0 else self.response.read(n)

    def close(self) -> None:
        self.response.release_conn()


