"""Run ``runyard models serve|predict`` inside a model's own environment.

The parent resolves the model to a local directory and builds (or reuses) the environment, then
runs ``<env python> -I -m runyard.cli models <command> -m <dir> ... --env-manager local`` there.
``-I`` keeps the working directory and ``PYTHON*`` variables out of the child's ``sys.path``, so
the runyard installed in the environment is the one that runs, even from a source checkout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from runyard.scoring.environments import prepare_environment
from runyard.scoring.model_files import local_model

_FORWARDED = (signal.SIGTERM, signal.SIGHUP)


def child_command(python: Path, command: str, model_dir: str, args: Sequence[str]) -> list[str]:
    """The command line that runs ``runyard models <command>`` in an environment's interpreter."""
    return [str(python), "-I", "-m", "runyard.cli", "models", command, "-m", model_dir, *args,
            "--env-manager", "local"]


def _wait_forwarding(argv: list[str]) -> int:
    child = subprocess.Popen(argv)
    previous = {}

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signum)

    for signum in _FORWARDED:
        previous[signum] = signal.signal(signum, forward)
    # Ctrl-C reaches the child from the terminal; the parent stays to clean up after it.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_in_environment(model_uri: str, manager: str, root: str, command: str, args: Sequence[str],
                       log: Callable[[str], None]) -> int:
    """Run ``runyard models <command>`` for ``model_uri`` in its ``manager`` environment under
    ``root``; returns the exit status. A model already on disk is served by replacing this process
    (``exec``); a downloaded one by a child process, so that the download is removed afterwards."""
    with local_model(model_uri) as (model_dir, temporary):
        prepared = prepare_environment(model_dir, manager, root, log)
        argv = child_command(prepared.python, command, model_dir, args)
        if not temporary and command == "serve":
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(argv[0], argv)
        return _wait_forwarding(argv)
