"""The same raw REST requests to a runyard server and to a real ``mlflow server`` 3.17.2 give JSON of
the same shape: the same keys (present or left out alike, empty lists included), the same value
types, the same error codes and HTTP statuses.

Clients written against MLflow (the web UI, the Java and R clients, hand-written scripts) read the
JSON directly; the stock Python client tolerating a difference is not enough.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.compat.names import unique

API = "/api/2.0/mlflow"


class Wire:
    """Raw requests to one server; answers are (status, parsed JSON body)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             content_type: str = "application/json") -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": content_type} if data is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                status, payload = error.code, error.read()
        return status, json.loads(payload) if payload else None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.send(method, API + path, body)
        assert status == 200, (self.url, path, answer)
        return answer


def shape(value: Any) -> Any:
    """Keys and value types, recursively; a list is the set of its items' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item), sort_keys=True) for item in value})
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _error(answer: tuple[int, Any]) -> tuple[int, str, bool]:
    status, body = answer
    return status, body["error_code"], bool(body.get("message"))


def _conversation(wire: Wire) -> dict[str, Any]:
    """One fixed sequence of requests; each step's answer as a shape (or an error triple)."""
    out: dict[str, Any] = {}
    bare = wire.call("POST", "/experiments/create", {"name": unique("bare")})["experiment_id"]
    out["experiment without tags"] = shape(wire.call("GET", f"/experiments/get?experiment_id={bare}"))
    name = unique("wire")
    experiment_id = wire.call("POST", "/experiments/create",
                              {"name": name, "tags": [{"key": "team", "value": "a"}]})["experiment_id"]
    out["experiment"] = shape(wire.call("GET", f"/experiments/get?experiment_id={experiment_id}"))
    out["experiment by name"] = shape(wire.call("GET", f"/experiments/get-by-name?experiment_name={name}"))
    out["experiment search"] = shape(wire.call("POST", "/experiments/search",
                                               {"filter": f"name = '{name}'", "max_results": 10}))
    out["experiment search, nothing"] = shape(wire.call("POST", "/experiments/search",
                                                        {"filter": f"name = '{unique('none')}'", "max_results": 10}))

    created = wire.call("POST", "/runs/create", {"experiment_id": experiment_id, "start_time": 1_700_000_000_000,
                                                 "run_name": "r", "user_id": "ada"})
    out["run create"] = shape(created)
    run_id = created["run"]["info"]["run_id"]
    out["empty run"] = shape(wire.call("GET", f"/runs/get?run_id={run_id}"))
    out["empty history"] = shape(wire.call("GET", f"/metrics/get-history?run_id={run_id}&metric_key=loss"))
    out["empty artifact list"] = shape(wire.call("GET", f"/artifacts/list?run_id={run_id}"))
    out["log-metric"] = wire.call("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5,
                                                               "timestamp": 1_700_000_000_001, "step": 2})
    wire.call("POST", "/runs/log-metric", {"run_id": run_id, "key": "odd", "value": "NaN", "timestamp": 1})
    out["log-parameter"] = wire.call("POST", "/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    out["set-tag"] = wire.call("POST", "/runs/set-tag", {"run_id": run_id, "key": "t", "value": "v"})
    out["log-batch"] = wire.call("POST", "/runs/log-batch", {"run_id": run_id, "params": [{"key": "b", "value": "1"}]})
    dataset = {"name": "d", "digest": "abc", "source_type": "local", "source": "{}", "schema": "{}", "profile": "{}"}
    out["log-inputs"] = wire.call("POST", "/runs/log-inputs", {"run_id": run_id, "datasets": [
        {"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset},
        {"dataset": {**dataset, "name": "untagged"}}]})
    out["run with data"] = shape(wire.call("GET", f"/runs/get?run_id={run_id}"))
    out["run update"] = shape(wire.call("POST", "/runs/update", {"run_id": run_id, "status": "FINISHED",
                                                                 "end_time": 1_700_000_000_500}))
    out["run search"] = shape(wire.call("POST", "/runs/search", {"experiment_ids": [experiment_id]}))
    out["run search, nothing"] = shape(wire.call("POST", "/runs/search", {"experiment_ids": [experiment_id],
                                                                          "filter": "params.lr = 'nope'"}))
    out["history"] = shape(wire.call("GET", f"/metrics/get-history?run_id={run_id}&metric_key=loss"))
    out["history bulk"] = shape(wire.call(
        "GET", f"/metrics/get-history-bulk-interval?run_ids={run_id}&metric_key=loss&max_results=10"))

    status, _ = wire.send("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/d/f.txt",
                          raw=b"hello", content_type="application/octet-stream")
    assert status == 200
    out["artifact list"] = shape(wire.call("GET", f"/artifacts/list?run_id={run_id}"))
    out["artifact list of a dir"] = shape(wire.call("GET", f"/artifacts/list?run_id={run_id}&path=d"))
    out["proxy list"] = shape(wire.send("GET", f"/api/2.0/mlflow-artifacts/artifacts?path={experiment_id}/{run_id}"
                                               "/artifacts/d")[1])

    model = wire.call("POST", "/logged-models", {"experiment_id": experiment_id, "name": "m", "model_type": "clf",
                                                 "source_run_id": run_id,
                                                 "params": [{"key": "C", "value": "1"}],
                                                 "tags": [{"key": "k", "value": "v"}]})
    out["logged model create"] = shape(model)
    model_id = model["model"]["info"]["model_id"]
    out["logged model finalize"] = shape(wire.call("PATCH", f"/logged-models/{model_id}",
                                                   {"model_id": model_id, "status": "LOGGED_MODEL_READY"}))
    wire.call("POST", "/runs/log-metric", {"run_id": run_id, "key": "acc", "value": 0.9, "timestamp": 5,
                                           "model_id": model_id})
    out["logged model"] = shape(wire.call("GET", f"/logged-models/{model_id}"))
    out["logged model search"] = shape(wire.call("POST", "/logged-models/search",
                                                 {"experiment_ids": [experiment_id]}))
    out["logged model search, nothing"] = shape(wire.call("POST", "/logged-models/search",
                                                          {"experiment_ids": [bare]}))
    out["run outputs"] = wire.call("POST", "/runs/outputs", {"run_id": run_id,
                                                             "models": [{"model_id": model_id, "step": 1}]})
    out["run with outputs"] = shape(wire.call("GET", f"/runs/get?run_id={run_id}"))

    out["missing experiment"] = _error(wire.send("GET", f"{API}/experiments/get?experiment_id=424242"))
    out["missing run"] = _error(wire.send("GET", f"{API}/runs/get?run_id={'0' * 32}"))
    out["missing logged model"] = _error(wire.send("GET", f"{API}/logged-models/m-{'0' * 32}"))
    out["duplicate experiment"] = _error(wire.send("POST", f"{API}/experiments/create", {"name": name}))
    out["changed param"] = _error(wire.send("POST", f"{API}/runs/log-parameter",
                                            {"run_id": run_id, "key": "lr", "value": "0.2"}))
    out["bad filter"] = _error(wire.send("POST", f"{API}/runs/search", {"experiment_ids": [experiment_id],
                                                                        "filter": "metrics.loss >>> 1"}))
    out["missing field"] = _error(wire.send("POST", f"{API}/runs/log-metric", {"run_id": run_id, "key": "x",
                                                                               "timestamp": 1}))
    out["max_results too big"] = _error(wire.send("POST", f"{API}/runs/search", {"experiment_ids": [experiment_id],
                                                                                 "max_results": 50001}))
    return out


def test_same_requests_same_shapes(runyard_server, mlflow_server):
    expected = _conversation(Wire(mlflow_server.url))
    actual = _conversation(Wire(runyard_server.url))
    assert actual.keys() == expected.keys()
    differences = {step: {"runyard": actual[step], "mlflow": expected[step]}
                   for step in expected if actual[step] != expected[step]}
    assert differences == {}
