"""The working-group meeting report of practices and self-assessment: a labelled report
(:mod:`nucsec.reports`, HTML and PDF) and its CSV.

Everything in it is read through the services as the reader (each read decided by the
reference monitor and audited): endorsed practices, the catalogue by topic and status,
each facility's scores per assessment, adoption of practices and its yearly rates
(:mod:`nucsec.service.adoptions`), maturity by framework category across facilities
(the facilities holding the most attractive material first: Category I before III) and
the trend of each facility's overall maturity. Each block carries the roll-up of the
labels of the records it summarises, so the banners are computed, never typed.

A report's portions share one classifying authority (:meth:`nucsec.reports.Report.check`):
the report covers the records classified by one nation (default: the node's own), and
says how many records of other authorities it left out.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import date
from typing import Any

from nucsec.markings import Label, parse_banner, rollup
from nucsec.node import Node
from nucsec.plots.scores import decimal_year
from nucsec.plots.svg import PALETTE, Axis, axes, document, legend, polyline
from nucsec.policy import Principal
from nucsec.practices import shipped_frameworks
from nucsec.practices.vocabulary import ATTRACTIVENESS, topics
from nucsec.reports import Figure, KeyValues, Paragraph, Report, Section, Table
from nucsec.service.adoptions import AdoptionView, list_adoptions, summarise
from nucsec.service.assessments import AssessmentView, facility_assessments
from nucsec.service.facilities import FacilityView, get_facility, list_facilities
from nucsec.service.practices import PracticeView, export_practices
from nucsec.service.surveys import SurveyView, facility_surveys, results_of

__all__ = [
    "MeetingData",
    "meeting_csv",
    "meeting_data",
    "meeting_report",
    "public_label",
    "trend_svg",
]

CSV_COLUMNS = (
    "banner",
    "facility",
    "facility_type",
    "assessed_on",
    "node",
    "title",
    "maturity",
    "compliance",
)


class MeetingData:
    """What a meeting report shows, as read by one reader under one authority."""

    def __init__(
        self,
        authority: str,
        practices: list[PracticeView],
        assessed: list[tuple[FacilityView, list[AssessmentView]]],
        left_out: int,
        adoptions: list[AdoptionView] | None = None,
        surveys: dict[str, list[SurveyView]] | None = None,
    ) -> None:
        self.authority = authority
        self.surveys = surveys or {}  # facility id -> its culture surveys, oldest first
        self.adoptions = adoptions or []
        self.practices = practices
        self.assessed = assessed
        self.left_out = left_out


def _authority(view: Any) -> str:
    return str(view.label["authority"])


def _facilities(node: Node, principal: Principal) -> list[FacilityView]:
    out: list[FacilityView] = []
    after: str | None = None
    while True:
        page = list_facilities(node, principal, limit=500, after=after)
        out += [get_facility(node, principal, item.id) for item in page.items]
        if page.next is None:
            return out
        after = page.next


def _rank(fac: FacilityView) -> int:
    return max((ATTRACTIVENESS.get(t, 0) for t in fac.profile["tags"]), default=0)


def meeting_data(node: Node, principal: Principal, authority: str | None = None) -> MeetingData:
    """The records of the report, read as ``principal`` (see the module docstring)."""
    nation = authority or node.nation
    practices = export_practices(node, principal)
    adoptions = list_adoptions(node, principal)
    ours = [a for a in adoptions if _authority(a) == nation]
    facilities = _facilities(node, principal)
    kept = [p for p in practices if _authority(p) == nation]
    assessed = []
    surveys: dict[str, list[SurveyView]] = {}
    left_out = len(practices) - len(kept)
    for fac in sorted(facilities, key=lambda f: (-_rank(f), f.name)):
        if _authority(fac) != nation:
            left_out += 1
            continue
        held = facility_surveys(node, principal, fac)
        surveys[fac.id] = [s for s in held if _authority(s) == nation]
        left_out += len(held) - len(surveys[fac.id])
        views = facility_assessments(node, principal, fac)
        mine = [a for a in views if _authority(a) == nation]
        left_out += len(views) - len(mine)
        assessed.append((fac, mine))
    left_out += len(adoptions) - len(ours)
    return MeetingData(nation, kept, assessed, left_out, ours, surveys)


def _label_of(node: Node, views: Iterable[Any], fallback: Label) -> Label:
    labels = [Label.from_dict(v.label) for v in views]
    return rollup(labels, node.ctx) if labels else fallback


def public_label(node: Node, nation: str) -> Label:
    """Unclassified under ``nation``'s authority (in its own scheme)."""
    label = parse_banner("UNCLASSIFIED", node.ctx)
    if label.authority == nation:
        return label
    level = node.ctx.equivalent(label.level_of(node.ctx), nation)
    return label.with_(authority=nation, level=level.name)


def trend_svg(series: list[tuple[str, list[tuple[date, float]]]]) -> str:
    """Overall maturity (0-100) of each facility over its assessments, one line each."""
    years = [decimal_year(d) for _, points in series for d, _ in points]
    lo = math.floor(min(years)) if years else 2000
    hi = max(math.ceil(max(years)), lo + 1) if years else 2001
    x, y = Axis(float(lo), float(hi), 70.0, 520.0), Axis(0.0, 100.0, 260.0, 40.0)
    body = axes(x, y, "assessment date (year)", "overall maturity (0-100)")
    entries = []
    for i, (name, points) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        body.append(
            polyline([(x(decimal_year(d)), y(m)) for d, m in points], colour, stroke_width="2")
        )
        entries.append((colour, name))
    body += legend(entries, 540.0, 60.0)
    return document(900, 310, "Overall maturity by facility over time", body)


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def meeting_report(node: Node, data: MeetingData) -> Report:
    """The report of ``data`` (render it with :func:`nucsec.reports.render_html` or
    ``render_pdf`` for the same reader)."""
    public = public_label(node, data.authority)
    endorsed = [p for p in data.practices if p.status == "endorsed"]
    sections = [
        Section(
            "Endorsed practices",
            public,
            (
                Table(
                    ("Code", "Title", "Topic", "Meeting", "Date", "Officers"),
                    tuple(
                        (
                            p.code,
                            p.title,
                            topics()[p.topic].label_en,
                            (p.endorsement or {}).get("meeting", ""),
                            (p.endorsement or {}).get("on", ""),
                            ", ".join(
                                f"{o['nation']}.{o['agency']}"
                                for o in (p.endorsement or {}).get("officers", [])
                            ),
                        )
                        for p in endorsed
                    ),
                    _label_of(node, endorsed, public),
                    caption=f"{len(endorsed)} practices endorsed by the working group",
                ),
            ),
        ),
        _catalogue_section(node, data, public),
        _scores_section(node, data, public),
        _gaps_section(node, data, public),
        _adoption_section(node, data, public),
        _culture_section(node, data, public),
    ]
    front = (
        KeyValues(
            (
                ("Classified by", data.authority),
                ("Practices", str(len(data.practices))),
                ("Facilities", str(len(data.assessed))),
                ("Records of other authorities left out", str(data.left_out)),
            ),
            public,
        ),
    )
    return Report(
        "Working-group meeting report: best practices and facility self-assessment",
        public,
        front=front,
        sections=tuple(sections),
    ).check(node.ctx)


def _catalogue_section(node: Node, data: MeetingData, public: Label) -> Section:
    statuses = ("draft", "proposed", "endorsed", "superseded")
    rows = []
    for code, topic in topics().items():
        found = [p for p in data.practices if p.topic == code]
        if found:
            rows.append(
                (topic.label_en, *(str(sum(p.status == s for p in found)) for s in statuses))
            )
    table = Table(
        ("Topic", *statuses),
        tuple(rows),
        _label_of(node, data.practices, public),
        caption="Practices by topic and status",
    )
    return Section("The catalogue", public, (table,))


def _scores_section(node: Node, data: MeetingData, public: Label) -> Section:
    rows: list[tuple[str, ...]] = []
    views: list[Any] = []
    for fac, assessments in data.assessed:
        views.append(fac)
        for a in assessments:
            views.append(a)
            overall = a.scores["overall"]
            rows.append(
                (
                    fac.name,
                    fac.profile.get("highest") or "none",
                    a.assessed_on,
                    _fmt(overall["maturity"]),
                    _fmt(overall["compliance"]),
                    str(sum(f["type"] != "good practice" for f in a.findings)),
                )
            )
    series = [
        (
            fac.name,
            [
                (date.fromisoformat(a.assessed_on), a.scores["overall"]["maturity"] or 0.0)
                for a in assessments
            ],
        )
        for fac, assessments in data.assessed
        if assessments
    ]
    label = _label_of(node, views, public)
    blocks: list[Any] = [
        Table(
            (
                "Facility",
                "Most attractive holding",
                "Assessed on",
                "Maturity",
                "Compliance",
                "Open findings",
            ),
            tuple(rows),
            label,
            caption="Overall scores (0-100) of every assessment; maturity and compliance apart",
        )
    ]
    if series:
        blocks.append(Figure(trend_svg(series), "Overall maturity over time", label))
    return Section("Facility scores and trends", public, tuple(blocks))


def _gaps_section(node: Node, data: MeetingData, public: Label) -> Section:
    fw = shipped_frameworks()["nucsec-facility"]
    categories = [n for n in fw.nodes if n.kind == "category"]
    latest = [(fac, a[-1]) for fac, a in data.assessed if a]
    rows = []
    for cat in categories:
        cells = []
        for _, a in latest:
            node_score = next((n for n in a.scores["nodes"] if n["code"] == cat.code), None)
            cells.append(_fmt(node_score["maturity"] if node_score else None))
        rows.append((cat.title, *cells))
    label = _label_of(node, [a for _, a in latest], public)
    if not latest:
        return Section("Gaps by topic", public, (Paragraph("No assessment to compare.", public),))
    table = Table(
        ("Category", *(fac.name for fac, _ in latest)),
        tuple(rows),
        label,
        caption="Maturity (0-100) by framework category in each facility's latest assessment; "
        "facilities holding the most attractive material first; n/a: nothing applicable",
    )
    return Section("Gaps by topic across facilities", public, (table,))


#: how many of the latest years the adoption-rate table shows
RATE_YEARS = 6


def _adoption_section(node: Node, data: MeetingData, public: Label) -> Section:
    facilities = [fac.id for fac, _ in data.assessed]
    summary = summarise(data.practices, facilities, data.adoptions, node.clock().date())
    shown = [p for p in summary["practices"] if p["adoptions"] or p["status"] == "endorsed"]
    label = _label_of(node, [*data.adoptions, *data.practices], public)
    adopters = Table(
        ("Code", "Title", "Adopted by", "In progress", "Planned"),
        tuple(
            (
                p["code"],
                p["title"],
                *(
                    ", ".join(p["adopters"][s]) or "-"
                    for s in ("adopted", "in_progress", "planned")
                ),
            )
            for p in shown
        ),
        label,
        caption="Adopting agencies and facilities (facility:ID) per practice",
    )
    years = summary["years"][-RATE_YEARS:]
    skip = len(summary["years"]) - len(years)
    rated = [p for p in shown if p["rates"]]
    rates = Table(
        ("Code", *(str(y) for y in years)),
        tuple(
            (p["code"], *(_fmt(r) for r in p["rates"][skip:]))
            for p in [*rated, {"code": "all endorsed", "rates": summary["overall"]}]
        ),
        label,
        caption=f"Percent of the report's {summary['facilities']} facilities that had adopted "
        "each endorsed practice by 31 December; n/a: not yet endorsed or no facility",
    )
    return Section("Adoption", public, (adopters, rates))


def _culture_section(node: Node, data: MeetingData, public: Label) -> Section:
    """Per facility surveyed, the share agreeing and disagreeing per round, staff group
    and layer of the culture model (never one overall number; small groups suppressed)."""
    blocks: list[Any] = []
    for fac, _ in data.assessed:
        surveys = data.surveys.get(fac.id) or []
        if not surveys:
            continue
        res = results_of(fac.id, surveys)
        rows = tuple(
            (
                c["round"],
                c["staff_group"],
                c["key"].removeprefix("layer:").replace("_", " "),
                str(c["respondents"]),
                *(
                    ("suppressed", "-", "-")
                    if c["suppressed"]
                    else (_fmt(c["agree_pct"]), _fmt(c["disagree_pct"]), str(c["not_applicable"]))
                ),
            )
            for c in res["cells"]
            if c["key"].startswith("layer:")
        )
        blocks.append(
            Table(
                ("Round", "Staff group", "Layer", "Respondents", "Agree %", "Disagree %", "N/A"),
                rows,
                _label_of(node, surveys, public),
                caption=f"{fac.name}: security-culture survey by staff group and layer "
                "(shares of those who answered; groups under 5 respondents suppressed)",
            )
        )
    if not blocks:
        blocks.append(Paragraph("No culture survey in this report.", public))
    return Section("Security culture", public, tuple(blocks))


def meeting_csv(data: MeetingData) -> str:
    """Every node score of every assessment of the report, one row each, with the banner
    of the assessment it comes from."""
    fw = shipped_frameworks()["nucsec-facility"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for fac, assessments in data.assessed:
        for a in assessments:
            for n in [a.scores["overall"], *a.scores["nodes"]]:
                title = fw.node(n["code"]).title if fw.has(n["code"]) else "overall"
                writer.writerow(
                    (
                        a.banner,
                        fac.name,
                        fac.type,
                        a.assessed_on,
                        n["code"],
                        title,
                        _fmt(n["maturity"]),
                        _fmt(n["compliance"]),
                    )
                )
    return out.getvalue()
