#!/usr/bin/env bash
# Create .venv (if missing) and install runyard into it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e . --config-settings editable_mode=compat
echo "runyard installed in $(pwd)/.venv ($(.venv/bin/runyard --version))"
