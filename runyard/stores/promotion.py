"""Promotion policies for the model registry: read from a small JSON or YAML file, and checked
against a version's tags and stage history before a stage transition.

File format (JSON, or the same shape in YAML)::

    {"rules": [
        {"stage": "Production",
         "required_tags": {"validation_status": "approved"},
         "required_previous_stage": "Staging"}
    ]}

A rule applies to transitions *to* its stage; every rule for that stage must hold.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from runyard.entities.registry import ModelVersionStage
from runyard.errors import InvalidParameterValue, PermissionDenied
from runyard.stores.registry import PromotionPolicy, PromotionRule

_RULE_KEYS = ("stage", "required_tags", "required_previous_stage")


def _fail(source: str, message: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid promotion policy {source}: {message}")


def _rule(entry: Any, where: str, source: str) -> PromotionRule:
    if not isinstance(entry, Mapping):
        raise _fail(source, f"{where} must be an object with 'stage' (and 'required_tags', "
                            f"'required_previous_stage'), got {type(entry).__name__}")
    unknown = sorted(str(key) for key in entry if key not in _RULE_KEYS)
    if unknown:
        raise _fail(source, f"{where} has unknown key(s) {', '.join(unknown)}; expected {', '.join(_RULE_KEYS)}")
    try:
        stage = ModelVersionStage.canonical(entry.get("stage"))
        previous = entry.get("required_previous_stage")
        previous = None if previous is None else ModelVersionStage.canonical(previous)
    except InvalidParameterValue as exc:
        raise _fail(source, f"{where}: {exc.message}") from None
    tags = entry.get("required_tags") or {}
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise _fail(source, f"{where}.required_tags must map tag keys to string values, got {tags!r}")
    return PromotionRule(stage=stage, required_tags=dict(tags), required_previous_stage=previous)


def parse_promotion_policy(data: Any, source: str = "(inline)") -> PromotionPolicy:
    """A policy from its parsed form: ``{"rules": [...]}`` (a bare list of rules is taken too)."""
    if isinstance(data, Mapping):
        unknown = sorted(str(key) for key in data if key != "rules")
        if unknown:
            raise _fail(source, f"unknown top-level key(s) {', '.join(unknown)}; expected 'rules'")
        data = data.get("rules", [])
        data = [] if data is None else data
    if not isinstance(data, list):
        raise _fail(source, f"expected {{'rules': [...]}}, got {type(data).__name__}")
    return PromotionPolicy(rules=tuple(_rule(entry, f"rules[{index}]", source) for index, entry in enumerate(data)))


def load_promotion_policy(path: str | Path) -> PromotionPolicy:
    """Read a policy file: JSON (``.json``) or YAML (anything else; YAML also reads JSON)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(source, f"cannot read it ({exc.__class__.__name__}: {exc})") from None
    if source.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _fail(source, f"not valid JSON ({exc})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _fail(source, f"not valid YAML ({exc})") from None
    return parse_promotion_policy(data if data is not None else {}, source)


def check_promotion(policy: PromotionPolicy | None, name: str, version: str, stage: str,
                    tags: Mapping[str, str], past_stages: Collection[str]) -> None:
    """Raise PermissionDenied naming the first rule that moving ``name`` version ``version`` to
    ``stage`` breaks; ``past_stages`` are the stages the version has been in (its current one too)."""
    if policy is None:
        return
    for rule in policy.rules:
        if rule.stage != stage:
            continue
        for key, value in rule.required_tags.items():
            if tags.get(key) != value:
                found = "it is not set" if key not in tags else f"it is {tags[key]!r}"
                raise PermissionDenied(
                    f"Moving {name} version {version} to {stage} requires the tag {key}={value} ({found})"
                )
        if rule.required_previous_stage is not None and rule.required_previous_stage not in past_stages:
            raise PermissionDenied(
                f"Moving {name} version {version} to {stage} requires that the version has been in "
                f"{rule.required_previous_stage} first"
            )
