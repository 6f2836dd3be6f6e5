#!/usr/bin/env bash
# Create/use .venv, install runyard with its test dependencies, run pytest.
# Arguments are passed to pytest (e.g. scripts/test.sh tests/test_cli.py -k describe).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat

set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
exit "$status"
