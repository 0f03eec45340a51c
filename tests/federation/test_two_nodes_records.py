"""Incidents and analyses between two national nodes as real processes (issues 5 and 8).

Node A (USA) records an incident released to JPN and a NOFORN one, attaches a file, and
shares analyses; node B (JPN) pulls with ``nucsec sync``. B lists, shows and counts only
what its nation may receive; an update at the origin arrives as a new version and the
statistics follow; a recall takes the incident out of B's statistics. Every test adds its
own incidents (each in its own year, so statistics of one year are that test's), so the
tests hold in any order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.users import principal_of
from tests.federation.conftest import peer, process_nodes
from tests.federation.nodes import NodeProcess
from tests.federation.scan import assert_nothing_forbidden, received

REL = "SECRET//REL TO USA, JPN"


def run(node: NodeProcess, *args: str) -> Any:
    result = node.cli(*args)
    assert result.code == 0, (args, result.err)
    return result.json if "--json" in args else result.out


def sync(b: NodeProcess) -> dict[str, Any]:
    synced: dict[str, Any] = run(b, "sync", "--peer", "usa", "--json")
    assert synced["complete"] and synced["rejected"] == 0, synced["rejections"]
    return synced


def stats(node: NodeProcess, user: str, year: int) -> int:
    data = run(node, "incident", "stats", "--as", user, "--from", str(year), "--to", str(year))
    return int(data.split("\n")[0].removeprefix("total: "))


def incident(reference: str, year: int, **changes: Any) -> dict[str, Any]:
    record = {
        "reference": reference,
        "report_date": f"{year}-03-02",
        "incident_date": f"{year}-02-01",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "place": "federation test site",
        "items": [{"kind": "material", "material": "U", "mass_g": 2.5, "enrichment_pct": 90.1}],
        "narrative": [
            {"label": "CONFIDENTIAL//REL TO USA, JPN", "text": f"{reference}: first paragraph."},
            {"label": REL, "text": f"{reference}: second paragraph, 日本語も."},
        ],
    }
    return {**record, **changes}


def add(n: Node, record: dict[str, Any], banner: str, user: str = "dhs.chief") -> str:
    from nucsec.service.incidents import add_incident, parse_incident

    made = add_incident(
        n,
        principal_of(n, user),
        parse_incident(record, today=n.clock().date()),
        parse_banner(banner, n.ctx),
    )
    return str(made["id"])


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """USA and JPN nodes served and peered; on A an incident REL TO JPN (with a file) and a
    NOFORN one (year 1998), and three analyses; B synced once."""
    from nucsec.service.analyses import save_age_analysis
    from nucsec.service.attachments import attach_file
    from nucsec.service.files import FileUpload

    with process_nodes(tmp_path_factory.mktemp("records")) as make:
        a, b = make("USA", start=True), make("JPN", start=True)
        peer(a, b, "jpn")
        peer(b, a, "usa")
        n = a.open()
        try:
            rel = add(n, incident("FED-REL-1", 1998), REL)
            noforn = add(n, incident("FED-NOFORN-1", 1998), "SECRET//NOFORN")
            attach_file(
                n,
                principal_of(n, "dhs.chief"),
                "incident",
                rel,
                FileUpload(b"0 1 2 3\n", "survey.spe", "text/plain", "portal monitor file"),
            )
            params = {"chronometer": "Th-230/U-234", "ratio": 1.41148e-4, "ratio_unc": 7.06e-7}
            analyst, label = principal_of(n, "doe.analyst"), parse_banner(REL, n.ctx)
            analyses = {
                name: save_age_analysis(
                    n, analyst, params=params, label=label, parent=parent, title=name
                )["id"]
                for name, parent in (
                    ("FED age of the released case", {"kind": "incident", "id": rel}),
                    ("FED age of the NOFORN case", {"kind": "incident", "id": noforn}),
                )
            }
            analyses["FED national age"] = save_age_analysis(
                n,
                analyst,
                params=params,
                label=parse_banner("SECRET//NOFORN", n.ctx),
                title="FED national age",
            )["id"]
        finally:
            n.close()
        before = stats(b, "npa.analyst", 1998)
        synced = sync(b)
        yield {
            "a": a,
            "b": b,
            "rel": rel,
            "noforn": noforn,
            "analyses": analyses,
            "before": before,
            "synced": synced,
        }


def test_only_the_releasable_incident_is_listed_and_shown(net: dict[str, Any]) -> None:
    b = net["b"]
    listed = run(b, "incident", "list", "--as", "npa.analyst", "--limit", "200", "--json")
    from_usa = {i["title"].split(":")[0]: i for i in listed["items"] if i["origin"] == "usa"}
    assert "FED-REL-1" in from_usa and "FED-NOFORN-1" not in from_usa
    assert from_usa["FED-REL-1"]["id"] == net["rel"]  # the same record id on both nodes
    shown = run(b, "incident", "show", net["rel"], "--as", "npa.analyst", "--json")
    assert shown["origin"] == "usa" and shown["banner"] == REL
    assert shown["label"]["originator"] == "USA.DHS"
    assert [p["portion"] for p in shown["incident"]["narrative"]] == [
        "(C//REL TO USA, JPN)",
        "(S//REL TO USA, JPN)",
    ]
    assert shown["incident"]["narrative"][1]["text"] == "FED-REL-1: second paragraph, 日本語も."
    assert shown["incident"]["items"][0]["mass_g"] == 2.5
    assert shown["assessment"]["weapons_usable"] is True  # recomputed on the receiving node
    # the receiving node's monitor governs it: a HI-cleared analyst does not see it
    assert b.cli("incident", "show", net["rel"], "--as", "mext.analyst").code == 4
    assert b.cli("incident", "show", net["noforn"], "--as", "npa.chief").code == 4
    why = run(
        net["a"], "release", "explain", "--incident", net["noforn"], "--peer", "jpn", "--json"
    )
    assert why["allowed"] is False and any("NOFORN" in r for r in why["monitor"]["reasons"])
    assert run(net["a"], "release", "explain", "--incident", net["rel"], "--peer", "jpn", "--json")[
        "allowed"
    ]


def test_statistics_of_the_receiving_node_count_it_for_its_readers_only(
    net: dict[str, Any],
) -> None:
    a, b = net["a"], net["b"]
    assert net["before"] == 0
    assert stats(b, "npa.analyst", 1998) == 1  # the releasable one, not the NOFORN one
    assert stats(b, "mext.analyst", 1998) == 0  # HI clearance: it is SECRET
    assert stats(a, "dhs.chief", 1998) == 2  # at the origin both count


def test_attachment_metadata_travels_but_not_the_file(net: dict[str, Any]) -> None:
    from nucsec.service.attachments import list_attachments, read_attachment

    n = net["b"].open()
    try:
        reader = principal_of(n, "npa.analyst")
        files = list_attachments(n, reader, "incident", net["rel"])
        assert [(f["name"], f["size_bytes"]) for f in files] == [("survey.spe", 8)]
        assert files[0]["description"] == "portal monitor file"
        with pytest.raises(NotFoundError):  # the bytes stayed at the origin
            read_attachment(n, reader, "incident", net["rel"], files[0]["sha256"])
    finally:
        n.close()


def test_analyses_cross_likewise_and_a_hidden_source_is_not_named(net: dict[str, Any]) -> None:
    b, ids = net["b"], net["analyses"]
    listed = run(b, "analysis", "list", "--as", "npa.analyst", "--limit", "200", "--json")
    titles = {i["title"] for i in listed["items"] if i["origin"] == "usa"}
    assert titles == {"FED age of the released case", "FED age of the NOFORN case"}
    held = received(b)
    released = held[ids["FED age of the released case"]].values["method"]["source"]
    assert released == {"kind": "incident", "id": net["rel"]}
    # the NOFORN incident's id never reached JPN: the source left as null
    assert held[ids["FED age of the NOFORN case"]].values["method"]["source"] is None
    shown = run(b, "analysis", "show", ids["FED age of the released case"], "--as", "npa.analyst")
    assert "Th-230/U-234" in shown
    assert not any(net["noforn"] in json.dumps(r.values) for r in held.values())


def test_an_update_at_the_origin_arrives_as_a_new_version(net: dict[str, Any]) -> None:
    from nucsec.service.incidents import parse_incident, update_incident

    a, b = net["a"], net["b"]
    n = a.open()
    try:
        made = add(n, incident("FED-UPD-1", 1996), REL)
    finally:
        n.close()
    sync(b)
    assert (stats(b, "npa.analyst", 1996), stats(b, "npa.analyst", 1995)) == (1, 0)
    n = a.open()
    try:
        changed = incident("FED-UPD-1", 1995, itdb_group="II", place="moved")
        update_incident(
            n,
            principal_of(n, "dhs.chief"),
            made,
            parse_incident(changed, today=n.clock().date()),
            parse_banner(REL, n.ctx),
        )
    finally:
        n.close()
    assert sync(b)["received"] == 1
    assert (stats(b, "npa.analyst", 1996), stats(b, "npa.analyst", 1995)) == (0, 1)
    shown = run(b, "incident", "show", made, "--as", "npa.analyst", "--json")
    assert (shown["version"], shown["incident"]["itdb_group"], shown["title"]) == (
        2,
        "II",
        "FED-UPD-1: moved",
    )


def test_a_recall_takes_it_out_of_the_partners_statistics(net: dict[str, Any]) -> None:
    from nucsec.service.incidents import recall_incident

    a, b = net["a"], net["b"]
    n = a.open()
    try:
        made = add(n, incident("FED-RECALL-1", 1994), REL)
    finally:
        n.close()
    sync(b)
    assert stats(b, "npa.analyst", 1994) == 1
    n = a.open()
    try:
        recall_incident(n, principal_of(n, "dhs.chief"), made)
    finally:
        n.close()
    assert sync(b)["recalled"] == 1
    assert stats(b, "npa.analyst", 1994) == 0
    assert b.cli("incident", "show", made, "--as", "npa.analyst").code == 4
    assert received(b)[made].recalled


def test_nothing_on_the_receiving_node_that_its_nation_may_not_receive(
    net: dict[str, Any],
) -> None:
    held = assert_nothing_forbidden(net["b"], {"usa": "USA"})
    kinds = {r.kind for r in held.values()}
    assert {"document", "incident", "analysis"} <= kinds
    assert net["noforn"] not in held and net["analyses"]["FED national age"] not in held
