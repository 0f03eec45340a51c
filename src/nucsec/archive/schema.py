"""The Arrow schema of archive results: one row per spectrum, and the compact feature vector.

A row holds what an archive search or a triage report needs, never the channel data:
the item (file hash, where it was found, record index), the detector and times, a peaks
summary (one list of small structs per row, so a chunk of spectra travels through the
scheduler as a handful of Arrow buffers, not one Python object per peak), the nuclides
with their confidence, the enrichment if any, flags, the triage class and its reasons,
the error of a failed item, and a fixed-length feature vector for similarity search.

Features: the analysed counts summed into :data:`FEATURE_BINS` logarithmically spaced
energy bins from :data:`FEATURE_LO_KEV` to :data:`FEATURE_HI_KEV`, square-rooted (variance
stabilised: a Poisson count's square root has unit variance whatever the count rate) and
scaled to unit length, so the cosine of two vectors compares spectral shapes independently
of live time, count rate and channel count. Every column but ``analysis_s`` (the worker's
wall time for the item) is a deterministic function of the input file.

>>> import numpy as np
>>> edges = np.linspace(0.0, 3000.0, 1025)
>>> v = feature_vector(np.ones(1024), edges)
>>> v.shape, round(float(np.linalg.norm(v)), 6)
((64,), 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "FEATURE_BINS",
    "FEATURE_HI_KEV",
    "FEATURE_LO_KEV",
    "NONDETERMINISTIC",
    "RESULT_SCHEMA",
    "empty_table",
    "feature_vector",
    "rows_to_table",
]

FEATURE_BINS = 64
FEATURE_LO_KEV = 30.0
FEATURE_HI_KEV = 3000.0
_FEATURE_EDGES_KEV = np.geomspace(FEATURE_LO_KEV, FEATURE_HI_KEV, FEATURE_BINS + 1)

#: columns that differ between two runs of the same job (left out of equality checks)
NONDETERMINISTIC = ("analysis_s",)

PEAK = pa.struct(
    [
        ("energy_kev", pa.float64()),
        ("fwhm_kev", pa.float64()),
        ("net_counts", pa.float64()),
        ("unc", pa.float64()),
        ("significance", pa.float64()),
        ("label", pa.string()),
    ]
)
NUCLIDE = pa.struct(
    [
        ("name", pa.string()),
        ("category", pa.string()),
        ("confidence", pa.float64()),
        ("in_excess_of_background", pa.bool_()),
    ]
)

RESULT_SCHEMA = pa.schema(
    [
        ("file_sha256", pa.string()),
        ("item_id", pa.string()),
        ("source", pa.string()),
        ("member", pa.string()),
        ("record_index", pa.int32()),
        ("n_records", pa.int32()),
        ("detector_type", pa.string()),
        ("detector_name", pa.string()),
        ("instrument", pa.string()),
        ("start_time", pa.timestamp("us", tz="UTC")),
        ("live_time_s", pa.float64()),
        ("real_time_s", pa.float64()),
        ("n_channels", pa.int32()),
        ("total_counts", pa.float64()),
        ("background_subtracted", pa.bool_()),
        ("background_scale", pa.float64()),
        ("calibration_source", pa.string()),
        ("calibration_n_lines", pa.int32()),
        ("calibration_rms_kev", pa.float64()),
        ("n_peaks", pa.int32()),
        ("peaks", pa.list_(PEAK)),
        ("nuclides", pa.list_(NUCLIDE)),
        ("u235_pct", pa.float64()),
        ("u235_unc_pct", pa.float64()),
        ("enrichment_method", pa.string()),
        ("flags", pa.list_(pa.string())),
        ("warnings", pa.list_(pa.string())),
        ("triage_class", pa.string()),
        ("triage_reasons", pa.list_(pa.string())),
        ("features", pa.list_(pa.float32(), FEATURE_BINS)),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("analysis_s", pa.float64()),
    ]
)


def feature_vector(counts: npt.ArrayLike, edges_kev: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """The compact, normalised, log-binned spectrum (see the module docstring).

    Counts are redistributed by energy (linear within channels) onto the fixed bins;
    negative net counts (after a background subtraction) are clipped to zero. A spectrum
    with no counts in range gives the zero vector.
    """
    c = np.clip(np.asarray(counts, dtype=np.float64), 0.0, None)
    e = np.asarray(edges_kev, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(c)])
    at = np.interp(_FEATURE_EDGES_KEV, e, cum)
    v = np.sqrt(np.clip(np.diff(at), 0.0, None))
    norm = float(np.linalg.norm(v))
    out = v / norm if norm > 0 else v
    return out.astype(np.float32)


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows (dicts keyed by column name; missing keys are null) as a table of the schema."""
    columns = {
        name: [row.get(name) for row in rows] for name in RESULT_SCHEMA.names
    }  # column-wise: one conversion per column, not per value
    return pa.table(columns, schema=RESULT_SCHEMA)


def empty_table() -> pa.Table:
    return RESULT_SCHEMA.empty_table()
