"""Durations as people say them ("about 15 minutes"), in the reader's language.

Pages and messages show a wait or an age to a person, who reads "about 15 minutes" faster
than "898 s". The words and plural forms come from Babel's locale data (CLDR), so Japanese
readers get "約15分" from the same call.
"""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_timedelta

__all__ = ["human_duration"]

_ABOUT = {"en": "about {}", "ja": "約{}"}
_UNITS_S = (1, 60, 3600, 86400)  # a duration that is a whole number of its unit is exact


def human_duration(seconds: float, locale: str = "en") -> str:
    """A rounded duration with "about" when rounding changed it.

    Parameters
    ----------
    seconds
        The duration; negative values are read as their size.
    locale
        A CLDR locale code (``"en"``, ``"ja"``).

    Examples
    --------
    >>> human_duration(898)
    'about 15 minutes'
    >>> human_duration(60)
    '1 minute'
    >>> human_duration(898, "ja")
    '約15分'
    """
    size = abs(seconds)
    words = format_timedelta(timedelta(seconds=size), locale=locale)
    words = words.replace(" ", "") if locale == "ja" else words
    unit = max((u for u in _UNITS_S if size >= u), default=1)
    if size % unit == 0:
        return words
    return _ABOUT.get(locale, "{}").format(words)
