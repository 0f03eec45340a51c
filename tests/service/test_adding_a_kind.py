"""Adding a record kind is one module and one registry line.

The meeting report of :mod:`tests.service.example_kind` (the worked example of
``docs/architecture.md``) is registered next to the shipped kinds, and nothing else is
written: it is created, read, listed and counted through the policy and the audit log;
files attach to it through the common service and the common REST route; it federates as
its own STIX type (extension definition, portions list, markings), the receiver checks it
with the kind's own ``check`` and stores it as a meeting.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import attachments, labelled
from nucsec.service.files import FileUpload
from nucsec.service.kinds import KindRegistry
from nucsec.service.registry import RECORD_KINDS
from nucsec.service.users import principal_of
from tests.federation.conftest import local_nodes, outbox_objects, pin, receive
from tests.service.example_kind import MEETING, add_meeting, get_meeting, list_meetings

#: the one registry line
KINDS = KindRegistry((*RECORD_KINDS.kinds, MEETING))
REL = "SECRET//REL TO USA, JPN"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with local_nodes(tmp_path) as make:
        usa, jpn = make("USA"), make("JPN")
        usa.kinds = jpn.kinds = KINDS  # as nucsec.assembly would, with the line added
        yield usa, jpn


def test_the_new_kind_is_a_labelled_record(pair: tuple[Node, Node]) -> None:
    usa, _ = pair
    doe, dhs = principal_of(usa, "doe.analyst"), principal_of(usa, "dhs.analyst")
    label = parse_banner(REL, usa.ctx)
    made = add_meeting(usa, doe, "Seoul preparation", "2012-03-20", "Agreed agenda.", label)
    assert made.kind == "meeting" and made.banner == REL
    assert get_meeting(usa, doe, made.id).portions["minutes"].value == "Agreed agenda."
    assert [i.title for i in list_meetings(usa, doe).items] == [
        "Meeting of 2012-03-20: Seoul preparation"
    ]
    with pytest.raises(Exception, match="not found"):  # CONFIDENTIAL clearance, SECRET label
        get_meeting(usa, dhs, made.id)
    assert labelled.count(usa, dhs, MEETING) == 0


def test_files_attach_through_the_common_service_and_route(pair: tuple[Node, Node]) -> None:
    from tests.web.conftest import bearer, client_of

    usa, _ = pair
    doe = principal_of(usa, "doe.analyst")
    made = add_meeting(usa, doe, "Agenda", "2012-03-20", "Minutes.", parse_banner(REL, usa.ctx))
    attachments.attach_file(usa, doe, "meeting", made.id, FileUpload(b"slides", "slides.pdf"))
    client = client_of(usa)
    listed = client.get(
        f"/api/v1/meetings/{made.id}/attachments", headers=bearer(usa, "doe.analyst")
    )
    assert listed.status_code == 200
    assert [f["name"] for f in listed.json()["items"]] == ["slides.pdf"]


def test_the_new_kind_federates_as_its_own_stix_type(pair: tuple[Node, Node]) -> None:
    usa, jpn = pair
    pin(usa, jpn, "jpn")
    pin(jpn, usa, "usa")
    doe = principal_of(usa, "doe.analyst")
    made = add_meeting(usa, doe, "Agenda", "2012-03-20", "Minutes.", parse_banner(REL, usa.ctx))
    sent = outbox_objects(usa, "jpn")
    record = next(o for o in sent if o["type"] == "x-nucsec-meeting")
    assert MEETING.wire is not None
    assert any(o["id"] == MEETING.wire.extension_id for o in sent)
    assert [p["name"] for p in record["portions"]] == ["held_on", "minutes", "title"]
    bad = copy.deepcopy(record)
    bad["id"] = bad["id"][:-1] + ("0" if bad["id"][-1] != "0" else "1")
    bad["portions"][0]["value"] = "March"
    result = receive(jpn, "usa", [*sent, bad])
    assert [r["reason"] for r in result.rejected] == ["held_on is a date, YYYY-MM-DD"]
    seen = get_meeting(jpn, principal_of(jpn, "npa.chief"), made.id)
    assert (seen.origin, json.loads(json.dumps(seen.banners))["JPN"]) == (
        "usa",
        "極秘//REL TO USA, JPN",
    )
