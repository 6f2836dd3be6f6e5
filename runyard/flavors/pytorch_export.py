"""The ``pt2`` format of the PyTorch flavor: a ``torch.export`` program in ``data/model.pt2``.

Exporting traces ``forward`` on the input example, so it needs an example of tensors (numpy arrays
or torch tensors; several for a model with several inputs) and a signature of TensorSpecs, whose
``-1`` dimensions become dynamic (``Dim.AUTO``: a size-1 example dimension is exported as fixed, as
in MLflow). The model is exported in eval mode, as a pickled model is loaded in eval mode, so
dropout and batch norm behave at inference as they do for a pickled model.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.models import input_example as examples

MIN_TORCH_VERSION = (2, 4)


@dataclass(frozen=True)
class ExampleInputs:
    """An input example taken apart: what is written as ``input_example.json`` (numpy for tensors,
    None for several tensor inputs, which MLflow's example files cannot hold) and the tensors to
    trace the export with (None when the example is not made of tensors)."""

    saved: Any
    tensors: tuple[Any, ...] | None


def _is_tensor(value: Any) -> bool:
    module = type(value).__module__
    return (module == "numpy" and type(value).__name__ == "ndarray") or (
        module.startswith("torch") and _is_torch_tensor(value))


def _is_torch_tensor(value: Any) -> bool:
    import torch  # noqa: PLC0415 - loaded already when a value comes from torch

    return isinstance(value, torch.Tensor)


def _as_numpy(value: Any) -> Any:
    return value.detach().cpu().numpy() if _is_torch_tensor(value) else value


def split_example(input_example: Any) -> ExampleInputs:
    """The parts of ``input_example`` (see ``ExampleInputs``); params given as ``(data, params)`` stay."""
    if input_example is None:
        return ExampleInputs(None, None)
    data, params = examples.example_data(input_example), examples.example_params(input_example)
    if isinstance(data, (tuple, list)) and data and all(_is_tensor(v) for v in data):
        if len(data) > 1:
            return ExampleInputs(None, tuple(data))
        data = data[0]
    if not _is_tensor(data):
        return ExampleInputs(input_example, None)
    saved = _as_numpy(data)
    return ExampleInputs((saved, params) if params else saved, (data,))


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[Any]:
    """``model`` in eval mode for the block (batch norm statistics are not updated by a prediction
    on the example); its own modes restored after."""
    modes = [(module, module.training) for module in model.modules()] if hasattr(model, "modules") else []
    if modes:
        model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def torch_supports_export() -> bool:
    import torch  # noqa: PLC0415

    release = torch.__version__.split("+", 1)[0].split(".")
    try:
        return tuple(int(part) for part in release[:2]) >= MIN_TORCH_VERSION
    except ValueError:
        return True


def export_refusal(model: Any, example: ExampleInputs, signature: Any) -> str | None:
    """Why ``model`` cannot be saved as pt2 with this example and signature; None when it can."""
    import torch  # noqa: PLC0415

    if not torch_supports_export():
        return f"the 'pt2' format needs torch >= 2.4 (installed: {torch.__version__})"
    if isinstance(model, torch.jit.ScriptModule):
        return "the 'pt2' format does not take torch.jit.ScriptModule models"
    if example.tensors is None:
        return ("the 'pt2' format needs an input_example of tensors (a numpy array or torch tensor, or a "
                "tuple of them): torch.export traces forward() on it")
    inputs = getattr(signature, "inputs", None) if signature else None
    if inputs is None or not inputs.inputs or not inputs.is_tensor_spec():
        return ("the 'pt2' format needs a signature whose inputs are TensorSpecs (inferred from a numpy "
                "or tensor input_example, or given)")
    if len(inputs.inputs) != len(example.tensors):
        return (f"the signature has {len(inputs.inputs)} tensor inputs but the input_example has "
                f"{len(example.tensors)}")
    return None


def _model_device(model: Any) -> Any:
    first = next(itertools.chain(model.parameters(), model.buffers()), None)
    return first.device if first is not None else None


def export(model: Any, example: ExampleInputs, signature: Any) -> Any:
    """The ``torch.export`` program of ``model`` (in eval mode) traced on the example tensors."""
    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from torch.export import Dim  # noqa: PLC0415

    device = _model_device(model)
    args = []
    for value in example.tensors or ():
        if _is_torch_tensor(value):
            tensor = value
        else:
            array = np.ascontiguousarray(value)
            tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
        args.append(tensor.to(device) if device is not None else tensor)
    dynamic_shapes = []
    for spec, tensor in zip(signature.inputs.inputs, args, strict=True):
        dims = {}
        for index, size in enumerate(spec.shape):
            if size != -1:
                continue
            if hasattr(Dim, "AUTO"):
                dims[index] = Dim.AUTO
            elif tensor.shape[index] > 1:  # torch < 2.6: a size-1 dimension cannot be marked dynamic
                dims[index] = Dim(f"dim_{index}")  # shared by index: inputs share their batch dimension
        dynamic_shapes.append(dims or None)
    with eval_mode(model):
        return torch.export.export(model, tuple(args), dynamic_shapes=dynamic_shapes)


def load_program(path: str, device: Any = None, explicit_device: bool = True) -> Any:
    """The module of the exported program at ``path``, its weights moved to ``device`` when given
    (where the export pass exists; otherwise a mismatch is refused when ``explicit_device``)."""
    import torch  # noqa: PLC0415

    program = torch.export.load(path)
    if device is not None:
        target = torch.device(device)
        held = {t.device.type for t in itertools.chain(program.parameters(), program.buffers())}
        if held and held != {target.type}:
            move = getattr(getattr(torch.export, "passes", None), "move_to_device_pass", None)
            if move is not None:
                program = move(program, target)
            elif explicit_device:
                raise InvalidParameterValue(
                    f"The exported (pt2) model holds weights on {sorted(held)} and this torch cannot move an "
                    f"exported program to {target.type!r}; save it with the model on {target.type!r}")
    return program.module()
