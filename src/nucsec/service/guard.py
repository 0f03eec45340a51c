"""The guard: the reference monitor's decision plus its audit event, in one call."""

from __future__ import annotations

from nucsec.node import Node
from nucsec.policy import Decision, Principal, Resource, decide
from nucsec.service.trail import Sink, emit, keyed

__all__ = ["AUDIT_ACTION", "check", "record_decision"]

#: the audit action that records each policy action
AUDIT_ACTION = {
    "read": "record.read",
    "history": "record.read",
    "create": "record.create",
    "update": "record.update",
    "export": "record.export",
    "release": "release.decide",
}


def check(
    node: Node, conn: Sink, principal: Principal, action: str, resource: Resource
) -> Decision:
    """Decide ``action`` on ``resource`` for ``principal`` and record the decision."""
    policy_action = "read" if action == "history" else action
    decision = decide(principal, policy_action, resource, node.ctx)
    record_decision(node, conn, principal, action, resource, decision)
    return decision


def record_decision(
    node: Node,
    conn: Sink,
    principal: Principal,
    action: str,
    resource: Resource,
    decision: Decision,
    obj: str | None = None,
) -> None:
    """Write the audit event of a decision (references and hashes only)."""
    details: dict[str, object] = {
        "kind": resource.kind,
        "label": keyed(node, resource.label.to_json()),
    }
    if action == "history":
        details["view"] = "history"
    if not decision.allowed:
        details["denials"] = list(decision.denials)
    emit(
        node,
        conn,
        actor=principal.id,
        action=AUDIT_ACTION[action],
        obj=obj or resource.ref,
        outcome="success" if decision.allowed else "denied",
        details=details,
    )
