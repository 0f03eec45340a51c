"""The ``nucsec`` command.

Sub-commands live in their own modules and are imported only when invoked, so that
``nucsec label parse`` does not pay for SciPy or FastAPI. :data:`COMMANDS` is the one
table of sub-commands: name -> ``module:attribute``.

Exit codes come from :data:`nucsec.errors.STATUS_TABLE` (2 bad input, 3 not allowed,
4 not found, 5 integrity failure, ...).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence

import click

from nucsec.errors import NucsecError, status_for

__all__ = ["COMMANDS", "cli", "main"]

COMMANDS: dict[str, str] = {
    "init": "nucsec.cli.node:init_cmd",
    "node": "nucsec.cli.node:node_group",
    "demo": "nucsec.cli.demo:demo_cmd",
    "user": "nucsec.cli.users:user_group",
    "document": "nucsec.cli.documents:document_group",
    "explain": "nucsec.cli.documents:explain_cmd",
    "label": "nucsec.cli.markings:label_group",
    "policy": "nucsec.cli.markings:policy_group",
    "audit": "nucsec.cli.audit:audit_group",
    "token": "nucsec.cli.web:token_group",
    "serve": "nucsec.cli.web:serve_cmd",
    "peer": "nucsec.cli.federation:peer_group",
    "sync": "nucsec.cli.federation:sync_cmd",
    "release": "nucsec.cli.federation:release_group",
    "spectrum": "nucsec.cli.spectrum:spectrum_group",
    "age": "nucsec.cli.age:age_group",
    "categorize": "nucsec.cli.incidents:categorize_group",
    "incident": "nucsec.cli.incidents:incident_group",
    "analysis": "nucsec.cli.analyses:analysis_group",
    "archive": "nucsec.cli.archive:archive_group",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # the capability is not installed in this build
            raise
        command: click.Command | None = getattr(module, attr, None)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nucsec")
def cli() -> None:
    """nucsec — node of the Japan–US Nuclear Security Working Group."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn errors into messages and exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="nucsec", standalone_mode=False)
    except NucsecError as exc:
        exit_code, _ = status_for(exc)
        if "--json" in args:
            click.echo(json.dumps(exc.to_dict(), ensure_ascii=False), err=True)
        else:
            click.echo(f"error: {exc.message}", err=True)
        return exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
