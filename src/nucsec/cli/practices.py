"""``nucsec practice ...`` and ``nucsec framework ...``: the best-practice catalogue.

Practices are labelled records read and written as a given user (``--as``); search
obeys the reference monitor in its items, total and facets. Frameworks are the shipped
ones (``framework show``) or a file checked by ``framework import``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option, renderings_line

if TYPE_CHECKING:
    from nucsec.service.practice_search import PracticeResults
    from nucsec.service.practices import PracticeView

__all__ = ["framework_group", "practice_group"]

_as = click.option("--as", "as_user", required=True, help="acting user")


def _show(p: PracticeView) -> str:
    cites = "; ".join(
        f"{c['title']}{' ' + c['section'] if c['section'] else ''}"
        + ("" if c["verified"] else " [unverified]")
        for c in p.citations
    )
    endorsed = p.endorsement
    lines = [
        p.banner,
        renderings_line(p.banners),
        f"id {p.id} · {p.code} · version {p.version} · {p.status} · topic {p.topic}",
        f"{p.portions['title'].portion} {p.title}",
        f"{p.portions['summary'].portion} {p.summary}",
        f"{p.portions['body'].portion} {p.body}" if p.body else "",
        f"applies to: {', '.join(p.applicability) or 'any facility'}",
        f"guidance: {cites}" if cites else "",
        f"endorsed at {endorsed['meeting']} on {endorsed['on']}" if endorsed else "",
        p.banner,
    ]
    return "\n".join(line for line in lines if line)


def _results(r: PracticeResults) -> str:
    lines = [f"{i.id}  {i.portion:24} {i.code:10} {i.status:9} {i.title}" for i in r.items]
    lines.append(f"({r.total} in all)")
    return "\n".join(lines)


@click.group("practice")
def practice_group() -> None:
    """Best practices: add, list, search, show, endorse, adopt, adoption, export."""


@practice_group.command("add")
@_as
@click.option("--title", required=True)
@click.option("--summary", required=True)
@click.option("--body", default="", help="Markdown")
@click.option("--topic", required=True, help="a topic code (see docs/practices.md)")
@click.option("--label", required=True, help="banner or JSON label of every portion")
@click.option("--code", default=None, help="catalogue code (default: generated)")
@click.option("--applicability", "tags", multiple=True, help="tag, e.g. cat:I (repeat)")
@click.option("--node", "nodes", multiple=True, help="framework node, e.g. nti-index:2.1")
@click.option("--cite", "cites", multiple=True, help="guidance id[:section] (repeat)")
@click.option("--status", type=click.Choice(["draft", "proposed"]), default="draft")
@json_option
def add_cmd(
    as_user: str,
    title: str,
    summary: str,
    body: str,
    topic: str,
    label: str,
    code: str | None,
    tags: tuple[str, ...],
    nodes: tuple[str, ...],
    cites: tuple[str, ...],
    status: str,
    as_json: bool,
) -> None:
    """Create a practice; prints {"id": ...} with --json."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.practices import add_practice, practice_record

    record = practice_record(
        title=title,
        summary=summary,
        body=body,
        topic=topic,
        code=code,
        applicability=tags,
        nodes=nodes,
        cites=cites,
        status=status,
    )
    with node() as n:
        made = add_practice(n, acting(n, as_user), record, parse_label(label, n.ctx))
    emit(
        {"id": made.id, "code": made.code, "banner": made.banner, "version": made.version},
        as_json,
        lambda d: f"{d['id']}  {d['code']}  {d['banner']}",
    )


@practice_group.command("list")
@_as
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None, help="cursor: id of the last practice of a page")
@json_option
def list_cmd(as_user: str, limit: int, after: str | None, as_json: bool) -> None:
    """The practices the user may read, newest first."""
    from nucsec.cli._node import acting, node
    from nucsec.service.practices import list_practices

    with node() as n:
        page = list_practices(n, acting(n, as_user), limit=limit, after=after)
    emit(
        page,
        as_json,
        lambda p: (
            "\n".join(f"{i.id}  {i.portion:24} {i.title}" for i in p.items) or "(no practices)"
        ),
    )


@practice_group.command("search")
@click.argument("query", required=False, default="")
@_as
@click.option("--topic", default=None)
@click.option("--applicability", "tags", multiple=True, help="tag the practice has (repeat)")
@click.option("--status", default=None)
@click.option("--limit", default=25, show_default=True)
@click.option("--offset", default=0, show_default=True)
@json_option
def search_cmd(
    query: str,
    as_user: str,
    topic: str | None,
    tags: tuple[str, ...],
    status: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Ranked search (Japanese and English) with filters: {"items", "total", "facets"}."""
    from nucsec.cli._node import acting, node
    from nucsec.service.practice_search import PracticeFilter, search_practices

    flt = PracticeFilter(query or None, topic, tags, status)
    with node() as n:
        found = search_practices(n, acting(n, as_user), flt, limit=limit, offset=offset)
    emit(found, as_json, _results)


@practice_group.command("show")
@click.argument("practice_id")
@_as
@json_option
def show_cmd(practice_id: str, as_user: str, as_json: bool) -> None:
    """One practice; exit 4 "not found" when absent or hidden."""
    from nucsec.cli._node import acting, node
    from nucsec.service.practices import get_practice

    with node() as n:
        found = get_practice(n, acting(n, as_user), practice_id)
    emit(found, as_json, _show)


@practice_group.command("propose")
@click.argument("practice_id")
@_as
@json_option
def propose_cmd(practice_id: str, as_user: str, as_json: bool) -> None:
    """Put a draft to the working group (a new version)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.practices import propose_practice

    with node() as n:
        found = propose_practice(n, acting(n, as_user), practice_id)
    emit(found, as_json, _show)


@practice_group.command("endorse")
@click.argument("practice_id")
@_as
@click.option("--meeting", required=True, help="the working-group meeting")
@click.option("--date", "on", required=True, help="YYYY-MM-DD")
@click.option("--officer", "officers", multiple=True, help="NATION.AGENCY:NAME (repeat)")
@json_option
def endorse_cmd(
    practice_id: str,
    as_user: str,
    meeting: str,
    on: str,
    officers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record the endorsement of a proposed practice: the acting officer and an officer
    of each other member nation (a new version)."""
    from nucsec.cli._node import acting, node
    from nucsec.errors import InputError
    from nucsec.service.practices import endorse_practice, officer_of

    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise InputError("date must read YYYY-MM-DD", field="date", value=on) from None
    with node() as n:
        found = endorse_practice(
            n,
            acting(n, as_user),
            practice_id,
            meeting=meeting,
            on=day,
            officers=tuple(officer_of(o) for o in officers),
            officer_name=as_user,
        )
    emit(found, as_json, _show)


def _day(text: str, field: str = "date") -> date:
    from nucsec.errors import InputError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("date must read YYYY-MM-DD", field=field, value=text) from None


@practice_group.command("adopt")
@click.argument("practice_id")
@_as
@click.option("--date", "on", required=True, help="YYYY-MM-DD")
@click.option("--facility", default=None, help="facility record id (default: your agency)")
@click.option("--evidence", required=True, help="what shows the adoption")
@click.option(
    "--status",
    type=click.Choice(["planned", "in_progress", "adopted"]),
    default="adopted",
    show_default=True,
)
@click.option("--label", required=True, help="banner or JSON label of the adoption")
@json_option
def adopt_cmd(
    practice_id: str,
    as_user: str,
    on: str,
    facility: str | None,
    evidence: str,
    status: str,
    label: str,
    as_json: bool,
) -> None:
    """Record that your agency (or a facility) adopted a practice; prints the adoption."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.adoptions import add_adoption

    day = _day(on)
    with node() as n:
        made = add_adoption(
            n,
            acting(n, as_user),
            practice_id,
            on=day,
            evidence=evidence,
            label=parse_label(label, n.ctx),
            facility_id=facility,
            status=status,
        )
    emit(
        made,
        as_json,
        lambda a: (
            f"{a.id}  {a.practice_code} {a.status} by {a.adopter} on {a.adopted_on}  {a.banner}"
        ),
    )


def _adoption_text(summary: dict[str, Any]) -> str:
    years = summary["years"]
    lines = [f"{summary['facilities']} readable facilities; rates per year {years[0]}-{years[-1]}"]
    for p in summary["practices"]:
        done = ", ".join(p["adopters"]["adopted"]) or "none"
        lines.append(f"{p['code']:10} {p['status']:9} adopted by: {done}")
        if p["rates"]:
            cells = [
                f"{y}: {r:.0f}%" for y, r in zip(years, p["rates"], strict=True) if r is not None
            ]
            lines.append("           " + ", ".join(cells))
    return "\n".join(lines)


@practice_group.command("adoption")
@_as
@json_option
def adoption_cmd(as_user: str, as_json: bool) -> None:
    """Per practice its adopters and, for endorsed ones, the share of readable facilities
    that adopted it by the end of each year."""
    from nucsec.cli._node import acting, node
    from nucsec.service.adoptions import adoption_summary

    with node() as n:
        summary = adoption_summary(n, acting(n, as_user))
    emit(summary, as_json, _adoption_text)


EXPORT_COLUMNS = ("banner", "id", "code", "title", "topic", "status", "owner_agency", "summary")


@practice_group.command("export")
@_as
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_cmd(as_user: str, fmt: str, out: Path | None) -> None:
    """Every practice the user may read, each with its banner (JSON or CSV)."""
    from nucsec.cli._common import to_json
    from nucsec.cli._node import acting, node
    from nucsec.service.practices import export_practices

    with node() as n:
        views = export_practices(n, acting(n, as_user))
    if fmt == "json":
        text = to_json({"items": views, "total": len(views)})
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for v in views:
            writer.writerow([getattr(v, c) for c in EXPORT_COLUMNS])
        text = buffer.getvalue()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@click.group("framework")
def framework_group() -> None:
    """Assessment frameworks: import (check a file), show."""


def _framework_summary(fw: Any) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for n in fw.nodes:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    return {
        "id": fw.id,
        "version": fw.version,
        "title": fw.title,
        "nodes": kinds,
        "weight_sets": list(fw.weight_sets),
        "mappings": len(fw.mappings),
    }


@framework_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def import_cmd(file: Path, as_json: bool) -> None:
    """Check a framework file (TOML or JSON) against the format and the shipped
    frameworks' crosswalks; prints its summary. Typed errors name the field (a weight
    set that does not sum to 100: ``weight_sets['V'].weights['NODE']``)."""
    from nucsec.practices import check_crosswalks, load_framework, shipped_frameworks

    syntax = "json" if file.suffix.lower() == ".json" else "toml"
    fw = load_framework(file.read_text(encoding="utf-8"), syntax=syntax)
    check_crosswalks({**shipped_frameworks(), fw.id: fw}.values())
    emit(_framework_summary(fw), as_json, lambda d: json.dumps(d, ensure_ascii=False))


@framework_group.command("show")
@click.argument("framework_id")
@click.option("--tree", is_flag=True, help="every node (code, kind, title)")
@json_option
def show_fw_cmd(framework_id: str, tree: bool, as_json: bool) -> None:
    """A shipped framework: summary, or every node with --tree."""
    from nucsec.service.assessments import framework

    fw = framework(framework_id)
    data = _framework_summary(fw)
    if tree:
        data["tree"] = [
            {"code": n.code, "kind": n.kind, "title": n.display_title, "parent": n.parent}
            for n in fw.nodes
        ]
    emit(data, as_json, lambda d: json.dumps(d, ensure_ascii=False, indent=2))
