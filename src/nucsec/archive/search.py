"""Archive search: answer from stored results, with no re-analysis.

``RESULTS`` is a job directory, a ``results.parquet`` file, or a directory of Parquet files
(a job still running: its parts). Only the columns a query needs are read.

- :func:`by_nuclide`: spectra in which a nuclide was identified (at a minimum confidence);
- :func:`by_peak`: spectra with a fitted peak within a tolerance of an energy, at a
  minimum significance (the peak lists are flattened into one Arrow array and filtered
  with vectorised compute kernels);
- :func:`like`: the spectra most similar to a given one, by the cosine of the stored
  feature vectors (see :mod:`nucsec.archive.schema`): one matrix-vector product.

Each answers ``{"count", "items"}``: how many rows match, and the best ``limit`` of them
with their item columns (:data:`ITEM_COLUMNS`), which are read for those rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from nucsec.archive.schema import FEATURE_BINS, RESULT_SCHEMA
from nucsec.errors import InputError, NotFoundError
from nucsec.nuclides import canonical

__all__ = ["ITEM_COLUMNS", "by_nuclide", "by_peak", "like", "load"]

#: what every answer shows of a row
ITEM_COLUMNS = (
    "source",
    "member",
    "record_index",
    "file_sha256",
    "detector_type",
    "instrument",
    "start_time",
    "triage_class",
)


def _dataset(results: Path) -> ds.Dataset:
    if results.is_dir() and (results / "results.parquet").exists():
        results = results / "results.parquet"
    elif results.is_dir() and (results / "parts").is_dir():
        results = results / "parts"
    if not results.exists():
        raise NotFoundError(f"no archive results at {results}", field="results")
    try:
        return ds.dataset(results, format="parquet", schema=RESULT_SCHEMA)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not archive results: {results}: {exc}", field="results") from exc


def load(results: Path, columns: Sequence[str]) -> pa.Table:
    """The named columns of every stored row."""
    return _dataset(results).to_table(columns=list(dict.fromkeys(columns)))


def _answer(
    dataset: ds.Dataset, rows: npt.NDArray[np.int64], extra: dict[str, Any], limit: int
) -> dict[str, Any]:
    """``{"count", "items"}``: how many rows matched and the first ``limit`` of them, read
    from the results by index (only their item columns are decoded)."""
    shown = rows[:limit]
    items = dataset.take(pa.array(shown, type=pa.int64()), columns=list(ITEM_COLUMNS)).to_pylist()
    for i, item in enumerate(items):
        for name, values in extra.items():
            item[name] = values[i]
    return {"count": len(rows), "items": items}


def by_nuclide(
    results: Path, nuclide: str, min_confidence: float = 0.0, limit: int = 1000
) -> dict[str, Any]:
    """Spectra in which ``nuclide`` was identified (with its confidence), best first."""
    name = canonical(nuclide)
    dataset = _dataset(results)
    lists = dataset.to_table(columns=["nuclides"])["nuclides"].combine_chunks()
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    conf = flat.field("confidence")
    mask = pc.and_(pc.equal(flat.field("name"), name), pc.greater_equal(conf, min_confidence))
    rows = pc.filter(parents, mask).to_numpy()
    confidence = pc.filter(conf, mask).to_numpy()
    order = np.argsort(-confidence, kind="stable")
    extra = {"confidence": confidence[order[:limit]].tolist()}
    return _answer(dataset, rows[order], extra, limit)


def by_peak(
    results: Path,
    energy_kev: float,
    tolerance_kev: float = 1.0,
    min_significance: float = 0.0,
    limit: int = 1000,
) -> dict[str, Any]:
    """Spectra with a peak within ``tolerance_kev`` of ``energy_kev`` (the most
    significant such peak of each), most significant first."""
    if tolerance_kev <= 0:
        raise InputError("the tolerance must be positive", field="tolerance_kev")
    dataset = _dataset(results)
    lists = dataset.to_table(columns=["peaks"])["peaks"].combine_chunks()
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy()
    energy = flat.field("energy_kev").to_numpy(zero_copy_only=False)
    sig = flat.field("significance").to_numpy(zero_copy_only=False)
    hit = (np.abs(energy - energy_kev) <= tolerance_kev) & (sig >= min_significance)
    idx = np.flatnonzero(hit)
    order = idx[np.lexsort((-sig[idx], parents[idx]))]  # by row, most significant first
    rows, first = np.unique(parents[order], return_index=True)
    best = order[first]
    by_sig = np.argsort(-sig[best], kind="stable")
    shown = best[by_sig[:limit]]
    extra = {"peak_energy_kev": energy[shown].tolist(), "significance": sig[shown].tolist()}
    return _answer(dataset, rows[by_sig], extra, limit)


def like(
    results: Path, features: npt.ArrayLike, top: int = 10, min_similarity: float = 0.0
) -> dict[str, Any]:
    """The ``top`` stored spectra most similar to a feature vector (cosine, 1 = same shape)."""
    query = np.asarray(features, dtype=np.float32)
    if query.shape != (FEATURE_BINS,):
        raise InputError(f"a feature vector has {FEATURE_BINS} values", field="features")
    dataset = _dataset(results)
    column = dataset.to_table(columns=["features"])["features"].combine_chunks()
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
    matrix = np.zeros((len(column), FEATURE_BINS), dtype=np.float32)
    if len(column):
        values = pc.list_flatten(column.filter(pa.array(valid))).to_numpy(zero_copy_only=False)
        matrix[valid] = values.reshape(-1, FEATURE_BINS)
    norm = float(np.linalg.norm(query))
    sims = matrix @ (query / norm if norm > 0 else query)
    sims[~valid] = -1.0
    k = min(top, len(sims))
    best = np.argpartition(-sims, k - 1)[:k] if k else np.array([], dtype=np.int64)
    best = best[np.argsort(-sims[best], kind="stable")]
    best = best[sims[best] >= min_similarity]
    return _answer(dataset, best, {"similarity": [round(float(s), 4) for s in sims[best]]}, top)
