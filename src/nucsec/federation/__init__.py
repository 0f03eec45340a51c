"""Federation between national nodes: STIX 2.1 over TAXII 2.1, released only by policy.

- :mod:`.ecosystem` exports incidents and documents as standard STIX 2.1 objects too (MISP,
  OpenCTI); :mod:`.ingest` reads their bundles and :mod:`.stix_import` imports them
  (:mod:`.taxii_pull` from a TAXII 2.1 collection);
- :mod:`.stix` maps labelled records and labels to STIX 2.1 objects (our record types as
  extension definitions, labels as marking definitions) and back;
- :mod:`.outbox` fills one outbox per partner, only with what the reference monitor
  releases; :mod:`.boundary` re-checks every object at the moment it is sent;
- :mod:`.taxii` serves the outboxes (TAXII 2.1); :mod:`.auth` signs and verifies requests
  with the nodes' pinned keys; :mod:`.jws` signs bundles and receipts;
- :mod:`.sync` pulls from a partner with ``taxii2-client`` and :mod:`.importer` accepts
  (or refuses, with reasons) what arrives; :mod:`.receipts` and :mod:`.witness` exchange
  signed receipts and audit-checkpoint cosignatures; :mod:`.explain` says why a record
  was released to a partner, or not (``nucsec.cli.demo_pair`` runs two federated demo
  nodes).

See ``docs/federation.md``. Importing this package is cheap: submodules load on use.
"""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "auth",
    "boundary",
    "ecosystem",
    "envelopes",
    "explain",
    "export",
    "importer",
    "ingest",
    "jws",
    "objects",
    "outbox",
    "peers",
    "portions",
    "receipts",
    "stix",
    "stix_import",
    "sync",
    "tables",
    "taxii",
    "taxii_pull",
    "witness",
]
