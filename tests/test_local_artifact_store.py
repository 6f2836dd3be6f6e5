"""LocalArtifactStore: round trips, atomic writes, and path containment for every method."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runyard.entities import FileInfo
from runyard.errors import InvalidParameterValue, InvalidState, ResourceDoesNotExist
from runyard.stores.artifacts import LocalArtifactStore
from runyard.stores.artifacts.local import TEMP_PREFIX
from runyard.stores.artifacts.paths import contained_path, safe_relative_path
from runyard.uris import path_to_file_uri

TRAVERSALS = [
    "../x",
    "a/../../x",
    "/etc/passwd",
    "%2e%2e/x",
    "%252e%252e/x",
    "a%2f..%2f..%2fx",
    "a\\..\\..\\x",
    "C:\\x",
    "C:/x",
    "a\x00b",
    "a/\nb",
    "%00x",
    "%c0%ae%c0%ae/x",
    "\uff0e\uff0e/x",
]


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    return tmp_path / "artifacts-root" / "1" / "run" / "artifacts"


@pytest.fixture()
def store(root: Path) -> LocalArtifactStore:
    return LocalArtifactStore(path_to_file_uri(str(root)))


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "empty").mkdir()
    (d / "top.txt").write_text("top")
    (d / "sub" / "mid.bin").write_bytes(b"\x00\x01\x02")
    (d / "sub" / "deeper" / "low.txt").write_text("low")
    return d


def _all_files(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_log_artifact_and_download(store: LocalArtifactStore, root: Path, tmp_path: Path) -> None:
    f = tmp_path / "model.txt"
    f.write_text("hello")
    store.log_artifact(str(f))
    store.log_artifact(str(f), "a//b/./c/")
    assert (root / "model.txt").read_text() == "hello"
    assert (root / "a" / "b" / "c" / "model.txt").read_text() == "hello"
    out = store.download_artifacts("a/b/c/model.txt", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl" / "a" / "b" / "c" / "model.txt")
    assert Path(out).read_text() == "hello"
    default_out = store.download_artifacts("model.txt")
    assert Path(default_out).read_text() == "hello"


def test_plain_path_root(tmp_path: Path) -> None:
    store = LocalArtifactStore(str(tmp_path / "plain"))
    store.write_bytes("x.txt", b"1")
    assert (tmp_path / "plain" / "x.txt").read_bytes() == b"1"


def test_root_and_dirs_created_private(store: LocalArtifactStore, root: Path, tmp_path: Path) -> None:
    assert not root.exists()
    store.write_bytes("d/f.bin", b"data")
    for d in (tmp_path / "artifacts-root", root, root / "d"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "d" / "f.bin").stat().st_mode) == 0o600


def test_log_artifact_rejects_missing_and_dirs(store: LocalArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ResourceDoesNotExist):
        store.log_artifact(str(tmp_path / "nope"))
    with pytest.raises(InvalidParameterValue, match="log_artifacts"):
        store.log_artifact(str(tmp_path))
    with pytest.raises(ResourceDoesNotExist):
        store.log_artifacts(str(tmp_path / "nope"))


def test_log_artifacts_recursive(store: LocalArtifactStore, root: Path, src: Path, tmp_path: Path) -> None:
    store.log_artifacts(str(src))
    store.log_artifacts(str(src), "copy")
    assert _all_files(root / "copy") == _all_files(src)
    assert (root / "sub" / "mid.bin").read_bytes() == b"\x00\x01\x02"
    out = store.download_artifacts("copy", str(tmp_path / "dl"))
    assert out == str(tmp_path / "dl" / "copy")
    assert _all_files(Path(out)) == _all_files(src)
    whole = store.download_artifacts("")
    assert (Path(whole) / "copy" / "sub" / "deeper" / "low.txt").read_text() == "low"


def test_no_temp_files_left(store: LocalArtifactStore, root: Path, src: Path) -> None:
    store.log_artifacts(str(src), "x")
    store.log_artifact(str(src / "top.txt"), "x")  # overwrite in place
    store.write_bytes("x/top.txt", b"again")
    assert store.read_bytes("x/top.txt") == b"again"
    assert not [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_failed_write_leaves_no_temp(store: LocalArtifactStore, root: Path) -> None:
    store.write_bytes("d/inner", b"x")
    with pytest.raises(InvalidParameterValue):
        store.write_bytes("d", b"cannot replace a directory")
    assert sorted(p.name for p in root.iterdir()) == ["d"]


def test_temp_uploads_hidden_from_listing(store: LocalArtifactStore, root: Path) -> None:
    store.write_bytes("a.txt", b"a")
    (root / f"{TEMP_PREFIX}half").write_bytes(b"partial")
    assert [i.path for i in store.list_artifacts()] == ["a.txt"]


def test_list_artifacts(store: LocalArtifactStore, src: Path) -> None:
    store.log_artifacts(str(src), "plots")
    assert store.list_artifacts("plots") == [
        FileInfo("plots/empty", True, None),
        FileInfo("plots/sub", True, None),
        FileInfo("plots/top.txt", False, 3),
    ]
    assert store.list_artifacts() == [FileInfo("plots", True, None)]
    assert store.list_artifacts("plots/sub/") == [
        FileInfo("plots/sub/deeper", True, None),
        FileInfo("plots/sub/mid.bin", False, 3),
    ]
    assert store.list_artifacts("missing") == []
    assert store.list_artifacts("plots/top.txt") == []


def test_list_on_missing_root(store: LocalArtifactStore) -> None:
    assert store.list_artifacts() == []
    assert store.list_artifacts(None) == []


def test_download_missing_raises(store: LocalArtifactStore, root: Path) -> None:
    with pytest.raises(ResourceDoesNotExist) as info:
        store.download_artifacts("nothing/here.txt")
    assert "nothing/here.txt" in info.value.message
    assert str(root) not in info.value.message
    with pytest.raises(ResourceDoesNotExist):
        store.read_bytes("nothing")


def test_delete_artifacts(store: LocalArtifactStore, root: Path, src: Path) -> None:
    store.log_artifacts(str(src))
    store.delete_artifacts("sub/mid.bin")
    assert not (root / "sub" / "mid.bin").exists()
    store.delete_artifacts("sub")
    assert not (root / "sub").exists()
    store.delete_artifacts("not-there")
    assert [i.path for i in store.list_artifacts()] == ["empty", "top.txt"]
    store.delete_artifacts()
    assert store.list_artifacts() == []


def test_write_and_read_bytes(store: LocalArtifactStore) -> None:
    store.write_bytes("texts/你好.txt", "你好".encode())
    assert store.read_bytes("texts/你好.txt").decode() == "你好"
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.write_bytes("", b"x")
    with pytest.raises(ResourceDoesNotExist):
        store.read_bytes("texts")


def _every_method(store: LocalArtifactStore, tmp_path: Path, bad: str) -> list:
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
def test_traversal_rejected_everywhere(store: LocalArtifactStore, tmp_path: Path, bad: str) -> None:
    store.write_bytes("keep.txt", b"k")
    (tmp_path / "x").write_text("outside")
    for call in _every_method(store, tmp_path, bad):
        with pytest.raises(InvalidParameterValue):
            call()
    assert (tmp_path / "x").read_text() == "outside"
    assert store.read_bytes("keep.txt") == b"k"


def test_symlink_escaping_root_refused(store: LocalArtifactStore, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    store.write_bytes("ok.txt", b"ok")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "filelink").symlink_to(outside / "secret.txt")
    for bad in ("link", "link/secret.txt", "link/new", "filelink"):
        for call in _every_method(store, tmp_path, bad):
            with pytest.raises(InvalidParameterValue, match="outside the artifact root"):
                call()
    assert (outside / "secret.txt").read_text() == "secret"
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    # Escaping links are neither listed nor downloaded with their parent directory.
    assert [i.path for i in store.list_artifacts()] == ["ok.txt"]
    whole = Path(store.download_artifacts(""))
    assert sorted(os.listdir(whole)) == ["ok.txt"]


def test_symlink_inside_root_allowed(store: LocalArtifactStore, root: Path) -> None:
    store.write_bytes("real/a.txt", b"a")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    assert store.read_bytes("alias/a.txt") == b"a"
    store.delete_artifacts("alias")
    assert not (root / "alias").exists()
    assert store.read_bytes("real/a.txt") == b"a"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, ""), ("", ""), (".", ""), ("a//b", "a/b"), ("./a", "a"), ("a/./b/", "a/b"),
     ("100%.txt", "100%.txt"), ("a b/c.d", "a b/c.d"), ("你好/x", "你好/x"), ("..a/b..", "..a/b..")],
)
def test_safe_relative_path_normalises(given: str | None, expected: str) -> None:
    assert safe_relative_path(given) == expected


@pytest.mark.parametrize("bad", TRAVERSALS)
def test_safe_relative_path_names_field(bad: str) -> None:
    with pytest.raises(InvalidParameterValue, match="my_field"):
        safe_relative_path(bad, field="my_field")


def test_safe_relative_path_bounds() -> None:
    with pytest.raises(InvalidParameterValue, match="4096"):
        safe_relative_path("a" * 5000)
    with pytest.raises(InvalidParameterValue, match="string"):
        safe_relative_path(3)  # type: ignore[arg-type]


def test_contained_path(tmp_path: Path) -> None:
    real = os.path.realpath(tmp_path)
    assert contained_path(str(tmp_path), "a/b") == os.path.join(real, "a", "b")
    assert contained_path(str(tmp_path), "") == real
    (tmp_path / "esc").symlink_to("/")
    with pytest.raises(InvalidParameterValue):
        contained_path(str(tmp_path), "esc/etc")


# -- streaming ---------------------------------------------------------------------------------
def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_open_writer_commits_atomically(store: LocalArtifactStore, root: Path, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    writer = store.open_writer("models/m/weights.bin")
    for start in range(0, len(data), 1024 * 1024):
        writer.write(data[start:start + 1024 * 1024])
    (temp,) = _temp_files(root)
    assert temp.parent == root / "models" / "m"
    assert stat.S_IMODE(temp.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "models").stat().st_mode) == 0o700
    # In progress: invisible to listings and downloads, and its temporary name cannot be read.
    assert store.list_artifacts("models/m") == []
    assert _all_files(Path(store.download_artifacts("", str(tmp_path / "dl")))) == ["models", "models/m"]
    with pytest.raises(InvalidParameterValue, match="reserved"):
        store.open_reader(f"models/m/{temp.name}")
    with pytest.raises(InvalidParameterValue, match="reserved"):
        store.delete_artifacts(f"models/m/{temp.name}")
    writer.commit()
    assert store.list_artifacts("models/m") == [FileInfo("models/m/weights.bin", False, len(data))]
    assert (root / "models" / "m" / "weights.bin").read_bytes() == data
    assert _temp_files(root) == []
    with pytest.raises(InvalidState):
        writer.write(b"late")
    with pytest.raises(InvalidState):
        writer.commit()
    writer.abort()  # a no-op once committed
    assert (root / "models" / "m" / "weights.bin").read_bytes() == data


def test_open_writer_abort_leaves_nothing(store: LocalArtifactStore, root: Path) -> None:
    store.write_bytes("keep.txt", b"old")
    writer = store.open_writer("keep.txt")
    writer.write(b"new content")
    assert store.list_artifacts() == [FileInfo("keep.txt", False, 3)]
    writer.abort()
    writer.abort()
    assert store.read_bytes("keep.txt") == b"old"
    with pytest.raises(InvalidState):
        writer.write(b"x")
    with pytest.raises(RuntimeError, match="client went away"):
        with store.open_writer("d/gone.bin") as failing:
            failing.write(b"partial")
            raise RuntimeError("client went away")
    assert _temp_files(root) == []
    assert not (root / "d" / "gone.bin").exists()
    assert [i.path for i in store.list_artifacts()] == ["d", "keep.txt"]


def test_open_writer_empty_file_and_bad_targets(store: LocalArtifactStore, root: Path) -> None:
    with store.open_writer("empty.txt"):
        pass
    assert store.list_artifacts() == [FileInfo("empty.txt", False, 0)]
    store.write_bytes("d/inner", b"x")
    with pytest.raises(InvalidParameterValue, match="directory"):
        store.open_writer("d")
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.open_writer("")
    with pytest.raises(InvalidParameterValue, match="reserved"):
        store.open_writer(f"{TEMP_PREFIX}mine")
    assert _temp_files(root) == []


def test_open_writer_commit_onto_new_directory_fails_cleanly(store: LocalArtifactStore, root: Path) -> None:
    writer = store.open_writer("x/late")
    writer.write(b"data")
    (root / "x" / "late").mkdir()  # a directory appeared while the upload ran
    with pytest.raises(InvalidParameterValue, match="directory"):
        writer.commit()
    assert _temp_files(root) == []


def test_open_reader(store: LocalArtifactStore) -> None:
    data = os.urandom(2 * 1024 * 1024 + 3)
    store.write_bytes("r/data.bin", data)
    with store.open_reader("r/data.bin") as reader:
        assert reader.size == len(data)
        assert reader.read(10) == data[:10]
        assert reader.read() == data[10:]
        assert reader.read(5) == b""
    chunks = list(store.open_reader("r/data.bin").chunks(1024 * 1024))
    assert [len(c) for c in chunks] == [1024 * 1024, 1024 * 1024, 3]
    assert b"".join(chunks) == data
    with pytest.raises(ResourceDoesNotExist, match="r/missing.bin"):
        store.open_reader("r/missing.bin")
    with pytest.raises(ResourceDoesNotExist):
        store.open_reader("r/data.bin/below-a-file")
    with pytest.raises(InvalidParameterValue, match="directory"):
        store.open_reader("r")
    with pytest.raises(InvalidParameterValue, match="artifact_file"):
        store.open_reader("")


def test_open_reader_refuses_special_files(store: LocalArtifactStore, root: Path) -> None:
    store.write_bytes("ok.txt", b"ok")
    os.mkfifo(root / "pipe")  # opening a FIFO for reading would block without a writer
    with pytest.raises(ResourceDoesNotExist):
        store.open_reader("pipe")
