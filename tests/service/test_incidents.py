"""The incident register: labelled incidents, IAEA assessment, policy-filtered statistics,
CSV import (all-or-nothing or partial) and export."""

from __future__ import annotations

import datetime as dt

import pytest

from nucsec.errors import NotFoundError
from nucsec.incidents import CsvImportError, incident_from_record
from nucsec.markings import parse_banner
from nucsec.service.incidents import (
    add_incident,
    export_incidents,
    get_incident,
    import_incidents,
    incident_statistics,
    list_incidents,
)
from nucsec.service.users import get_user
from tests.conftest import requires_postgres


def user(node, name):
    with node.engine.connect() as conn:
        return get_user(conn, name).principal


def teletherapy(reference="TEST-1", narrative_label="SECRET//NOFORN"):
    return incident_from_record(
        {
            "reference": reference,
            "report_date": "2010-11-10",
            "incident_date": "2010-11-08",
            "country": "US",
            "incident_type": "theft",
            "itdb_group": "I",
            "detection_mode": "police_intelligence",
            "items": [{"kind": "source", "nuclide": "Co-60", "activity_bq": 555e12}],
            "narrative": [
                {"label": "UNCLASSIFIED", "text": "A teletherapy head was stolen."},
                {"label": narrative_label, "text": "Informant details (canary)."},
            ],
        }
    )


def test_add_and_show_with_iaea_category(demo_node):
    node = demo_node
    view = add_incident(
        node,
        user(node, "dhs.chief"),
        teletherapy(),
        parse_banner("CONFIDENTIAL//REL TO USA, JPN", node.ctx),
    )
    assert view["banner"] == "SECRET//NOFORN"  # roll-up of facts and narrative portions
    assert view["assessment"]["sources"][0]["category"] == 1
    assert [p["portion"] for p in view["incident"]["narrative"]] == ["(U)", "(S//NF)"]
    shown = get_incident(node, user(node, "dos.chief"), view["id"])
    assert shown["reference"] == "TEST-1"
    with pytest.raises(NotFoundError):
        get_incident(node, user(node, "npa.chief"), view["id"])


def test_statistics_count_only_what_the_caller_may_read(demo_node):
    node = demo_node
    us, jp = user(node, "dhs.chief"), user(node, "npa.chief")
    before_us = incident_statistics(node, us).total
    before_jp = incident_statistics(node, jp).total
    add_incident(node, us, teletherapy("CANARY-1"), parse_banner("SECRET//NOFORN", node.ctx))
    after_us, after_jp = incident_statistics(node, us), incident_statistics(node, jp)
    assert after_us.total == before_us + 1
    assert after_jp.total == before_jp
    assert after_us.counts["year"]["2010"] >= 1
    assert "CANARY-1" not in str(list_incidents(node, jp, limit=100))


CSV_HEADER = (
    "reference,record,report_date,country,incident_type,itdb_group,nuclide,activity,label,text\n"
)


def _csv(*rows: str) -> str:
    return CSV_HEADER + "".join(r + "\n" for r in rows)


GOOD = [
    "CSV-1,incident,2011-01-05,JP,theft,II,,,,",
    "CSV-1,source,,,,,Cs-137,0.19 TBq,,",
    "CSV-2,incident,2011-02-05,US,loss,III,,,,",
]
BAD = ["CSV-3,incident,2011-03-05,US,loss,IV,,,,", "CSV-4,incident,2999-01-01,US,loss,I,,,,"]


def test_import_all_or_nothing_then_partial(demo_node):
    node = demo_node
    dhs = user(node, "dhs.chief")
    label = parse_banner("UNCLASSIFIED", node.ctx)
    before = len(list_incidents(node, dhs, limit=500)["items"])
    with pytest.raises(CsvImportError) as err:
        import_incidents(node, dhs, _csv(*GOOD, *BAD), label, today=dt.date(2026, 1, 1))
    fields = {e.field for e in err.value.errors}
    assert {"itdb_group", "report_date"} <= fields
    assert len(list_incidents(node, dhs, limit=500)["items"]) == before  # nothing imported
    result = import_incidents(
        node, dhs, _csv(*GOOD, *BAD), label, partial=True, today=dt.date(2026, 1, 1)
    )
    assert len(result["created"]) == 2 and len(result["errors"]) == 2
    again = import_incidents(node, dhs, _csv(*GOOD), label, today=dt.date(2026, 1, 1))
    assert len(again["updated"]) == 2 and again["created"] == []  # same references: versions


def test_import_reports_every_problem_of_a_row_and_an_unknown_marking_as_a_row(demo_node):
    """Two bad cells of one row and a narrative marking the node does not know: three
    problems, each with its line and field; nothing is imported, with or without
    partial for that incident; the good one beside it is created under its reference."""
    node = demo_node
    dhs = user(node, "dhs.chief")
    label = parse_banner("UNCLASSIFIED", node.ctx)
    rows = [
        "CSV-9,incident,2011-02-30,Atlantis,loss,II,,,,",
        "CSV-9,portion,,,,,,,NOT A MARKING,text",
        "CSV-10,incident,2011-02-05,US,loss,III,,,,",
    ]
    before = len(list_incidents(node, dhs, limit=500)["items"])
    with pytest.raises(CsvImportError) as err:
        import_incidents(node, dhs, _csv(*rows), label, today=dt.date(2026, 1, 1))
    got = [(e.line, e.reference, e.field) for e in err.value.errors]
    assert got == [
        (2, "CSV-9", "report_date"),
        (2, "CSV-9", "country"),
        (3, "CSV-9", "label"),
    ]
    assert "NOT A MARKING" in str(err.value.errors[2].value)
    assert len(list_incidents(node, dhs, limit=500)["items"]) == before  # nothing imported
    result = import_incidents(
        node, dhs, _csv(*rows), label, partial=True, today=dt.date(2026, 1, 1)
    )
    assert [e["field"] for e in result["errors"]] == ["report_date", "country", "label"]
    assert list(result["references"].values()) == ["CSV-10"]
    assert len(list_incidents(node, dhs, limit=500)["items"]) == before + 1


def test_export_respects_orcon_and_visibility(demo_node):
    node = demo_node
    dhs = user(node, "dhs.chief")
    orcon = parse_banner("CONFIDENTIAL//ORCON/REL TO USA, JPN", node.ctx)
    add_incident(node, dhs, teletherapy("ORCON-1", "CONFIDENTIAL//ORCON/REL TO USA, JPN"), orcon)
    assert "ORCON-1" in export_incidents(node, dhs)
    assert "ORCON-1" not in export_incidents(node, user(node, "dos.chief"))  # not originator
    jp_export = export_incidents(node, user(node, "npa.chief"))
    assert "DEMO-US-2024-003" not in jp_export  # NOFORN demo incident
    assert "ITDB-2005-US-NJ" in jp_export


def _naive_stats(node, principal, year_from=None, year_to=None):
    """Statistics the slow way: every incident, decided one by one, counted in Python."""
    from sqlalchemy import select

    from nucsec.incidents import incident_stats, stats_row
    from nucsec.policy import Resource, decide
    from nucsec.service.incidents import _incident_of
    from nucsec.store.labels import load_label
    from nucsec.store.records import RecordStore
    from nucsec.store.schema import records

    rows = []
    with node.engine.connect() as conn:
        store = RecordStore(conn, node.ctx)
        for (record_id,) in conn.execute(select(records.c.id).where(records.c.kind == "incident")):
            row = store.get("incident", record_id)
            resource = Resource(load_label(conn, row.label_id), recalled=row.recalled)
            if decide(principal, "read", resource, node.ctx).allowed:
                stats = stats_row(_incident_of(store.version(row)))
                if (year_from or 0) <= stats["year"] <= (year_to or 9999):
                    rows.append(stats)
    return incident_stats(rows).to_dict()


def test_maintained_counts_equal_a_naive_count_for_every_user(demo_node):
    from nucsec.service.incidents import update_incident
    from nucsec.service.users import list_users

    node = demo_node
    dhs = user(node, "dhs.chief")
    first = add_incident(
        node, dhs, teletherapy("MOVE-1", "UNCLASSIFIED"), parse_banner("UNCLASSIFIED", node.ctx)
    )
    moved = incident_from_record(
        {
            **{k: v for k, v in first["incident"].items() if k != "narrative"},
            "country": "JP",
            "itdb_group": "III",
            "incident_date": "2012-03-01",
            "report_date": "2012-03-02",
        }
    )
    update_incident(
        node, dhs, first["id"], moved, parse_banner("CONFIDENTIAL//NOFORN", node.ctx)
    )  # re-labelled, moved
    with node.engine.connect() as conn:
        people = list_users(conn)
    for person in people:
        p = person.principal
        assert incident_statistics(node, p).to_dict() == _naive_stats(node, p), person.username
        assert incident_statistics(node, p, year_from=2006, year_to=2012).to_dict() == _naive_stats(
            node, p, 2006, 2012
        ), person.username


def test_an_update_made_on_an_old_version_is_refused_and_the_newer_one_kept(demo_node):
    """Two officers edit version 1: the first save lands as version 2; the second, made
    on version 1, is refused (ConflictError) inside its transaction, and version 2 stays."""
    from nucsec.errors import ConflictError
    from nucsec.service.incidents import get_incident, update_incident

    node = demo_node
    dhs = user(node, "dhs.chief")
    label = parse_banner("UNCLASSIFIED", node.ctx)
    first = add_incident(node, dhs, teletherapy("RACE-1", "UNCLASSIFIED"), label)
    record = {k: v for k, v in first["incident"].items() if k != "narrative"}
    closed = incident_from_record({**record, "status": "closed"})
    update_incident(node, dhs, first["id"], closed, label, base_version=1)
    reopened = incident_from_record({**record, "status": "open"})
    with pytest.raises(ConflictError, match="version 2, not 1"):
        update_incident(node, dhs, first["id"], reopened, label, base_version=1)
    now = get_incident(node, dhs, first["id"])
    assert now.version == 2 and now.incident["status"] == "closed"


@requires_postgres
def test_two_concurrent_updates_one_lands_the_other_is_a_conflict(demo_node):
    """Two transactions update the same version at once (PostgreSQL, read committed): the
    second waits on the first's version row, then is refused with ConflictError (409), not
    a database error; the first's version is the current one."""
    import threading
    import time

    from sqlalchemy import text

    from nucsec.errors import ConflictError
    from nucsec.service import labelled
    from nucsec.service.incidents import INCIDENT, _draft, get_incident, update_incident

    node = demo_node
    dhs = user(node, "dhs.chief")
    label = parse_banner("UNCLASSIFIED", node.ctx)
    first = add_incident(node, dhs, teletherapy("RACE-2", "UNCLASSIFIED"), label)
    record = {k: v for k, v in first["incident"].items() if k != "narrative"}
    closed = incident_from_record({**record, "status": "closed"})
    outcome: list[BaseException | None] = []

    def second() -> None:
        try:
            update_incident(node, dhs, first["id"], incident_from_record(record), label)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with node.engine.connect() as conn:
        tx = conn.begin()
        labelled.update_in(node, conn, dhs, INCIDENT, first["id"], _draft(node, closed, label))
        thread = threading.Thread(target=second)
        thread.start()
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        deadline = time.monotonic() + 60
        with node.engine.connect() as probe:
            while probe.execute(waiting).scalar() == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
        tx.commit()
    thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError), outcome
    assert "version 2" in outcome[0].message
    now = get_incident(node, dhs, first["id"])
    assert now.version == 2 and now.incident["status"] == "closed"


def test_an_import_refused_by_the_monitor_writes_and_queues_nothing(demo_node):
    """All or nothing: a row the CSV reader accepts but the monitor refuses (a paragraph
    above the importer's clearance) leaves no record, version, fact or outbox row, and is
    reported as a refused row; a second try writes nothing either. With ``partial`` the
    other incident is imported."""
    from tests.incidents.import_cases import (
        FACTS_LABEL,
        IMPORTER,
        add_partner,
        refused_row_csv,
        written,
    )

    add_partner(demo_node)
    before = written(demo_node)
    label = parse_banner(FACTS_LABEL, demo_node.ctx)
    for _ in range(2):
        with pytest.raises(CsvImportError) as refused:
            import_incidents(demo_node, user(demo_node, IMPORTER), refused_row_csv(), label)
        assert [(e.reference, e.line) for e in refused.value.errors] == [("AON-2", 3)]
        assert "clearance" in refused.value.errors[0].message
        assert written(demo_node) == before
    partial = import_incidents(
        demo_node, user(demo_node, IMPORTER), refused_row_csv(), label, partial=True
    )
    assert len(partial["created"]) == 1 and partial["errors"][0]["reference"] == "AON-2"
    assert written(demo_node)["records"] == before["records"] + 1
