"""Facility types of the synthetic library generator: what each produces and how it varies.

Each type says, per signature of the generator's 30 (``SYNTHETIC_SIGNATURES``), how the
*true source mean* varies between production lines (in the comparison space: natural log
for compositions and grain size, linear otherwise), how much one line varies from batch to
batch (within-source standard deviation), how often a library entry has the value, and the
within-source correlations. Numbers are orders of magnitude from the public nuclear
forensics literature, not data of any facility:

- **mill** (uranium ore concentrate): natural 235U/238U (between lines ~0.02 %, within 0.003 %);
  234U/238U activity ratios 0.8-1.25 (deposit disequilibrium); radiogenic Pb (206Pb/204Pb
  20 to several hundred, 207 and 208 tied to 206); 87Sr/86Sr 0.705-0.74; REE at 10-1000 µg/g
  U with deposit-specific slope, curvature and Eu anomaly, within-line ±25 % common level
  shift (REE strongly correlated, r ≈ 0.85); Th, V, Mo, Zr at tens to hundreds of µg/g U,
  varying by factors of 3-5 between lines and ±30 % within; 236U below 1e-9 (natural).
- **conversion** (natural UF6): blended feeds, so isotopes near the natural mean; Mo (volatile
  fluoride) carried, other trace elements and REE below limits; 10 % reprocessed-U lines
  with 236U/238U 1e-5 to 1e-3.
- **enrichment** (LEU UF6): product assays 2-5 % 235U, 234U following 235U (r = 0.8 within);
  15 % reprocessed-U lines.
- **fabrication** (UO2 pellets): assays from a menu of common reloads (2.1 % to 4.95 %),
  pellet diameters from a menu of fuel designs (7.84 mm to 10.57 mm, ±0.006 mm within a
  line), heights, density 10.3-10.6 g/cm3, grain size 6-25 µm, δ18O of the sintering water.

Which blocks a *library entry* has measured varies (``present``): e.g. REE for 60 % of mill
entries, Pb isotopes for 35 %. A sample is measured on the blocks the analyst chose
(``SAMPLE_BLOCK_PROBABILITY``), with realistic analytical uncertainties (``SAMPLE_U``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nucsec.forensics.library.ree import REE_ELEMENTS

__all__ = [
    "BLOCKS",
    "FACILITY_TYPES",
    "SAMPLE_BLOCK_PROBABILITY",
    "SAMPLE_U",
    "SYNTHETIC_SIGNATURES",
    "FacilityType",
    "Spec",
]

#: the generator's 30 numeric signatures, by block (a block is measured together)
BLOCKS: dict[str, tuple[str, ...]] = {
    "U": ("n(234U)/n(238U)", "n(235U)/n(238U)", "n(236U)/n(238U)"),
    "Pb": ("n(206Pb)/n(204Pb)", "n(207Pb)/n(204Pb)", "n(208Pb)/n(204Pb)"),
    "Sr": ("n(87Sr)/n(86Sr)",),
    "O": ("δ(18O)",),
    "REE": tuple(f"w({el})" for el in REE_ELEMENTS),
    "trace": ("w(Th)", "w(V)", "w(Mo)", "w(Zr)"),
    "pellet": ("pellet diameter", "pellet height", "density", "grain size"),
}
SYNTHETIC_SIGNATURES: tuple[str, ...] = tuple(n for names in BLOCKS.values() for n in names)

#: a sample's standard uncertainty in the comparison space (relative for log signatures)
SAMPLE_U: dict[str, float] = {
    "n(234U)/n(238U)": 2e-3,
    "n(235U)/n(238U)": 5e-5,
    "n(236U)/n(238U)": 2e-2,
    "n(206Pb)/n(204Pb)": 1e-3,
    "n(207Pb)/n(204Pb)": 1e-3,
    "n(208Pb)/n(204Pb)": 1e-3,
    "n(87Sr)/n(86Sr)": 2e-5,
    "δ(18O)": 0.3,
    **{f"w({el})": 0.05 for el in REE_ELEMENTS},
    "w(Th)": 0.05,
    "w(V)": 0.05,
    "w(Mo)": 0.05,
    "w(Zr)": 0.05,
    "pellet diameter": 0.003,
    "pellet height": 0.02,
    "density": 0.01,
    "grain size": 0.05,
}

#: probability that an analyst measures a block on a seized sample
SAMPLE_BLOCK_PROBABILITY: dict[str, float] = {
    "U": 1.0,
    "Pb": 0.6,
    "Sr": 0.6,
    "O": 0.5,
    "REE": 0.85,
    "trace": 0.85,
    "pellet": 1.0,
}


@dataclass(frozen=True)
class Spec:
    """One signature of a facility type: between-line mean/sd, within-line sd, presence.

    ``menu``: the between-line value is drawn from these (plus ``between`` noise), as for
    enrichment assays and pellet diameters. ``below``: the value is below this limit
    (natural units) for every line of the type. ``follows``: the mean moves with another
    signature's line value (``mean + slope × (other − reference)``), as 234U follows 235U in
    enrichment and 207Pb follows 206Pb in ores. All in the comparison space.
    """

    mean: float = 0.0
    between: float = 0.0
    within: float = 0.0
    menu: tuple[float, ...] = ()
    below: float | None = None
    follows: tuple[str, float, float] | None = None  # (signature, slope, its reference)


@dataclass(frozen=True)
class FacilityType:
    """A kind of production line and its signature model."""

    code: str
    material: str
    share: float
    forms: tuple[str, ...]
    steps: tuple[str, ...]
    present: dict[str, float]  # block -> probability an entry has it
    specs: dict[str, Spec] = field(default_factory=dict)
    corr: tuple[tuple[str, str, float], ...] = ()
    repu_share: float = 0.0  # lines fed with reprocessed U (236U measured)


_NAT235 = math.log(0.0072559)  # natural 235U/238U
_NAT234 = math.log(5.48e-5)  # 234U/238U in secular equilibrium
_TRACE = {"w(Th)": 3.9, "w(V)": 5.3, "w(Mo)": 5.7, "w(Zr)": 3.9}  # ln µg/g U

_MILL = FacilityType(
    "mill",
    "uoc",
    0.55,
    ("ADU", "SDU", "MDU", "UO4", "U3O8"),
    ("mining", "milling"),
    {"U": 1.0, "Pb": 0.35, "Sr": 0.35, "O": 0.25, "REE": 0.6, "trace": 0.75, "pellet": 0.0},
    {
        "n(235U)/n(238U)": Spec(_NAT235, 2e-4, 3e-5),
        "n(234U)/n(238U)": Spec(_NAT234, 0.1, 0.01),
        "n(236U)/n(238U)": Spec(below=1e-9),
        "n(206Pb)/n(204Pb)": Spec(4.1, 1.0, 0.15),
        "n(207Pb)/n(204Pb)": Spec(2.75, 0.05, 0.06, follows=("n(206Pb)/n(204Pb)", 0.3, 2.93)),
        "n(208Pb)/n(204Pb)": Spec(3.64, 0.05, 0.04, follows=("n(206Pb)/n(204Pb)", 0.2, 2.93)),
        "n(87Sr)/n(86Sr)": Spec(-0.3425, 0.012, 0.001),
        "δ(18O)": Spec(-5.0, 6.0, 1.0),
        **{k: Spec(v, 1.3, 0.3) for k, v in _TRACE.items()},
    },
    (
        ("n(206Pb)/n(204Pb)", "n(207Pb)/n(204Pb)", 0.9),
        ("n(206Pb)/n(204Pb)", "n(208Pb)/n(204Pb)", 0.7),
        ("n(207Pb)/n(204Pb)", "n(208Pb)/n(204Pb)", 0.7),
        *((a, b, 0.3) for i, a in enumerate(_TRACE) for b in list(_TRACE)[i + 1 :]),
    ),
)
_CONVERSION = FacilityType(
    "conversion",
    "uf6",
    0.10,
    ("UF6",),
    ("conversion",),
    {"U": 1.0, "Pb": 0.0, "Sr": 0.0, "O": 0.0, "REE": 0.0, "trace": 0.5, "pellet": 0.0},
    {
        "n(235U)/n(238U)": Spec(_NAT235, 1e-4, 2e-5),
        "n(234U)/n(238U)": Spec(_NAT234, 0.02, 0.004),
        "n(236U)/n(238U)": Spec(below=1e-9),
        "w(Mo)": Spec(2.0, 1.0, 0.3),
        "w(Th)": Spec(below=0.05),
        "w(V)": Spec(below=0.1),
        "w(Zr)": Spec(below=0.1),
    },
    (),
    0.10,
)
_ENRICH_U = {
    "n(235U)/n(238U)": Spec(-3.3, 0.25, 0.002),
    "n(234U)/n(238U)": Spec(_NAT234, 0.05, 0.006, follows=("n(235U)/n(238U)", 1.1, _NAT235)),
    "n(236U)/n(238U)": Spec(below=1e-8),
}
_ENRICHMENT = FacilityType(
    "enrichment",
    "uf6",
    0.10,
    ("UF6",),
    ("enrichment",),
    {"U": 1.0, "Pb": 0.0, "Sr": 0.0, "O": 0.0, "REE": 0.0, "trace": 0.3, "pellet": 0.0},
    {**_ENRICH_U, "w(Mo)": Spec(1.5, 1.0, 0.3)},
    (("n(234U)/n(238U)", "n(235U)/n(238U)", 0.8),),
    0.15,
)
# ln 235U/238U of common reload assays (mass % 235U; molar masses 235.04, 238.05)
_ASSAYS = tuple(
    math.log(e / (100 - e) * 238.05 / 235.04)
    for e in (2.1, 2.6, 3.2, 3.6, 3.95, 4.2, 4.45, 4.65, 4.95)
)
_FABRICATION = FacilityType(
    "fabrication",
    "uo2_pellets",
    0.25,
    ("UO2",),
    ("deconversion", "fabrication"),
    {"U": 1.0, "Pb": 0.0, "Sr": 0.0, "O": 0.5, "REE": 0.0, "trace": 0.2, "pellet": 1.0},
    {
        **_ENRICH_U,
        "n(235U)/n(238U)": Spec(between=0.01, within=0.001, menu=_ASSAYS),
        "δ(18O)": Spec(-10.0, 5.0, 0.8),
        "w(Th)": Spec(below=0.05),
        "w(V)": Spec(below=0.1),
        "w(Zr)": Spec(below=0.1),
        "w(Mo)": Spec(below=0.1),
        "pellet diameter": Spec(
            between=0.01, within=0.006, menu=(7.84, 8.05, 8.19, 8.26, 9.11, 9.53, 10.57)
        ),
        "pellet height": Spec(11.5, 1.2, 0.08),
        "density": Spec(10.45, 0.07, 0.03),
        "grain size": Spec(2.4, 0.35, 0.08),
    },
    (
        ("n(234U)/n(238U)", "n(235U)/n(238U)", 0.8),
        ("density", "grain size", 0.4),
        ("pellet diameter", "pellet height", 0.2),
    ),
    0.10,
)
FACILITY_TYPES: tuple[FacilityType, ...] = (_MILL, _CONVERSION, _ENRICHMENT, _FABRICATION)
