"""Verifiable audit: append-only event log, RFC 9162 Merkle tree, signed checkpoints, proofs."""
