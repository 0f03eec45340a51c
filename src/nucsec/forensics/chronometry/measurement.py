"""The measurement model of one chronometer: measured ratio as a function of age and data.

:class:`RatioModel` binds a chronometer, a half-life set and a ratio kind (``"atom"`` or
``"activity"``) and exposes the two directions the uncertainty code needs, both
vectorised over sampled half-lives:

- :meth:`RatioModel.ratio` -- measured ratio after ``t`` years (forward model);
- :meth:`RatioModel.age` -- age from a measured ratio (inverse).

An activity ratio is the atom ratio times ``λ(daughter)/λ(parent)``; an initial daughter
ratio is given in the same kind as the measured ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nucsec.forensics.chronometry import bateman
from nucsec.forensics.chronometry.chronometers import Chronometer
from nucsec.forensics.chronometry.errors import ChronometryError
from nucsec.forensics.chronometry.halflives import HalfLife, HalfLifeSet

__all__ = ["RATIO_KINDS", "RatioModel"]

RATIO_KINDS = ("atom", "activity")
Array = NDArray[np.float64]
LN2 = math.log(2.0)


@dataclass(frozen=True)
class RatioModel:
    """Forward and inverse model of one chronometer with one half-life set and ratio kind."""

    chronometer: Chronometer
    half_lives: HalfLifeSet
    kind: str = "atom"

    def __post_init__(self) -> None:
        if self.kind not in RATIO_KINDS:
            raise ChronometryError(
                f"ratio kind must be 'atom' or 'activity', not {self.kind!r}",
                field="ratio_kind",
                value=self.kind,
            )

    @cached_property
    def entries(self) -> tuple[HalfLife, ...]:
        """Half-life entries of the chain members, head first."""
        return tuple(self.half_lives[n] for n in self.chronometer.chain)

    @cached_property
    def half_lives_y(self) -> tuple[float, ...]:
        return tuple(e.half_life_y for e in self.entries)

    @cached_property
    def branching(self) -> tuple[float, ...]:
        return tuple(self.half_lives.branching_fraction(p, d) for p, d in self.chronometer.links)

    def _kappa(self, lam: Sequence[Array]) -> Array | float:
        """Factor turning an atom ratio into a ratio of the model's kind."""
        if self.kind == "atom":
            return 1.0
        return lam[-1] / lam[-2]

    @staticmethod
    def _lam(half_lives_y: Sequence[ArrayLike]) -> list[Array]:
        return [LN2 / np.asarray(h, dtype=np.float64) for h in half_lives_y]

    def ratio(
        self,
        t_y: ArrayLike,
        half_lives_y: Sequence[ArrayLike] | None = None,
        r0: ArrayLike = 0.0,
    ) -> Array:
        """Measured-kind ratio after ``t_y`` years (half-lives default to the set's)."""
        lam = self._lam(self.half_lives_y if half_lives_y is None else half_lives_y)
        kappa = self._kappa(lam)
        r0_atom = np.asarray(r0, dtype=np.float64) / kappa
        return np.asarray(kappa * bateman.atom_ratio(t_y, lam, self.branching, r0_atom))

    def ratio_dt(
        self, t_y: ArrayLike, half_lives_y: Sequence[ArrayLike] | None = None, r0: ArrayLike = 0.0
    ) -> Array:
        """d(ratio)/dt per year, in the model's kind."""
        lam = self._lam(self.half_lives_y if half_lives_y is None else half_lives_y)
        kappa = self._kappa(lam)
        r0_atom = np.asarray(r0, dtype=np.float64) / kappa
        atom = bateman.atom_ratio(t_y, lam, self.branching, r0_atom)
        return np.asarray(kappa * bateman.atom_ratio_dt(t_y, atom, lam, self.branching))

    def age(
        self,
        ratio: ArrayLike,
        half_lives_y: Sequence[ArrayLike] | None = None,
        r0: ArrayLike = 0.0,
        t_start: float | None = None,
        rtol: float = 1e-14,
    ) -> Array:
        """Age in years from a measured-kind ratio; inf at or beyond equilibrium.

        ``t_start`` seeds the numerical inverse of second-generation chronometers.
        """
        lam = self._lam(self.half_lives_y if half_lives_y is None else half_lives_y)
        kappa = self._kappa(lam)
        atom = np.asarray(ratio, dtype=np.float64) / kappa
        r0_atom = np.asarray(r0, dtype=np.float64) / kappa
        return bateman.solve_age(atom, lam, self.branching, r0_atom, t_start=t_start, rtol=rtol)

    def equilibrium_ratio(self) -> float:
        """Measured-kind ratio at equilibrium (inf when the daughter outlives the parent)."""
        lam = self._lam(self.half_lives_y)
        value = bateman.equilibrium_atom_ratio(lam, self.branching) * self._kappa(lam)
        return float(value)
