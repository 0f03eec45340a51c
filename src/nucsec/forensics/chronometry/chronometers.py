"""The chronometers nucsec knows: which daughter/parent ratio, in which decay chain.

A chronometer is a measured ratio ``numerator/denominator`` (daughter over parent) and the
decay chain that produces it, head first. First-generation chronometers (two members,
e.g. ``Th-230/U-234``) have a closed-form age. Second-generation ones (three members, e.g.
``Ra-226/Th-230`` in purified uranium: U-234 -> Th-230 -> Ra-226) need the Bateman solution
and a numerical inverse. Purification is assumed to remove every member but the head.

Short-lived intermediates are treated as decaying instantly: Th-231 (25.5 h) between U-235
and Pa-231, and U-235m (26 min) between Pu-239 and U-235. This makes ages that use U-235
ingrowth into Pa-231 short by about the Th-231 mean life (1.5 d).

>>> get_chronometer("230Th/234U").name
'Th-230/U-234'
>>> get_chronometer("Ra226/Th230").chain
('U-234', 'Th-230', 'Ra-226')
"""

from __future__ import annotations

from dataclasses import dataclass

from nucsec.forensics.chronometry.errors import UnknownChronometerError
from nucsec.nuclides import canonical

__all__ = ["CHRONOMETERS", "Chronometer", "chronometer_names", "get_chronometer"]


@dataclass(frozen=True)
class Chronometer:
    """A daughter/parent ratio and the decay chain (head first) that produces it."""

    numerator: str
    denominator: str
    chain: tuple[str, ...]
    material: str
    note: str = ""

    @property
    def name(self) -> str:
        """Canonical name, ``"Th-230/U-234"`` (daughter/parent)."""
        return f"{self.numerator}/{self.denominator}"

    @property
    def generation(self) -> int:
        """1 when the numerator is the head's daughter, 2 for its granddaughter."""
        return len(self.chain) - 1

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """(parent, daughter) pairs along the chain."""
        return tuple(zip(self.chain[:-1], self.chain[1:], strict=True))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "daughter": self.numerator,
            "parent": self.denominator,
            "chain": list(self.chain),
            "generation": self.generation,
            "material": self.material,
            "note": self.note,
        }


_SHORT_TH231 = "U-235 -> Th-231 (25.5 h) -> Pa-231: Th-231 is treated as decaying instantly"
CHRONOMETERS: dict[str, Chronometer] = {
    c.name: c
    for c in (
        Chronometer("Th-230", "U-234", ("U-234", "Th-230"), "uranium"),
        Chronometer("Pa-231", "U-235", ("U-235", "Pa-231"), "uranium", _SHORT_TH231),
        Chronometer(
            "Ra-226",
            "Th-230",
            ("U-234", "Th-230", "Ra-226"),
            "uranium",
            "second generation: Th and Ra both removed from uranium at purification",
        ),
        Chronometer(
            "Ac-227",
            "Pa-231",
            ("U-235", "Pa-231", "Ac-227"),
            "uranium",
            "second generation: Pa and Ac both removed from uranium; " + _SHORT_TH231,
        ),
        Chronometer("Am-241", "Pu-241", ("Pu-241", "Am-241"), "plutonium", "beta- branch"),
        Chronometer("U-234", "Pu-238", ("Pu-238", "U-234"), "plutonium"),
        Chronometer(
            "U-235",
            "Pu-239",
            ("Pu-239", "U-235"),
            "plutonium",
            "Pu-239 -> U-235m (26 min) -> U-235: U-235m is treated as decaying instantly",
        ),
        Chronometer("U-236", "Pu-240", ("Pu-240", "U-236"), "plutonium"),
        Chronometer("Np-237", "Am-241", ("Am-241", "Np-237"), "americium"),
        Chronometer("Th-229", "U-233", ("U-233", "Th-229"), "uranium-233"),
    )
}


def chronometer_names() -> list[str]:
    """Canonical names of the known chronometers."""
    return list(CHRONOMETERS)


def get_chronometer(spec: str | Chronometer) -> Chronometer:
    """Look up a chronometer by ``"daughter/parent"`` in any nuclide spelling.

    Raises :class:`UnknownChronometerError` (listing the known ones) for a pair that is not
    a chronometer, and :class:`nucsec.nuclides.NuclideError` for a bad nuclide name.
    """
    if isinstance(spec, Chronometer):
        return spec
    text = spec if isinstance(spec, str) else ""
    parts = text.split("/")
    if len(parts) != 2:
        raise UnknownChronometerError(
            f"a chronometer is written daughter/parent, e.g. Th-230/U-234; got {spec!r}",
            field="chronometer",
            value=spec,
        )
    numerator, denominator = (canonical(p) for p in parts)
    found = CHRONOMETERS.get(f"{numerator}/{denominator}")
    if found is not None:
        return found
    hint = ""
    if f"{denominator}/{numerator}" in CHRONOMETERS:
        hint = f" (did you mean {denominator}/{numerator}? write daughter/parent)"
    raise UnknownChronometerError(
        f"{numerator}/{denominator} is not a known chronometer{hint}; "
        f"known: {', '.join(CHRONOMETERS)}",
        field="chronometer",
        value=spec,
    )
