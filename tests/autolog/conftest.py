"""Autolog tests: every test starts with a fresh embedded store and leaves every flavor's
autologging off (its patches undone), whatever it enabled."""

from __future__ import annotations

import pytest

from runyard.autologging import configs, patching


@pytest.fixture(autouse=True)
def autolog_off(tracking):
    yield tracking
    for flavor in [*configs.enabled_flavors(), "sklearn", "xgboost", "lightgbm", "toy"]:
        configs.clear_config(flavor)
        patching.unpatch(flavor)
