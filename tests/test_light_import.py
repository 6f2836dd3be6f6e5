"""``import runyard`` must stay light: heavy libraries load only when first used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "alembic", "pandas", "numpy", "urllib3", "requests", "httpx", "starlette",
         "uvicorn", "boto3", "sklearn", "torch")


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_runyard_is_light():
    assert _loaded_after("import runyard") == []


def test_facade_attributes_are_light():
    code = ("import runyard\nrunyard.tracking.MlflowClient\nrunyard.artifacts.load_text\n"
            "runyard.entities.Run\nrunyard.exceptions.MlflowException\nimport runyard.fluent, runyard.client")
    assert _loaded_after(code) == []


def test_every_public_name_resolves_through_the_lazy_facade():
    import runyard
    import runyard.fluent

    for name in runyard.__all__:
        assert getattr(runyard, name) is not None, name
    missing = set(runyard.fluent.__all__) - set(runyard.__all__)
    assert not missing, f"fluent functions not exported by runyard: {sorted(missing)}"
    assert runyard.__all__ == sorted(runyard.__all__)
