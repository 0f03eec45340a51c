"""Findings into the node: the notable spectra of a job as labelled spectrum analyses.

A *finding* is a result row whose triage class is one of ``classes`` (default: SNM,
anomaly, industrial, medical) and that has a nuclide at ``min_confidence`` or more, or is
an anomaly by its unexplained peaks. Each becomes an analysis record (kind ``analysis``,
method ``spectrum``; portions ``title``, ``result``, ``method``, all under the label
given), so it is listed, read, searched and federated like any shared analysis. The bulk
rows stay in the job's Parquet results.

Batches: the findings are stored :data:`BATCH` at a time, each batch in one transaction
with **one** audit event (``record.create`` on ``archive:<job>#b<n>``, listing the ids
created and the keyed hashes of their files): the reference monitor decides once per batch
(one label for all), the records and their event commit together (a group commit), and
federation's publisher queues each record as for any other write.

Exactly once: a record's id is derived (HMAC under a node subkey) from the job, the file
hash and the record index, and ids already stored are skipped, so storing a job's findings
again after a stop adds only the missing ones.

:func:`save_batch` is the one place that touches the service layer (``nucsec.service``):
the labelled-record machinery as it is today (``labelled.create_many``, the analysis
kind, the monitor and the audit trail).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from nucsec.archive.triage import CLASSES
from nucsec.errors import AccessDenied, InputError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal

__all__ = ["BATCH", "FINDING_CLASSES", "is_finding", "result_portion", "save_batch", "store"]

BATCH = 500
FINDING_CLASSES = ("SNM", "anomaly", "industrial", "medical")


def is_finding(row: dict[str, Any], classes: Sequence[str], min_confidence: float) -> bool:
    """Whether a result row is a finding (see the module docstring)."""
    if row.get("error_code") or row.get("triage_class") not in classes:
        return False
    if row["triage_class"] == "anomaly":
        return True
    return any(float(n["confidence"]) >= min_confidence for n in row.get("nuclides") or [])


def result_portion(row: dict[str, Any], job_id: str) -> dict[str, Any]:
    """The ``result`` of a finding's analysis: the spectrum-analysis JSON's main keys
    (detector, times, counts, background, calibration, peaks, nuclides, enrichment,
    warnings: what the analysis page shows) plus its triage and archive origin."""
    enrichment = None
    if row.get("u235_pct") is not None:
        enrichment = {
            "u235_pct": row["u235_pct"],
            "u_u235_pct": row["u235_unc_pct"],
            "coverage": "k=1",
            "method": row["enrichment_method"],
        }
    start = row.get("start_time")
    return {
        "file": None,
        "archive": {
            "job": job_id,
            "file_sha256": row["file_sha256"],
            "source": row["source"],
            "member": row["member"],
            "record_index": row["record_index"],
        },
        "detector": {
            "type": row["detector_type"],
            "name": row["detector_name"],
            "instrument": row["instrument"],
        },
        "live_time_s": row["live_time_s"],
        "real_time_s": row["real_time_s"],
        "start_time": start.isoformat() if start is not None else None,
        "n_channels": row["n_channels"],
        "total_counts": row["total_counts"],
        "background": (
            {"subtracted": True, "scale": row["background_scale"]}
            if row["background_subtracted"]
            else None
        ),
        "calibration": {
            "source": row["calibration_source"],
            "n_lines": row["calibration_n_lines"],
            "rms_kev": row["calibration_rms_kev"],
        },
        "peaks": row["peaks"],
        "nuclides": row["nuclides"],
        "enrichment": enrichment,
        "triage": {"class": row["triage_class"], "reasons": row["triage_reasons"]},
        "warnings": row["warnings"],
        "uncertainty_coverage": "k=1",
    }


def _record_id(node: Node, job_id: str, row: dict[str, Any]) -> str:
    key = node.subkey("nucsec archive finding id v1")
    text = f"{job_id}|{row['file_sha256']}|{row['record_index']}".encode()
    return str(uuid.UUID(bytes=hmac.new(key, text, hashlib.sha256).digest()[:16], version=4))


def _title(row: dict[str, Any]) -> str:
    names = ", ".join(n["name"] for n in row["nuclides"]) or "no nuclide"
    return f"Archive spectrum ({row['triage_class']}): {names}"[:300]


def save_batch(
    node: Node,
    principal: Principal,
    label: Label,
    job_id: str,
    batch_no: int,
    rows: Sequence[dict[str, Any]],
    params: dict[str, Any],
) -> list[str]:
    """Store one batch of findings as analyses with one audit event; return the new ids.

    AccessDenied (the refusal audited) when the principal may not create an analysis
    under ``label``. The adapter to the service layer: keep every call to it here.
    """
    from sqlalchemy import select

    from nucsec.policy import Resource, decide
    from nucsec.service import labelled
    from nucsec.service.analyses import ANALYSIS
    from nucsec.service.analysis_methods import json_clean, software_versions
    from nucsec.service.guard import record_decision
    from nucsec.service.trail import emit, keyed
    from nucsec.store.labels import intern_label, resolve_basis
    from nucsec.store.records import NewRecord, Portion
    from nucsec.store.schema import records

    agency = principal.qualified_agency
    if label.originator is None and agency and agency.startswith(label.authority + "."):
        label = label.with_(originator=agency)
    label = resolve_basis(label, node.ctx).validate(node.ctx, stored=True)
    resource = Resource(label, kind=ANALYSIS.name)
    ids = {_record_id(node, job_id, r): r for r in rows}
    with node.engine.begin() as conn:
        decision = decide(principal, "create", resource, node.ctx)
        if not decision.allowed:
            record_decision(node, conn, principal, "create", resource, decision)
        else:
            present = set(
                conn.execute(select(records.c.id).where(records.c.id.in_(list(ids)))).scalars()
            )
            label_id = intern_label(conn, label, node.ctx)
            now = node.clock()
            versions = software_versions()
            new = []
            for rid, row in ids.items():
                if rid in present:
                    continue
                method = {
                    "method": "spectrum",
                    "params": params,
                    "versions": versions,
                    "source": {"archive_job": job_id, "file_sha256": row["file_sha256"]},
                }
                values = {
                    "title": _title(row),
                    "result": json_clean(result_portion(row, job_id)),
                    "method": method,
                }
                portions = {k: Portion(v, label_id) for k, v in values.items()}
                new.append(
                    NewRecord(
                        "analysis",
                        portions,
                        label_id,
                        values["title"],
                        now,
                        now,
                        record_id=rid,
                        author_id=principal.id,
                        note=f"archive job {job_id}",
                    )
                )
            created = labelled.create_many(node, conn, ANALYSIS, new)
            if created:
                emit(
                    node,
                    conn,
                    actor=principal.id,
                    action="record.create",
                    obj=f"archive:{job_id}#b{batch_no}",
                    details={
                        "kind": ANALYSIS.name,
                        "label": keyed(node, label.to_json()),
                        "batch": batch_no,
                        "ids": [r.id for r in created],
                        "files": [keyed(node, str(ids[r.id]["file_sha256"])) for r in created],
                    },
                )
    if not decision.allowed:
        raise AccessDenied("; ".join(decision.reasons), field="label")
    return [r.id for r in created]


def store(
    node: Node,
    principal: Principal,
    label: Label,
    job_id: str,
    rows: Iterable[dict[str, Any]],
    *,
    classes: Sequence[str] = FINDING_CLASSES,
    min_confidence: float = 0.8,
    params: dict[str, Any] | None = None,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Store the findings among ``rows`` in batches; ``{"findings", "stored", "batches"}``."""
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise InputError(f"unknown triage class {unknown[0]!r}", field="findings")
    found = [r for r in rows if is_finding(r, classes, min_confidence)]
    stored: list[str] = []
    batches = 0
    for start in range(0, len(found), batch):
        stored += save_batch(
            node,
            principal,
            label,
            job_id,
            start // batch,
            found[start : start + batch],
            params or {},
        )
        batches += 1
    return {"findings": len(found), "stored": len(stored), "batches": batches, "ids": stored}
