"""An OpenAPI 3.1 document of the REST API, generated from the endpoint and message tables the
server routes with, so it cannot drift from what is served."""

from __future__ import annotations

from typing import Any

from runyard.version import __version__
from runyard.wire.endpoints import ARTIFACTS_PREFIX, ENDPOINTS
from runyard.wire.messages import MESSAGES, Enum


def _schema(kind: Any) -> dict[str, Any]:
    if isinstance(kind, list):
        return {"type": "array", "items": _schema(kind[0])}
    if isinstance(kind, dict):
        required = [name.rstrip("!") for name in kind if name.endswith("!")]
        body: dict[str, Any] = {
            "type": "object",
            "properties": {name.rstrip("!"): _schema(sub) for name, sub in kind.items()},
        }
        if required:
            body["required"] = required
        return body
    if isinstance(kind, Enum):
        return {"type": "string", "enum": list(kind.names)}
    return {str: {"type": "string"}, int: {"type": "integer", "format": "int64"},
            float: {"type": "number", "format": "double"}, bool: {"type": "boolean"}}[kind]


_ERROR = {"description": "MLflow error envelope",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        path = endpoint.api_path
        operation: dict[str, Any] = {
            "operationId": f"{endpoint.message}_{endpoint.method.lower()}",
            "summary": endpoint.message,
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                          "400": _ERROR, "404": _ERROR},
        }
        schema = _schema(MESSAGES[endpoint.message])
        params = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
        parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        if endpoint.method == "GET":
            for name, prop in schema["properties"].items():
                if name not in params:
                    parameters.append({"name": name, "in": "query",
                                       "required": name in schema.get("required", ()), "schema": prop})
        else:
            operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[endpoint.method.lower()] = operation
    artifact = {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
    paths[ARTIFACTS_PREFIX + "/{path}"] = {
        "get": {"summary": "Download an artifact (streamed)", "parameters": [artifact],
                "responses": {"200": {"description": "file content"}, "404": _ERROR}},
        "put": {"summary": "Upload an artifact (streamed)", "parameters": [artifact],
                "requestBody": {"content": {"application/octet-stream": {}}},
                "responses": {"200": {"description": "OK"}, "400": _ERROR}},
        "delete": {"summary": "Delete an artifact", "parameters": [artifact],
                   "responses": {"200": {"description": "OK"}}},
    }
    paths[ARTIFACTS_PREFIX] = {"get": {
        "summary": "List artifacts", "parameters": [{"name": "path", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "files"}}}}
    for path, summary in (("/health", "Liveness"), ("/version", "Server version")):
        paths[path] = {"get": {"summary": summary, "responses": {"200": {"description": "text"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "runyard tracking server (MLflow-compatible REST API)", "version": __version__},
        "paths": paths,
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error_code", "message"],
            "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
        }}},
    }
