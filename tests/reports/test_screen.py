"""What a reader sees and a partner receives is the reference monitor's decision per
portion: held equal to ``decide`` by a property test, and shown to be ``decide`` itself by
replacing it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nucsec.markings import Label
from nucsec.policy import Principal, Resource, decide
from nucsec.reports import (
    Paragraph,
    Report,
    ReportError,
    ReportWithheld,
    Section,
    released_to,
    screen,
    visible_to,
)
from nucsec.reports import screening as screen_module
from tests.reports._build import (
    C_NF,
    CTX,
    JPN_PEER,
    NOFORN_TEXT,
    S_REL,
    U,
    label,
    multipage_report,
)
from tests.strategies import labels, principals


def _texts(report: Report) -> list[str]:
    out = [report.title]
    for b in report.front:
        out.append(getattr(b, "text", b.kind))
    for s in report.sections:
        out.append(s.heading)
        out += [getattr(b, "text", b.kind) for b in s.blocks]
    return out


@st.composite
def reports(draw: st.DrawFn) -> Report:
    lbl = labels()
    sections = []
    for i in range(draw(st.integers(0, 3))):
        blocks = [Paragraph(f"s{i}.b{j}", draw(lbl)) for j in range(draw(st.integers(0, 3)))]
        sections.append(Section(f"s{i}", draw(lbl), tuple(blocks)))
    front = [Paragraph(f"front.{i}", draw(lbl)) for i in range(draw(st.integers(0, 2)))]
    return Report("title", draw(lbl), front=tuple(front), sections=tuple(sections))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=reports(), who=principals(), action=st.sampled_from(["read", "release"]))
def test_screen_keeps_exactly_what_the_monitor_allows(
    report: Report, who: Principal, action: str
) -> None:
    custodian = "USA" if action == "release" else None

    def allowed(lb: Label) -> bool:
        return decide(who, action, Resource(lb, kind="report", custodian=custodian), CTX).allowed

    if not allowed(report.label):
        with pytest.raises(ReportWithheld):
            screen(report, who, action, CTX, custodian=custodian)
        return
    kept = screen(report, who, action, CTX, custodian=custodian)
    expected = ["title"] + [b.text for b in report.front if allowed(b.label)]  # type: ignore[union-attr]
    for s in report.sections:
        blocks = [b.text for b in s.blocks if allowed(b.label)]  # type: ignore[union-attr]
        if allowed(s.label) and (blocks or not s.blocks):
            expected += [s.heading, *blocks]
    assert _texts(kept.report) == expected
    assert len(kept.decisions) == len(report.portions())
    assert {d.id for d in kept.decisions if not d.allowed} == set(kept.withheld)


def test_the_decision_is_the_monitors(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str, str | None]] = []

    def spy(principal: Principal, action: str, resource: Resource, ctx: Any) -> Any:
        asked.append((principal.id, action, resource.ref))
        decision = decide(principal, action, resource, ctx)
        if resource.ref and resource.ref.endswith("#s0.b1"):
            decision.allowed = False  # the monitor says no: the block must go
        return decision

    monkeypatch.setattr(screen_module, "decide", spy)
    report, _, _ = multipage_report(table_rows=2)
    kept = released_to(report, JPN_PEER, CTX, custodian="USA")
    refs = [r for _, _, r in asked]
    assert refs == [f"{report.ref}#{p.id}" for p in report.portions()]
    assert {a for _, a, _ in asked} == {"release"}
    assert [getattr(b, "text", "") for b in kept.sections[0].blocks] == [
        report.sections[0].blocks[0].text  # type: ignore[union-attr]
    ]


def test_noforn_never_reaches_the_partner_and_its_empty_section_goes() -> None:
    report, _, _ = multipage_report(table_rows=2)
    screened = screen(report, JPN_PEER, "release", CTX, custodian="USA")
    assert NOFORN_TEXT not in _texts(screened.report)
    assert "Source" not in _texts(screened.report)  # heading U, but every block withheld
    assert screened.withheld == ("s1.b0",)
    assert screened.report.banner_label(CTX).noforn is False
    home = screen(report, JPN_PEER, "read", CTX)  # a JPN user reading at home: same rule
    assert NOFORN_TEXT not in _texts(home.report)


def test_release_names_its_custodian_and_applies_the_third_party_rule() -> None:
    report = Report("t", S_REL, front=(Paragraph("x", U),))
    with pytest.raises(ReportError) as err:
        screen(report, JPN_PEER, "release", CTX)
    assert err.value.field == "custodian"
    japanese = Report("t", label("GOKUHI//REL TO JPN, USA"))
    with pytest.raises(ReportWithheld):  # a JPN-classified report is not the USA node's to release
        released_to(japanese, JPN_PEER, CTX, custodian="USA")
    with pytest.raises(ReportError):
        screen(report, JPN_PEER, "update", CTX)


def test_a_hidden_title_hides_the_report() -> None:
    report = Report("t", C_NF, front=(Paragraph("x", U),))
    with pytest.raises(ReportWithheld) as err:
        visible_to(report, JPN_PEER, CTX)
    assert err.value.code == "not_found"
