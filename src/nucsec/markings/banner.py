"""CAPCO-style banners and portion marks: parse and render.

Grammar (English banner; portion marks use the same grammar inside parentheses with
abbreviations: level abbreviation, ``NF`` for NOFORN, ``OC`` for ORCON)::

    banner       := [ "//" NATION " " ] LEVEL [ "//" compartments ] [ "//" dissem ]
    compartments := NAME ( "/" NAME )*
    dissem       := control ( "/" control )*
    control      := "ORCON" | "NOFORN" | "REL TO " entry ( ", " entry )*
    entry        := NATION | NATION "." AGENCY

The ``//NATION`` prefix names the classifying authority when it is not the nation whose
scheme defines the level (foreign-government information, e.g. ``//JPN SECRET``).
Examples: ``SECRET//REL TO USA, JPN``, ``CONFIDENTIAL//NOFORN``,
``SECRET//ORCON/REL TO USA, JPN``, ``GOKUHI//FORENSICS//REL TO JPN, USA``, ``(S//NF)``.

Banners carry no originator, legal basis or review date: those travel in the JSON form.
``parse_banner(render_banner(x)) == x`` for every valid label without those fields.
"""

from __future__ import annotations

import re

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label
from nucsec.markings.scheme import Level, canonical_name

__all__ = [
    "level_name",
    "parse_banner",
    "parse_label",
    "parse_portion",
    "render_banner",
    "render_in",
    "render_portion",
    "renderings",
]

_CONTROL_LONG = {"NOFORN": "NOFORN", "NF": "NOFORN", "ORCON": "ORCON", "OC": "ORCON"}
_REL_TO = re.compile(r"^REL TO\s+(.+)$", re.ASCII)
_SPACE = " \t\r\n\f\v"  # only ASCII white space separates: a look-alike space is refused
_ENTRY = re.compile(r"^[A-Z]{3}(\.[A-Z][A-Z0-9_-]*)?$")


def _rel_order(label: Label) -> list[str]:
    """REL TO entries: the authority's own entries first, then alphabetical (CAPCO)."""
    return sorted(label.rel_to, key=lambda e: (e.split(".")[0] != label.authority, e))


def _level_segment(label: Label, ctx: MarkingContext, portion: bool) -> str:
    level = label.level_of(ctx)
    name = level.abbrev if portion else level.name
    if level.nation != label.authority or _ambiguous(ctx, name, portion):
        return f"//{label.authority} {name}"
    return name


def _ambiguous(ctx: MarkingContext, name: str, portion: bool) -> bool:
    nations = {lv.nation for lv in ctx.levels_named(name)}
    return len(nations) > 1


def _render(label: Label, ctx: MarkingContext, portion: bool) -> str:
    parts = [_level_segment(label, ctx, portion)]
    if label.compartments:
        parts.append("/".join(sorted(label.compartments)))
    controls = []
    if label.orcon:
        controls.append("OC" if portion else "ORCON")
    if label.noforn:
        controls.append("NF" if portion else "NOFORN")
    if label.rel_to:
        controls.append("REL TO " + ", ".join(_rel_order(label)))
    if controls:
        parts.append("/".join(controls))
    text = "//".join(parts)
    return f"({text})" if portion else text


def render_banner(label: Label, ctx: MarkingContext) -> str:
    """The English banner of a label, e.g. ``SECRET//ORCON/REL TO USA, JPN``."""
    return _render(label, ctx, portion=False)


def render_portion(label: Label, ctx: MarkingContext) -> str:
    """The portion mark of a label, e.g. ``(S//OC/REL TO USA, JPN)``."""
    return _render(label, ctx, portion=True)


def level_name(level: Level, lang: str) -> str:
    """A level's name in ``lang``: English is the banner name, Japanese the ``ja`` name,
    any other language the native name (each falling back to the banner name)."""
    if lang == "en":
        return level.name
    if lang == "ja":
        return level.ja or level.native or level.name
    return level.native or level.name


def render_in(label: Label, ctx: MarkingContext, nation: str, lang: str = "ja") -> str:
    """The same label shown in ``nation``'s scheme (equivalent level under the label's
    agreement), e.g. ``極秘//REL TO USA, JPN`` for a US SECRET label shown in Japanese."""
    level = ctx.equivalent(label.level_of(ctx), nation, label.legal_basis)
    name = level_name(level, lang)
    parts = [name]
    if label.compartments:
        parts.append("/".join(sorted(label.compartments)))
    controls = [c for c, on in (("ORCON", label.orcon), ("NOFORN", label.noforn)) if on]
    if label.rel_to:
        controls.append("REL TO " + ", ".join(_rel_order(label)))
    if controls:
        parts.append("/".join(controls))
    return "//".join(parts)


def renderings(label: Label, ctx: MarkingContext) -> dict[str, str]:
    """The label in the scheme of every nation of its agreement, each in that nation's
    language (:meth:`~nucsec.markings.context.MarkingContext.lang_of`), by nation."""
    nations = ctx.agreement(label.legal_basis).nations
    return {n: render_in(label, ctx, n, ctx.lang_of(n)) for n in nations}


def _parse(text: str, ctx: MarkingContext, portion: bool) -> Label:
    original = text
    body = text.strip(_SPACE)
    if not body:
        raise LabelError("empty banner", field="banner", value=original)
    authority: str | None = None
    if body.startswith("//"):
        head, _, rest = body[2:].partition(" ")
        authority = canonical_name(head)
        if not ctx.is_nation(authority):
            raise LabelError(f"unknown nation {authority!r}", field="authority", value=authority)
        body = rest
    segments = [s.strip(_SPACE) for s in body.split("//")]
    if any(not s for s in segments):
        raise LabelError(f"empty segment in banner {original!r}", field="banner", value=original)
    level = ctx.resolve_level(segments[0], authority)
    if authority is None:
        authority = level.nation
    compartments: set[str] = set()
    rel_to: set[str] = set()
    flags = {"NOFORN": False, "ORCON": False}
    seen_dissem = False
    for segment in segments[1:]:
        tokens = [t.strip(_SPACE) for t in segment.split("/")]
        kinds = {_token_kind(t) for t in tokens}
        if kinds == {"compartment"}:
            if seen_dissem or compartments:
                raise LabelError(
                    f"compartments must come right after the level in {original!r}",
                    field="banner",
                    value=original,
                )
            for token in tokens:
                name = canonical_name(token)
                if name not in ctx.compartments:
                    raise LabelError(
                        f"unknown marking {token!r}", field="compartments", value=token
                    )
                compartments.add(name)
        elif "compartment" not in kinds and not seen_dissem:
            seen_dissem = True
            for token in tokens:
                _add_control(token, flags, rel_to, original)
        else:
            raise LabelError(f"unknown marking in {segment!r}", field="banner", value=segment)
    del portion  # the grammar is the same; abbreviations are accepted in both forms
    return Label.create(
        authority=authority,
        level=level.name,
        rel_to=rel_to,
        noforn=flags["NOFORN"],
        orcon=flags["ORCON"],
        compartments=compartments,
    )


def _token_kind(token: str) -> str:
    upper = canonical_name(token)
    if upper in _CONTROL_LONG or _REL_TO.match(upper):
        return "control"
    return "compartment"


def _add_control(token: str, flags: dict[str, bool], rel_to: set[str], original: str) -> None:
    upper = canonical_name(token)
    if upper in _CONTROL_LONG:
        name = _CONTROL_LONG[upper]
        if flags[name]:
            raise LabelError(f"{name} given twice", field="banner", value=original)
        flags[name] = True
        return
    m = _REL_TO.match(upper)
    if m is None or rel_to:
        raise LabelError(f"unknown marking {token!r}", field="banner", value=token)
    for entry in (e.strip(_SPACE) for e in m.group(1).split(",")):
        if not _ENTRY.match(entry):
            raise LabelError(f"malformed REL TO entry {entry!r}", field="rel_to", value=entry)
        if entry in rel_to:
            raise LabelError(f"{entry} named twice in REL TO", field="rel_to", value=entry)
        rel_to.add(entry)


def parse_banner(text: str, ctx: MarkingContext) -> Label:
    """Parse and validate an English banner; :class:`LabelError` names what is wrong."""
    if not isinstance(text, str):
        raise LabelError("a banner must be text", field="banner")
    return _parse(text, ctx, portion=False).validate(ctx)


def parse_portion(text: str, ctx: MarkingContext) -> Label:
    """Parse and validate a portion mark such as ``(S//REL TO USA, JPN)``."""
    stripped = text.strip(_SPACE) if isinstance(text, str) else ""
    if not (stripped.startswith("(") and stripped.endswith(")")):
        raise LabelError(f"a portion mark is enclosed in parentheses: {text!r}", field="banner")
    return _parse(stripped[1:-1], ctx, portion=True).validate(ctx)


def parse_label(text: str, ctx: MarkingContext) -> Label:
    """Accept a banner, a portion mark or a JSON label (``{"authority": ...}``)."""
    import json

    stripped = text.strip(_SPACE)
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise LabelError(f"malformed JSON label: {exc.msg}", field="label") from exc
        return Label.from_dict(data).validate(ctx)
    if stripped.startswith("("):
        return parse_portion(stripped, ctx)
    return parse_banner(stripped, ctx)
