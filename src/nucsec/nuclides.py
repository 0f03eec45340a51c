"""One spelling for nuclides everywhere: ``Cs-137``, ``U-235``, ``Pa-234m``.

:func:`canonical` is the only parser; every module that takes a nuclide name from a user,
a file or a data table passes it through here.

>>> canonical("137Cs"), canonical("cs137"), canonical("CS-137"), canonical("Tc99m")
('Cs-137', 'Cs-137', 'Cs-137', 'Tc-99m')
>>> canonical("234mPa"), canonical("u-235")
('Pa-234m', 'U-235')
"""

from __future__ import annotations

import re
from typing import NamedTuple

from nucsec.errors import InputError

__all__ = ["ELEMENTS", "Nuclide", "NuclideError", "atomic_number", "canonical", "parse"]

# Element symbols by atomic number (index 0 is the neutron placeholder).
ELEMENTS: tuple[str, ...] = (
    "n", "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P",
    "S", "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
    "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh",
    "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd",
    "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re",
    "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th",
    "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db",
    "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
)  # fmt: skip
_BY_UPPER = {sym.upper(): sym for sym in ELEMENTS[1:]}

# "Cs-137", "cs137", "Cs 137", "Ba-137m", "Ba137m2"
_SYMBOL_FIRST = re.compile(r"^([A-Za-z]{1,2})[-\s_]?(\d{1,3})([mM]\d?)?$")
# "137Cs", "137mBa", "137-Cs"
_MASS_FIRST = re.compile(r"^(\d{1,3})([mM]\d?)?[-\s_]?([A-Za-z]{1,2})$")


class NuclideError(InputError):
    """A string that is not a nuclide name."""

    code = "unknown_nuclide"


class Nuclide(NamedTuple):
    """A parsed nuclide: element symbol, mass number and isomer suffix (``""``, ``"m"``)."""

    symbol: str
    mass: int
    isomer: str = ""

    @property
    def z(self) -> int:
        """Atomic number."""
        return ELEMENTS.index(self.symbol)

    def __str__(self) -> str:
        return f"{self.symbol}-{self.mass}{self.isomer}"


def parse(name: str) -> Nuclide:
    """Parse a nuclide name in any common spelling; raise :class:`NuclideError` otherwise."""
    text = name.strip() if isinstance(name, str) else ""
    m = _SYMBOL_FIRST.match(text)
    if m:
        sym, mass, iso = m.group(1), m.group(2), m.group(3)
    else:
        m = _MASS_FIRST.match(text)
        if not m:
            raise NuclideError(f"not a nuclide name: {name!r}", field="nuclide", value=name)
        mass, iso, sym = m.group(1), m.group(2), m.group(3)
    symbol = _BY_UPPER.get(sym.upper())
    if symbol is None:
        raise NuclideError(f"unknown element {sym!r} in {name!r}", field="nuclide", value=name)
    a = int(mass)
    if a < ELEMENTS.index(symbol) or a > 300:
        raise NuclideError(f"impossible mass number in {name!r}", field="nuclide", value=name)
    return Nuclide(symbol, a, (iso or "").lower())


def canonical(name: str) -> str:
    """Return the canonical spelling (``Cs-137``) of a nuclide name."""
    return str(parse(name))


def atomic_number(symbol: str) -> int:
    """Atomic number of an element symbol (case-insensitive)."""
    found = _BY_UPPER.get(symbol.strip().upper())
    if found is None:
        raise NuclideError(f"unknown element {symbol!r}", field="element", value=symbol)
    return ELEMENTS.index(found)
