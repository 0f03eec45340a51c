"""Verifiable audit: append-only event log, RFC 9162 Merkle tree, signed checkpoints, proofs."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "checkpoint",
    "events",
    "group",
    "keys",
    "log",
    "merkle",
    "proofs",
    "queries",
    "tables",
    "verify",
]
