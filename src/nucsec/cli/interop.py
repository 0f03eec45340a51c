"""``nucsec import`` and ``nucsec export``: STIX 2.1 with MISP, OpenCTI and other platforms.

``nucsec import stix FILE --label L --as USER`` imports a third-party bundle under the
officer's label (:func:`nucsec.federation.stix_import.import_stix`); ``nucsec import taxii
URL --collection ID ...`` pulls a TAXII 2.1 collection into the same import
(:mod:`nucsec.federation.taxii_pull`); ``nucsec export stix
--as USER [--kind incident|document]`` writes the ecosystem bundle
(:func:`nucsec.federation.ecosystem.export_ecosystem`). See ``docs/interop.md``.
"""

from __future__ import annotations

from typing import Any

import click

from nucsec.cli._common import emit, json_option

__all__ = ["export_group", "import_group"]


def _summary(result: dict[str, Any]) -> str:
    lines = [
        f"bundle {result['bundle']} from {result['producer'] or 'an unnamed producer'}: "
        f"created {len(result['created'])}, updated {len(result['updated'])}, "
        f"unchanged {len(result['unchanged'])}, refused {len(result['refused'])}"
    ]
    lines += [f"  {r['id']}: {r['reason']}: {r['message']}" for r in result["refused"]]
    return "\n".join(lines)


@click.group("import")
def import_group() -> None:
    """Import records from other platforms (STIX 2.1)."""


@import_group.command("stix")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "as_user", required=True)
@click.option(
    "--label",
    "label_text",
    required=True,
    help="label of every imported record (never wider than the bundle's markings)",
)
@json_option
def import_stix_cmd(path: str, as_user: str, label_text: str, as_json: bool) -> None:
    """Import a STIX 2.1 bundle (MISP, OpenCTI): incidents, reports and notes become
    incidents and documents; refusals are listed per object with their reason."""
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.federation.stix_import import import_stix
    from nucsec.markings import parse_label

    data = Path(path).read_bytes()
    with node() as n:
        result = import_stix(n, acting(n, as_user), data, parse_label(label_text, n.ctx))
    emit(result, as_json, _summary)


@import_group.command("taxii")
@click.argument("url")
@click.option("--collection", required=True, help="the collection's id (a UUID)")
@click.option("--as", "as_user", required=True)
@click.option("--label", "label_text", required=True, help="label of every imported record")
@click.option("--user", default=None, help="HTTP basic user of the TAXII server")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--page-size", type=click.IntRange(1, 10_000), default=100, show_default=True)
@json_option
def import_taxii_cmd(
    url: str,
    collection: str,
    as_user: str,
    label_text: str,
    user: str | None,
    password_file: str | None,
    page_size: int,
    as_json: bool,
) -> None:
    """Pull a TAXII 2.1 collection (URL: the API root) into the STIX import."""
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.federation.taxii_pull import pull_taxii
    from nucsec.markings import parse_label

    password = Path(password_file).read_text(encoding="utf-8").strip() if password_file else None
    with node() as n:
        result = pull_taxii(
            n,
            acting(n, as_user),
            url,
            collection,
            parse_label(label_text, n.ctx),
            user=user,
            password=password,
            page_size=page_size,
        )
    emit(result, as_json, _summary)


@click.group("export")
def export_group() -> None:
    """Export records for other platforms (STIX 2.1)."""


@export_group.command("stix")
@click.option("--as", "as_user", required=True)
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(["incident", "document"]),
    multiple=True,
    help="record kinds to export (default: both)",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None)
def export_stix_cmd(as_user: str, kinds: tuple[str, ...], output: str | None) -> None:
    """Standard STIX 2.1 objects beside ours, for MISP and OpenCTI: what the user may
    export, nothing NOFORN."""
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.federation.ecosystem import export_ecosystem

    with node() as n:
        text = export_ecosystem(n, acting(n, as_user), kinds or ("incident", "document"))
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)
