"""Facilities as labelled, versioned records (the ``facility`` kind).

A facility is stored as three portions: ``identity`` (code, name, operator, type,
nation, declared activities), ``holdings`` (material and sources by area, the incident
register's item records) and ``profile`` — the INFCIRC/225 material categories, IAEA
source categories and NSS 14 security levels **computed** from the holdings by the pure
core (:meth:`nucsec.practices.Facility.profile`, sources decay-corrected to the day the
version is written), never typed in. Each portion has its own label.

Facilities federate by label as ``x-nucsec-facility`` with their identity and profile:
the holdings (the detailed inventory) stay home. A received facility therefore has no
``holdings`` portion; its profile is the sender's. Self-assessments of a facility are
records of their own (:mod:`nucsec.service.assessments`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.practices import Facility, FacilityError, facility_from_dict, facility_to_dict
from nucsec.practices.vocabulary import TAGS
from nucsec.service import labelled
from nucsec.service.kinds import Draft, RecordKind, Values, Wire
from nucsec.service.views import RecordPage, RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "FACILITY",
    "FacilityView",
    "about_facility",
    "add_facility",
    "facility_of",
    "get_facility",
    "list_facilities",
]

IDENTITY_KEYS = ("code", "name", "operator", "type", "nation", "activities")


@dataclass(frozen=True, kw_only=True, slots=True)
class FacilityView(RecordView):
    """A facility as its readers see it (``holdings`` None: not held on this node)."""

    code: str
    name: str
    operator: str
    type: str
    nation: str
    activities: tuple[str, ...]
    holdings: tuple[dict[str, Any], ...] | None
    profile: dict[str, Any]  # computed categories, levels, purposes and tags


def facility_of(values: Values) -> Facility:
    """The validated facility of a version's values (holdings empty when absent);
    FacilityError naming the field otherwise."""
    identity = values.get("identity")
    if not isinstance(identity, dict):
        raise FacilityError("a facility needs its identity portion", field="identity")
    raw = {k: v for k, v in identity.items() if k != "code"}
    raw["id"] = identity.get("code", "")
    holdings = values.get("holdings")
    if holdings is not None:
        if not isinstance(holdings, dict) or set(holdings) != {"holdings"}:
            raise FacilityError("holdings must be {'holdings': [...]}", field="holdings")
        raw["holdings"] = holdings["holdings"]
    return facility_from_dict(raw)


def _check(values: Values) -> None:
    facility_of(values)
    profile = values.get("profile")
    tags = profile.get("tags") if isinstance(profile, dict) else None
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        raise FacilityError("profile.tags must list known applicability tags", field="profile")


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> FacilityView:
    values = {name: p.value for name, p in version.portions.items()}
    fac = facility_of(values)
    record = facility_to_dict(fac)
    return FacilityView(
        **labelled.base_fields(node, conn, row, version),
        code=fac.id,
        name=fac.name,
        operator=fac.operator,
        type=fac.type,
        nation=fac.nation,
        activities=tuple(sorted(fac.activities)),
        holdings=tuple(record["holdings"]) if "holdings" in values else None,
        profile=dict(values["profile"]),
    )


def _title(values: Values) -> str:
    identity = values["identity"]
    return f"{identity['name']} ({str(identity['type']).replace('_', ' ')})"


FACILITY = RecordKind(
    name="facility",
    collection="facilities",
    view=_view,
    title=_title,
    check=_check,
    wire=Wire(
        stix_type="x-nucsec-facility",
        extension_id="extension-definition--a83d6e15-2c47-4b9e-8f31-d6b5c0e972a4",
        portions=(
            PortionRule("identity", "object", required=True),
            PortionRule("profile", "object", required=True),
        ),
        layout="list",
        description="A facility assessed by the working group: its identity (name, "
        "operator, type) and its computed profile (INFCIRC/225 material categories, "
        "source categories, security levels, purposes), each a portion with its own "
        "marking. The detailed holdings stay on the node that holds them.",
    ),
)


def _values(fac: Facility, on: dt.date) -> dict[str, Any]:
    record = facility_to_dict(fac)
    identity = {k: record[k] for k in IDENTITY_KEYS if k != "code"}
    identity["code"] = fac.id
    return {
        "identity": identity,
        "holdings": {"holdings": record["holdings"]},
        "profile": fac.profile(on).to_dict(),
    }


def add_facility(
    node: Node,
    principal: Principal,
    record: dict[str, Any],
    label: Label,
    *,
    holdings_label: Label | None = None,
    note: str = "",
) -> FacilityView:
    """Create a facility from its record (``facility_to_dict`` shape; ``id`` is its code,
    generated when absent; ``nation`` defaults to the author's). The profile is computed
    on the node's date. A bad record raises a typed error naming the field, nothing is
    written."""
    record = dict(record)
    if not record.get("id"):
        record["id"] = "FAC-" + secrets.token_hex(4).upper()
    record.setdefault("nation", principal.nation)
    fac = facility_from_dict(record)
    values = _values(fac, node.clock().date())
    labels = {name: label for name in values}
    if holdings_label is not None:
        labels["holdings"] = holdings_label
    view: FacilityView = labelled.create(
        node, principal, FACILITY, Draft(values=values, labels=labels, note=note)
    )
    return view


def get_facility(node: Node, principal: Principal, record_id: str) -> FacilityView:
    """The current version, or NotFoundError (hidden or absent alike)."""
    view: FacilityView = labelled.read(node, principal, FACILITY, record_id)
    return view


def list_facilities(
    node: Node, principal: Principal, *, limit: int = 50, after: str | None = None
) -> RecordPage:
    """A page of the facilities the principal may read, newest first."""
    return labelled.page(node, principal, FACILITY, limit=limit, after=after)


def about_facility(
    node: Node,
    principal: Principal,
    kind: RecordKind,
    facility: str | FacilityView,
    read: Callable[[Node, Principal, str], Any],
) -> list[Any]:
    """The records of ``kind`` about a facility (their ``facility`` is its record id) the
    principal may read, each read with ``read`` (audited). ``facility`` is the facility's
    id, read here (NotFoundError if hidden or absent), or the view the caller has just
    read (not read, nor audited, twice). Candidates are found by the facility id in the
    record text."""
    if isinstance(facility, str):
        facility = get_facility(node, principal, facility)
    facility_id = facility.id
    found: list[Any] = []
    after: str | None = None
    while True:
        page = labelled.page(node, principal, kind, query=facility_id, limit=500, after=after)
        for item in page.items:
            view = read(node, principal, item.id)
            if view.facility == facility_id:
                found.append(view)
        if page.next is None:
            return found
        after = page.next
