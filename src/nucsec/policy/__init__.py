"""Policy: the one reference monitor and its SQL twin.

``decide(principal, action, resource, ctx)`` answers every access question with reasons;
``nucsec.policy.sql`` compiles the read rules into a SQL predicate for listings.
"""

from nucsec.policy.monitor import ACTIONS, Decision, Resource, decide
from nucsec.policy.principal import ROLES, WRITER_ROLES, Principal

__all__ = ["ACTIONS", "ROLES", "WRITER_ROLES", "Decision", "Principal", "Resource", "decide"]
