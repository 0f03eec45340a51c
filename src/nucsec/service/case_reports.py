"""The reports of a forensic case: built from the case, frozen when issued, rendered for
each reader.

:func:`build_report` turns a case, as its issuer reads it, into a labelled
:class:`~nucsec.reports.Report`: a title page (case, stage, dates), the summary of findings
with each confidence in words and as a likelihood-ratio range, the samples and their chain
of custody, each linked analysis with its plot (a gamma spectrum with its identified lines;
a model date against candidate production dates), each kept library match with its
comparison table and figures (:mod:`nucsec.service.case_library`) and the methods and
data sources. Every block carries the label of the case portion or analysis it shows, so
the engine's portion
marks and page banners are the case's own markings. An analysis under another classifying
authority (or one the issuer cannot read) is cited by reference only.

:func:`issue_report` freezes the report of a stage as a new version of the case (its JSON
and content hash in a ``report.N`` portion under the report's roll-up label): never an
edit, one per stage, in stage order. :func:`render_report` renders the latest (or a named
stage's) issued report for a reader: the case is read through the monitor, the frozen
report screened portion by portion for that reader (or for a partner, ``release``), and
the rendering audited as ``record.report`` with the withheld portion ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from nucsec.errors import InputError, NotFoundError
from nucsec.forensics.verbal_scale import SCALE, SCALE_SOURCE, level
from nucsec.markings import Label, LabelError
from nucsec.node import Node
from nucsec.plots import model_date_svg, spectrum_svg
from nucsec.policy import Principal
from nucsec.reports import (
    Block,
    Citation,
    Figure,
    KeyValues,
    Paragraph,
    Report,
    Section,
    Table,
    render_html,
    render_pdf,
    screen,
)
from nucsec.reports.codec import report_digest, report_from_json, report_to_json
from nucsec.service.analyses import get_analysis
from nucsec.service.case_library import match_section
from nucsec.service.cases import STAGES, CaseView, get_case, update_case
from nucsec.service.trail import emit
from nucsec.service.views import AnalysisView

__all__ = ["build_report", "issue_report", "render_report"]

Format = Literal["pdf", "html"]


def _label(view: CaseView, name: str) -> Label:
    return Label.from_dict(view.portions[name].label)


def _when(iso: str) -> str:
    """An ISO time as a report shows it: ``2024-05-01 09:30 UTC``."""
    return dt.datetime.fromisoformat(iso).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _facts(view: CaseView, stage: str, issued_at: str, issuer: str) -> KeyValues:
    due = next(s["due"] for s in view.stages if s["stage"] == stage)
    items = (
        ("Case", view.id),
        ("Stage", stage),
        ("Issued", _when(issued_at)),
        ("Issued by", issuer),
        ("Due", _when(due)),
        ("Case opened", _when(view.opened_at)),
        ("Opened by", view.opened_by),
        ("Incidents", ", ".join(view.incidents) or "none linked"),
    )
    return KeyValues(items, _label(view, "facts"), caption="Case")


def _findings(view: CaseView, heading: Label) -> Section:
    blocks: list[Block] = []
    for a in view.assessments:
        conf = level(a["confidence"])
        text = (
            f"{a['finding']} Confidence: {conf.describe()}. Evidence: "
            f"{', '.join(a['evidence']) or 'none'}. Assessed by {a['author']}, {_when(a['at'])}."
        )
        blocks.append(Paragraph(text, _label(view, a["name"])))
    if not blocks:
        blocks.append(Paragraph("No assessment has been made yet.", heading))
    return Section("Summary of findings", heading, tuple(blocks))


def _samples(view: CaseView, heading: Label) -> Section:
    blocks: list[Block] = []
    for s in view.samples:
        rows = tuple(
            (str(i + 1), c["holder"], _when(c["at"]), c["where"], c["received_by"])
            for i, c in enumerate(s["custody"])
        )
        caption = f"{s['id']}: {s['description']}, {s['mass_g']:g} g, {s['container'] or '-'}"
        blocks.append(
            Table(
                ("#", "holder", "received at", "where", "signed by"),
                rows,
                _label(view, s["name"]),
                caption=caption,
            )
        )
    if not blocks:
        blocks.append(Paragraph("No sample has been recorded yet.", heading))
    return Section("Samples and chain of custody", heading, tuple(blocks), new_page=True)


def _decimal_year(day: str) -> float:
    d = dt.date.fromisoformat(day)
    start = dt.date(d.year, 1, 1)
    length = (dt.date(d.year + 1, 1, 1) - start).days
    return d.year + (d - start).days / length


def _spectrum_blocks(a: AnalysisView, label: Label) -> list[Block]:
    r = a.result
    rows = tuple(
        (n["name"], n.get("category", ""), f"{n.get('confidence', 0):.2f}")
        for n in r.get("nuclides", [])
    )
    blocks: list[Block] = [
        Table(
            ("nuclide", "category", "confidence"),
            rows or (("none", "", ""),),
            label,
            caption="Identified nuclides",
        )
    ]
    plot = a.plot
    if plot and plot.get("energy_kev"):
        energy = [float("nan") if v is None else v for v in plot["energy_kev"]]
        counts = [float("nan") if v is None else v for v in plot["counts"]]
        fit = [float("nan") if v is None else v for v in plot.get("fit") or []]
        lines = [
            (line["energy_kev"], line["nuclide"])
            for line in plot.get("lines", [])
            if line.get("matched")
        ]
        svg = spectrum_svg(energy, counts, fit=fit or None, lines=lines, title=a.title[:120])
        blocks.append(Figure(svg, "Gamma spectrum with the identified lines", label))
    return blocks


def _age_blocks(a: AnalysisView, label: Label, link: dict[str, Any]) -> list[Block]:
    r = a.result
    age, u = r.get("age_years"), r.get("u_age_years")
    items = [("Chronometer", str(r.get("chronometer", "")))]
    if isinstance(age, int | float) and isinstance(u, int | float):
        items.append(("Model age (k=1)", f"{age:.4g} ± {u:.2g} years"))
    if r.get("model_date"):
        items.append(("Model date", str(r["model_date"])))
    blocks: list[Block] = [KeyValues(tuple(items), label, caption="Model age")]
    day = r.get("reference_date") or r.get("measured_on")
    if day and isinstance(age, int | float) and isinstance(u, int | float):
        interval = r.get("interval_years_k2")
        k2 = (interval[0], interval[1]) if interval and None not in interval else None
        candidates = [
            (c["name"], c["first_year"], c["last_year"]) for c in link.get("candidates", [])
        ]
        svg = model_date_svg(_decimal_year(day), age, u, candidates, interval_k2_years=k2)
        blocks.append(Figure(svg, "Model date (k=1, k=2) against candidate production", label))
    return blocks


def _analysis_section(
    node: Node,
    principal: Principal,
    view: CaseView,
    link: dict[str, Any],
    authority: str,
    cite_only: bool,
) -> tuple[Section, list[Block]]:
    """The section of one linked analysis and its methods blocks (both empty of content,
    a citation only, when the issuer cannot read it, it has another authority, or the
    report cites analyses only)."""
    link_label = _label(view, link["name"])
    try:
        a: AnalysisView | None = get_analysis(node, principal, link["id"])
    except NotFoundError:
        a = None
    if a is None or cite_only or Label.from_dict(a.label).authority != authority:
        why = (
            "not readable by the issuer"
            if a is None
            else "cited by reference only"
            if cite_only
            else "held under another authority"
        )
        cite = Citation(f"analysis:{link['id']}", "Linked analysis", link_label, note=why)
        return Section(f"Analysis {link['id']}", link_label, (cite,), new_page=True), []
    label = Label.from_dict(a.label)
    blocks: list[Block] = [
        Citation(f"analysis:{a.id}#v{a.version}", a.title, link_label, note=a.method)
    ]
    if a.method == "spectrum":
        blocks += _spectrum_blocks(a, label)
    elif a.method == "age":
        blocks += _age_blocks(a, label, link)
    versions = ", ".join(f"{k} {v}" for k, v in sorted(a.versions.items()))
    params = ", ".join(f"{k}={v}" for k, v in sorted(a.params.items()) if v is not None)
    method = Paragraph(
        f"{a.id} ({a.method}): parameters {params or 'default'}; computed by {versions}.",
        label,
    )
    return Section(a.title[:200], link_label, tuple(blocks), new_page=True), [method]


def _methods(view: CaseView, heading: Label, blocks: list[Block]) -> Section:
    scale = Table(
        ("confidence", "words", "likelihood ratio"),
        tuple((v.key, v.words, v.range_text()) for v in SCALE),
        heading,
        caption=f"Verbal scale: {SCALE_SOURCE}",
    )
    stages = Paragraph(
        "Staged reporting after IAEA Nuclear Security Series No. 2-G (Rev. 1): preliminary "
        "within 24 hours, interim within one week, final within two months of the case's "
        "opening. Each issued report is frozen; analyses are cited by record and version.",
        heading,
    )
    return Section("Methods and data sources", heading, (stages, scale, *blocks), new_page=True)


def build_report(
    node: Node,
    principal: Principal,
    view: CaseView,
    stage: str,
    issued_at: str,
    *,
    cite_only: bool = False,
) -> Report:
    """The report of ``stage`` built from ``view`` as ``principal`` reads it (checked
    against the node's markings; ReportError if its portions do not roll up).
    ``cite_only``: linked analyses by reference only, their content and labels left out
    (a report to share while the analyses stay home)."""
    facts = _label(view, "facts")
    authority = facts.authority
    sections = [_findings(view, facts), _samples(view, facts)]
    methods: list[Block] = []
    for link in view.analyses:
        section, more = _analysis_section(node, principal, view, link, authority, cite_only)
        sections.append(section)
        methods += more
    for link in view.matches:
        label = Label.from_dict(link["link_label"])
        answer = _label(view, link["name"])
        section = match_section(node, principal, link, label, answer, node.ctx, cite_only=cite_only)
        sections.append(section)
    sections.append(_methods(view, facts, methods))
    report = Report(
        f"{view.title}: {stage} report",
        _label(view, "title"),
        front=(_facts(view, stage, issued_at, principal.id),),
        sections=tuple(sections),
        ref=f"case:{view.id}/report:{stage}",
    )
    return report.check(node.ctx)


def issue_report(
    node: Node, principal: Principal, case_id: str, stage: str, *, cite_only: bool = False
) -> CaseView:
    """Issue the report of ``stage`` (the case's current stage): built now, frozen in a
    new version of the case with its content hash, under the roll-up of its portions
    (``cite_only``: analyses cited by reference only, see :func:`build_report`)."""
    view = get_case(node, principal, case_id)
    if stage not in STAGES:
        raise InputError(f"stage is one of {', '.join(STAGES)}", field="stage")
    if stage != view.stage:
        raise InputError(
            f"the case's next report is {view.stage}, not {stage}"
            if view.stage != "closed"
            else "every stage's report is issued",
            field="stage",
        )
    issued_at = node.clock().isoformat()
    report = build_report(node, principal, view, stage, issued_at, cite_only=cite_only)
    try:
        label = report.banner_label(node.ctx)
    except LabelError as exc:
        raise InputError(f"the report's portions do not roll up: {exc.message}") from None
    value = {
        "stage": stage,
        "issued_at": issued_at,
        "issued_by": principal.id,
        "case_version": view.version,
        "sha256": report_digest(report),
        "report": report_to_json(report),
    }
    name = f"report.{len(view.reports)}"
    note = f"{stage} report issued, sha256 {value['sha256']}"
    return update_case(node, principal, view, {name: (value, label)}, note)


def frozen_report(view: CaseView, stage: str | None = None) -> tuple[dict[str, Any], Report]:
    """The issued report of ``stage`` (default: the latest) and its stored entry;
    NotFoundError if there is none, IntegrityError-like InputError if its hash differs."""
    names = [r["name"] for r in view.reports if stage is None or r["stage"] == stage]
    if not names:
        raise NotFoundError(
            f"case {view.id} has no issued {stage or ''} report".replace("  ", " "),
            field="stage",
        )
    entry = view.portions[names[-1]].value
    report = report_from_json(entry["report"])
    if report_digest(report) != entry["sha256"]:
        raise InputError("the frozen report does not match its content hash", field="report")
    return entry, report


def render_report(
    node: Node,
    principal: Principal,
    case_id: str,
    fmt: Format,
    *,
    stage: str | None = None,
    partner: Principal | None = None,
) -> bytes:
    """An issued report of a case rendered for ``principal`` (who must read the case), or
    the version released to ``partner`` (a peer principal: NOFORN portions never appear).
    Audited as ``record.report`` with the stage, content hash and withheld portions."""
    if fmt not in ("pdf", "html"):
        raise InputError("format is pdf or html", field="format")
    view = get_case(node, principal, case_id)
    entry, report = frozen_report(view, stage)
    reader = partner or principal
    action = "release" if partner is not None else "read"
    custodian = node.nation if partner is not None else None
    screened = screen(report, reader, action, node.ctx, custodian=custodian)
    if fmt == "pdf":
        out = render_pdf(screened.report, node.ctx, reader)
    else:
        out = render_html(screened.report, node.ctx, reader).encode()
    with node.engine.begin() as conn:
        emit(
            node,
            conn,
            actor=principal.id,
            action="record.report",
            obj=f"case:{view.id}#v{view.version}",
            details={
                "kind": "case",
                "stage": entry["stage"],
                "sha256": entry["sha256"],
                "format": fmt,
                "for": reader.id,
                "withheld": list(screened.withheld),
            },
        )
    return out
