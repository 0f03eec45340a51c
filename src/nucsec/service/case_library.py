"""The library comparison of a case report: a kept library match as a report section.

:func:`match_section` turns a case's ``match.N`` portion (the sample compared and the
answer of ``library match``) into a report section: the conclusion, the candidates with
their verdict and score, each candidate's per-signature verdict, z and reason, and figures
from :mod:`nucsec.plots` (the sample's REE pattern against the candidates', two isotope
ratios with their uncertainty ellipses, the sample's model date against the candidates'
production histories).

The candidates' library entries are read through the reference monitor when the report is
built (:func:`nucsec.service.library.get_entry`, audited). Every block that shows a value
derived from an entry (a score, a z, a reason, a curve) carries the roll-up of the match's
label and the labels of the entries it draws on — the per-signature table of one candidate
only that candidate's — so a reader (or partner) who may not see an entry never receives
its values, yet keeps the tables of the entries it may see: screening drops the others,
and the entries remain cited by reference only. An entry the issuer cannot read, or held
under another authority, is cited and nothing of it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nucsec.errors import ConflictError, NotFoundError
from nucsec.forensics.library import Entry, Sample, entry_from_dict, sample_from_dict
from nucsec.forensics.library.model import decimal_year
from nucsec.forensics.library.ree import REE_ELEMENTS, chondrite_ppm
from nucsec.markings import Label, MarkingContext, rollup
from nucsec.node import Node
from nucsec.plots import Estimate2D, model_date_svg, ratio_ellipses_svg, ree_pattern_svg
from nucsec.policy import Principal
from nucsec.reports import Block, Citation, Figure, Paragraph, Section, Table
from nucsec.service.library import get_entry

__all__ = ["match_section"]

#: the isotope-ratio pairs tried for the ellipse figure, in order of preference
_RATIO_PAIRS: tuple[tuple[str, str], ...] = (
    ("n(235U)/n(238U)", "n(234U)/n(238U)"),
    ("n(235U)/n(238U)", "n(236U)/n(238U)"),
    ("n(240Pu)/n(239Pu)", "n(241Pu)/n(239Pu)"),
)


@dataclass(frozen=True)
class _Held:
    """A candidate entry the issuer reads: its record reference, label and content."""

    ref: str
    label: Label
    entry: Entry


def _held(node: Node, principal: Principal, entry_id: str, authority: str) -> _Held | None:
    try:
        view = get_entry(node, principal, entry_id)
    except (NotFoundError, ConflictError):
        return None
    label = Label.from_dict(view.label)
    if label.authority != authority:
        return None
    return _Held(f"library_entry:{view.id}#v{view.version}", label, entry_from_dict(view.entry))


def _values(signatures: Sequence[Any]) -> dict[str, tuple[float, float]]:
    """Numeric measured values ``name -> (value, u)`` (below-limit and categorical left out)."""
    out = {}
    for m in signatures:
        if m.below is None and isinstance(m.value, int | float) and not isinstance(m.value, bool):
            out[m.name] = (float(m.value), float(m.u))
    return out


def _ree(values: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    chondrite = chondrite_ppm()
    return {
        el: (values[f"w({el})"][0] / chondrite[el], values[f"w({el})"][1] / chondrite[el])
        for el in REE_ELEMENTS
        if f"w({el})" in values and values[f"w({el})"][0] > 0
    }


def _ree_figure(sample: Sample, held: Sequence[_Held]) -> str | None:
    mine = _ree(_values(sample.signatures))
    patterns = {h.entry.id: _ree(_values(h.entry.signatures)) for h in held}
    theirs = {k: {el: v for el, (v, _) in p.items()} for k, p in patterns.items() if p}
    if not mine or not theirs:
        return None
    return ree_pattern_svg(
        {el: v for el, (v, _) in mine.items()},
        theirs,
        sample_u={el: u for el, (_, u) in mine.items()},
        sample_name=sample.id,
        reference_set="CI chondrite (McDonough & Sun 1995)",
        title=f"REE pattern of {sample.id} against the library candidates",
    )


def _ellipse_figure(sample: Sample, held: Sequence[_Held]) -> str | None:
    mine = _values(sample.signatures)
    for x, y in _RATIO_PAIRS:
        if x not in mine or y not in mine or mine[x][1] <= 0 or mine[y][1] <= 0:
            continue
        others = []
        for h in held:
            v = _values(h.entry.signatures)
            if x in v and y in v:
                (vx, ux), (vy, uy) = v[x], v[y]
                others.append(Estimate2D(h.entry.id, vx, vy, ux * ux, 0.0, uy * uy))
        if not others:
            continue
        (sx, sux), (sy, suy) = mine[x], mine[y]
        point = Estimate2D(sample.id, sx, sy, sux * sux, 0.0, suy * suy)
        return ratio_ellipses_svg(point, others, x_label=x, y_label=y)
    return None


def _date_figure(sample: Sample, held: Sequence[_Held]) -> str | None:
    date = sample.get("model date")
    if date is None or not isinstance(date.value, int | float) or date.u <= 0:
        return None
    ranges = []
    for h in held:
        for step in h.entry.history:
            if step.start is not None:
                end = step.end or step.start
                name = f"{h.entry.id}: {step.step}"
                ranges.append((name, decimal_year(step.start), decimal_year(end)))
    if not ranges:
        return None
    return model_date_svg(float(date.value), 0.0, date.u, ranges)


def _tables(
    match: Mapping[str, Any],
    shown: Mapping[str, _Held],
    link_label: Label,
    label: Label,
    ctx: MarkingContext,
) -> list[Block]:
    """The candidates table (under ``label``, the roll-up over every shown entry) and one
    per-signature table per candidate under the roll-up of ``link_label`` and that entry's
    own label only: a reader who may see some of the entries (e.g. those released to the
    partner) gets their tables, not only all or nothing."""
    rows = tuple(
        (c["entry"], str(c["verdict"]), f"{c['score']:.4g}")
        for c in match["candidates"]
        if c["entry"] in shown
    )
    if not rows:
        return []
    blocks: list[Block] = [
        Table(("candidate", "verdict", "score"), rows, label, caption="Library comparison")
    ]
    for c in match["candidates"]:
        if c["entry"] not in shown:
            continue
        sig_rows = tuple(
            (
                str(s["name"]),
                str(s["verdict"]),
                "-" if s.get("z") is None else f"{s['z']:.3g}",
                str(s.get("reason", "")),
            )
            for s in c["signatures"]
        )
        if sig_rows:
            blocks.append(
                Table(
                    ("signature", "verdict", "z (k=1)", "reason"),
                    sig_rows,
                    rollup([link_label, shown[c["entry"]].label], ctx),
                    caption=f"Signatures of the sample against {c['entry']}",
                )
            )
    return blocks


def match_section(
    node: Node,
    principal: Principal,
    link: Mapping[str, Any],
    link_label: Label,
    answer_label: Label,
    ctx: MarkingContext,
    *,
    cite_only: bool = False,
) -> Section:
    """The report section of a kept library match (see the module docstring).

    ``link`` is the case's ``match.N`` portion value (with its ``name``); ``link_label``
    the label the match and its entries are cited under, ``answer_label`` the portion's
    (the roll-up over every entry it names: the conclusion is shown under it).
    ``cite_only``: the match and its entries by reference only.
    """
    sample = sample_from_dict(link["sample"])
    match = link["match"]
    entry_ids = [str(c["entry"]) for c in match["candidates"]]
    held = (
        {} if cite_only else {e: _held(node, principal, e, link_label.authority) for e in entry_ids}
    )
    shown = {e: h for e, h in held.items() if h is not None}
    summary = Paragraph(
        f"Library match of sample {sample.id}, kept with the case; the library entries it "
        "names are cited below by reference.",
        link_label,
    )
    conclusion = Paragraph(
        f"Sample {sample.id} compared with {match.get('entries_compared', 'the')} library "
        f"entries{' of ' + str(match['library']) if match.get('library') else ''}: "
        f"{match['conclusion']}; {match.get('n_candidates', len(entry_ids))} not excluded, "
        f"{match.get('n_excluded', 0)} excluded (false exclusion rate "
        f"{match.get('false_exclusion_rate', '-')}).",
        answer_label,
    )
    blocks: list[Block] = [summary]
    for e in entry_ids:
        h = held.get(e)
        note = (
            "cited by reference only"
            if cite_only
            else "not readable by the issuer or held under another authority"
            if h is None
            else "library entry"
        )
        blocks.append(Citation(h.ref if h else f"library_entry:{e}", e, link_label, note=note))
    heading = f"Library comparison: {sample.id}"
    if not cite_only:
        blocks.insert(1, conclusion)
    if shown:
        label = rollup([link_label, *(h.label for h in shown.values())], ctx)
        blocks += _tables(match, shown, link_label, label, ctx)
        candidates = list(shown.values())
        figures = (
            (_ree_figure(sample, candidates), "REE pattern of the sample and the candidates"),
            (_ellipse_figure(sample, candidates), "Isotope ratios, k=1 and k=2 ellipses"),
            (_date_figure(sample, candidates), "Model date against production histories"),
        )
        blocks += [Figure(svg, caption, label) for svg, caption in figures if svg]
    return Section(heading, link_label, tuple(blocks), new_page=True)
