"""The practices part of ``nucsec demo``: the catalogue on each node, a Japanese and an
English search (the NOFORN practice counted on the US node only), the facilities' latest
scores and the working-group meeting report written as HTML, PDF and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["show_practices"]


def _search(node: Any, user: str, query: str) -> Any:
    from nucsec.service.practice_search import PracticeFilter, search_practices
    from nucsec.service.users import principal_of

    return search_practices(node, principal_of(node, user), PracticeFilter(query), limit=3)


def _scores(node: Any, user: str) -> None:
    from nucsec.service.assessments import facility_assessments
    from nucsec.service.facilities import list_facilities
    from nucsec.service.users import principal_of

    reader = principal_of(node, user)
    for item in list_facilities(node, reader).items:
        found = facility_assessments(node, reader, item.id)
        trend = " -> ".join(
            f"{a.assessed_on}: {a.scores['overall']['maturity']:.1f}" for a in found
        )
        click.echo(f"  {item.title[:60]:60} {item.origin or 'here':5} {trend}")


def show_practices(nodes: dict[str, Any], base: Path) -> None:
    """Print the practices part of the showing and write the meeting reports."""
    from nucsec.reports import render_html, render_pdf
    from nucsec.service.practice_report import meeting_csv, meeting_data, meeting_report
    from nucsec.service.users import principal_of

    usa, jpn = nodes["usa"], nodes["jpn"]
    for name, node, user in (("USA", usa, "doe.analyst"), ("JPN", jpn, "npa.analyst")):
        found = _search(node, user, "insider")
        click.echo(
            f"{name} node, {user} searches 'insider': {found.total} practices; facets "
            f"by status {found.facets['status']}"
        )
    ja = _search(jpn, "npa.analyst", "核物質")
    click.echo(f"JPN node, npa.analyst searches '核物質': {ja.total} practices, best first:")
    for item in ja.items:
        click.echo(f"  {item.code:8} {item.portion:24} {item.title}")
    click.echo("Facilities on the USA node as dhs.chief (overall maturity 0-100 per assessment):")
    _scores(usa, "dhs.chief")
    out = base / "reports"
    out.mkdir(parents=True, exist_ok=True)
    reader = principal_of(usa, "doe.chief")
    data = meeting_data(usa, reader)
    report = meeting_report(usa, data)
    (out / "meeting_usa.html").write_text(render_html(report, usa.ctx, reader), encoding="utf-8")
    (out / "meeting_usa.pdf").write_bytes(render_pdf(report, usa.ctx, reader))
    (out / "meeting_usa.csv").write_text(meeting_csv(data), encoding="utf-8")
    click.echo(f"Meeting report for doe.chief written to {out} (meeting_usa.html, .pdf, .csv)")
