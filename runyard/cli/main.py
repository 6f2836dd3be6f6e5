"""The ``runyard`` command group and the one place that turns failures into exit codes.

Every command module imports the client or the SQL store inside its functions, so that
``runyard --version`` and ``--help`` never pay for SQLAlchemy.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn, Sequence

import click

from runyard import __version__
from runyard.cli.db import db
from runyard.cli.experiments import experiments
from runyard.cli.models import models
from runyard.cli.runs import runs
from runyard.cli.server import server, ui
from runyard.errors import RunyardException


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str, exit_code: int) -> NoReturn:
    click.echo(f"Error: {_one_line(message)}", err=True)
    sys.exit(exit_code)


class RunyardGroup(click.Group):
    """A group whose failures print exactly one ``Error: ...`` line and no traceback."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = f" Try '{exc.ctx.command_path} --help'." if exc.ctx is not None else ""
            _fail(exc.format_message() + hint, exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("Aborted.", 1)
        except RunyardException as exc:
            _fail(exc.message, 1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(name="runyard", cls=RunyardGroup)
@click.version_option(__version__, "--version", prog_name="runyard", message="%(prog)s, version %(version)s")
def cli() -> None:
    """runyard: experiment tracking that speaks MLflow."""


cli.add_command(experiments)
cli.add_command(runs)
cli.add_command(models)
cli.add_command(db)
cli.add_command(server)
cli.add_command(ui)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="runyard")
