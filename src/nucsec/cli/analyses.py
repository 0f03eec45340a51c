"""``nucsec analysis list|show``: shared analyses (spectrum and age results under a label).

Analyses are made in the web UI or through ``POST /api/v1/analyses``; the CLI reads them
through :mod:`nucsec.service.analyses` (policy-filtered and audited like every read).

Examples::

    nucsec analysis list --as npa.analyst --json
    nucsec analysis show ID --as doe.analyst
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nucsec.service.views import AnalysisView

from nucsec.cli._common import emit, json_option, renderings_line
from nucsec.forensics.spectra.enrichment import enrichment_text

__all__ = ["analysis_group"]


@click.group("analysis")
def analysis_group() -> None:
    """Shared analyses: gamma-spectrum and age results, each under its own label."""


@analysis_group.command("list")
@click.option("--as", "as_user", required=True, help="acting user")
@click.option("--query", "-q", default=None, help="search text")
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None, help="cursor from the previous page")
@json_option
def list_cmd(as_user: str, query: str | None, limit: int, after: str | None, as_json: bool) -> None:
    """The analyses the user may read, newest first."""
    from nucsec.cli._node import acting, node
    from nucsec.service.analyses import list_analyses

    with node() as n:
        page = list_analyses(n, acting(n, as_user), query=query, limit=limit, after=after)
    emit(
        page,
        as_json,
        lambda p: (
            "\n".join(f"{i.id}  {i.portion:28} {i.title}" for i in p.items) or "(no analyses)"
        ),
    )


def _show(v: AnalysisView) -> str:
    lines = [v.banner, renderings_line(v.banners), f"{v.title}  ({v.method}, version {v.version})"]
    versions = ", ".join(f"{k} {x}" for k, x in v.versions.items())
    lines.append(f"computed by {versions}")
    source = v.source or {}
    if source.get("kind"):
        lines.append(f"input: {source['kind']} {source['id']}")
    if source.get("attachment"):
        att = source["attachment"]
        lines.append(f"file: {att['name']} sha256 {att['sha256']}")
    result = v.result
    if v.method == "spectrum":
        for n in result.get("nuclides", []):
            lines.append(f"  {n['name']:8s} {n['category']:11s} confidence {n['confidence']:.2f}")
        enr = result.get("enrichment")
        if enr:
            lines.append(f"  enrichment {enrichment_text(enr)}")
    elif v.method == "age":
        age, u = result.get("age_years"), result.get("u_age_years")
        if age is not None and u is not None:
            lines.append(f"  {result['chronometer']}: {age:.6g} ± {u:.3g} y (k=1)")
        if result.get("model_date"):
            lines.append(f"  model date {result['model_date']}")
    lines.append(v.banner)
    return "\n".join(lines)


@analysis_group.command("show")
@click.argument("analysis_id")
@click.option("--as", "as_user", required=True, help="acting user")
@json_option
def show_cmd(analysis_id: str, as_user: str, as_json: bool) -> None:
    """One analysis with its result; exit 4 if hidden or absent."""
    from nucsec.cli._node import acting, node
    from nucsec.service.analyses import get_analysis

    with node() as n:
        view = get_analysis(n, acting(n, as_user), analysis_id)
    emit(view, as_json, _show)
