"""``nucsec label ...`` and ``nucsec policy ...``: markings and decisions.

They need no database, but they read the node's marking data: the ``markings_dir``
setting (``NUCSEC_MARKINGS_DIR``, or the node's ``node.toml`` in ``NUCSEC_HOME``), else the
data shipped with nucsec; every face of a node parses labels with the same context.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option
from nucsec.errors import InputError

if TYPE_CHECKING:
    from nucsec.markings import MarkingContext

__all__ = ["label_group", "policy_group"]


def _context() -> MarkingContext:
    """The node's marking context (see the module docstring)."""
    from nucsec.markings import context_for
    from nucsec.settings import load

    return context_for(load().markings_dir)


def _describe(label_text: str) -> dict[str, object]:
    from nucsec.markings import (
        parse_label,
        render_banner,
        render_in,
        render_portion,
        renderings,
    )

    ctx = _context()
    label = parse_label(label_text, ctx)
    nations = ctx.agreement(label.legal_basis).nations
    return {
        **label.to_dict(),
        "banner": render_banner(label, ctx),
        "portion": render_portion(label, ctx),
        "banner_ja": render_in(label, ctx, "JPN", "ja") if "JPN" in nations else None,
        "banner_usa": render_in(label, ctx, "USA", "en") if "USA" in nations else None,
        "banners": renderings(label, ctx),
        "rank": label.rank(ctx),
        "legal_basis_effective": ctx.agreement(label.legal_basis).legal_basis,
    }


@click.group("label")
def label_group() -> None:
    """Parse and render protective markings."""


@label_group.command("parse")
@click.argument("text")
@json_option
def parse_cmd(text: str, as_json: bool) -> None:
    """Parse a banner, portion mark or JSON label; exit 2 with the error if it is bad."""
    emit(_describe(text), as_json, lambda d: "\n".join(f"{k}: {v}" for k, v in d.items()))


@click.group("policy")
def policy_group() -> None:
    """Ask the reference monitor."""


@policy_group.command("check")
@click.option("--principal", "principal_json", required=True, help="principal as JSON")
@click.option("--label", "label_text", required=True, help="banner or JSON label")
@click.option(
    "--action",
    default="read",
    show_default=True,
    type=click.Choice(["read", "create", "update", "release", "export"]),
)
@click.option("--new-label", default=None, help="update: the proposed label")
@click.option("--custodian", default=None, help="release: nation of the releasing node")
@click.option("--orcon-approved", multiple=True, help="release: nations the originator approved")
@json_option
def check_cmd(
    principal_json: str,
    label_text: str,
    action: str,
    new_label: str | None,
    custodian: str | None,
    orcon_approved: tuple[str, ...],
    as_json: bool,
) -> None:
    """Decide ACTION on a label for a principal; print the decision and its reasons."""
    from nucsec.markings import parse_label
    from nucsec.policy import Principal, Resource, decide

    ctx = _context()
    try:
        data = json.loads(principal_json)
    except json.JSONDecodeError as exc:
        raise InputError(f"--principal is not JSON: {exc.msg}", field="principal") from exc
    principal = Principal.from_dict(data, ctx)
    resource = Resource(
        parse_label(label_text, ctx),
        new_label=parse_label(new_label, ctx) if new_label else None,
        custodian=custodian.upper() if custodian else None,
        orcon_approvals=frozenset(n.upper() for n in orcon_approved),
    )
    decision = decide(principal, action, resource, ctx)
    result: dict[str, Any] = {"allowed": decision.allowed, "reasons": decision.reasons}
    emit(
        result,
        as_json,
        lambda r: ("ALLOWED" if r["allowed"] else "DENIED") + "\n  " + "\n  ".join(r["reasons"]),
    )
