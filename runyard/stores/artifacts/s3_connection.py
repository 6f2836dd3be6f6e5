"""The boto3 S3 client (built lazily, shared per configuration) and botocore error translation.

boto3 is imported here, inside functions, only when an ``s3://`` store is first used, so that
``import runyard`` stays light. Credentials and region come from the usual AWS sources (boto3
reads ``AWS_*`` itself); the endpoint and TLS setting come from :mod:`runyard.config`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runyard import config
from runyard.errors import (
    InternalError,
    InvalidParameterValue,
    NotImplementedFeature,
    PermissionDenied,
    ResourceDoesNotExist,
    RunyardException,
    TemporarilyUnavailable,
)

_MAX_CACHED_CLIENTS = 8
_clients: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccountProblem"}
_BAD_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                    "TokenRefreshRequired"}
_UNAVAILABLE = {"SlowDown", "ServiceUnavailable", "503", "RequestTimeout", "InternalError", "500",
                "RequestTimeTooSkewed", "Throttling"}


def s3_client() -> Any:
    """A boto3 S3 client for the current endpoint / TLS / AWS environment (thread-safe, shared)."""
    key = (config.s3_endpoint_url(), config.s3_ignore_tls(), config.aws_client_environment())
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _new_client(endpoint_url=key[0], verify=not key[1])
            if len(_clients) >= _MAX_CACHED_CLIENTS:
                _clients.clear()
            _clients[key] = client
    return client


def _new_client(endpoint_url: str | None, verify: bool) -> Any:
    try:
        import boto3  # noqa: PLC0415 - optional dependency, kept off `import runyard`'s path
        from botocore.config import Config  # noqa: PLC0415
    except ImportError:
        raise NotImplementedFeature(
            "s3:// artifact storage needs boto3: pip install 'runyard[s3]'"
        ) from None
    settings = Config(
        signature_version="s3v4",
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=32,  # log_artifacts and downloads run transfers in parallel
    )
    # A session per client: boto3's default session is not safe to create clients from concurrently.
    with s3_errors("connect to S3", None):
        return boto3.session.Session().client("s3", endpoint_url=endpoint_url, verify=verify, config=settings)


def error_code(exc: BaseException) -> str | None:
    """The S3 error code of a botocore ClientError (``NoSuchKey``, ``404``, ...), else None."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    if code is None:
        code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None if code is None else str(code)


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) in _NOT_FOUND


def translate(exc: BaseException, action: str, path: str | None, bucket: str | None = None) -> RunyardException:
    """The runyard error for a botocore / boto3 / s3transfer exception raised while doing ``action``."""
    from botocore import exceptions as bx  # noqa: PLC0415 - only reached once boto3 is loaded

    where = f" at path {path!r}" if path else ""
    code = error_code(exc)
    if code is not None:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message") or code
        if code in _NOT_FOUND:
            return ResourceDoesNotExist(f"No artifact found{where}")
        if code == "NoSuchBucket":
            named = f" {bucket!r}" if bucket else ""
            return ResourceDoesNotExist(f"S3 bucket{named} does not exist")
        if code == "NoSuchUpload":
            return ResourceDoesNotExist(f"The multipart upload{where} no longer exists (it was aborted)")
        if code in _DENIED:
            return PermissionDenied(f"S3 denied access while trying to {action}{where} ({code})")
        if code in _BAD_CREDENTIALS:
            return PermissionDenied(f"S3 rejected the configured credentials while trying to {action} ({code})")
        if code in _UNAVAILABLE:
            return TemporarilyUnavailable(f"S3 is temporarily unavailable; could not {action}{where} ({code})")
        if code in ("InvalidBucketName", "KeyTooLongError", "EntityTooLarge"):
            return InvalidParameterValue(f"S3 refused to {action}{where}: {message} ({code})")
        return InternalError(f"S3 could not {action}{where}: {message} ({code})")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return PermissionDenied(
            "No usable AWS credentials for S3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or AWS_PROFILE, or an instance role)"
        )
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                        bx.ConnectionClosedError, bx.ResponseStreamingError, bx.IncompleteReadError)):
        return TemporarilyUnavailable(f"Could not {action}{where}: the S3 endpoint did not answer ({exc})")
    if isinstance(exc, bx.ParamValidationError):
        return InvalidParameterValue(f"Could not {action}{where}: {exc}")
    return InternalError(f"Could not {action}{where}: {type(exc).__name__}: {exc}")


def _is_boto_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.split(".", 1)[0] in ("botocore", "boto3", "s3transfer", "urllib3")


@contextmanager
def s3_errors(action: str, path: str | None, bucket: str | None = None) -> Iterator[None]:
    """Turn storage-client errors raised in the block into runyard errors naming ``action``."""
    try:
        yield
    except RunyardException:
        raise
    except Exception as exc:
        if not _is_boto_error(exc):
            raise
        raise translate(exc, action, path, bucket) from exc
