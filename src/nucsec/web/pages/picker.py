"""The label picker: the choices offered to an author, and the label built from a form.

An author classifies under its own nation's scheme only, at levels its clearance
dominates, with compartments from its own need-to-know, and may release to the nations
and agencies of the agreement. The picker offers only those; the reference monitor still
decides when the record is written (the picker is a convenience, never the control).

Form fields, for a portion called ``p`` (``title`` or ``body``)::

    p_level        level name of the author's scheme
    p_dissem       "none" | "noforn" | "relto"
    p_rel          repeated: NATION or NATION.AGENCY released to (author's nation implied)
    p_orcon        "on" for ORCON
    p_comp         repeated: compartment names
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nucsec.markings import EquivalenceTable, Label, LabelError, Level, MarkingContext
from nucsec.policy import Principal

__all__ = ["Choice", "PickerOptions", "form_from_label", "label_from_form", "picker_options"]


@dataclass(frozen=True)
class Choice:
    value: str
    text: str
    text_ja: str = ""  # Japanese name, or the partners' equivalents of a level


@dataclass(frozen=True)
class PickerOptions:
    """What the author may choose from."""

    authority: str
    levels: tuple[Choice, ...]
    release: tuple[tuple[Choice, tuple[Choice, ...]], ...]  # nation, its agencies
    compartments: tuple[Choice, ...]
    legal_basis: str


def _equivalents(ctx: MarkingContext, level: Level, table: EquivalenceTable) -> str:
    """``= JPN 極秘 (GOKUHI)`` or ``= USA SECRET``: what partners see for ``level`` under
    ``table``, each in its own scheme's script (with the banner name when they differ)."""
    out = []
    for nation in table.nations:
        if nation != level.nation:
            eq = ctx.equivalent(level, nation, table.legal_basis)
            out.append(f"{nation} {_own_name(eq)}")
    return "= " + ", ".join(out) if out else ""


def _own_name(level: Level) -> str:
    """A level as its own nation writes it: ``極秘 (GOKUHI)``, ``SECRET``."""
    return f"{level.native} ({level.name})" if level.native else level.name


def _level_text(ctx: MarkingContext, level: Level) -> str:
    """A level as its author reads it: in the national script where the scheme has one
    (a Japanese author picks 極秘, not GOKUHI)."""
    return level.native or level.name if ctx.lang_of(level.nation) != "en" else level.name


def picker_options(principal: Principal, ctx: MarkingContext) -> PickerOptions:
    """The choices for ``principal`` under the node's default agreement."""
    table = ctx.agreement()
    scheme = ctx.schemes[principal.nation]
    try:
        clearance = ctx.resolve_level(principal.clearance, principal.nation)
        top = ctx.rank(clearance, table.legal_basis)
    except LabelError:
        top = -1  # a clearance without an equivalent offers nothing (fail closed)
    levels = []
    for level in scheme.levels:
        rank = table.rank_of(level.nation, level.name)
        if rank is not None and rank <= top:
            levels.append(
                Choice(level.name, _level_text(ctx, level), _equivalents(ctx, level, table))
            )
    release = []
    for code in table.nations:
        if code == principal.nation:
            continue
        nation = ctx.nations[code]
        agencies = tuple(
            Choice(a.qualified, f"{a.code} ({a.name_en})", a.name_ja) for a in nation.agencies
        )
        release.append((Choice(code, nation.name_en, nation.name_ja), agencies))
    compartments = tuple(
        Choice(c, f"{c} — {ctx.compartments[c]}")
        for c in sorted(principal.compartments)
        if c in ctx.compartments
    )
    return PickerOptions(
        principal.nation, tuple(levels), tuple(release), compartments, table.legal_basis
    )


def _values(form: Mapping[str, object], key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return [str(value)]


def _one(form: Mapping[str, object], key: str) -> str:
    values = _values(form, key)
    if len(values) > 1:
        raise LabelError(f"{key} given more than once", field=key)
    return values[0].strip() if values else ""


def label_from_form(
    form: Mapping[str, object], prefix: str, principal: Principal, ctx: MarkingContext
) -> Label:
    """Build and validate the label picked in a form (LabelError names the bad field)."""
    level = _one(form, f"{prefix}_level")
    if not level:
        raise LabelError("choose a classification level", field=f"{prefix}_level")
    dissem = _one(form, f"{prefix}_dissem") or "none"
    if dissem not in {"none", "noforn", "relto"}:
        raise LabelError(f"unknown dissemination choice {dissem!r}", field=f"{prefix}_dissem")
    rel_to: set[str] = set()
    partners = set(_values(form, f"{prefix}_rel")) - {principal.nation}
    if dissem == "relto":  # the author's nation is always a reader
        rel_to = {principal.nation, *partners}
    label = Label.create(
        authority=principal.nation,
        level=level,
        rel_to=rel_to,
        noforn=dissem == "noforn",
        orcon=_one(form, f"{prefix}_orcon") in {"on", "true", "1"},
        compartments=_values(form, f"{prefix}_comp"),
        legal_basis=ctx.default_basis,
    )
    if label.level_of(ctx).nation != principal.nation:
        raise LabelError(
            f"classify under the {principal.nation} scheme", field=f"{prefix}_level", value=level
        )
    if dissem == "relto" and not partners:
        raise LabelError(
            "REL TO needs at least one partner ticked (or choose NOFORN or none)",
            field=f"{prefix}_rel",
        )
    return label.validate(ctx)


def form_from_label(label: Label, prefix: str) -> dict[str, object]:
    """The form values that pick ``label`` (for editing an existing record)."""
    dissem = "noforn" if label.noforn else ("relto" if label.rel_to else "none")
    rel = sorted(e for e in label.rel_to if e != label.authority)
    return {
        f"{prefix}_level": label.level,
        f"{prefix}_dissem": dissem,
        f"{prefix}_rel": rel,
        f"{prefix}_orcon": "on" if label.orcon else "",
        f"{prefix}_comp": sorted(label.compartments),
    }
