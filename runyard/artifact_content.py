"""Turn Python objects (text, dicts, figures, images) into files and back.

Used by ``log_text``/``log_dict``/``log_figure``/``log_image`` and their ``load_*`` twins.
numpy, Pillow, matplotlib, plotly and PyYAML are imported inside functions only, so that
``import runyard`` stays light; figure and image types are recognised via ``sys.modules``
(an object of a library's type can only exist once that library is imported).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from typing import Any

from runyard.errors import InvalidParameterValue, ResourceDoesNotExist

_YAML_EXTENSIONS = (".yaml", ".yml")
_PLOTLY_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".svg", ".pdf", ".webp")


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _is_instance_of(obj: Any, module: str, attr: str) -> bool:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, attr, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)


def write_text(text: str, dst_file: str) -> None:
    """Write ``text`` to ``dst_file`` as UTF-8, byte for byte (no newline translation)."""
    if not isinstance(text, str):
        raise InvalidParameterValue(f"Invalid text: expected a string, got {type(text).__name__}")
    with open(dst_file, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_dict(dictionary: Any, dst_file: str) -> None:
    """Write ``dictionary`` as YAML for ``.yaml``/``.yml`` files, as JSON for any other name."""
    if _extension(dst_file) in _YAML_EXTENSIONS:
        import yaml

        try:
            content = yaml.safe_dump(
                dictionary, default_flow_style=False, allow_unicode=True, sort_keys=False
            )
        except yaml.YAMLError as exc:
            raise InvalidParameterValue(f"Invalid dictionary: cannot be written as YAML: {exc}") from None
    else:
        try:
            content = json.dumps(dictionary, indent=2, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterValue(f"Invalid dictionary: cannot be written as JSON: {exc}") from None
    write_text(content, dst_file)


def write_figure(figure: Any, dst_file: str) -> None:
    """Save a matplotlib or plotly figure; the format follows the file extension.

    matplotlib figures go through ``savefig`` (PNG when the name has no extension). plotly
    figures are written as self-contained HTML for ``.html``/``.htm`` and as images (which
    needs the ``kaleido`` package) for png/jpg/jpeg/svg/pdf/webp.
    """
    ext = _extension(dst_file)
    if _is_instance_of(figure, "matplotlib.figure", "Figure"):
        try:
            figure.savefig(dst_file, format=ext[1:] or "png")
        except ValueError as exc:
            raise InvalidParameterValue(f"Invalid artifact_file {dst_file!r}: {exc}") from None
        return
    if _is_instance_of(figure, "plotly.basedatatypes", "BaseFigure"):
        if ext in (".html", ".htm"):
            # The plotly.js bundle is embedded: runyard never points artifacts at a CDN.
            figure.write_html(dst_file, include_plotlyjs=True)
        elif ext in _PLOTLY_IMAGE_EXTENSIONS:
            if importlib.util.find_spec("kaleido") is None:
                raise InvalidParameterValue(
                    f"Saving a plotly figure as {ext} needs the 'kaleido' package: "
                    "install it (pip install kaleido) or log the figure as .html"
                )
            figure.write_image(dst_file)
        else:
            raise InvalidParameterValue(
                f"Invalid artifact_file {dst_file!r}: plotly figures can be saved as .html, "
                + ", ".join(_PLOTLY_IMAGE_EXTENSIONS)
            )
        return
    raise InvalidParameterValue(
        f"Invalid figure: expected a matplotlib or plotly figure, got {type(figure).__module__}."
        f"{type(figure).__qualname__}"
    )


def _array_to_pil(array: Any) -> Any:
    import numpy as np
    from PIL import Image

    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidParameterValue(
            f"Invalid image: expected shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"got {array.shape}"
        )
    if array.size == 0:
        raise InvalidParameterValue(f"Invalid image: it is empty (shape {array.shape})")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        low, high = float(np.min(array)), float(np.max(array))
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0.0 or high > 1.0:
            raise InvalidParameterValue(
                f"Invalid image: float pixel values must be in the range [0, 1], "
                f"got values in [{low}, {high}]"
            )
        array = np.rint(array * 255.0).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        low, high = int(np.min(array)), int(np.max(array))
        if low < 0 or high > 255:
            raise InvalidParameterValue(
                f"Invalid image: integer pixel values must be in the range [0, 255], "
                f"got values in [{low}, {high}]"
            )
        array = array.astype(np.uint8)
    else:
        raise InvalidParameterValue(f"Invalid image: unsupported array dtype {array.dtype}")
    # uint8 (H, W), (H, W, 3), (H, W, 4) map to modes L, RGB, RGBA.
    return Image.fromarray(np.ascontiguousarray(array))


def write_image(image: Any, dst_file: str) -> None:
    """Save a numpy array or PIL image; the format follows the extension (PNG without one).

    Arrays may be (H, W) grayscale or (H, W, 1/3/4) channels; float values must lie in
    [0, 1] (scaled to 0..255), integer values in [0, 255]; bool arrays become black/white.
    """
    if _is_instance_of(image, "numpy", "ndarray"):
        pil_image = _array_to_pil(image)
    elif _is_instance_of(image, "PIL.Image", "Image"):
        pil_image = image
    else:
        raise InvalidParameterValue(
            f"Invalid image: expected a numpy.ndarray or PIL.Image.Image, got "
            f"{type(image).__module__}.{type(image).__qualname__}"
        )
    try:
        pil_image.save(dst_file, format=None if _extension(dst_file) else "PNG")
    except (ValueError, OSError, KeyError) as exc:
        raise InvalidParameterValue(f"Cannot save image as {os.path.basename(dst_file)!r}: {exc}") from None


def read_text(path: str) -> str:
    """The UTF-8 text of ``path``, exactly as written by :func:`write_text`."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        raise ResourceDoesNotExist(f"No file at {os.path.basename(path)!r}") from None


def read_dict(path: str) -> Any:
    """Parse ``path`` as YAML (``.yaml``/``.yml``, safe loader) or JSON (anything else)."""
    text = read_text(path)
    if _extension(path) in _YAML_EXTENSIONS:
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidParameterValue(f"{os.path.basename(path)!r} is not valid YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidParameterValue(f"{os.path.basename(path)!r} is not valid JSON: {exc}") from None


def read_image(path: str) -> Any:
    """Open ``path`` as a PIL image, fully loaded, with the file already closed."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return image
    except FileNotFoundError:
        raise ResourceDoesNotExist(f"No file at {os.path.basename(path)!r}") from None
