"""Streaming reads and writes of one S3 object, never holding more than a part in memory.

A write stays in memory until it passes ``part_size``; from then on it is a multipart upload whose
parts go up as they fill. Nothing is visible under the key until ``commit`` (S3 publishes a
``put_object`` or a completed multipart upload atomically); ``abort`` cancels the upload.
"""

from __future__ import annotations

from typing import Any

from runyard.errors import InvalidState
from runyard.stores.artifact_store import ArtifactReader, ArtifactWriter
from runyard.stores.artifacts.s3_connection import s3_errors

# S3 allows at most 10,000 parts; doubling the part size every 1,000 parts lifts the largest
# object from 10,000 x part_size to over 1,000,000 x part_size (past S3's 5 TB limit at 8 MiB).
_PARTS_PER_SIZE = 1000
_MAX_PARTS = 10_000


class S3ArtifactWriter(ArtifactWriter):
    """Buffers up to one part; switches to a multipart upload once the buffer passes ``part_size``."""

    def __init__(self, client: Any, bucket: str, key: str, rel: str, part_size: int) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._rel = rel
        self._part_size = part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self._done = False

    @property
    def upload_id(self) -> str | None:
        """The multipart upload's id once one was started (None while everything fits one part)."""
        return self._upload_id

    def write(self, chunk: bytes) -> None:
        self._check_open()
        self._buffer += chunk
        try:
            while len(self._buffer) >= self._next_part_size():
                self._upload_part(self._next_part_size())
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        self._check_open()
        self._done = True
        try:
            if self._upload_id is None:
                with s3_errors("upload the artifact", self._rel, self._bucket):
                    self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
            else:
                if self._buffer:
                    self._upload_part(len(self._buffer))
                with s3_errors("complete the upload of the artifact", self._rel, self._bucket):
                    self._client.complete_multipart_upload(
                        Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                        MultipartUpload={"Parts": self._parts},
                    )
        except BaseException:
            self._cancel()
            raise
        self._buffer = bytearray()

    def abort(self) -> None:
        """Drop the buffer and cancel the multipart upload; a no-op once committed or aborted."""
        if not self._done:
            self._done = True
            self._cancel()

    def _cancel(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=upload_id)
        except Exception:  # noqa: BLE001 - abort must not mask the error that caused it; the bucket's
            pass  # lifecycle rule for incomplete multipart uploads removes what is left

    def _check_open(self) -> None:
        if self._done:
            raise InvalidState("This artifact upload was already committed or aborted")

    def _next_part_size(self) -> int:
        return self._part_size << (len(self._parts) // _PARTS_PER_SIZE)

    def _upload_part(self, size: int) -> None:
        if self._upload_id is None:
            with s3_errors("start a multipart upload of the artifact", self._rel, self._bucket):
                self._upload_id = self._client.create_multipart_upload(
                    Bucket=self._bucket, Key=self._key, **_checksum_args(self._client)
                )["UploadId"]
        number = len(self._parts) + 1
        if number > _MAX_PARTS:
            raise InvalidState(f"Artifact {self._rel!r} is too large for one S3 object ({_MAX_PARTS} parts)")
        with memoryview(self._buffer) as view:  # one copy of the part, not two
            body = bytes(view[:size])
        del self._buffer[:size]
        with s3_errors("upload a part of the artifact", self._rel, self._bucket):
            response = self._client.upload_part(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body,
            )
        part = {"ETag": response["ETag"], "PartNumber": number}
        part.update({name: value for name, value in response.items() if name.startswith("Checksum")
                     and name != "ChecksumType"})
        self._parts.append(part)


def _checksum_args(client: Any) -> dict[str, str]:
    """What s3transfer does: with botocore's default ``when_supported`` checksums, declare CRC32 on
    the upload so the per-part checksums botocore computes are checked again on completion."""
    if getattr(client.meta.config, "request_checksum_calculation", None) == "when_supported":
        return {"ChecksumAlgorithm": "CRC32"}
    return {}


class S3ArtifactReader(ArtifactReader):
    """The streaming body of a ``get_object`` response; ``size`` is its ContentLength."""

    def __init__(self, response: dict[str, Any], rel: str) -> None:
        self._body = response["Body"]
        self._rel = rel
        self.size = int(response["ContentLength"])

    def read(self, n: int = -1) -> bytes:
        with s3_errors("read the artifact", self._rel):
            return self._body.read(None if n is None or n < 0 else n)

    def close(self) -> None:
        self._body.close()
