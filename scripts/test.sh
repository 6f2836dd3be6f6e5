#!/usr/bin/env bash
# Create/use .venv, install runyard with its test dependencies, run pytest.
# Arguments are passed to pytest (e.g. scripts/test.sh tests/test_cli.py -k describe).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi

# The browser tests (tests/ui) drive Debian's Chromium through Playwright; Playwright's own browser
# download is never used. Installed once, beside the pip install; apt's lists are refreshed only
# when the install fails without it.
chromium_job=""
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing Debian's chromium for the browser tests (once)..."
        (
            export DEBIAN_FRONTEND=noninteractive
            log=$(mktemp)
            apt_install() { apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends chromium fonts-liberation >"$log" 2>&1; }
            apt_install || { apt-get update -q >"$log" 2>&1 && apt_install; } || { cat "$log" >&2; exit 1; }
            rm -f "$log"
        ) &
        chromium_job=$!
    else
        echo "NOTE: no /usr/bin/chromium and no root apt-get; the browser tests skip (apt-get install chromium)." >&2
    fi
fi

.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat

if [ -n "$chromium_job" ] && ! wait "$chromium_job"; then
    echo "WARNING: installing chromium failed; the browser tests will skip (or fail under .ci/run)." >&2
fi

set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
exit "$status"
