"""Per-signature verdicts of one entry, with the reasoning in words (k=1 uncertainties).

The same rules as the vectorised stage (:mod:`~nucsec.forensics.library.cascade`), in
``float64`` for one entry, producing ``{"name", "verdict", "z", "reason"}`` items. ``z`` is
``(x − μ) / sqrt(u² + s² + u_μ²)`` in the comparison space (log space for compositions),
``None`` for limits, categories and dates judged against a production history.
"""

from __future__ import annotations

import math

import numpy as np

from nucsec.forensics.library.cascade import Item, Prepared
from nucsec.forensics.library.columns import FORM_BITS
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.model import from_decimal_year
from nucsec.forensics.library.result import SignatureVerdict, Verdict
from nucsec.forensics.library.vocabulary import signature

__all__ = ["compared_counts", "form_verdict", "item_verdict", "signature_verdicts"]


def _natural(index_log: bool, x: float) -> float:
    return math.exp(x) if index_log else x


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _year(x: float) -> str:
    if not math.isfinite(x):
        return "open"
    return from_decimal_year(x).isoformat() if 1800 <= x <= 2200 else _fmt(x)


def _date_verdict(index: LibraryIndex, prep: Prepared, item: Item, e: int) -> SignatureVerdict:
    th = prep.th
    u = math.sqrt(item.u2)
    windows = index.windows_of(e)
    shown = ", ".join(f"{_year(a)} to {_year(b)}" for a, b in windows)
    if item.one_sided:
        lo = item.x - th.k1 * u
        ok = any(b >= lo for _, b in windows)
        claim = f"incompletely purified: purified on or after {_year(lo)} (model date − k1·u)"
    else:
        lo, hi = item.x - th.k * u, item.x + th.k * u
        ok = any(b >= lo and a <= hi for a, b in windows)
        claim = f"model date {_year(item.x)} ± {u * 365.2422:.0f} d (k=1), k = {th.k:.2f}"
    verdict: Verdict = "consistent" if ok else "inconsistent"
    meets = "meets" if ok else "misses every"
    return SignatureVerdict(item.name, verdict, None, f"{claim} {meets} production window: {shown}")


def item_verdict(index: LibraryIndex, prep: Prepared, item: Item, e: int) -> SignatureVerdict:
    """The verdict of one numeric sample signature against entry ``e``."""
    if item.j < 0 and not (item.date and index.has_window[e]):
        return SignatureVerdict(item.name, "inconclusive", None, "no entry of the library has it")
    if item.date and index.has_window[e]:
        return _date_verdict(index, prep, item, e)
    j, th = item.j, prep.th
    log = bool(index.log[j])
    unit = signature(item.name).unit
    mu, var = float(index.mu[j, e]), float(index.var[j, e])
    n_mem = int(index.n_members[e])
    k_below = index.below_at(j, e)
    if math.isnan(mu) and k_below < 0:
        return SignatureVerdict(item.name, "inconclusive", None, "entry has no value")
    bl = index.below.get(j)
    if k_below >= 0 and bl is not None:
        lim, s = float(bl.limit[k_below]), float(bl.spread[k_below])
        if item.below:
            return SignatureVerdict(item.name, "inconclusive", None, "both below detection limits")
        k1 = th.k_for(n_mem, one_sided=True)
        excess = (item.x - lim) / math.sqrt(item.u2 + s * s) if item.u2 + s * s > 0 else math.inf
        verdict: Verdict = "inconsistent" if item.x > lim and excess > k1 else "consistent"
        return SignatureVerdict(
            item.name,
            verdict,
            None,
            f"entry below {_fmt(_natural(log, lim))} {unit}; sample "
            f"{_fmt(_natural(log, item.x))} {unit} is {excess:.2f} u above it (k1 = {k1:.2f})",
        )
    if item.below:
        k1 = th.k_for(n_mem, one_sided=True)
        above = (mu - item.x) / math.sqrt(var) if var > 0 else math.copysign(math.inf, mu - item.x)
        below_verdict: Verdict = "inconsistent" if above > k1 else "consistent"
        return SignatureVerdict(
            item.name,
            below_verdict,
            None,
            f"sample below {_fmt(_natural(log, item.x))} {unit}; entry "
            f"{_fmt(_natural(log, mu))} {unit} lies {above:.2f} sd above that limit "
            f"(k1 = {k1:.2f})",
        )
    total = math.sqrt(item.u2 + var)
    z = (item.x - mu) / total if total > 0 else math.copysign(math.inf, item.x - mu)
    if item.one_sided:
        k = th.k_for(n_mem, one_sided=True)
        bad = z > k
        rule = f"z = {z:.2f}, excluded only above k1 = {k:.2f} (incompletely purified)"
    else:
        k = th.k_for(n_mem)
        bad = abs(z) > k
        rule = f"|z| = {abs(z):.2f} {'>' if bad else '≤'} k = {k:.2f}"
    space = " (log space)" if log else ""
    unverified = "; entry value unverified" if (e, item.name) in index.unverified else ""
    reason = (
        f"sample {_fmt(_natural(log, item.x))} vs entry {_fmt(_natural(log, mu))} {unit}, "
        f"combined sd {total:.3g}{space}: {rule}{unverified}"
    )
    return SignatureVerdict(item.name, "inconsistent" if bad else "consistent", z, reason)


def form_verdict(index: LibraryIndex, name: str, bit: int, e: int) -> SignatureVerdict:
    """The verdict of the sample's chemical form against entry ``e``."""
    mask = index.forms.get(name)
    if mask is None or int(mask[e]) == 0:
        return SignatureVerdict(name, "inconclusive", None, "entry has no chemical form")
    forms = [code for code, b in FORM_BITS.items() if int(mask[e]) & b]
    sample_form = next(code for code, b in FORM_BITS.items() if b == bit)
    ok = bool(int(mask[e]) & bit)
    where = "among" if ok else "not among"
    return SignatureVerdict(
        name,
        "consistent" if ok else "inconsistent",
        None,
        f"{sample_form} is {where} the entry's forms ({', '.join(forms)})",
    )


def signature_verdicts(index: LibraryIndex, prep: Prepared, e: int) -> tuple[SignatureVerdict, ...]:
    """Every sample signature against entry ``e`` (the sample's order: forms last)."""
    out = [item_verdict(index, prep, item, e) for item in prep.items]
    out += [form_verdict(index, name, bit, e) for name, bit in prep.forms]
    return tuple(out)


def compared_counts(index: LibraryIndex, prep: Prepared, positions: np.ndarray) -> np.ndarray:
    """How many sample signatures each entry at ``positions`` could be compared on."""
    count = np.zeros(positions.size, np.int64)
    for item in prep.items:
        has = np.zeros(positions.size, bool)
        if item.j >= 0:
            has |= np.isfinite(index.mu[item.j, positions])
            if not item.below:
                has |= index.below_lookup(item.j, positions)[0]
        if item.date:
            has |= index.has_window[positions]
        count += has
    for name, _ in prep.forms:
        mask = index.forms.get(name)
        if mask is not None:
            count += mask[positions] != 0
    return count
