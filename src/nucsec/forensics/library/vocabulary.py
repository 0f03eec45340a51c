"""The one vocabulary of the library: signature names, units, kinds, and the fixed term lists.

Signatures are data (``nucsec/data/library/signatures.csv``, documented in
``docs/library.md``): name, kind, unit, transform, whether the value is part of a composition,
group, aliases and a description. A name the vocabulary does not know is an
:class:`~nucsec.forensics.library.errors.UnknownSignatureError` naming the field.

The *transform* says in which space values are compared: ``log`` for amount ratios and mass
fractions (parts of a composition: the natural log of a ratio to a common denominator is its
additive log-ratio coordinate) and for positive, right-skewed quantities such as grain size;
``linear`` for dimensions, densities, delta values and dates; ``categorical`` for the chemical
form.

>>> sig = signature("235U/238U", field="signatures[0].name")
>>> sig.name, sig.kind, sig.unit, sig.transform
('n(235U)/n(238U)', 'isotope_ratio', 'mol/mol', 'log')
>>> material_type("UO2 pellets")
'uo2_pellets'
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal, get_args

from nucsec.forensics.library.errors import LibraryError, UnknownSignatureError

__all__ = [
    "CHEMICAL_FORMS",
    "KINDS",
    "MATERIAL_TYPES",
    "STEP_KINDS",
    "SignatureDef",
    "StepKind",
    "chemical_form",
    "material_type",
    "signature",
    "signature_names",
    "signatures",
    "step_kind",
]

_DATA = "nucsec.data.library"

Kind = Literal[
    "isotope_ratio",
    "elemental",
    "ree",
    "date",
    "dimension",
    "density",
    "grain_size",
    "categorical",
]
KINDS: tuple[str, ...] = get_args(Kind)

#: material types of entries and samples: code -> English name
MATERIAL_TYPES: dict[str, str] = {
    "uoc": "uranium ore concentrate",
    "uf6": "UF6",
    "uo2_powder": "UO2 powder",
    "uo2_pellets": "UO2 pellets",
    "u_metal": "U metal",
    "pu_oxide": "Pu oxide",
    "fuel": "fuel",
    "sealed_source": "sealed source",
}

#: chemical forms (the categorical signature ``chemical form``): code -> description
CHEMICAL_FORMS: dict[str, str] = {
    "U3O8": "triuranium octoxide",
    "UO2": "uranium dioxide",
    "UO3": "uranium trioxide",
    "UO4": "uranyl peroxide (studtite, metastudtite)",
    "ADU": "ammonium diuranate",
    "SDU": "sodium diuranate",
    "MDU": "magnesium diuranate",
    "AUC": "ammonium uranyl carbonate",
    "UF4": "uranium tetrafluoride",
    "UF6": "uranium hexafluoride",
    "UO2F2": "uranyl fluoride",
    "U metal": "uranium metal",
    "PuO2": "plutonium dioxide",
    "MOX": "mixed U-Pu oxide",
}


@dataclass(frozen=True)
class StepKind:
    """A production step; ``resets_clock``: the step separates U (Pu) from its daughters."""

    code: str
    resets_clock: bool
    description: str


STEP_KINDS: dict[str, StepKind] = {
    s.code: s
    for s in (
        StepKind("mining", False, "ore extraction"),
        StepKind("milling", True, "leaching and precipitation of ore concentrate (UOC)"),
        StepKind("refining", True, "solvent-extraction refining of UOC"),
        StepKind("conversion", True, "conversion to UF4/UF6 or UO3"),
        StepKind("enrichment", True, "isotope enrichment of UF6 (daughters stay behind)"),
        StepKind("deconversion", True, "UF6 to UO2 powder (wet or dry route)"),
        StepKind("fabrication", False, "pressing and sintering of pellets, fuel assembly"),
        StepKind("irradiation", False, "reactor irradiation"),
        StepKind("reprocessing", True, "chemical separation of U and Pu from spent fuel"),
        StepKind("purification", True, "any other chemical purification"),
        StepKind("blending", False, "blending or down-blending (mixes, does not purify)"),
        StepKind("encapsulation", False, "sealing a source"),
        StepKind("storage", False, "storage"),
    )
}

# unit spellings accepted for a vocabulary unit (same quantity, same factor)
_UNIT_SYNONYMS: dict[str, frozenset[str]] = {
    "µg/g U": frozenset({"ug/g U", "μg/g U", "ppm U", "µg/gU", "ug/gU"}),
    "µg/g Pu": frozenset({"ug/g Pu", "μg/g Pu", "ppm Pu"}),
    "µm": frozenset({"um", "μm", "micrometre", "micrometer"}),
    "g/cm3": frozenset({"g/cm^3", "g cm-3", "g/cm³"}),
    "mol/mol": frozenset({"1", "", "atom ratio", "mol mol-1"}),
    "‰ VSMOW": frozenset({"permil VSMOW", "per mil VSMOW", "‰"}),
    "m2/g": frozenset({"m^2/g", "m²/g"}),
    "year CE": frozenset({"year", "a", "yr"}),
}


@dataclass(frozen=True)
class SignatureDef:
    """One signature of the vocabulary."""

    name: str
    kind: str
    unit: str
    transform: Literal["log", "linear", "categorical"]
    compositional: bool
    group: str
    aliases: tuple[str, ...]
    description: str

    @property
    def numeric(self) -> bool:
        """True unless the signature is categorical."""
        return self.transform != "categorical"

    def accepts_unit(self, unit: str) -> bool:
        """True when ``unit`` spells this signature's unit (no conversion is done)."""
        return unit.strip() == self.unit or unit.strip() in _UNIT_SYNONYMS.get(self.unit, ())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (a row of the documented table)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "unit": self.unit,
            "transform": self.transform,
            "compositional": self.compositional,
            "group": self.group,
            "aliases": list(self.aliases),
            "description": self.description,
        }


@functools.cache
def signatures() -> tuple[SignatureDef, ...]:
    """Every signature of the vocabulary, in table order."""
    text = resources.files(_DATA).joinpath("signatures.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        transform = row["transform"]
        if transform not in ("log", "linear", "categorical") or row["kind"] not in KINDS:
            raise LibraryError(f"signatures.csv: bad row {row['name']!r}", field="signatures.csv")
        out.append(
            SignatureDef(
                name=row["name"],
                kind=row["kind"],
                unit=row["unit"],
                transform=transform,  # type: ignore[arg-type]
                compositional=row["compositional"] == "yes",
                group=row["group"],
                aliases=tuple(a for a in row["aliases"].split(";") if a),
                description=row["description"],
            )
        )
    return tuple(out)


@functools.cache
def _by_name() -> dict[str, SignatureDef]:
    table: dict[str, SignatureDef] = {}
    for sig in signatures():
        for key in (sig.name, *sig.aliases):
            table[key.casefold()] = sig
    return table


def signature_names() -> tuple[str, ...]:
    """The canonical names, in table order."""
    return tuple(s.name for s in signatures())


def signature(name: str, *, field: str = "name") -> SignatureDef:
    """The vocabulary's signature for a name or alias (case-insensitive).

    Raises
    ------
    UnknownSignatureError
        ``field`` names where the name came from; ``value`` is the name.
    """
    found = _by_name().get(str(name).strip().casefold()) if isinstance(name, str) else None
    if found is None:
        raise UnknownSignatureError(
            f"unknown signature {name!r}; see docs/library.md for the vocabulary",
            field=field,
            value=name,
        )
    return found


def _term(table: dict[str, str], value: object, what: str, field: str) -> str:
    if isinstance(value, str):
        key = value.strip().casefold().replace("-", " ").replace("_", " ")
        for code, name in table.items():
            if key in (code.casefold().replace("_", " "), name.casefold()):
                return code
    raise LibraryError(
        f"unknown {what} {value!r}; one of {sorted(table)}", field=field, value=value
    )


def material_type(value: object, *, field: str = "material_type") -> str:
    """The material-type code for a code or English name (``"UO2 pellets"`` -> ``uo2_pellets``)."""
    return _term(MATERIAL_TYPES, value, "material type", field)


def chemical_form(value: object, *, field: str = "value") -> str:
    """The chemical-form code for a code or description (``"ammonium diuranate"`` -> ``ADU``)."""
    return _term(CHEMICAL_FORMS, value, "chemical form", field)


def step_kind(value: object, *, field: str = "step") -> StepKind:
    """The production-step kind for a code (``milling``)."""
    code = _term({k: k for k in STEP_KINDS}, value, "production step", field)
    return STEP_KINDS[code]
