"""Artifacts in an S3-compatible object store, rooted at ``s3://bucket/prefix``.

Every relative path passes :func:`safe_relative_path` before it becomes a key, and keys are built
as ``<prefix>/<path>``, so no request can name a key outside the root prefix. Keys found in the
bucket are checked the same way before they become local paths (a listing or download never
returns ``..``-style names somebody else wrote there).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlparse

from runyard import config
from runyard.entities import FileInfo
from runyard.errors import InternalError, InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from runyard.stores.artifact_store import ArtifactReader, ArtifactStore, ArtifactWriter
from runyard.stores.artifacts.local_tree import walk_local_dir
from runyard.stores.artifacts.paths import contained_path, safe_relative_path
from runyard.stores.artifacts.s3_connection import is_not_found, s3_client, s3_errors
from runyard.stores.artifacts.s3_streams import S3ArtifactReader, S3ArtifactWriter

# S3's rules plus the legacy upper-case/underscore names some S3-compatible servers still allow.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")
_DELETE_BATCH = 1000  # DeleteObjects' limit
_TRANSFER_CONCURRENCY = 8


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix``; the prefix is normalised and has no '/' ends."""
    parsed = urlparse(uri)
    if parsed.scheme.lower() != "s3" or not parsed.netloc:
        raise InvalidParameterValue(f"Invalid S3 artifact URI {uri!r}: expected s3://<bucket>/<prefix>")
    if parsed.query or parsed.fragment or parsed.params:
        raise InvalidParameterValue(f"Invalid S3 artifact URI {uri!r}: '?', '#' and ';' are not allowed")
    if not _BUCKET.match(parsed.netloc):
        raise InvalidParameterValue(f"Invalid S3 artifact URI {uri!r}: {parsed.netloc!r} is not a bucket name")
    return parsed.netloc, safe_relative_path(parsed.path.lstrip("/"), "artifact root")


class S3ArtifactStore(ArtifactStore):
    """Files below ``s3://bucket/prefix``; ``part_size`` is where uploads switch to multipart."""

    def __init__(self, root_uri: str, part_size: int | None = None) -> None:
        super().__init__(root_uri)
        self.bucket, self.prefix = parse_s3_uri(root_uri)
        self.part_size = part_size if part_size is not None else config.s3_multipart_threshold_bytes()
        self._client: Any = None

    # -- keys ------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def _key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix and rel else (self.prefix or rel)

    def _dir_prefix(self, rel: str) -> str:
        key = self._key(rel)
        return f"{key}/" if key else ""

    def _file_rel(self, artifact_file: str) -> str:
        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required")
        return rel

    def _errors(self, action: str, rel: str | None) -> AbstractContextManager[None]:
        return s3_errors(action, rel or "/", self.bucket)

    def _iter_objects(self, rel: str) -> Iterator[dict[str, Any]]:
        """Every object below the directory ``rel`` (no delimiter: the whole tree), page by page."""
        with self._errors("list artifacts", rel):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._dir_prefix(rel))
            for page in pages:
                yield from page.get("Contents", ())

    def _is_dir(self, rel: str) -> bool:
        with self._errors("list artifacts", rel):
            page = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._dir_prefix(rel), MaxKeys=1)
        return bool(page.get("KeyCount") or page.get("Contents"))

    def _refuse_directory(self, rel: str) -> None:
        if self._is_dir(rel):
            raise InvalidParameterValue(f"Cannot overwrite the artifact directory {rel!r} with a file")

    def _transfer_manager(self) -> Any:
        client = self.client  # first: it explains a missing boto3
        from boto3.s3.transfer import TransferConfig, create_transfer_manager  # noqa: PLC0415 - optional dependency

        settings = TransferConfig(multipart_threshold=self.part_size, multipart_chunksize=self.part_size,
                                  max_concurrency=_TRANSFER_CONCURRENCY)
        return create_transfer_manager(client, settings)

    # -- uploads ---------------------------------------------------------------------------
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Upload one local file to ``<root>/<artifact_path>/<basename>`` (multipart when large)."""
        if not os.path.exists(local_file):
            raise ResourceDoesNotExist(f"Local file {local_file!r} does not exist")
        if os.path.isdir(local_file):
            raise InvalidParameterValue(f"{local_file!r} is a directory; use log_artifacts")
        prefix = safe_relative_path(artifact_path)
        name = os.path.basename(local_file)
        rel = safe_relative_path(f"{prefix}/{name}" if prefix else name)
        self._refuse_directory(rel)
        self._upload([(local_file, rel)])

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Upload the files below ``local_dir`` (recursively) into ``artifact_path``.

        Object stores have no directories, so empty local directories leave no trace.
        """
        if not os.path.isdir(local_dir):
            raise ResourceDoesNotExist(f"Local directory {local_dir!r} does not exist")
        prefix = safe_relative_path(artifact_path)
        files = []
        for dirpath, rel_dir, _, filenames in walk_local_dir(local_dir):
            base = "/".join(p for p in (prefix, rel_dir) if p)
            for filename in filenames:
                files.append((os.path.join(dirpath, filename),
                              safe_relative_path(f"{base}/{filename}" if base else filename)))
        self._upload(files)

    def _upload(self, files: list[tuple[str, str]]) -> None:
        if not files:
            return
        rel = files[0][1] if len(files) == 1 else None
        with self._errors("upload artifacts", rel), self._transfer_manager() as manager:
            futures = [manager.upload(local, self.bucket, self._key(rel)) for local, rel in files]
            for future in futures:
                future.result()

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        """Store ``data`` as ``artifact_file`` in one request."""
        rel = self._file_rel(artifact_file)
        self._refuse_directory(rel)
        with self._errors("upload the artifact", rel):
            self.client.put_object(Bucket=self.bucket, Key=self._key(rel), Body=bytes(data))

    def open_writer(self, artifact_file: str) -> ArtifactWriter:
        """A writer that buffers one part, then streams a multipart upload; published on commit."""
        rel = self._file_rel(artifact_file)
        # Checked before any byte arrives, so a bad path, a directory or a missing bucket fails fast.
        self._refuse_directory(rel)
        return S3ArtifactWriter(self.client, self.bucket, self._key(rel), rel, self.part_size)

    # -- reads -----------------------------------------------------------------------------
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` with root-relative paths, sorted; [] when absent."""
        rel = safe_relative_path(path, "path")
        prefix = self._dir_prefix(rel)
        infos = []
        with self._errors("list artifacts", rel):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/")
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    name = common["Prefix"][len(prefix):-1]
                    if _is_plain_name(name):
                        infos.append(FileInfo(path=f"{rel}/{name}" if rel else name, is_dir=True, file_size=None))
                for obj in page.get("Contents", ()):
                    name = obj["Key"][len(prefix):]
                    if _is_plain_name(name):  # '' is a "folder" marker object, not a child
                        infos.append(FileInfo(path=f"{rel}/{name}" if rel else name, is_dir=False,
                                              file_size=int(obj["Size"])))
        return sorted(infos, key=lambda info: info.path)

    def read_bytes(self, artifact_file: str) -> bytes:
        """The content of ``artifact_file``; ResourceDoesNotExist when it is not a file."""
        with self._open_existing(self._file_rel(artifact_file)) as reader:
            return reader.read()

    def open_reader(self, artifact_file: str) -> ArtifactReader:
        """A streaming reader of ``artifact_file``; InvalidParameterValue when it is a directory."""
        rel = safe_relative_path(artifact_file, "artifact_file")
        if not rel:
            raise InvalidParameterValue("Invalid artifact_file: a file name is required, not the artifact root")
        try:
            return self._open_existing(rel)
        except ResourceDoesNotExist:
            if self._is_dir(rel):
                raise InvalidParameterValue(f"Invalid artifact_file {rel!r}: it is a directory") from None
            raise

    def _open_existing(self, rel: str) -> ArtifactReader:
        """A reader of the object at ``rel``; a directory counts as missing (one request, no listing)."""
        with self._errors("read the artifact", rel):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(rel))
            except Exception as exc:
                if is_not_found(exc):
                    raise ResourceDoesNotExist(f"No artifact file found at path {rel!r}") from None
                raise
        return S3ArtifactReader(response, rel)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or directory to ``<dst_path>/<artifact_path>`` and return that local path."""
        rel = safe_relative_path(artifact_path)
        is_file = bool(rel) and self._is_file(rel)
        if is_file:
            files = [rel]
        else:
            dir_prefix = self._dir_prefix(rel)
            # Keys that are not canonical paths (``a/../b``, ``a//b``, folder markers) are skipped,
            # as a listing skips them: none of them may choose where a local file lands.
            files = [f"{rel}/{sub}" if rel else sub for obj in self._iter_objects(rel)
                     if _is_canonical(sub := obj["Key"][len(dir_prefix):])]
            if rel and not files:
                raise ResourceDoesNotExist(f"No artifact found at path {rel!r}")
        dst_root = tempfile.mkdtemp() if dst_path is None else os.path.abspath(dst_path)
        dst = _local_path(dst_root, rel)
        os.makedirs(os.path.dirname(dst) if is_file else dst, exist_ok=True)
        with self._errors("download artifacts", rel), self._transfer_manager() as manager:
            futures = []
            for file_rel in files:
                contained_path(dst_root, file_rel)  # refuses a symlinked local directory leading out
                local = _local_path(dst_root, file_rel)
                os.makedirs(os.path.dirname(local), exist_ok=True)
                futures.append(manager.download(self.bucket, self._key(file_rel), local))
            for future in futures:
                future.result()
        return dst

    def _is_file(self, rel: str) -> bool:
        with self._errors("read the artifact", rel):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(rel))
            except Exception as exc:
                if is_not_found(exc):
                    return False
                raise
        return True

    # -- deletes ---------------------------------------------------------------------------
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Remove a file and/or everything below a directory (the whole root when no path is given)."""
        rel = safe_relative_path(artifact_path)
        batch = [self._key(rel)] if rel else []
        for obj in self._iter_objects(rel):
            batch.append(obj["Key"])
            if len(batch) == _DELETE_BATCH:
                self._delete_keys(rel, batch)
                batch = []
        if batch:
            self._delete_keys(rel, batch)

    def _delete_keys(self, rel: str, keys: list[str]) -> None:
        with self._errors("delete artifacts", rel):
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            code, message = errors[0].get("Code"), errors[0].get("Message")
            error = PermissionDenied if code == "AccessDenied" else InternalError
            raise error(f"S3 could not delete {len(errors)} artifact(s) at path {rel or '/'!r}: {message} ({code})")


def _local_path(root: str, rel: str) -> str:
    return os.path.join(root, *rel.split("/")) if rel else root


def _is_plain_name(name: str) -> bool:
    """A single, canonical path segment (what a listing may show)."""
    return bool(name) and "/" not in name and _is_canonical(name)


def _is_canonical(sub: str) -> bool:
    """Whether a key's relative part is a valid path already in normal form (no '', '.', '..')."""
    try:
        return bool(sub) and safe_relative_path(sub) == sub
    except InvalidParameterValue:
        return False
