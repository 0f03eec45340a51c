"""``nucsec facility ...``: facilities, their self-assessments, scores and the meeting
report, as a given user (``--as``)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option

if TYPE_CHECKING:
    from nucsec.service.facilities import FacilityView

__all__ = ["facility_group"]

_as = click.option("--as", "as_user", required=True, help="acting user")
_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read(path: Path) -> Any:
    """A JSON or TOML file's content (InputError naming ``file`` if unreadable)."""
    from nucsec.errors import InputError

    text = path.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name} is not valid: {exc}", field="file") from None


def _show(f: FacilityView) -> str:
    p = f.profile
    return "\n".join(
        [
            f.banner,
            f"id {f.id} · {f.code} · version {f.version}",
            f"{f.name} — {f.operator} ({f.type.replace('_', ' ')}, {f.nation})",
            "material categories: " + (", ".join(p["material_categories"]) or "none"),
            "source categories: " + (", ".join(map(str, p["source_categories"])) or "none"),
            "applies: " + ", ".join(p["tags"]),
            f.banner,
        ]
    )


@click.group("facility")
def facility_group() -> None:
    """Facilities and self-assessment: add, list, assess, score, report, survey."""


@facility_group.command("add")
@_as
@click.option("--file", "path", type=_file, default=None, help="facility record (JSON/TOML)")
@click.option("--name", default=None)
@click.option("--operator", default=None)
@click.option("--type", "kind", default=None, help="facility type, e.g. research_reactor")
@click.option("--label", required=True, help="banner or JSON label of every portion")
@click.option("--holdings-label", default=None, help="label of the holdings portion")
@json_option
def add_cmd(
    as_user: str,
    path: Path | None,
    name: str | None,
    operator: str | None,
    kind: str | None,
    label: str,
    holdings_label: str | None,
    as_json: bool,
) -> None:
    """Create a facility; its categories are computed from its holdings."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.facilities import add_facility

    record = dict(_read(path)) if path else {}
    given = {"name": name, "operator": operator, "type": kind}
    record.update({k: v for k, v in given.items() if v is not None})
    with node() as n:
        made = add_facility(
            n,
            acting(n, as_user),
            record,
            parse_label(label, n.ctx),
            holdings_label=parse_label(holdings_label, n.ctx) if holdings_label else None,
        )
    emit(
        {"id": made.id, "code": made.code, "banner": made.banner, "profile": made.profile},
        as_json,
        lambda d: f"{d['id']}  {d['code']}  {d['banner']}",
    )


@facility_group.command("list")
@_as
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None)
@json_option
def list_cmd(as_user: str, limit: int, after: str | None, as_json: bool) -> None:
    """The facilities the user may read, newest first."""
    from nucsec.cli._node import acting, node
    from nucsec.service.facilities import list_facilities

    with node() as n:
        page = list_facilities(n, acting(n, as_user), limit=limit, after=after)
    emit(
        page,
        as_json,
        lambda p: (
            "\n".join(f"{i.id}  {i.portion:24} {i.title}" for i in p.items) or "(no facilities)"
        ),
    )


@facility_group.command("show")
@click.argument("facility_id")
@_as
@json_option
def show_cmd(facility_id: str, as_user: str, as_json: bool) -> None:
    """One facility with its computed profile."""
    from nucsec.cli._node import acting, node
    from nucsec.service.facilities import get_facility

    with node() as n:
        found = get_facility(n, acting(n, as_user), facility_id)
    emit(found, as_json, _show)


@facility_group.command("assess")
@click.argument("facility_id")
@_as
@click.option("--file", "path", type=_file, default=None, help="answers and findings")
@click.option("--framework", "framework_id", default="nucsec-facility", show_default=True)
@click.option("--label", required=True, help="label of the assessment")
@click.option("--answers-label", default=None, help="label of the detailed answers")
@json_option
def assess_cmd(
    facility_id: str,
    as_user: str,
    path: Path | None,
    framework_id: str,
    label: str,
    answers_label: str | None,
    as_json: bool,
) -> None:
    """Record a self-assessment (the file: assessed_on, weight_set, answers, findings;
    without a file, every applicable question is left unanswered)."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.assessments import assess_facility

    record = dict(_read(path)) if path else {}
    with node() as n:
        made = assess_facility(
            n,
            acting(n, as_user),
            facility_id,
            record,
            parse_label(label, n.ctx),
            answers_label=parse_label(answers_label, n.ctx) if answers_label else None,
            framework_id=framework_id,
        )
    overall = made.scores["overall"]
    emit(
        {"id": made.id, "code": made.code, "banner": made.banner, "overall": overall},
        as_json,
        lambda d: f"{d['id']}  {d['code']}  maturity {overall['maturity']}",
    )


@facility_group.command("score")
@click.argument("facility_id")
@_as
@click.option("--assessment", "assessment_id", default=None, help="default: the latest")
@json_option
def score_cmd(facility_id: str, as_user: str, assessment_id: str | None, as_json: bool) -> None:
    """The 0-100 scores of a facility's assessment, per node and overall."""
    from nucsec.cli._node import acting, node
    from nucsec.service.assessments import facility_scores

    with node() as n:
        scores = facility_scores(n, acting(n, as_user), facility_id, assessment_id)
    emit(
        scores,
        as_json,
        lambda s: "\n".join(
            [
                f"overall  maturity {s['overall']['maturity']}  compliance "
                f"{s['overall']['compliance']}"
            ]
            + [f"{x['code']:12} {x['maturity']}  {x['compliance']}" for x in s["nodes"]]
        ),
    )


@facility_group.command("report")
@_as
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), default="html")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--authority", default=None, help="nation whose records it covers (default: ours)")
@json_option
def report_cmd(as_user: str, fmt: str, out: Path, authority: str | None, as_json: bool) -> None:
    """The meeting report: endorsed practices, the catalogue, scores, trends and gaps
    by topic across facilities (HTML or PDF with computed banners, or CSV)."""
    from nucsec.cli._node import acting, node
    from nucsec.reports import render_html, render_pdf
    from nucsec.service.practice_report import meeting_csv, meeting_data, meeting_report

    with node() as n:
        reader = acting(n, as_user)
        data = meeting_data(n, reader, authority)
        if fmt == "csv":
            out.write_text(meeting_csv(data), encoding="utf-8")
        else:
            report = meeting_report(n, data)
            if fmt == "html":
                out.write_text(render_html(report, n.ctx, reader), encoding="utf-8")
            else:
                out.write_bytes(render_pdf(report, n.ctx, reader))
    summary = {
        "out": str(out),
        "format": fmt,
        "practices": len(data.practices),
        "facilities": len(data.assessed),
        "left_out": data.left_out,
    }
    emit(summary, as_json, lambda d: f"wrote {d['out']}")


@facility_group.group("survey")
def survey_group() -> None:
    """Security-culture surveys (NSS 28-T style) of a facility: add a round, see results."""


@survey_group.command("add")
@click.argument("facility_id")
@_as
@click.option("--file", "path", type=_file, required=True, help="held_on, staff_groups, responses")
@click.option("--label", required=True, help="label of the survey and its responses")
@json_option
def survey_add_cmd(facility_id: str, as_user: str, path: Path, label: str, as_json: bool) -> None:
    """Record one survey round (the file: ``held_on`` date, ``staff_groups``, ``responses``:
    each a ``staff_group``, ``answers`` item -> strongly_disagree .. strongly_agree or null
    for N/A, optional ``comments`` item -> text)."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.surveys import add_survey

    record = dict(_read(path))
    with node() as n:
        made = add_survey(n, acting(n, as_user), facility_id, record, parse_label(label, n.ctx))
    emit(
        {
            "id": made.id,
            "facility": made.facility,
            "held_on": made.held_on,
            "banner": made.banner,
            "respondents": len(made.responses),
        },
        as_json,
        lambda d: f"{d['id']}  {d['held_on']}  {d['respondents']} responses  {d['banner']}",
    )


@survey_group.command("results")
@click.argument("facility_id")
@_as
@click.option("--min-group-size", default=5, show_default=True, help="suppress smaller groups")
@json_option
def survey_results_cmd(facility_id: str, as_user: str, min_group_size: int, as_json: bool) -> None:
    """Results per round, staff group and item or layer (counts, N/A, shares agreeing
    and disagreeing), from the surveys the user may read; never one overall number."""
    from nucsec.cli._node import acting, node
    from nucsec.service.surveys import survey_results

    with node() as n:
        res = survey_results(n, acting(n, as_user), facility_id, min_group_size=min_group_size)
    emit(res, as_json, _survey_table)


def _survey_table(res: dict[str, Any]) -> str:
    """The layer rows per round and staff group (agree / disagree %, or suppressed)."""
    lines = [f"{len(res['surveys'])} surveys; rounds {', '.join(res['rounds']) or 'none'}"]
    for c in res["cells"]:
        if not c["key"].startswith("layer:"):
            continue
        share = (
            "suppressed (too few respondents)"
            if c["suppressed"]
            else f"agree {_pct(c['agree_pct'])}  disagree {_pct(c['disagree_pct'])}  "
            f"N/A {c['not_applicable']}"
        )
        lines.append(f"{c['round']}  {c['staff_group']:16} {c['key'][6:]:22} {share}")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"
