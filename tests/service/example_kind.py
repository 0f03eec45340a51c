"""The worked example of ``docs/architecture.md``, "Adding a record kind": a meeting
report, declared whole in one module (a new kind's service module looks like this one;
``tests/service/test_adding_a_kind.py`` registers it and runs it everywhere)."""

from __future__ import annotations

from sqlalchemy import Connection

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.service import labelled
from nucsec.service.files import check_file_portions, portion_file_draft, portion_files
from nucsec.service.kinds import Attachable, Draft, RecordKind, Values, Wire
from nucsec.service.views import RecordPage, RecordView
from nucsec.store.records import RecordRow, VersionRow


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> RecordView:
    return RecordView(**labelled.base_fields(node, conn, row, version))


def _title(values: Values) -> str:
    return f"Meeting of {values['held_on']}: {values['title']}"


def _check(values: Values) -> None:
    from nucsec.errors import InputError

    if len(str(values["held_on"])) != 10:
        raise InputError("held_on is a date, YYYY-MM-DD", field="held_on")
    check_file_portions(values)


MEETING = RecordKind(
    name="meeting",
    collection="meetings",
    view=_view,
    title=_title,
    check=_check,
    attachable=Attachable(portion_files, portion_file_draft("minutes")),
    wire=Wire(
        stix_type="x-nucsec-meeting",
        extension_id="extension-definition--3c9d7a2e-5b1f-4e8a-9c6d-2f4b8a1e7d90",
        portions=(
            PortionRule("title", "string", required=True),
            PortionRule("held_on", "string", required=True),
            PortionRule("minutes", "string", required=True),
            PortionRule("attachment.N", "object"),
        ),
        layout="list",
        description="A meeting report of the working group: title, date and minutes, "
        "each a portion with its own marking, and attached file metadata.",
    ),
)


def add_meeting(
    node: Node, principal: Principal, title: str, held_on: str, minutes: str, label: Label
) -> RecordView:
    """Record a meeting under ``label`` (every portion)."""
    draft = Draft(
        values={"title": title, "held_on": held_on, "minutes": minutes},
        labels={"title": label, "held_on": label, "minutes": label},
    )
    view: RecordView = labelled.create(node, principal, MEETING, draft)
    return view


def get_meeting(node: Node, principal: Principal, meeting_id: str) -> RecordView:
    view: RecordView = labelled.read(node, principal, MEETING, meeting_id)
    return view


def list_meetings(node: Node, principal: Principal, *, limit: int = 50) -> RecordPage:
    return labelled.page(node, principal, MEETING, limit=limit)
