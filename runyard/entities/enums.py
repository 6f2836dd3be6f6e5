"""Enumerations shared with MLflow's wire format (names on the wire, ints in protobuf)."""

from __future__ import annotations

from runyard.errors import InvalidParameterValue


class RunStatus:
    """Run states; values are MLflow's protobuf numbers, names are what the wire carries."""

    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    _NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
    _VALUES = {v: k for k, v in _NAMES.items()}

    @classmethod
    def to_string(cls, status: int) -> str:
        try:
            return cls._NAMES[status]
        except KeyError:
            raise InvalidParameterValue(f"Could not get string corresponding to run status {status}") from None

    @classmethod
    def from_string(cls, name: str) -> int:
        try:
            return cls._VALUES[str(name).upper()]
        except KeyError:
            raise InvalidParameterValue(
                f"Invalid run status {name!r}: expected one of {', '.join(cls._VALUES)}"
            ) from None

    @classmethod
    def all_status(cls) -> list[int]:
        return list(cls._NAMES)

    @classmethod
    def is_terminated(cls, status: int | str) -> bool:
        if isinstance(status, str):
            status = cls.from_string(status)
        return status in (cls.FINISHED, cls.FAILED, cls.KILLED)

    @classmethod
    def normalize(cls, status: int | str) -> str:
        """Canonical status name from a name (any case) or a number."""
        if isinstance(status, int):
            return cls.to_string(status)
        return cls.to_string(cls.from_string(status))


class ViewType:
    """Which lifecycle stages a search returns."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _NAMES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}

    @classmethod
    def from_string(cls, name: str) -> int:
        try:
            return cls._NAMES[str(name).upper()]
        except KeyError:
            raise InvalidParameterValue(
                f"Invalid view_type {name!r}: expected one of ACTIVE_ONLY, DELETED_ONLY, ALL"
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        for name, value in cls._NAMES.items():
            if value == view_type:
                return name
        raise InvalidParameterValue(f"Invalid view_type {view_type!r}: expected 1, 2 or 3")

    @classmethod
    def normalize(cls, view_type: int | str | None) -> int:
        if view_type is None:
            return cls.ACTIVE_ONLY
        if isinstance(view_type, str):
            return cls.from_string(view_type)
        if view_type not in (1, 2, 3):
            raise InvalidParameterValue(f"Invalid view_type {view_type!r}: expected 1, 2 or 3")
        return int(view_type)


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"

    @classmethod
    def stages_for(cls, view_type: int) -> tuple[str, ...]:
        if view_type == ViewType.ACTIVE_ONLY:
            return (cls.ACTIVE,)
        if view_type == ViewType.DELETED_ONLY:
            return (cls.DELETED,)
        return (cls.ACTIVE, cls.DELETED)
