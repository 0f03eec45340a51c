"""The line library as flat arrays, for matching every source against the peaks at once.

Lines of a source closer than 0.4 FWHM are merged into one *group* (energy = intensity
weighted mean, intensity = sum, emitter and kind of the strongest contribution); groups of
all sources are concatenated, library order kept, with the index of their source. A table
depends only on the library, the resolution and the (rounded) energy range, so it is cached
on them: the two or three identification passes of an analysis share one table.

Internal to :mod:`nucsec.forensics.spectra.identify`.

>>> from nucsec.forensics.spectra.nucdata import load_library
>>> from nucsec.forensics.spectra.resolution import default_resolution
>>> t = line_table(load_library(), default_resolution("HPGe").fwhm_kev, 20.0, 3000.0)
>>> cs = t.names.index("Cs-137")
>>> [round(float(e), 1) for e in t.energy_kev[t.start[cs] : t.start[cs + 1]] if e > 600]
[661.7]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.nucdata import Source

__all__ = ["ANNIHILATION", "GAMMA", "KINDS", "XRAY", "LibraryKey", "LineTable", "line_table"]

KINDS = ("gamma", "xray", "annihilation")
GAMMA, XRAY, ANNIHILATION = 0, 1, 2
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class LineTable:
    """Merged lines ("groups") of every source with a line in the energy range."""

    sources: tuple[Source, ...]
    names: tuple[str, ...]
    start: IntArray  # (S + 1,) group offsets of each source
    src: IntArray  # (G,) source index of each group
    energy_kev: FloatArray  # (G,)
    intensity: FloatArray  # (G,) photons per decay
    kind: IntArray  # (G,) GAMMA, XRAY or ANNIHILATION
    emitter: npt.NDArray[np.object_]  # (G,) str
    prior: FloatArray  # (S,)

    @property
    def n_sources(self) -> int:
        return len(self.sources)

    def subset(self, keep: npt.NDArray[np.bool_]) -> tuple[LineTable, IntArray]:
        """The table of the sources ``keep`` (library order kept) and the indices of its
        groups in this table."""
        idx = np.nonzero(keep)[0]
        groups = np.nonzero(keep[self.src])[0]
        new_index = np.cumsum(keep) - 1
        counts = np.diff(self.start)[idx]
        table = LineTable(
            sources=tuple(self.sources[i] for i in idx),
            names=tuple(self.names[i] for i in idx),
            start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            src=new_index[self.src[groups]],
            energy_kev=self.energy_kev[groups],
            intensity=self.intensity[groups],
            kind=self.kind[groups],
            emitter=self.emitter[groups],
            prior=self.prior[idx],
        )
        return table, groups


class LibraryKey:
    """Hashes and compares a library by identity (dicts are not hashable)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LibraryKey) and other.obj is self.obj


class _Resolution:
    """A FWHM function keyed by its values at three energies (bound methods of equal
    resolutions compare unequal, and lambdas are not comparable at all)."""

    def __init__(self, fwhm: Callable[[Any], Any]) -> None:
        self.fwhm = fwhm
        values = np.atleast_1d(fwhm(np.array([50.0, 500.0, 3000.0])))
        self.key = tuple(round(float(v), 6) for v in values)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Resolution) and other.key == self.key


def line_table(
    library: dict[str, Source], fwhm_kev: Callable[[Any], Any], e_min: float, e_max: float
) -> LineTable:
    """The flat line table of ``library`` between ``e_min`` and ``e_max`` (rounded to keV)."""
    return _cached(LibraryKey(library), _Resolution(fwhm_kev), round(e_min), round(e_max))


@lru_cache(maxsize=32)
def _cached(lib: LibraryKey, res: _Resolution, e_min: int, e_max: int) -> LineTable:
    library: dict[str, Source] = lib.obj
    sources: list[Source] = []
    starts = [0]
    rows: list[tuple[int, float, float, str, str]] = []
    for src in library.values():
        merged = _merge(src, res.fwhm, e_min, e_max)
        if merged:
            sources.append(src)
            rows.extend((len(sources) - 1, *m) for m in merged)
            starts.append(len(rows))
    return LineTable(
        sources=tuple(sources),
        names=tuple(s.name for s in sources),
        start=np.array(starts, dtype=np.int64),
        src=np.array([r[0] for r in rows], dtype=np.int64),
        energy_kev=np.array([r[1] for r in rows], dtype=np.float64),
        intensity=np.array([r[2] for r in rows], dtype=np.float64),
        kind=np.array([KINDS.index(r[4]) for r in rows], dtype=np.int64),
        emitter=np.array([r[3] for r in rows], dtype=np.object_),
        prior=np.array([s.prior for s in sources], dtype=np.float64),
    )


def _merge(
    source: Source, fwhm: Callable[[Any], Any], e_min: float, e_max: float
) -> list[tuple[float, float, str, str]]:
    """(energy, intensity, emitter, kind) of the source's lines in the energy range, merged
    within 0.4 FWHM of each group's first line (no chaining)."""
    lines = [ln for ln in source.lines if e_min <= ln.energy_kev <= e_max]
    if not lines:
        return []
    fw = np.atleast_1d(fwhm(np.array([ln.energy_kev for ln in lines])))
    groups: list[list[Any]] = []
    first_fw = 0.0
    for ln, w in zip(lines, fw, strict=True):
        if groups and ln.energy_kev - groups[-1][0].energy_kev < 0.4 * first_fw:
            groups[-1].append(ln)
        else:
            groups.append([ln])
            first_fw = float(w)
    merged = []
    for g in groups:
        total = sum(ln.intensity for ln in g)
        if total <= 0:
            continue
        energy = sum(ln.energy_kev * ln.intensity for ln in g) / total
        main = max(g, key=lambda ln: ln.intensity)
        by_kind: dict[str, float] = {}
        for ln in g:
            by_kind[ln.kind] = by_kind.get(ln.kind, 0.0) + ln.intensity
        merged.append((energy, total, main.emitter, max(by_kind, key=lambda k: by_kind[k])))
    return merged
