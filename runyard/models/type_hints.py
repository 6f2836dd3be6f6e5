"""Type hints of a ``PythonModel.predict`` and the small records MLflow 3 pickles alongside them.

A custom model pickled by MLflow 3 carries instances of ``mlflow.models.signature._TypeHints`` and,
when ``predict`` has type hints, a wrapper that refers to ``FuncInfo`` and ``_validate_model_input``
of ``mlflow.pyfunc.utils.data_validation``. These are their runyard counterparts, so such pickles
load without MLflow; ``runyard.models.mlflow_pickles`` maps the references here.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, NamedTuple


class TypeHints:
    """The input and output type hints of ``predict`` (MLflow's ``_TypeHints`` shape)."""

    def __init__(self, input_: Any = None, output: Any = None) -> None:
        self.input = input_
        self.output = output

    def __repr__(self) -> str:
        return f"<input: {self.input}, output: {self.output}>"


class FuncInfo(NamedTuple):
    input_type_hint: Any
    input_param_name: str


def validate_model_input(args: tuple, kwargs: dict, model_input_index: int, type_hint: Any,
                         model_input_param_name: str) -> tuple[tuple, dict]:
    """Stands in for MLflow's type-hint validation inside a pickled ``predict`` wrapper.

    runyard's pyfunc wrapper has already shaped the input for list type hints; other values pass
    through unchanged (the model's own code sees what the caller gave).
    """
    return args, kwargs


def context_in_signature(parameters: typing.Mapping[str, inspect.Parameter]) -> bool:
    """Whether ``predict`` takes a context first: a parameter named ``context``, or exactly two
    parameters besides ``self`` and ``params`` (MLflow's rule)."""
    return "context" in parameters or len([p for p in parameters if p not in ("self", "params")]) == 2


def predict_type_hints(predict: Any) -> TypeHints:
    """The type hints of a ``predict`` method (bound or not), unwrapping decorators."""
    func = inspect.unwrap(predict)
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable forward references mean "no hints"
        hints = getattr(func, "__annotations__", {}) or {}
    names = [p for p in inspect.signature(func).parameters if p not in ("self", "params")]
    input_name = names[1] if context_in_signature(inspect.signature(func).parameters) and len(names) > 1 else (
        names[0] if names else None)
    return TypeHints(hints.get(input_name) if input_name else None, hints.get("return"))


def is_list_of(hint: Any, item: type) -> bool:
    """``hint`` is ``list[item]`` (``list[str]``, ``list[dict[...]]``)."""
    if typing.get_origin(hint) is not list:
        return False
    args = typing.get_args(hint)
    if not args:
        return False
    inner = typing.get_origin(args[0]) or args[0]
    return inner is item
