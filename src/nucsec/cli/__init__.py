"""The ``nucsec`` command.

Sub-commands live in their own modules and are imported only when invoked, so that
``nucsec label parse`` does not pay for SciPy or FastAPI. :data:`COMMANDS` is the one
table of sub-commands: name -> the function that imports its module (an explicit import,
checked by the type checker and the import-graph test) and returns the command.

Exit codes come from :data:`nucsec.errors.STATUS_TABLE` (2 bad input, 3 not allowed,
4 not found, 5 integrity failure, ...).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence

import click

from nucsec.errors import NucsecError, status_for

__all__ = ["COMMANDS", "cli", "main"]


def _node(name: str) -> click.Command:
    from nucsec.cli import node

    return {"init": node.init_cmd, "node": node.node_group}[name]


def _demo(name: str) -> click.Command:
    from nucsec.cli import demo

    return demo.demo_cmd


def _users(name: str) -> click.Command:
    from nucsec.cli import users

    return users.user_group


def _documents(name: str) -> click.Command:
    from nucsec.cli import documents

    return {"document": documents.document_group, "explain": documents.explain_cmd}[name]


def _markings(name: str) -> click.Command:
    from nucsec.cli import markings

    return {"label": markings.label_group, "policy": markings.policy_group}[name]


def _audit(name: str) -> click.Command:
    from nucsec.cli import audit

    return audit.audit_group


def _web(name: str) -> click.Command:
    from nucsec.cli import web

    return {"token": web.token_group, "serve": web.serve_cmd}[name]


def _federation(name: str) -> click.Command:
    from nucsec.cli import federation

    commands = {
        "peer": federation.peer_group,
        "sync": federation.sync_cmd,
        "release": federation.release_group,
    }
    return commands[name]


def _spectrum(name: str) -> click.Command:
    from nucsec.cli import spectrum

    return spectrum.spectrum_group


def _age(name: str) -> click.Command:
    from nucsec.cli import age

    return age.age_group


def _incidents(name: str) -> click.Command:
    from nucsec.cli import incidents

    return {"categorize": incidents.categorize_group, "incident": incidents.incident_group}[name]


def _analyses(name: str) -> click.Command:
    from nucsec.cli import analyses

    return analyses.analysis_group


def _cases(name: str) -> click.Command:
    from nucsec.cli import cases

    return cases.case_group


def _archive(name: str) -> click.Command:
    from nucsec.cli import archive

    return archive.archive_group


def _library(name: str) -> click.Command:
    from nucsec.cli import library

    return library.library_group


def _interop(name: str) -> click.Command:
    from nucsec.cli import interop

    return {"import": interop.import_group, "export": interop.export_group}[name]


def _practices(name: str) -> click.Command:
    from nucsec.cli import facilities, practices

    commands = {
        "practice": practices.practice_group,
        "framework": practices.framework_group,
        "facility": facilities.facility_group,
    }
    return commands[name]


#: sub-command name -> the loader that imports its module and returns it
COMMANDS: dict[str, Callable[[str], click.Command]] = {
    "init": _node,
    "node": _node,
    "demo": _demo,
    "user": _users,
    "document": _documents,
    "explain": _documents,
    "label": _markings,
    "policy": _markings,
    "audit": _audit,
    "token": _web,
    "serve": _web,
    "peer": _federation,
    "sync": _federation,
    "release": _federation,
    "spectrum": _spectrum,
    "age": _age,
    "categorize": _incidents,
    "incident": _incidents,
    "analysis": _analyses,
    "archive": _archive,
    "library": _library,
    "import": _interop,
    "export": _interop,
    "practice": _practices,
    "framework": _practices,
    "facility": _practices,
    "case": _cases,
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        load = COMMANDS.get(cmd_name)
        return None if load is None else load(cmd_name)


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
