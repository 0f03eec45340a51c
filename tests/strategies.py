"""Hypothesis strategies for labels and principals over the shipped marking context."""

from __future__ import annotations

from hypothesis import strategies as st

from nucsec.markings import Label, MarkingContext, default_context
from nucsec.policy import ROLES, Principal

CTX: MarkingContext = default_context()
NATIONS = sorted(CTX.nations)
COMPARTMENTS = sorted(CTX.compartments)


def _levels(nation: str) -> list[str]:
    return [lv.name for lv in CTX.schemes[nation].levels]


@st.composite
def labels(draw: st.DrawFn, with_meta: bool = False) -> Label:
    """Valid labels: any authority, level named in any scheme, consistent controls."""
    authority = draw(st.sampled_from(NATIONS))
    level_nation = draw(st.sampled_from([authority, *NATIONS]))
    level = draw(st.sampled_from(_levels(level_nation)))
    noforn = draw(st.booleans())
    rel_to: set[str] = set()
    if not noforn and draw(st.booleans()):
        nations = {authority} | set(draw(st.sets(st.sampled_from(NATIONS))))
        for nation in nations:
            agencies = [a.code for a in CTX.nations[nation].agencies]
            picked = draw(st.sets(st.sampled_from(agencies), max_size=2))
            if picked and draw(st.booleans()):
                rel_to |= {f"{nation}.{a}" for a in picked}
            else:
                rel_to.add(nation)
    originator = None
    if with_meta or draw(st.booleans()):
        originator = f"{authority}." + draw(
            st.sampled_from([a.code for a in CTX.nations[authority].agencies])
        )
    return Label.create(
        authority=authority,
        level=level,
        rel_to=rel_to,
        noforn=noforn,
        orcon=draw(st.booleans()),
        compartments=draw(st.sets(st.sampled_from(COMPARTMENTS), max_size=2)),
        originator=originator,
        legal_basis=CTX.default_basis if with_meta else None,
    )


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    nation = draw(st.sampled_from(NATIONS))
    clearance_nation = draw(st.sampled_from([nation, nation, *NATIONS]))
    return Principal.create(
        id="p",
        nation=nation,
        agency=draw(st.sampled_from([a.code for a in CTX.nations[nation].agencies])),
        clearance=draw(st.sampled_from(_levels(clearance_nation))),
        compartments=draw(st.sets(st.sampled_from(COMPARTMENTS))),
        roles=draw(st.sets(st.sampled_from(ROLES), min_size=1, max_size=2)),
    )


# -- the same labels spelled as a client may write them --------------------------------------
_SPACES = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def _cased(draw: st.DrawFn, text: str) -> str:
    """``text`` with each ASCII letter in a drawn case, ASCII spaces around it."""
    if text.isascii():
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        text = "".join(c.lower() if f else c.upper() for c, f in zip(text, flips, strict=True))
    return draw(_SPACES) + text + draw(_SPACES)


@st.composite
def spelled_labels(draw: st.DrawFn) -> dict[str, object]:
    """The JSON form of a valid label in a non-canonical spelling: names in any case with
    spaces around them, the level by its name, abbreviation or native name."""
    label = draw(labels())
    level = label.level_of(CTX)
    data: dict[str, object] = label.to_dict()
    data["level"] = draw(
        _cased(draw(st.sampled_from([n for n in (level.name, level.abbrev, level.native) if n])))
    )
    data["authority"] = draw(_cased(label.authority))
    data["rel_to"] = [draw(_cased(e)) for e in sorted(label.rel_to)]
    data["compartments"] = [draw(_cased(c)) for c in sorted(label.compartments)]
    if label.originator:
        data["originator"] = draw(_cased(label.originator))
    return data


#: look-alikes of ASCII letters (Greek, Cyrillic, the long s, the dotless i, the Kelvin sign)
HOMOGLYPHS = {"A": "Α", "E": "Ε", "N": "Ν", "O": "О", "S": "ſ", "I": "ı", "K": "\u212a", "C": "С"}
#: characters that look like nothing or like a space
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0", "\u2007", "\u202f"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def tricked(draw: st.DrawFn, text: str) -> str:
    """``text`` with one label trick: a look-alike letter, an invisible or non-breaking
    character, or full-width letters (``text`` has ASCII letters)."""
    kind = draw(st.sampled_from(["homoglyph", "invisible", "full-width"]))
    if kind == "full-width":
        return full_width(text)
    if kind == "invisible":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
    spots = [i for i, c in enumerate(text.upper()) if c in HOMOGLYPHS]
    if not spots:
        return full_width(text)
    at = draw(st.sampled_from(spots))
    return text[:at] + HOMOGLYPHS[text[at].upper()] + text[at + 1 :]


@st.composite
def tricked_labels(draw: st.DrawFn) -> dict[str, object]:
    """The JSON form of a valid label with one field written with a trick."""
    label = draw(labels())
    data: dict[str, object] = label.to_dict()
    fields = ["level", "authority"] + ["rel_to"] * bool(label.rel_to)
    fields += ["compartments"] * bool(label.compartments) + ["originator"] * bool(label.originator)
    field = draw(st.sampled_from(fields))
    if field == "level":
        data["level"] = draw(tricked(label.level_of(CTX).name))
    elif field in ("rel_to", "compartments"):
        values = sorted(getattr(label, field))
        values[0] = draw(tricked(values[0]))
        data[field] = values
    else:
        data[field] = draw(tricked(str(getattr(label, field))))
    return data
