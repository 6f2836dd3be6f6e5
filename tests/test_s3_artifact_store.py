"""S3ArtifactStore against a real S3-compatible server (moto in server mode on loopback)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import runyard as mlflow
from runyard import config
from runyard.entities import FileInfo
from runyard.errors import (
    InvalidParameterValue,
    InvalidState,
    PermissionDenied,
    ResourceDoesNotExist,
    TemporarilyUnavailable,
)
from runyard.stores.artifacts.s3 import S3ArtifactStore, parse_s3_uri
from runyard.stores.artifacts.s3_connection import translate
from runyard.stores.factory import artifact_store_for
from tests.s3_server import MIN_PART_SIZE, S3Server
from tests.test_local_artifact_store import TRAVERSALS

PART = 4 * MIN_PART_SIZE


@pytest.fixture()
def store(s3_bucket: str) -> S3ArtifactStore:
    return S3ArtifactStore(s3_bucket, part_size=PART)


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "empty").mkdir()
    (d / "top.txt").write_text("top")
    (d / "sub" / "mid.bin").write_bytes(b"\x00\x01\x02")
    (d / "sub" / "deeper" / "low.txt").write_text("low")
    return d


def _keys(s3_server: S3Server, bucket: str) -> list[str]:
    pages = s3_server.client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", ()))


def _uploads(s3_server: S3Server, bucket: str) -> list[dict]:
    return s3_server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def _files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def _pattern(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


# -- URIs and wiring ---------------------------------------------------------------------------
def test_root_uri_parsing() -> None:
    assert parse_s3_uri("s3://bucket") == ("bucket", "")
    assert parse_s3_uri("s3://bucket/") == ("bucket", "")
    assert parse_s3_uri("s3://my.bucket-1/a//b/./c/") == ("my.bucket-1", "a/b/c")
    for bad in ("s3:///x", "s3://b/../x", "s3://b/p/%2e%2e/x", "s3://b/p?x=1", "s3://b/p#f", "s3://b!/x",
                "file:///tmp/x"):
        with pytest.raises(InvalidParameterValue):
            parse_s3_uri(bad)


def test_factory_maps_s3(s3_bucket: str) -> None:
    store = artifact_store_for(s3_bucket)
    assert isinstance(store, S3ArtifactStore)
    assert store.root_uri == s3_bucket
    with pytest.raises(InvalidParameterValue, match="s3://"):
        artifact_store_for("gs://bucket/x")


def test_endpoint_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "http://mlflow-name:9000")
    monkeypatch.setenv("RUNYARD_S3_ENDPOINT_URL", "http://runyard-name:9000")
    assert config.s3_endpoint_url() == "http://runyard-name:9000"
    monkeypatch.setenv("RUNYARD_S3_ENDPOINT_URL", "")
    assert config.s3_endpoint_url() is None
    monkeypatch.setenv("MLFLOW_S3_IGNORE_TLS", "true")
    assert config.s3_ignore_tls() is True
    monkeypatch.setenv("RUNYARD_S3_MULTIPART_THRESHOLD", "1024")
    with pytest.raises(ValueError, match="5 MiB"):
        config.s3_multipart_threshold_bytes()


def test_fluent_run_with_s3_experiment(tracking: str, s3_bucket: str, tmp_path: Path) -> None:
    experiment_id = mlflow.create_experiment("s3-artifacts", artifact_location=s3_bucket)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_text("hello", "notes/hello.txt")
        mlflow.log_dict({"a": 1}, "config.json")
    assert run.info.artifact_uri.startswith(s3_bucket)
    listed = mlflow.tracking.MlflowClient().list_artifacts(run.info.run_id)
    assert [f.path for f in listed] == ["config.json", "notes"]
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes", dst_path=str(tmp_path))
    assert Path(out, "hello.txt").read_text() == "hello"


# -- uploads, listing, downloads -----------------------------------------------------------------
def test_log_artifact_and_download(store: S3ArtifactStore, tmp_path: Path) -> None:
    f = tmp_path / "model.txt"
    f.write_text("hello")
    store.log_artifact(str(f))
    store.log_artifact(str(f), "a//b/./c/")
    assert store.read_bytes("model.txt") == b"hello"
    assert store.read_bytes("a/b/c/model.txt") == b"hello"
    out = store.download_artifacts("a/b/c/model.txt", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl" / "a" / "b" / "c" / "model.txt")
    assert Path(out).read_text() == "hello"
    assert Path(store.download_artifacts("model.txt")).read_text() == "hello"


def test_log_artifact_rejects_missing_and_dirs(store: S3ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ResourceDoesNotExist):
        store.log_artifact(str(tmp_path / "nope"))
    with pytest.raises(InvalidParameterValue, match="log_artifacts"):
        store.log_artifact(str(tmp_path))
    with pytest.raises(ResourceDoesNotExist):
        store.log_artifacts(str(tmp_path / "nope"))


def test_log_artifact_large_file_is_multipart(s3_server: S3Server, store: S3ArtifactStore, tmp_path: Path) -> None:
    store.part_size = 5 * 1024 * 1024  # s3transfer's smallest part
    data = os.urandom(11 * 1024 * 1024 + 123)
    (tmp_path / "big.bin").write_bytes(data)
    store.log_artifact(str(tmp_path / "big.bin"), "models")
    head = s3_server.client.head_object(Bucket=store.bucket, Key=f"{store.prefix}/models/big.bin")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    assert store.list_artifacts("models") == [FileInfo("models/big.bin", False, len(data))]
    out = store.download_artifacts("models", str(tmp_path / "dl"))
    assert Path(out, "big.bin").read_bytes() == data


def test_log_artifacts_recursive(store: S3ArtifactStore, src: Path, tmp_path: Path) -> None:
    store.log_artifacts(str(src))
    store.log_artifacts(str(src), "copy")
    expected = ["sub/deeper/low.txt", "sub/mid.bin", "top.txt"]
    out = store.download_artifacts("copy", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl" / "copy")
    assert _files(Path(out)) == expected  # object stores keep no empty directories
    assert Path(out, "sub", "mid.bin").read_bytes() == b"\x00\x01\x02"
    whole = Path(store.download_artifacts(""))
    assert _files(whole) == sorted(expected + [f"copy/{p}" for p in expected])


def test_list_artifacts(store: S3ArtifactStore, src: Path) -> None:
    store.log_artifacts(str(src), "plots")
    assert store.list_artifacts("plots") == [
        FileInfo("plots/sub", True, None),
        FileInfo("plots/top.txt", False, 3),
    ]
    assert store.list_artifacts() == [FileInfo("plots", True, None)]
    assert store.list_artifacts(None) == store.list_artifacts("") == store.list_artifacts(".")
    assert store.list_artifacts("plots/sub/") == [
        FileInfo("plots/sub/deeper", True, None),
        FileInfo("plots/sub/mid.bin", False, 3),
    ]
    assert store.list_artifacts("missing") == []
    assert store.list_artifacts("plots/top.txt") == []
    assert store.list_artifacts("plot") == []  # a key prefix that is not a whole segment


def test_listing_and_deleting_more_than_a_page(s3_server: S3Server, store: S3ArtifactStore) -> None:
    keys = [f"{store.prefix}/many/f{i:04d}.txt" for i in range(1003)]
    keys += [f"{store.prefix}/many/d{i}/x.txt" for i in range(3)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3_server.client.put_object(Bucket=store.bucket, Key=k, Body=b"1"), keys))
    listed = store.list_artifacts("many")
    assert len(listed) == 1006
    assert listed[:3] == [FileInfo(f"many/d{i}", True, None) for i in range(3)]
    assert listed[-1] == FileInfo("many/f1002.txt", False, 1)
    store.delete_artifacts("many")  # more keys than one DeleteObjects call takes
    assert store.list_artifacts() == []
    assert _keys(s3_server, store.bucket) == []


def test_download_missing_raises(store: S3ArtifactStore, s3_server: S3Server) -> None:
    with pytest.raises(ResourceDoesNotExist) as info:
        store.download_artifacts("nothing/here.txt")
    assert "nothing/here.txt" in info.value.message
    assert s3_server.endpoint_url not in info.value.message
    with pytest.raises(ResourceDoesNotExist):
        store.read_bytes("nothing")


def test_download_empty_root(store: S3ArtifactStore, tmp_path: Path) -> None:
    out = store.download_artifacts("", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl") and os.listdir(out) == []


def test_delete_artifacts(s3_server: S3Server, store: S3ArtifactStore, src: Path) -> None:
    store.log_artifacts(str(src))
    store.write_bytes("subway.txt", b"not below sub/")
    store.delete_artifacts("sub/mid.bin")
    assert store.list_artifacts("sub") == [FileInfo("sub/deeper", True, None)]
    store.delete_artifacts("sub")
    assert [i.path for i in store.list_artifacts()] == ["subway.txt", "top.txt"]
    store.delete_artifacts("not-there")
    store.delete_artifacts()
    assert store.list_artifacts() == []
    assert _keys(s3_server, store.bucket) == []


def test_root_prefix_isolates_stores(s3_server: S3Server, store: S3ArtifactStore) -> None:
    sibling = S3ArtifactStore(f"s3://{store.bucket}/{store.prefix}-2")
    bucket_root = S3ArtifactStore(f"s3://{store.bucket}")
    store.write_bytes("a.txt", b"a")
    sibling.write_bytes("b.txt", b"b")
    assert [i.path for i in store.list_artifacts()] == ["a.txt"]
    assert [i.path for i in sibling.list_artifacts()] == ["b.txt"]
    assert [i.path for i in bucket_root.list_artifacts()] == ["runs"]
    assert bucket_root.read_bytes(f"{store.prefix}/a.txt") == b"a"
    store.delete_artifacts()
    assert sibling.read_bytes("b.txt") == b"b"
    assert _keys(s3_server, store.bucket) == [f"{store.prefix}-2/b.txt"]


def test_write_and_read_bytes(store: S3ArtifactStore) -> None:
    store.write_bytes("texts/你好 100%.txt", "你好".encode())
    assert store.read_bytes("texts/你好 100%.txt").decode() == "你好"
    assert store.list_artifacts("texts") == [FileInfo("texts/你好 100%.txt", False, 6)]
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.write_bytes("", b"x")
    with pytest.raises(ResourceDoesNotExist):
        store.read_bytes("texts")
    with pytest.raises(InvalidParameterValue, match="directory"):
        store.write_bytes("texts", b"cannot replace a directory")


def test_missing_bucket(s3_bucket: str) -> None:
    store = S3ArtifactStore("s3://runyard-no-such-bucket/x")
    with pytest.raises(ResourceDoesNotExist, match="runyard-no-such-bucket"):
        store.list_artifacts()
    with pytest.raises(ResourceDoesNotExist, match="bucket"):
        store.open_writer("a.txt")


def test_connection_and_credential_errors_are_translated() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    err = translate(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "list artifacts", "a")
    assert isinstance(err, TemporarilyUnavailable) and "list artifacts" in err.message
    assert isinstance(translate(NoCredentialsError(), "upload", "a"), PermissionDenied)
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")
    assert isinstance(translate(denied, "read the artifact", "a"), PermissionDenied)


# -- streaming -----------------------------------------------------------------------------------
def test_small_writer_is_one_put(s3_server: S3Server, store: S3ArtifactStore) -> None:
    with store.open_writer("dir/small.txt") as writer:
        writer.write(b"hello ")
        writer.write(memoryview(b"world"))
        assert writer.upload_id is None
        assert store.list_artifacts("dir") == []
        assert _uploads(s3_server, store.bucket) == []
    assert store.read_bytes("dir/small.txt") == b"hello world"
    with pytest.raises(InvalidState):
        writer.write(b"late")


def test_empty_writer_makes_empty_file(store: S3ArtifactStore) -> None:
    with store.open_writer("empty.txt"):
        pass
    assert store.list_artifacts() == [FileInfo("empty.txt", False, 0)]


def test_multipart_writer(s3_server: S3Server, store: S3ArtifactStore) -> None:
    data = _pattern(5 * PART + 777)
    writer = store.open_writer("models/weights.bin")
    for start in range(0, len(data), 1000):  # chunks that do not line up with parts
        writer.write(data[start:start + 1000])
    assert writer.upload_id is not None
    uploads = _uploads(s3_server, store.bucket)
    assert [u["Key"] for u in uploads] == [f"{store.prefix}/models/weights.bin"]
    parts = s3_server.client.list_parts(Bucket=store.bucket, Key=uploads[0]["Key"], UploadId=writer.upload_id)
    assert [p["Size"] for p in parts["Parts"]] == [PART] * 5
    assert store.list_artifacts("models") == []  # nothing visible before commit
    with pytest.raises(ResourceDoesNotExist):
        store.open_reader("models/weights.bin")
    writer.commit()
    assert _uploads(s3_server, store.bucket) == []
    assert store.list_artifacts("models") == [FileInfo("models/weights.bin", False, len(data))]
    assert store.read_bytes("models/weights.bin") == data
    with pytest.raises(InvalidState):
        writer.commit()
    writer.abort()  # a no-op once committed
    assert store.read_bytes("models/weights.bin") == data


def test_multipart_writer_abort_leaves_nothing(s3_server: S3Server, store: S3ArtifactStore) -> None:
    store.write_bytes("keep.bin", b"old")
    writer = store.open_writer("keep.bin")
    writer.write(_pattern(3 * PART))
    assert len(_uploads(s3_server, store.bucket)) == 1
    writer.abort()
    writer.abort()
    assert _uploads(s3_server, store.bucket) == []
    assert store.read_bytes("keep.bin") == b"old"  # an aborted overwrite keeps the old content
    with pytest.raises(InvalidState):
        writer.write(b"x")
    with pytest.raises(RuntimeError, match="client went away"):
        with store.open_writer("gone.bin") as failing:
            failing.write(_pattern(2 * PART + 5))
            raise RuntimeError("client went away")
    assert _uploads(s3_server, store.bucket) == []
    assert _keys(s3_server, store.bucket) == [f"{store.prefix}/keep.bin"]


def test_writer_refuses_bad_targets(store: S3ArtifactStore) -> None:
    store.write_bytes("d/inner", b"x")
    with pytest.raises(InvalidParameterValue, match="directory"):
        store.open_writer("d")
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.open_writer("")
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.open_writer("./")


def test_reader(store: S3ArtifactStore) -> None:
    data = _pattern(3 * PART + 11)
    store.write_bytes("r/data.bin", data)
    with store.open_reader("r/data.bin") as reader:
        assert reader.size == len(data)
        assert reader.read(10) == data[:10]
        assert reader.read() == data[10:]
        assert reader.read(5) == b""
    chunks = list(store.open_reader("r/data.bin").chunks(PART))
    assert [len(c) for c in chunks] == [PART, PART, PART, 11]
    assert b"".join(chunks) == data
    with pytest.raises(ResourceDoesNotExist, match="r/missing.bin"):
        store.open_reader("r/missing.bin")
    with pytest.raises(InvalidParameterValue, match="directory"):
        store.open_reader("r")
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.open_reader("")


# -- containment -----------------------------------------------------------------------------------
def _every_method(store: S3ArtifactStore, tmp_path: Path, bad: str) -> list:
    f = tmp_path / "f.txt"
    f.write_text("x")
    d = tmp_path / "d"
    d.mkdir(exist_ok=True)
    return [
        lambda: store.log_artifact(str(f), bad),
        lambda: store.log_artifacts(str(d), bad),
        lambda: store.list_artifacts(bad),
        lambda: store.download_artifacts(bad, str(tmp_path / "dl")),
        lambda: store.delete_artifacts(bad),
        lambda: store.write_bytes(bad, b"x"),
        lambda: store.read_bytes(bad),
        lambda: store.open_writer(bad),
        lambda: store.open_reader(bad),
    ]


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_traversal_rejected_everywhere(s3_server: S3Server, store: S3ArtifactStore, tmp_path: Path,
                                       bad: str) -> None:
    s3_server.client.put_object(Bucket=store.bucket, Key="runs/x", Body=b"outside the root")
    store.write_bytes("keep.txt", b"k")
    before = _keys(s3_server, store.bucket)
    for call in _every_method(store, tmp_path, bad):
        with pytest.raises(InvalidParameterValue):
            call()
    assert _keys(s3_server, store.bucket) == before
    assert _uploads(s3_server, store.bucket) == []
    assert s3_server.client.get_object(Bucket=store.bucket, Key="runs/x")["Body"].read() == b"outside the root"
    assert not (tmp_path / "dl").exists()


def test_hostile_keys_in_bucket_are_skipped(s3_server: S3Server, store: S3ArtifactStore, tmp_path: Path) -> None:
    """Keys written by something else may hold '..' or '//' segments; none may pick a local path."""
    store.write_bytes("ok.txt", b"ok")
    for rel in ("evil/../../../escaped.txt", "../escaped2.txt", "d//double.txt", "d/./dot.txt", "marker/"):
        s3_server.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}/{rel}", Body=b"bad")
    assert [i.path for i in store.list_artifacts()] == ["d", "evil", "marker", "ok.txt"]
    assert store.list_artifacts("d") == []
    assert store.list_artifacts("marker") == []
    dst = tmp_path / "a" / "b" / "dl"
    out = store.download_artifacts("", str(dst))
    assert _files(Path(out)) == ["ok.txt"]
    assert _files(tmp_path) == ["a/b/dl/ok.txt"]
