"""What was found or seized: radioactive sources and nuclear material, validated on creation.

An item that exists is valid: every constructor check raises an
:class:`~nucsec.incidents.errors.IncidentError` (or ``NuclideError``) naming the field.
Uncertainties are standard uncertainties (k=1).

>>> SourceItem("137Cs", activity_bq=1.9e11).nuclide
'Cs-137'
>>> MaterialItem("uranium", mass_g=1500, enrichment_pct=93).material
'U'
>>> MaterialItem("U", mass_g=-1)
Traceback (most recent call last):
...
nucsec.incidents.errors.IncidentError: mass must be a finite number >= 0, got -1
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from nucsec.errors import InputError
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.reference import load_reference, source_key
from nucsec.nuclides import NuclideError, parse

__all__ = [
    "MATERIALS",
    "Item",
    "MaterialItem",
    "SourceItem",
    "check_nonnegative",
    "field_prefix",
    "material_code",
    "radioactive_key",
]

#: nuclear materials we categorise: code -> English name
MATERIALS: dict[str, str] = {
    "U": "uranium",
    "Pu": "plutonium",
    "U-233": "uranium-233",
    "Th": "thorium",
}
_MATERIAL_ALIASES = {"uranium": "U", "plutonium": "Pu", "thorium": "Th", "uranium-233": "U-233"}


@contextmanager
def field_prefix(prefix: str) -> Iterator[None]:
    """Prefix the ``field`` of any :class:`InputError` raised inside with ``prefix.``."""
    try:
        yield
    except InputError as exc:
        exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
        raise


def check_nonnegative(
    value: object, field: str, what: str, *, maximum: float | None = None
) -> float:
    """``float(value)`` if it is a finite number in ``[0, maximum]``; else IncidentError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IncidentError(
            f"{what} must be a number, got {value!r}", field=field, value=repr(value)
        )
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise IncidentError(
            f"{what} must be a finite number >= 0, got {value}", field=field, value=value
        )
    if maximum is not None and number > maximum:
        raise IncidentError(
            f"{what} must be at most {maximum:g}, got {value}", field=field, value=value
        )
    return number


def _optional(value: object, field: str, what: str, maximum: float | None = None) -> float | None:
    return None if value is None else check_nonnegative(value, field, what, maximum=maximum)


def radioactive_key(name: str) -> str:
    """Canonical source key, refusing names that are neither tabulated nor radioactive."""
    key = source_key(name)
    if key in load_reference().d_values:
        return key
    if key.isalpha():  # an element with no D-value row of its own
        raise NuclideError(f"{name!r} is an element, not a nuclide", field="nuclide", value=name)
    from nucsec.incidents.decay import half_life_s

    if math.isinf(half_life_s(key.partition("/")[0])):
        raise NuclideError(
            f"{key} is stable: not a radioactive source", field="nuclide", value=name
        )
    return key


def material_code(text: object) -> str:
    """``"uranium" -> "U"``, ``"233U" -> "U-233"``; IncidentError for anything else."""
    raw = text.strip() if isinstance(text, str) else ""
    key = _MATERIAL_ALIASES.get(raw.lower(), raw)
    for code in MATERIALS:
        if key.lower() == code.lower():
            return code
    try:
        if str(parse(key)) in MATERIALS:
            return str(parse(key))
    except NuclideError:
        pass
    raise IncidentError(
        f"unknown nuclear material {text!r}: use one of {', '.join(MATERIALS)}"
        " (uranium takes --enrichment-pct)",
        field="material",
        value=text if isinstance(text, str) else repr(text),
    )


@dataclass(frozen=True)
class SourceItem:
    """A radioactive source or other radioactive material.

    ``nuclide`` is the key of the D-value table where there is one (``Am-241/Be``,
    ``Sr-90``), else the canonical nuclide name. ``activity_bq`` holds on
    ``reference_date`` (unknown date: ``None``). Items with the same ``holding`` were held
    together and are aggregated for the source category.
    """

    kind: ClassVar[str] = "source"

    nuclide: str
    activity_bq: float
    activity_unc_bq: float | None = None
    reference_date: date | None = None
    form: str = ""
    sealed: bool | None = None
    holding: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "nuclide", radioactive_key(self.nuclide))
        a = check_nonnegative(self.activity_bq, "activity_bq", "activity")
        object.__setattr__(self, "activity_bq", a)
        u = _optional(self.activity_unc_bq, "activity_unc_bq", "activity uncertainty")
        object.__setattr__(self, "activity_unc_bq", u)
        if self.reference_date is not None and not isinstance(self.reference_date, date):
            raise IncidentError("reference date must be a date", field="reference_date")
        if self.sealed is not None and not isinstance(self.sealed, bool):
            raise IncidentError("sealed must be true, false or unknown", field="sealed")


@dataclass(frozen=True)
class MaterialItem:
    """Nuclear material: element (or U-233), mass, U-235 enrichment or Pu isotopics.

    ``mass_g`` is the mass of the element (of U-233 for ``U-233``); ``enrichment_pct`` is
    the U-235 mass fraction in % (uranium only); ``pu_isotopics_pct`` pairs Pu isotopes
    with their mass fractions in %. ``irradiated`` means irradiated in a reactor with a
    radiation level above 1 Gy/h (100 rad/h) at 1 m unshielded (INFCIRC/225 footnote b).
    """

    kind: ClassVar[str] = "material"

    material: str
    mass_g: float
    mass_unc_g: float | None = None
    enrichment_pct: float | None = None
    enrichment_unc_pct: float | None = None
    pu_isotopics_pct: tuple[tuple[str, float], ...] = ()
    chemical_form: str = ""
    physical_form: str = ""
    irradiated: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        material = material_code(self.material)
        object.__setattr__(self, "material", material)
        object.__setattr__(self, "mass_g", check_nonnegative(self.mass_g, "mass_g", "mass"))
        mass_unc = _optional(self.mass_unc_g, "mass_unc_g", "mass uncertainty")
        object.__setattr__(self, "mass_unc_g", mass_unc)
        enr = _optional(self.enrichment_pct, "enrichment_pct", "enrichment", 100.0)
        enr_unc = _optional(self.enrichment_unc_pct, "enrichment_unc_pct", "enrichment unc.", 100.0)
        if material != "U" and (enr is not None or enr_unc is not None):
            raise IncidentError(
                f"enrichment applies to uranium only, not {material}", field="enrichment_pct"
            )
        object.__setattr__(self, "enrichment_pct", enr)
        object.__setattr__(self, "enrichment_unc_pct", enr_unc)
        object.__setattr__(self, "pu_isotopics_pct", self._isotopics(material))
        if not isinstance(self.irradiated, bool):
            raise IncidentError("irradiated must be true or false", field="irradiated")

    def _isotopics(self, material: str) -> tuple[tuple[str, float], ...]:
        pairs = tuple(self.pu_isotopics_pct)
        if pairs and material != "Pu":
            raise IncidentError(
                f"isotopics apply to plutonium only, not {material}", field="pu_isotopics_pct"
            )
        out: dict[str, float] = {}
        for name, pct in pairs:
            field = f"pu_isotopics_pct.{name}"
            nuclide = parse(name) if isinstance(name, str) else None
            if nuclide is None or nuclide.symbol != "Pu" or nuclide.isomer:
                raise IncidentError(f"not a plutonium isotope: {name!r}", field=field, value=name)
            if str(nuclide) in out:
                raise IncidentError(f"{nuclide} given twice", field=field, value=name)
            out[str(nuclide)] = check_nonnegative(pct, field, "isotope fraction", maximum=100.0)
        if sum(out.values()) > 100.5:  # rounding in published isotopics
            raise IncidentError(
                f"plutonium isotopics add up to {sum(out.values()):g} % (> 100 %)",
                field="pu_isotopics_pct",
            )
        return tuple(sorted(out.items()))

    @property
    def pu238_pct(self) -> float | None:
        """Pu-238 fraction in % if isotopics are given."""
        return dict(self.pu_isotopics_pct).get("Pu-238", 0.0) if self.pu_isotopics_pct else None


Item = SourceItem | MaterialItem
