"""The case record kind: parts as portions, custody by the receiving user, stages with due
times and the overdue flag, frozen reports, and the monitor deciding every access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.errors import AccessDenied, ConflictError, InputError, NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import analyses, cases
from nucsec.service.case_reports import frozen_report, issue_report
from nucsec.service.users import principal_of

AGE = {
    "chronometer": "Th-230/U-234",
    "ratio": 1.41148e-4,
    "ratio_unc": 7.06e-7,
    "measured_on": "2024-05-01",
    "age_on": "2024-05-01",
}
T0 = dt.datetime(2026, 1, 30, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def _label(node: Node, banner: str):  # type: ignore[no-untyped-def]
    return parse_banner(banner, node.ctx)


@pytest.fixture
def clocked(demo_node: Node) -> tuple[Node, Clock]:
    clock = Clock()
    demo_node.clock = clock  # type: ignore[method-assign]
    return demo_node, clock


def _powder(
    node: Node, who: Any, case_id: str, label: Any, holder: str | None = None
) -> cases.CaseView:
    """Add sample S-1 (2.5 g of powder in a vial, taken at the port) to a case."""
    return cases.add_sample(
        node,
        who,
        case_id,
        sample_id="S-1",
        description="powder",
        mass_g=2.5,
        container="vial",
        where="port",
        label=label,
        holder=holder,
    )


def _events(node: Node) -> list[str]:
    """The actions of the audit log, oldest first."""
    with node.engine.connect() as conn:
        return list(conn.scalars(select(audit_events.c.action).order_by(audit_events.c.seq)))


def _open(node: Node, banner: str = "CUI//REL TO USA, JPN") -> cases.CaseView:
    chief = principal_of(node, "doe.chief")
    return cases.open_case(node, chief, "Seized vial", _label(node, banner))


def test_stages_due_times_and_overdue(clocked: tuple[Node, Clock]) -> None:
    node, clock = clocked
    chief = principal_of(node, "doe.chief")
    case = _open(node)
    assert case.stage == "preliminary" and not case.overdue
    assert [s["due"] for s in case.stages] == [
        (T0 + dt.timedelta(hours=24)).isoformat(),
        (T0 + dt.timedelta(days=7)).isoformat(),
        dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC).isoformat(),  # two calendar months
    ]
    clock.now = T0 + dt.timedelta(hours=25)
    late = cases.get_case(node, chief, case.id)
    assert late.stage == "preliminary" and late.overdue
    before = _events(node)
    listed = {c.id: c for c in cases.list_cases(node, chief)}
    assert listed[case.id].overdue and listed[case.id].stage == "preliminary"
    assert _events(node)[len(before) :] == ["record.list"]  # one listing, no read per case
    issue_report(node, chief, case.id, "preliminary")
    after = cases.get_case(node, chief, case.id)
    assert after.stage == "interim" and not after.overdue
    assert after.due == (T0 + dt.timedelta(days=7)).isoformat()


def test_reports_are_frozen_in_order_one_per_stage(clocked: tuple[Node, Clock]) -> None:
    node, _ = clocked
    chief = principal_of(node, "doe.chief")
    case = _open(node)
    with pytest.raises(InputError, match="next report is preliminary"):
        issue_report(node, chief, case.id, "final")
    first = issue_report(node, chief, case.id, "preliminary")
    entry, report = frozen_report(first)
    with pytest.raises(InputError):
        issue_report(node, chief, case.id, "preliminary")
    cases.add_sample(
        node,
        chief,
        case.id,
        sample_id="S-1",
        description="powder",
        mass_g=2.0,
        container="vial",
        where="port",
        label=_label(node, "CONFIDENTIAL//REL TO USA, JPN"),
    )
    later = cases.get_case(node, chief, case.id)
    # the issued report did not change when the case did: same content, same hash
    entry2, report2 = frozen_report(later, "preliminary")
    assert entry2["sha256"] == entry["sha256"] and report2 == report
    assert "S-1" not in str(entry2["report"])
    assert later.version == first.version + 1


def test_custody_is_appended_by_the_receiving_user_and_audited(demo_node: Node) -> None:
    chief = principal_of(demo_node, "doe.chief")
    analyst = principal_of(demo_node, "doe.analyst")
    case = _open(demo_node)
    label = _label(demo_node, "CONFIDENTIAL//REL TO USA, JPN")
    _powder(demo_node, chief, case.id, label, holder="customs")
    after = cases.hand_over(demo_node, analyst, case.id, "S-1", where="lab")
    custody = after.samples[0]["custody"]
    assert [c["holder"] for c in custody] == ["customs", analyst.id]
    assert [c["received_by"] for c in custody] == [chief.id, analyst.id]
    assert after.samples[0]["portion"] == "(C//REL TO USA, JPN)"
    with demo_node.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.object_ref).where(
                audit_events.c.action == "record.update"
            )
        ).all()
    # the update of version 2 (which wrote version 3) was decided for the receiving user
    assert (analyst.id, f"case:{case.id}#v2") in [tuple(r) for r in rows]
    assert after.version == 3
    with pytest.raises(InputError, match="no sample"):
        cases.hand_over(demo_node, analyst, case.id, "S-9", where="lab")
    with pytest.raises(InputError, match="already has"):
        cases.add_sample(
            demo_node,
            chief,
            case.id,
            sample_id="S-1",
            description="x",
            mass_g=1.0,
            container="",
            where="port",
            label=label,
        )


def test_a_change_built_on_a_stale_version_is_refused_and_loses_nothing(
    demo_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers receive the same sample from the version each read: the second
    hand-over was built on a version that is no longer current, so it is refused
    (ConflictError) instead of silently dropping the first custody entry."""
    chief = principal_of(demo_node, "doe.chief")
    analyst = principal_of(demo_node, "doe.analyst")
    case = _open(demo_node)
    stale = _powder(demo_node, chief, case.id, _label(demo_node, "CONFIDENTIAL//REL TO USA, JPN"))
    first = cases.hand_over(demo_node, analyst, case.id, "S-1", where="lab")
    monkeypatch.setattr(cases, "get_case", lambda *_: stale)  # read before `first` was saved
    with pytest.raises(ConflictError, match=f"version {first.version}, not {stale.version}"):
        cases.hand_over(demo_node, chief, case.id, "S-1", where="vault")
    monkeypatch.undo()
    now = cases.get_case(demo_node, chief, case.id)
    assert now.version == first.version
    assert [c["where"] for c in now.samples[0]["custody"]] == ["port", "lab"]


@pytest.mark.parametrize("mass", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_sample_is_refused_and_nothing_written(demo_node: Node, mass: float) -> None:
    chief = principal_of(demo_node, "doe.chief")
    case = _open(demo_node)
    with pytest.raises(InputError) as exc:
        cases.add_sample(
            demo_node,
            chief,
            case.id,
            sample_id="S-1",
            description="x",
            mass_g=mass,
            container="",
            where="port",
            label=case_label(demo_node),
        )
    assert exc.value.field == "sample.mass_g"
    assert cases.get_case(demo_node, chief, case.id).version == 1


def case_label(node: Node):  # type: ignore[no-untyped-def]
    return _label(node, "CUI//REL TO USA, JPN")


def test_links_and_assessments_go_through_the_monitor(demo_node: Node) -> None:
    chief = principal_of(demo_node, "doe.chief")
    dhs = principal_of(demo_node, "dhs.chief")
    case = _open(demo_node)
    hidden = analyses.save_age_analysis(
        demo_node, chief, params=AGE, label=_label(demo_node, "TOP SECRET//FORENSICS//NOFORN")
    )
    # dhs.chief cannot read the analysis: linking it answers "not found", as if absent
    with pytest.raises(NotFoundError):
        cases.attach_analysis(demo_node, dhs, case.id, hidden.id, case_label(demo_node))
    linked = cases.attach_analysis(
        demo_node,
        chief,
        case.id,
        hidden.id,
        case_label(demo_node),
        candidates=[("Plant A", 2008.0, 2012.0)],
    )
    assert linked.analyses[0]["candidates"][0]["name"] == "Plant A"
    with pytest.raises(InputError, match="not linked"):
        cases.assess(
            demo_node,
            chief,
            case.id,
            finding="x",
            evidence=["nope"],
            confidence="strong",
            label=case_label(demo_node),
        )
    with pytest.raises(InputError, match="confidence must be one of"):
        cases.assess(
            demo_node,
            chief,
            case.id,
            finding="x",
            evidence=[hidden.id],
            confidence="sure",
            label=case_label(demo_node),
        )
    done = cases.assess(
        demo_node,
        chief,
        case.id,
        finding="Consistent with Plant A.",
        evidence=[hidden.id],
        confidence="moderate",
        label=_label(demo_node, "SECRET//REL TO USA, JPN"),
    )
    assert done.assessments[0]["author"] == chief.id
    assert done.banner == "SECRET//REL TO USA, JPN"


def test_a_hidden_case_answers_not_found_like_an_absent_one(demo_node: Node) -> None:
    case = _open(demo_node, "SECRET//NOFORN")
    npa = principal_of(demo_node, "npa.analyst")
    with pytest.raises(NotFoundError) as hidden:
        cases.get_case(demo_node, npa, case.id)
    with pytest.raises(NotFoundError) as absent:
        cases.get_case(demo_node, npa, "00000000-0000-4000-8000-000000000000")
    assert str(hidden.value).replace(case.id, "ID") == str(absent.value).replace(
        "00000000-0000-4000-8000-000000000000", "ID"
    )
    assert case.id not in [c.id for c in cases.list_cases(demo_node, npa)]
    with pytest.raises(NotFoundError):
        cases.hand_over(demo_node, npa, case.id, "S-1", where="x")


def test_a_writer_without_clearance_for_the_label_is_refused(demo_node: Node) -> None:
    analyst = principal_of(demo_node, "doe.analyst")  # SECRET
    with pytest.raises(AccessDenied):
        cases.open_case(demo_node, analyst, "Too high", _label(demo_node, "TOP SECRET//NOFORN"))


@pytest.mark.parametrize(
    "values",
    [
        {"title": "t"},
        {"title": "t", "facts": {"opened_at": "yesterday", "opened_by": "u", "incidents": []}},
        {
            "title": "t",
            "facts": {"opened_at": T0.isoformat(), "opened_by": "u", "incidents": []},
            "sample.0": {"id": "S 1"},
        },
        {
            "title": "t",
            "facts": {"opened_at": T0.isoformat(), "opened_by": "u", "incidents": []},
            "other": "x",
        },
        {
            "title": "t",
            "facts": {"opened_at": T0.isoformat(), "opened_by": "u", "incidents": []},
            "report.0": {"stage": "draft"},
        },
    ],
)
def test_the_kind_check_refuses_malformed_versions(values: dict[str, object]) -> None:
    with pytest.raises(InputError):
        cases.CASE.check(values)
