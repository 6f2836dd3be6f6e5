"""One exception tree for runyard.

Every class carries MLflow's wire ``error_code`` and the HTTP status MLflow maps it to, so the
server can answer with MLflow's error envelope and the REST client can rebuild the same class.
``RunyardException`` is also exported as ``MlflowException`` for code written against MLflow.
"""

from __future__ import annotations

import json
from typing import Any

_STATUS_BY_CODE: dict[str, int] = {
    "BAD_REQUEST": 400,
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_STATE": 500,
    "UNAUTHENTICATED": 401,
    "CUSTOMER_UNAUTHORIZED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "ABORTED": 409,
    "RESOURCE_CONFLICT": 409,
    "ALREADY_EXISTS": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL_ERROR": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}

_ERROR_CLASS_BY_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_NOT_FOUND",
    409: "CONFLICT",
    429: "RESOURCE_EXHAUSTED",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
}


def http_status_for(error_code: str) -> int:
    """HTTP status MLflow answers with for ``error_code`` (500 for unknown codes)."""
    return _STATUS_BY_CODE.get(error_code, 500)


class RunyardException(Exception):
    """Base of every runyard error; ``error_code`` is MLflow's wire code."""

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: Any, error_code: str | None = None, **kwargs: Any) -> None:
        self.message = str(message)
        if error_code is not None:
            # MLflow code passes codes as names or as protobuf enum ints; only names reach us.
            self.error_code = str(error_code)
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def get_http_status_code(self) -> int:
        return http_status_for(self.error_code)

    def serialize_as_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        body = {"error_code": self.error_code, "message": self.message}
        error_class = _ERROR_CLASS_BY_STATUS.get(self.get_http_status_code())
        if error_class:
            body["error_class"] = error_class
        body.update(self.json_kwargs)
        return body

    @classmethod
    def invalid_parameter_value(cls, message: str, **kwargs: Any) -> "RunyardException":
        return InvalidParameterValue(message, **kwargs)


MlflowException = RunyardException


class BadRequest(RunyardException):
    error_code = "BAD_REQUEST"


class InvalidParameterValue(RunyardException):
    error_code = "INVALID_PARAMETER_VALUE"


class ResourceAlreadyExists(RunyardException):
    error_code = "RESOURCE_ALREADY_EXISTS"


class ResourceDoesNotExist(RunyardException):
    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(RunyardException):
    error_code = "ENDPOINT_NOT_FOUND"


class InvalidState(RunyardException):
    error_code = "INVALID_STATE"


class InternalError(RunyardException):
    error_code = "INTERNAL_ERROR"


class Unauthenticated(RunyardException):
    error_code = "UNAUTHENTICATED"


class PermissionDenied(RunyardException):
    error_code = "PERMISSION_DENIED"


class ResourceConflict(RunyardException):
    error_code = "RESOURCE_CONFLICT"


class Aborted(RunyardException):
    error_code = "ABORTED"


class RequestLimitExceeded(RunyardException):
    error_code = "REQUEST_LIMIT_EXCEEDED"


class TemporarilyUnavailable(RunyardException):
    error_code = "TEMPORARILY_UNAVAILABLE"


class DeadlineExceeded(RunyardException):
    error_code = "DEADLINE_EXCEEDED"


class NotImplementedFeature(RunyardException):
    error_code = "NOT_IMPLEMENTED"


_CLASS_BY_CODE: dict[str, type[RunyardException]] = {
    cls.error_code: cls
    for cls in (
        BadRequest, InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist,
        EndpointNotFound, InvalidState, InternalError, Unauthenticated, PermissionDenied,
        ResourceConflict, Aborted, RequestLimitExceeded, TemporarilyUnavailable,
        DeadlineExceeded, NotImplementedFeature,
    )
}


def from_error_code(error_code: str, message: str) -> RunyardException:
    """Rebuild the runyard exception class that carries ``error_code``."""
    cls = _CLASS_BY_CODE.get(error_code)
    if cls is None:
        return RunyardException(message, error_code=error_code)
    return cls(message)
