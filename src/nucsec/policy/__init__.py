"""Policy: the one reference monitor and its SQL twin.

``decide(principal, action, resource, ctx)`` answers every access question with reasons;
``nucsec.policy.sql`` compiles the read rules into a SQL predicate for listings.
"""

from nucsec.policy.decision import ACTIONS, Decision, Denial, Resource
from nucsec.policy.monitor import decide
from nucsec.policy.principal import ROLES, WRITER_ROLES, Principal

__all__ = [
    "ACTIONS",
    "ROLES",
    "WRITER_ROLES",
    "Decision",
    "Denial",
    "Principal",
    "Resource",
    "decide",
]
