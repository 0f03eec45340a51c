"""Audit events: RFC 8785 encoding (checked against the rfc8785 package), validation."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.audit.events import (
    ACTIONS,
    OUTCOMES,
    AuditEvent,
    AuditEventError,
    canonical_bytes,
    decode_event,
    digest,
    format_time,
    parse_time,
)
from tests.audit.helpers import T0

keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
events = st.builds(
    AuditEvent,
    time=times,
    actor=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,30}", fullmatch=True),
    action=st.sampled_from(sorted(ACTIONS)),
    object_ref=st.none() | st.from_regex(r"[a-z]+:[A-Za-z0-9-]{1,36}", fullmatch=True),
    outcome=st.sampled_from(sorted(OUTCOMES)),
    details=st.dictionaries(keys, values, max_size=5).filter(lambda d: _depth(d) <= 4),
)


def _depth(v: object) -> int:
    if isinstance(v, dict):
        return 1 + max((_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_depth(x) for x in v), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(events)
def test_encoding_is_rfc8785(event: AuditEvent) -> None:
    assert canonical_bytes(event) == rfc8785.dumps(event.to_dict())


@settings(max_examples=200, deadline=None)
@given(events)
def test_decode_inverts_encode(event: AuditEvent) -> None:
    again = decode_event(canonical_bytes(event))
    assert again == event
    assert canonical_bytes(again) == canonical_bytes(event)


def test_a_known_event_encodes_to_known_bytes() -> None:
    ev = AuditEvent(
        datetime(2024, 5, 1, 21, 0, 0, 5, tzinfo=timezone(timedelta(hours=9))),
        "u-7f3a",
        "record.read",
        "document:42",
        details={"via": "cli", "label": digest(b"x"), "ids": [3, 1]},
    )
    assert canonical_bytes(ev) == (
        b'{"action":"record.read","actor":"u-7f3a","details":{"ids":[3,1],"label":"sha256:'
        + digest(b"x")[7:].encode()
        + b'","via":"cli"},"object":"document:42","outcome":"success",'
        b'"time":"2024-05-01T12:00:00.000005Z","v":1}'
    )


def test_strings_are_escaped_like_rfc8785() -> None:
    tricky = 'quote " backslash \\ nl \n tab \t ctl \x01 del \x7f é 漢 \u2028 😀'
    ev = AuditEvent(T0, "u-1", "record.search", details={"q": tricky})
    assert canonical_bytes(ev) == rfc8785.dumps(ev.to_dict())


def test_enum_values_are_stored_as_plain_values() -> None:
    class Kind(enum.StrEnum):
        DOC = "document"

    class Count(enum.IntEnum):
        ONE = 1

    class Action(enum.StrEnum):
        LIST = "record.list"

    ev = AuditEvent(T0, "u-1", Action.LIST, details={"kind": Kind.DOC, "n": Count.ONE})
    assert b'"kind":"document"' in canonical_bytes(ev)
    assert b'"n":1' in canonical_bytes(ev)
    assert b'"action":"record.list"' in canonical_bytes(ev)
    assert type(ev.action) is str
    assert canonical_bytes(ev) == rfc8785.dumps(ev.to_dict())


def test_details_cannot_be_changed_after_construction() -> None:
    details = {"ids": [1, 2]}
    ev = AuditEvent(T0, "u-1", "record.list", details=details)
    details["ids"].append(3)
    details["extra"] = "x"
    assert decode_event(canonical_bytes(ev)).details == {"ids": [1, 2]}
    with pytest.raises(TypeError):
        ev.details["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        ev.actor = "u-2"  # type: ignore[misc]
    assert ev == AuditEvent(T0, "u-1", "record.list", details={"ids": [1, 2]})
    assert len({ev, AuditEvent(T0, "u-1", "record.list", details={"ids": [1, 2]})}) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time": datetime(2024, 5, 1)}, "time"),
        ({"actor": "John Smith"}, "actor"),
        ({"actor": "john@example.org"}, "actor"),
        ({"actor": ""}, "actor"),
        ({"action": "record.peek"}, "action"),
        ({"object_ref": "doc 42"}, "object_ref"),
        ({"outcome": "maybe"}, "outcome"),
        ({"details": {"Bad Key": 1}}, "details"),
        ({"details": {"x": 1.5}}, "details"),
        ({"details": {"x": 2**53}}, "details"),
        ({"details": {"x": b"bytes"}}, "details"),
        ({"details": {"x": "y" * 1025}}, "details"),
        ({"details": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "details"),
        ({"details": {"x": "\ud800"}}, None),
        ({"details": ["not", "a", "mapping"]}, "details"),
    ],
    ids=[
        "naive-time",
        "actor-with-a-name",
        "actor-email",
        "empty-actor",
        "unknown-action",
        "object-with-space",
        "unknown-outcome",
        "bad-key",
        "float",
        "unsafe-integer",
        "bytes",
        "long-text",
        "too-deep",
        "lone-surrogate",
        "details-not-mapping",
    ],
)
def test_bad_events_are_refused_with_a_typed_error(kwargs: dict, field: str | None) -> None:
    args = {"time": T0, "actor": "u-1", "action": "record.read", **kwargs}
    with pytest.raises(AuditEventError) as exc:
        AuditEvent(**args)
    assert isinstance(exc.value, ValueError)
    assert exc.value.field == field


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"v":1}', b'{"action":"record.read"}', b"\xff\xfe"],
    ids=["text", "list", "only-version", "missing-fields", "not-utf8"],
)
def test_decoding_garbage_raises_a_typed_error(body: bytes) -> None:
    with pytest.raises(AuditEventError):
        decode_event(body)


def test_time_round_trip_and_strictness() -> None:
    t = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_time(format_time(t)) == t
    for bad in ("2024-02-29T23:59:59Z", "2024-02-30T00:00:00.000000Z", "yesterday"):
        with pytest.raises(AuditEventError):
            parse_time(bad)
