"""artifact_content: objects -> files -> objects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from runyard import artifact_content as ac
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist

matplotlib.use("Agg")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA = {"name": "你好", "nested": {"list": [1, 2.5, True, None], "text": "line\nbreak"}, "z": 1, "a": 2}


def test_module_import_is_light() -> None:
    code = (
        "import sys, runyard.artifact_content;"
        "heavy = {'numpy', 'PIL', 'matplotlib', 'plotly', 'yaml'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("text", ["plain", "你好, world\n", "crlf\r\nkept\r\n", ""])
def test_text_round_trip(tmp_path: Path, text: str) -> None:
    f = tmp_path / "t.txt"
    ac.write_text(text, str(f))
    assert ac.read_text(str(f)) == text
    assert f.read_bytes() == text.encode("utf-8")


def test_write_text_rejects_non_str(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="bytes"):
        ac.write_text(b"x", str(tmp_path / "t.txt"))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["d.json", "d.yaml", "d.yml", "d.YAML", "d.txt", "noext"])
def test_dict_round_trip(tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    ac.write_dict(DATA, str(f))
    assert ac.read_dict(str(f)) == DATA
    raw = f.read_text(encoding="utf-8")
    assert "你好" in raw  # unicode kept readable, not escaped
    if name.lower().endswith((".yaml", ".yml")):
        assert raw.startswith("name: 你好\n")  # block style, key order kept
    else:
        assert json.loads(raw) == DATA
        assert raw.startswith('{\n  "name"')


def test_dict_rejects_unserialisable(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="JSON"):
        ac.write_dict({"a": object()}, str(tmp_path / "d.json"))
    with pytest.raises(InvalidParameterValue, match="YAML"):
        ac.write_dict({"a": object()}, str(tmp_path / "d.yaml"))


def test_read_dict_invalid(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(InvalidParameterValue, match="JSON"):
        ac.read_dict(str(tmp_path / "bad.json"))
    (tmp_path / "bad.yaml").write_text("a: [1")
    with pytest.raises(InvalidParameterValue, match="YAML"):
        ac.read_dict(str(tmp_path / "bad.yaml"))
    (tmp_path / "evil.yaml").write_text("!!python/object/apply:os.system ['true']")
    with pytest.raises(InvalidParameterValue):
        ac.read_dict(str(tmp_path / "evil.yaml"))
    with pytest.raises(ResourceDoesNotExist):
        ac.read_dict(str(tmp_path / "missing.json"))


def test_matplotlib_figure(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 3])
    try:
        ac.write_figure(fig, str(tmp_path / "fig.png"))
        ac.write_figure(fig, str(tmp_path / "noext"))
        ac.write_figure(fig, str(tmp_path / "fig.svg"))
        with pytest.raises(InvalidParameterValue, match="fig.nope"):
            ac.write_figure(fig, str(tmp_path / "fig.nope"))
    finally:
        plt.close(fig)
    assert (tmp_path / "fig.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "noext").read_bytes().startswith(PNG_MAGIC)
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()
    image = ac.read_image(str(tmp_path / "fig.png"))
    assert image.format == "PNG" and image.size[0] > 0


def test_plotly_figure_html(tmp_path: Path) -> None:
    import plotly.graph_objects as go

    fig = go.Figure(data=[go.Scatter(x=[1, 2], y=[3, 4])])
    ac.write_figure(fig, str(tmp_path / "fig.html"))
    html = (tmp_path / "fig.html").read_text(encoding="utf-8")
    assert "<html>" in html and "Plotly.newPlot" in html
    # plotly.js is embedded in the page, never loaded from a CDN.
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert len(html) > 1_000_000
    with pytest.raises(InvalidParameterValue, match=".html"):
        ac.write_figure(fig, str(tmp_path / "fig.txt"))


def test_plotly_image_without_kaleido(tmp_path: Path) -> None:
    import importlib.util

    import plotly.graph_objects as go

    if importlib.util.find_spec("kaleido") is not None:
        pytest.skip("kaleido is installed; the missing-kaleido message cannot be shown")
    with pytest.raises(InvalidParameterValue, match="kaleido.*html"):
        ac.write_figure(go.Figure(), str(tmp_path / "fig.png"))


def test_unknown_figure_type(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="builtins.dict"):
        ac.write_figure({"data": []}, str(tmp_path / "f.png"))


def _read_array(path: Path) -> np.ndarray:
    return np.asarray(ac.read_image(str(path)))


def test_uint8_rgb_round_trip(tmp_path: Path) -> None:
    arr = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    ac.write_image(arr, str(tmp_path / "i.png"))
    assert ac.read_image(str(tmp_path / "i.png")).mode == "RGB"
    np.testing.assert_array_equal(_read_array(tmp_path / "i.png"), arr)


def test_float_image_scaled(tmp_path: Path) -> None:
    arr = np.random.default_rng(1).random((4, 6, 3))
    ac.write_image(arr, str(tmp_path / "f.png"))
    np.testing.assert_array_equal(_read_array(tmp_path / "f.png"), np.rint(arr * 255).astype(np.uint8))


@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 1)])
def test_grayscale_round_trip(tmp_path: Path, shape: tuple[int, ...]) -> None:
    arr = np.arange(20, dtype=np.int64).reshape(shape) * 12
    ac.write_image(arr, str(tmp_path / "g.png"))
    image = ac.read_image(str(tmp_path / "g.png"))
    assert image.mode == "L"
    np.testing.assert_array_equal(np.asarray(image), arr.reshape(4, 5))


def test_rgba_round_trip(tmp_path: Path) -> None:
    arr = np.random.default_rng(2).integers(0, 256, size=(3, 3, 4), dtype=np.uint8)
    ac.write_image(arr, str(tmp_path / "a.png"))
    image = ac.read_image(str(tmp_path / "a.png"))
    assert image.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(image), arr)


def test_bool_image(tmp_path: Path) -> None:
    arr = np.array([[True, False], [False, True]])
    ac.write_image(arr, str(tmp_path / "b.png"))
    np.testing.assert_array_equal(_read_array(tmp_path / "b.png"), arr.astype(np.uint8) * 255)


def test_pil_round_trip(tmp_path: Path) -> None:
    image = Image.new("RGB", (8, 4), color=(10, 200, 30))
    ac.write_image(image, str(tmp_path / "p.png"))
    ac.write_image(image, str(tmp_path / "p.jpg"))
    loaded = ac.read_image(str(tmp_path / "p.png"))
    assert loaded.size == (8, 4) and loaded.getpixel((0, 0)) == (10, 200, 30)
    assert ac.read_image(str(tmp_path / "p.jpg")).format == "JPEG"
    ac.write_image(image, str(tmp_path / "noext"))
    assert (tmp_path / "noext").read_bytes().startswith(PNG_MAGIC)


def test_read_image_closes_file(tmp_path: Path) -> None:
    ac.write_image(np.zeros((2, 2), dtype=np.uint8), str(tmp_path / "z.png"))
    image = ac.read_image(str(tmp_path / "z.png"))
    (tmp_path / "z.png").unlink()
    assert image.getpixel((0, 0)) == 0
    with pytest.raises(ResourceDoesNotExist):
        ac.read_image(str(tmp_path / "z.png"))


@pytest.mark.parametrize(
    ("arr", "message"),
    [
        (np.array([[0.0, 1.5]]), r"\[0, 1\].*1\.5"),
        (np.array([[-0.1, 0.5]]), r"\[0, 1\]"),
        (np.array([[np.nan, 0.5]]), r"\[0, 1\]"),
        (np.array([[0, 256]]), r"\[0, 255\].*256"),
        (np.array([[-1, 3]]), r"\[0, 255\]"),
        (np.zeros((2, 2, 2), dtype=np.uint8), r"shape"),
        (np.zeros((2, 2, 3, 1), dtype=np.uint8), r"shape"),
        (np.zeros((2, 2), dtype=np.complex64), r"dtype"),
    ],
)
def test_bad_arrays_rejected(tmp_path: Path, arr: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidParameterValue, match=message):
        ac.write_image(arr, str(tmp_path / "bad.png"))
    assert not (tmp_path / "bad.png").exists()


def test_bad_image_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="builtins.list"):
        ac.write_image([[0, 1]], str(tmp_path / "l.png"))
    with pytest.raises(InvalidParameterValue, match="x.unknownext"):
        ac.write_image(np.zeros((2, 2), dtype=np.uint8), str(tmp_path / "x.unknownext"))
