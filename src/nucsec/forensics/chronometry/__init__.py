"""Radiochronometry: model ages and dates of nuclear material, with honest uncertainties.

>>> from datetime import date
>>> r = model_age("230Th/234U", 1.41148e-4, 7.06e-7, measured_on=date(2024, 5, 1))
>>> r.chronometer.name, round(r.age_years, 1), r.to_dict()["half_life_set"]
('Th-230/U-234', 50.0, 'nubase2020')
"""

from nucsec.forensics.chronometry.chronometers import (
    CHRONOMETERS,
    Chronometer,
    chronometer_names,
    get_chronometer,
)
from nucsec.forensics.chronometry.concordance import ConcordanceResult, concordance
from nucsec.forensics.chronometry.errors import (
    ChronometryError,
    HalfLifeDataError,
    RatioOutOfRangeError,
    UnknownChronometerError,
)
from nucsec.forensics.chronometry.halflives import (
    DEFAULT_HALF_LIFE_SET,
    HalfLife,
    HalfLifeSet,
    half_life_set_names,
    load_half_life_set,
)
from nucsec.forensics.chronometry.model_age import AgeResult, InitialDaughter, model_age
from nucsec.forensics.chronometry.plot import ingrowth_curve, ingrowth_svg

__all__ = [
    "CHRONOMETERS",
    "DEFAULT_HALF_LIFE_SET",
    "AgeResult",
    "Chronometer",
    "ChronometryError",
    "ConcordanceResult",
    "HalfLife",
    "HalfLifeDataError",
    "HalfLifeSet",
    "InitialDaughter",
    "RatioOutOfRangeError",
    "UnknownChronometerError",
    "chronometer_names",
    "concordance",
    "get_chronometer",
    "half_life_set_names",
    "ingrowth_curve",
    "ingrowth_svg",
    "load_half_life_set",
    "model_age",
]
