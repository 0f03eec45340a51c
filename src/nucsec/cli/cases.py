"""``nucsec case``: forensic cases, from seizure to the staged reports.

Every command acts as ``--as USER`` through :mod:`nucsec.service.cases` (the monitor
decides, the audit log records); a case the user may not read answers "not found".

Examples::

    nucsec case open --as doe.chief --title "Seized vial" --label "CUI//REL TO USA, JPN"
    nucsec case add-sample ID --as doe.chief --sample S-1 --description "UO2 powder" \\
        --mass-g 12.5 --container "glass vial" --where "border crossing" --label C
    nucsec case custody ID S-1 --as doe.analyst --where "DOE laboratory"
    nucsec case attach ID ANALYSIS --as doe.chief --label U --candidate "Plant A:2008:2012"
    nucsec library match sample.json --as doe.chief --json > match.json
    nucsec case attach-match ID sample.json match.json --as doe.chief --label U
    nucsec case assess ID --as doe.chief --finding "..." --evidence ANALYSIS \\
        --confidence strong --label "SECRET//REL TO USA, JPN"
    nucsec case issue-report ID --as doe.chief --stage preliminary
    nucsec case list --as doe.chief --json
    nucsec case report ID --as doe.chief --format pdf -o case.pdf [--partner JPN]
    nucsec case export ID --as doe.chief -o case.stix.json
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option, renderings_line

if TYPE_CHECKING:
    from nucsec.markings import Label
    from nucsec.node import Node
    from nucsec.service.cases import CaseSummary, CaseView

__all__ = ["case_group"]

_as = click.option("--as", "as_user", required=True, help="acting user")
_label = click.option("--label", required=True, help="banner or JSON label of this part")


def _parse(n: Node, text: str) -> Label:
    from nucsec.markings import parse_label

    return parse_label(text, n.ctx)


def _show(v: CaseView) -> str:
    lines = [v.banner, renderings_line(v.banners), f"{v.title}  (case {v.id}, version {v.version})"]
    lines.append(
        f"opened {v.opened_at} by {v.opened_by}; incidents: {', '.join(v.incidents) or '-'}"
    )
    for s in v.stages:
        state = f"issued {s['issued_at']}" if s["issued_at"] else "not issued"
        flag = "  OVERDUE" if v.overdue and s["stage"] == v.stage else ""
        lines.append(f"  {s['stage']:12} due {s['due']}  {state}{flag}")
    for s in v.samples:
        lines.append(f"{s['portion']} sample {s['id']}: {s['description']}, {s['mass_g']:g} g")
        for c in s["custody"]:
            lines.append(
                f"    {c['at']}  {c['holder']} at {c['where']} (signed {c['received_by']})"
            )
    for a in v.analyses:
        lines.append(f"{a['portion']} analysis {a['id']}")
    for a in v.assessments:
        lines.append(f"{a['portion']} [{a['confidence']}] {a['finding']}")
    for r in v.reports:
        lines.append(f"{r['portion']} {r['stage']} report sha256 {r['sha256']}")
    lines.append(v.banner)
    return "\n".join(lines)


def _done(view: CaseView, as_json: bool) -> None:
    from nucsec.service.cases import case_json

    click.echo(_to_json(case_json(view)) if as_json else _show(view))


def _to_json(data: Any) -> str:
    from nucsec.cli._common import to_json

    return to_json(data)


@click.group("case")
def case_group() -> None:
    """Forensic cases: samples, custody, analyses, assessments, staged reports."""


@case_group.command("open")
@_as
@click.option("--title", required=True)
@_label
@click.option("--facts-label", default=None, help="label of the facts (default --label)")
@click.option("--incident", "incidents", multiple=True, help="linked incident id (repeat)")
@click.option("--cites", "cites", multiple=True, help="a case this one answers (repeat)")
@json_option
def open_cmd(
    as_user: str,
    title: str,
    label: str,
    facts_label: str | None,
    incidents: tuple[str, ...],
    cites: tuple[str, ...],
    as_json: bool,
) -> None:
    """Open a case (the stages' due times count from now)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import open_case

    with node() as n:
        facts = _parse(n, facts_label) if facts_label else None
        view = open_case(
            n,
            acting(n, as_user),
            title,
            _parse(n, label),
            incidents=incidents,
            facts_label=facts,
            cites=cites,
        )
    _done(view, as_json)


@case_group.command("add-sample")
@click.argument("case_id")
@_as
@click.option("--sample", "sample_id", required=True, help="sample id, e.g. S-1")
@click.option("--description", required=True)
@click.option("--mass-g", type=float, required=True, help="mass in grams")
@click.option("--container", default="")
@click.option("--where", required=True, help="where it is held now")
@click.option("--holder", default=None, help="who holds it (default: the acting user)")
@_label
@json_option
def add_sample_cmd(
    case_id: str,
    as_user: str,
    sample_id: str,
    description: str,
    mass_g: float,
    container: str,
    where: str,
    holder: str | None,
    label: str,
    as_json: bool,
) -> None:
    """Add a questioned sample; the acting user signs its first custody entry."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import add_sample

    with node() as n:
        view = add_sample(
            n,
            acting(n, as_user),
            case_id,
            sample_id=sample_id,
            description=description,
            mass_g=mass_g,
            container=container,
            where=where,
            holder=holder,
            label=_parse(n, label),
        )
    _done(view, as_json)


@case_group.command("custody")
@click.argument("case_id")
@click.argument("sample_id")
@_as
@click.option("--where", required=True, help="where the sample was received")
@click.option("--holder", default=None, help="who holds it now (default: the acting user)")
@json_option
def custody_cmd(
    case_id: str, sample_id: str, as_user: str, where: str, holder: str | None, as_json: bool
) -> None:
    """Record a hand-over: the acting user received the sample, now."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import hand_over

    with node() as n:
        view = hand_over(n, acting(n, as_user), case_id, sample_id, where=where, holder=holder)
    _done(view, as_json)


def _candidate(text: str) -> tuple[str, float, float]:
    name, _, rest = text.rpartition(":")
    name, _, first = name.rpartition(":")
    try:
        return name, float(first), float(rest)
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: NAME:FIRST_YEAR:LAST_YEAR", param_hint="--candidate"
        ) from None


@case_group.command("attach")
@click.argument("case_id")
@click.argument("analysis_id")
@_as
@_label
@click.option(
    "--candidate",
    "candidates",
    multiple=True,
    help="for an age: a production range NAME:FIRST_YEAR:LAST_YEAR (repeat)",
)
@json_option
def attach_cmd(
    case_id: str,
    analysis_id: str,
    as_user: str,
    label: str,
    candidates: tuple[str, ...],
    as_json: bool,
) -> None:
    """Link an analysis the acting user may read."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import attach_analysis

    ranges = [_candidate(c) for c in candidates]
    with node() as n:
        view = attach_analysis(
            n, acting(n, as_user), case_id, analysis_id, _parse(n, label), candidates=ranges
        )
    _done(view, as_json)


@case_group.command("attach-match")
@click.argument("case_id")
@click.argument("sample_path", type=click.Path(dir_okay=False))
@click.argument("match_path", type=click.Path(dir_okay=False))
@_as
@_label
@json_option
def attach_match_cmd(
    case_id: str, sample_path: str, match_path: str, as_user: str, label: str, as_json: bool
) -> None:
    """Keep a library match with the case: the sample JSON compared and the answer of
    ``nucsec library match ... --json``; LABEL is the link's (the answer is stored under
    the roll-up of LABEL and the labels of the entries it names)."""
    from nucsec.cli._node import acting, node
    from nucsec.cli.library import _read_json
    from nucsec.service.cases import attach_match

    sample = _read_json(sample_path, "sample")
    answer = _read_json(match_path, "match")
    with node() as n:
        view = attach_match(n, acting(n, as_user), case_id, sample, answer, _parse(n, label))
    _done(view, as_json)


@case_group.command("assess")
@click.argument("case_id")
@_as
@click.option("--finding", required=True, help="the finding, in words")
@click.option("--evidence", multiple=True, help="linked analysis id (repeat; none: no analysis)")
@click.option(
    "--confidence",
    required=True,
    help="neutral, weak, moderate, moderately_strong, strong, very_strong, extremely_strong",
)
@_label
@json_option
def assess_cmd(
    case_id: str,
    as_user: str,
    finding: str,
    evidence: tuple[str, ...],
    confidence: str,
    label: str,
    as_json: bool,
) -> None:
    """Add an assessment on the verbal scale of likelihood ratios."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import assess

    with node() as n:
        view = assess(
            n,
            acting(n, as_user),
            case_id,
            finding=finding,
            evidence=evidence,
            confidence=confidence,
            label=_parse(n, label),
        )
    _done(view, as_json)


@case_group.command("issue-report")
@click.argument("case_id")
@_as
@click.option("--stage", type=click.Choice(["preliminary", "interim", "final"]), required=True)
@click.option(
    "--cite-only", is_flag=True, help="cite the analyses by reference only (to share the report)"
)
@json_option
def issue_cmd(case_id: str, as_user: str, stage: str, cite_only: bool, as_json: bool) -> None:
    """Freeze the report of the case's current stage (a new version)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.case_reports import issue_report

    with node() as n:
        view = issue_report(n, acting(n, as_user), case_id, stage, cite_only=cite_only)
    _done(view, as_json)


@case_group.command("show")
@click.argument("case_id")
@_as
@json_option
def show_cmd(case_id: str, as_user: str, as_json: bool) -> None:
    """One case; exit 4 if hidden or absent."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import get_case

    with node() as n:
        view = get_case(n, acting(n, as_user), case_id)
    _done(view, as_json)


def _list(items: tuple[CaseSummary, ...]) -> str:
    lines = [
        f"{c.id}  {c.stage:12} due {c.due or '-':32} {'OVERDUE ' if c.overdue else ''}"
        f"{c.portion} {c.title}"
        for c in items
    ]
    return "\n".join(lines) or "(no cases)"


@case_group.command("list")
@_as
@click.option("--limit", default=50, show_default=True)
@json_option
def list_cmd(as_user: str, limit: int, as_json: bool) -> None:
    """The cases the user may read, with stage, due time and overdue flag."""
    from nucsec.cli._node import acting, node
    from nucsec.service.cases import list_cases

    with node() as n:
        items = list_cases(n, acting(n, as_user), limit=limit)
    emit(list(items), as_json, lambda _: _list(items))


@case_group.command("report")
@click.argument("case_id")
@_as
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--stage", type=click.Choice(["preliminary", "interim", "final"]), default=None)
@click.option("--partner", default=None, help="render the version released to this nation")
def report_cmd(
    case_id: str, as_user: str, fmt: str, output: Path, stage: str | None, partner: str | None
) -> None:
    """Write the latest (or --stage) issued report, rendered for the user (or partner)."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.peers import peer_principal
    from nucsec.service.case_reports import render_report

    with node() as n:
        peer = None
        if partner:
            nation = partner.upper()
            if not n.ctx.is_nation(nation) or nation == n.nation:
                raise click.BadParameter(
                    f"a partner nation, not {partner!r}", param_hint="--partner"
                )
            peer = peer_principal(n, nation, nation.lower())
        data = render_report(n, acting(n, as_user), case_id, fmt, stage=stage, partner=peer)  # type: ignore[arg-type]
    _write(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes)")


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


@case_group.command("export")
@click.argument("case_id")
@_as
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None)
def export_cmd(case_id: str, as_user: str, output: Path | None) -> None:
    """The case as a STIX 2.1 bundle (report, grouping, incident, observed-data, notes)."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.case_stix import export_case_stix

    with node() as n:
        text = export_case_stix(n, acting(n, as_user), case_id)
    if output is None:
        click.echo(text)
    else:
        _write(output, text.encode())
        click.echo(f"wrote {output}")
