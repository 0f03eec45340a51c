"""The error plots raise for numbers they cannot draw (NaN, a negative value on a log axis,
a covariance that is not positive semi-definite)."""

from __future__ import annotations

from nucsec.errors import InputError

__all__ = ["PlotError"]


class PlotError(InputError):
    """Numbers a plot cannot draw; ``field`` names the argument (or element) at fault."""

    code = "bad_plot_input"
