"""Partner queries of the forensics library: the answer a node gives, the record it keeps.

The IAEA model query process: one state's point of contact asks another whether a sample
is consistent with its holdings; the answer carries the conclusion, never the library's
content. Two halves live here (federation carries them, :mod:`nucsec.federation.library_query`):

- :func:`answer_partner_query` (the holder): compares the query's sample with the entries
  of this node (not received ones) that the reference monitor releases to that partner
  (``decide(peer, "release", ...)`` per entry label) and returns
  :meth:`nucsec.forensics.library.PartnerAnswer.to_dict` — a value that by construction
  holds a conclusion and per-signature verdicts only. The query and the answer are audited
  (``exchange.receive``, ``release.send``) with the signature names and the conclusion.
- :data:`LIBRARY_ANSWER` (the asker): the answer kept as a labelled record (kind
  ``library_answer``, under the query's label) citing the query: its id, the peer, when
  it was sent and the sample sent. It never leaves the node (no ``wire``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from nucsec.errors import InputError
from nucsec.forensics.library import (
    DEFAULT_FALSE_EXCLUSION_RATE,
    LibraryIndex,
    PartnerAnswer,
    Sample,
    answer_for_partner,
    entry_from_dict,
    sample_from_dict,
)
from nucsec.markings import Label, LabelError, render_banner
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service import labelled
from nucsec.service.kinds import Draft, RecordKind, Values
from nucsec.service.library import LIBRARY_ENTRY, Held, indexed_entries
from nucsec.service.trail import emit, keyed
from nucsec.service.views import RecordView
from nucsec.store.labels import load_label
from nucsec.store.records import RECORD_COLUMNS, RecordStore, VersionRow, record_row
from nucsec.store.schema import records

__all__ = [
    "LIBRARY_ANSWER",
    "LibraryAnswerView",
    "answer_partner_query",
    "answer_state",
    "check_answer",
    "get_answer",
    "query_sample",
    "record_answer",
    "usable_for_partner",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class LibraryAnswerView(RecordView):
    """A partner's answer as kept here: the query it answers and the answer."""

    query: dict[str, Any]  # {"id", "peer", "sent_at", "sample"}
    answer: dict[str, Any]  # {"conclusion", "false_exclusion_rate", "signatures"}


def _view(node: Node, conn: Connection, row: Any, version: VersionRow) -> LibraryAnswerView:
    p = version.portions
    return LibraryAnswerView(
        **labelled.base_fields(node, conn, row, version),
        query=p["query"].value,
        answer=p["answer"].value,
    )


def _title(values: Values) -> str:
    query, answer = values["query"], values["answer"]
    outcome = answer.get("conclusion") or answer.get("status")
    return f"Library query {query['id']} to {query['peer']}: {outcome}"


LIBRARY_ANSWER = RecordKind(
    name="library_answer",
    collection="library-answers",
    view=_view,
    title=_title,
)


def query_sample(sample: Sample, query_id: str) -> dict[str, Any]:
    """What of a sample a query carries: its material type and signatures (its own id
    stays home; the query id names it)."""
    data = sample.to_dict()
    return {
        "id": query_id,
        "material_type": data["material_type"],
        "signatures": data["signatures"],
    }


def check_answer(answer: Any, sample: Sample) -> dict[str, Any]:
    """A received answer, checked: the :class:`PartnerAnswer` shape and nothing else, with
    verdicts on the query's signatures only (InputError naming the field otherwise)."""
    if isinstance(answer, dict) and answer.get("status") in ("pending", "refused"):
        return _checked_state(answer)
    released = _checked_released(answer)
    if not isinstance(answer, dict) or set(answer) - {"released"} != {
        "conclusion",
        "false_exclusion_rate",
        "signatures",
    }:
        raise InputError(
            "the answer is not {conclusion, false_exclusion_rate, signatures}", field="answer"
        )
    items = answer["signatures"]
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and set(i) == {"name", "verdict"} for i in items
    ):
        raise InputError("answer signatures must be [{name, verdict}]", field="answer.signatures")
    rate = answer["false_exclusion_rate"]
    if not isinstance(rate, int | float) or isinstance(rate, bool):
        raise InputError("false_exclusion_rate must be a number", field="answer")
    checked = PartnerAnswer(
        str(answer["conclusion"]),
        float(rate),
        tuple((str(i["name"]), str(i["verdict"])) for i in items),
    ).to_dict()
    asked = {m.name for m in sample.signatures} | {"chemical form"}
    extra = [
        n for n, _ in ((i["name"], i["verdict"]) for i in checked["signatures"]) if n not in asked
    ]
    if extra:
        raise InputError(f"the answer judges {extra[0]!r}, which was not asked", field="answer")
    return {**checked, "released": released} if released else checked


def _checked_released(answer: Any) -> list[dict[str, Any]]:
    """Entries the holder's officer released with the answer (each a valid entry)."""
    if not isinstance(answer, dict) or "released" not in answer:
        return []
    items = answer["released"]
    if not isinstance(items, list) or len(items) != 1:
        raise InputError("an answer releases one named entry", field="answer.released")
    return [entry_from_dict(items[0]).to_dict()]


def _checked_state(answer: dict[str, Any]) -> dict[str, Any]:
    """A pending or refused answer: ``{"status"}`` or ``{"status", "reason"}``, nothing else."""
    if answer["status"] == "pending" and set(answer) == {"status"}:
        return {"status": "pending"}
    if set(answer) == {"status", "reason"} and isinstance(answer["reason"], str):
        return {"status": "refused", "reason": answer["reason"][:500]}
    raise InputError("a pending answer is {status} and a refusal {status, reason}", field="answer")


def answer_state(answer: dict[str, Any]) -> str:
    """``pending``, ``refused`` or ``answered``."""
    return str(answer.get("status", "answered"))


def record_answer(
    node: Node,
    principal: Principal,
    label: Label,
    query: dict[str, Any],
    answer: dict[str, Any],
) -> LibraryAnswerView:
    """Keep a partner's answer as a labelled record under ``label`` citing ``query``."""
    draft = Draft(
        values={"query": query, "answer": answer},
        labels={"query": label, "answer": label},
        note=f"answer of {query['peer']} to library query {query['id']}",
    )
    view: LibraryAnswerView = labelled.create(node, principal, LIBRARY_ANSWER, draft)
    return view


def get_answer(node: Node, principal: Principal, record_id: str) -> LibraryAnswerView:
    view: LibraryAnswerView = labelled.read(node, principal, LIBRARY_ANSWER, record_id)
    return view


# -- the holder's side -------------------------------------------------------------------


def usable_for_partner(node: Node, conn: Connection, peer: Principal) -> list[Held]:
    """This node's own entries (not received ones, not recalled) whose label the
    reference monitor releases to ``peer`` (the partner as a principal), oldest first."""
    c = records.c
    query = (
        select(*RECORD_COLUMNS)
        .where(c.kind == LIBRARY_ENTRY.name, c.recalled.is_(False), c.origin.is_(None))
        .order_by(c.pk)
    )
    rows, allowed = [record_row(r) for r in conn.execute(query)], []
    decided: dict[int, bool] = {}
    for row in rows:
        if row.label_id not in decided:
            resource = Resource(
                load_label(conn, row.label_id),
                kind=LIBRARY_ENTRY.name,
                ref=LIBRARY_ENTRY.ref(row),
                custodian=node.nation,
            )
            decided[row.label_id] = decide(peer, "release", resource, node.ctx).allowed
        if decided[row.label_id]:
            allowed.append(row)
    heads = RecordStore(conn, node.ctx).head_versions(allowed)
    return [
        Held(
            row.id,
            heads[row.pk].portions["library"].value,
            entry_from_dict(heads[row.pk].portions["entry"].value),
        )
        for row in allowed
    ]


def _rate(value: Any) -> float:
    if value is None:
        return DEFAULT_FALSE_EXCLUSION_RATE
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 0.5:
        raise InputError(
            "false_exclusion_rate must be between 0 and 0.5", field="false_exclusion_rate"
        )
    return float(value)


def answer_partner_query(
    node: Node, conn: Connection, peer: Principal, query: Any
) -> dict[str, Any]:
    """Answer a partner's query (``{"query", "sample", "label", "false_exclusion_rate"}``)
    in the caller's transaction: the conclusion and per-signature verdicts over the
    entries released to ``peer``; the query and answer audited."""
    if not isinstance(query, dict) or not isinstance(query.get("query"), str):
        raise InputError("a library query is {query, sample, label}", field="query")
    query_id = query["query"][:64]
    sample = sample_from_dict(query.get("sample"))
    try:
        label = Label.from_dict(query.get("label") or {}).validate(node.ctx)
    except (LabelError, TypeError, AttributeError, KeyError) as exc:
        raise InputError(f"the query's label is not valid here: {exc}", field="label") from None
    rate = _rate(query.get("false_exclusion_rate"))
    ref = f"library_query:{query_id}"
    names = [m.name for m in sample.signatures]
    emit(
        node,
        conn,
        actor=peer.id,
        action="exchange.receive",
        obj=ref,
        details={
            "kind": "library_query",
            "signatures": names,
            "label": keyed(node, render_banner(label, node.ctx)),
        },
    )
    if node.settings.library_approval:
        from nucsec.service.library_approvals import held_answer, hold_query

        peer_name = peer.id.split(":", 1)[-1]
        held_now = held_answer(node, conn, peer_name, query_id)
        if held_now is not None:  # asked again: the officer's decision, or still pending
            return held_now
        return hold_query(node, conn, peer, peer_name, query, sample, label, rate)
    held = usable_for_partner(node, conn, peer)
    answer = answer_for_partner(
        LibraryIndex.build(indexed_entries(held)), sample, false_exclusion_rate=rate
    ).to_dict()
    emit(
        node,
        conn,
        actor=peer.id,
        action="release.send",
        obj=ref,
        details={
            "kind": "library_answer",
            "conclusion": answer["conclusion"],
            "verdicts": [s["verdict"] for s in answer["signatures"]],
            "entries_used": len(held),
        },
    )
    return answer
