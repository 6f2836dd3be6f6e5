"""The scoring app in process: MLflow's /invocations protocol over a model logged through runyard."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from runyard.scoring import ScoringSettings, create_scoring_app
from tests.server.asgi_driver import AsgiDriver


@pytest.fixture
def driver(served_models):
    with AsgiDriver(create_scoring_app(served_models["sklearn"])) as d:
        yield d


def _close(predictions, wanted):
    assert len(predictions) == len(wanted)
    for got, want in zip(predictions, wanted):
        assert got == pytest.approx(want)


def test_ping_health_version(driver):
    for path in ("/ping", "/health"):
        response = driver.get(path)
        assert response.status == 200 and response.body == b"\n"
    assert driver.get("/version").status == 200
    assert driver.get("/nope").status == 404
    assert driver.get("/invocations").status == 405


def test_dataframe_split(driver, expected):
    response = driver.post("/invocations", {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1.0], [5.0, 0.0]]}})
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(1, 1), (5, 0)]))


def test_dataframe_records_and_charset(driver, expected):
    response = driver.post("/invocations", {"dataframe_records": [{"a": 2.0, "b": 1.0}]},
                           content_type="application/json; charset=utf-8")
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(2, 1)]))


def test_instances_and_inputs(driver, expected):
    response = driver.post("/invocations", {"instances": [{"a": 1.0, "b": 0.0}, {"a": 3.0, "b": 1.0}]})
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(1, 0), (3, 1)]))
    response = driver.post("/invocations", {"inputs": {"a": [1.0, 3.0], "b": [0.0, 1.0]}})
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(1, 0), (3, 1)]))


def test_csv(driver, expected):
    buffer = io.StringIO()
    pd.DataFrame({"a": [4.0], "b": [1.0]}).to_csv(buffer, index=False)
    response = driver.post("/invocations", body=buffer.getvalue().encode(), content_type="text/csv")
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(4, 1)]))


def test_schema_error_names_the_column(driver):
    response = driver.post("/invocations", {"dataframe_split": {"columns": ["a"], "data": [[1.0]]}})
    assert response.status == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["error_class"] == "SCHEMA_ENFORCEMENT_FAILED"
    assert "'b'" in body["message"]
    response = driver.post("/invocations", {"dataframe_records": [{"a": "x", "b": 1.0}]})
    assert response.status == 400
    assert "column 'a'" in response.json()["message"]


def test_malformed_inputs(driver):
    for body in (b"{not json", b"[1, 2]", b'{"data": []}', b'{"instances": [], "inputs": []}',
                 b'{"dataframe_split": 3}', b'{"dataframe_records": [], "params": 5}'):
        response = driver.post("/invocations", body=body, content_type="application/json")
        assert response.status == 400, (body, response.body)
        assert response.json()["error_code"] == "BAD_REQUEST"
    response = driver.post("/invocations", body=b"a,b\n1,\"", content_type="text/csv")
    assert response.status == 400


def test_unsupported_content_type(driver):
    for content_type in ("text/plain", "application/json; format=pandas-split", None):
        response = driver.post("/invocations", body=b"{}", content_type=content_type)
        assert response.status == 415, content_type


def test_body_limit(served_models):
    app = create_scoring_app(served_models["sklearn"], ScoringSettings(max_body_bytes=100))
    with AsgiDriver(app) as driver:
        big = {"dataframe_records": [{"a": 1.0, "b": 2.0}] * 20}
        assert driver.post("/invocations", big).status == 413
        assert driver.post("/invocations", {"dataframe_records": [{"a": 1.0, "b": 2.0}]}).status == 200


def test_params_and_dataframe_output(served_models):
    with AsgiDriver(create_scoring_app(served_models["scaled"])) as driver:
        response = driver.post("/invocations", {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]},
                                                "params": {"factor": 3.0}})
        assert response.status == 200, response.body
        assert response.json() == {"predictions": [{"scaled": 3.0}, {"scaled": 6.0}]}
        response = driver.post("/invocations", {"inputs": {"x": [2.0]}})
        assert response.json() == {"predictions": [{"scaled": 2.0}]}
        response = driver.post("/invocations", {"inputs": {"x": [2.0]}, "params": {"factor": "big"}})
        assert response.status == 400
        assert "factor" in response.json()["message"]


def test_timeout(served_models):
    import time

    from runyard.pyfunc import load_model

    model = load_model(served_models["sklearn"])

    class Slow:
        def predict(self, data, params=None):
            time.sleep(0.5)
            return model.predict(data)

    with AsgiDriver(create_scoring_app(Slow(), ScoringSettings(timeout=0.05))) as driver:
        response = driver.post("/invocations", {"dataframe_records": [{"a": 1.0, "b": 2.0}]})
        assert response.status == 504
        assert response.json()["error_code"] == "DEADLINE_EXCEEDED"


def test_parquet(driver, expected):
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 0.0]}).to_parquet(buffer)
    response = driver.post("/invocations", body=buffer.getvalue(), content_type="application/vnd.apache.parquet")
    assert response.status == 200, response.body
    _close(response.json()["predictions"], expected([(1, 1), (2, 0)]))
    assert driver.post("/invocations", body=b"not parquet", content_type="application/vnd.apache.parquet").status == 400


def test_model_failure_is_a_bad_request_with_stack_trace():
    class Broken:
        def predict(self, data, params=None):
            raise RuntimeError("boom")

    with AsgiDriver(create_scoring_app(Broken())) as driver:
        response = driver.post("/invocations", {"inputs": [1, 2]})
        assert response.status == 400
        body = response.json()
        assert body["error_code"] == "BAD_REQUEST" and "boom" in body["message"] and "stack_trace" in body
