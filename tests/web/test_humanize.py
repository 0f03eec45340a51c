"""Human durations: rounded, marked "about" when rounding changed them, in English and Japanese."""

from __future__ import annotations

import pytest

from nucsec.web.humanize import human_duration


@pytest.mark.parametrize(
    ("seconds", "en", "ja"),
    [
        (1, "1 second", "1秒"),
        (45, "45 seconds", "45秒"),
        (60, "1 minute", "1分"),
        (898, "about 15 minutes", "約15分"),
        (3600, "1 hour", "1時間"),
        (5400, "about 2 hours", "約2時間"),
        (3 * 86400, "3 days", "3日"),
        (-120, "2 minutes", "2分"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, en: str, ja: str) -> None:
    assert human_duration(seconds) == en
    assert human_duration(seconds, "ja") == ja
