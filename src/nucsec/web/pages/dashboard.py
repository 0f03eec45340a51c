"""The home page's dashboard: open forensic work (cases with a due stage, overdue first);
per kind, how many records the viewer may read, how many are new since their last visit
(previous sign-in) and a 12-week trend, each number linking to the filtered list.

Cases come from :func:`nucsec.service.cases.list_cases` (one listing through the monitor's
SQL twin, one audited ``record.list``); counts from
:func:`nucsec.service.record_counts.kind_counts` (the monitor's SQL twin, one audited
``record.search`` per kind). The home page's banner covers the labels of the cases it lists
AND of every record it counts: a count carries the marking of what it counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service import cases
from nucsec.service.record_counts import KindCounts, kind_counts, week_starts
from nucsec.web.i18n import N_
from nucsec.web.views import label_of_summary

__all__ = [
    "FILTERABLE",
    "KIND_NAMES",
    "Dashboard",
    "OpenWork",
    "dashboard",
    "open_work",
    "trend_svg",
]

#: cases examined (newest first) and shown on the home page
CASES_READ = 200
CASES_SHOWN = 5
#: the record kinds with a list page, as the menu names them (msgids)
KIND_NAMES = {
    "documents": N_("Documents"),
    "incidents": N_("Incidents"),
    "analyses": N_("Analyses"),
    "cases": N_("Cases"),
    "practices": N_("Practices"),
    "facilities": N_("Facilities"),
}
#: the list pages that take the marking/nation/agency/date filter (drill-down targets)
FILTERABLE = ("documents", "incidents", "practices")
#: the kinds the trend is drawn for
TREND_KINDS = ("documents", "incidents", "analyses", "practices")


@dataclass(frozen=True)
class OpenWork:
    """Open cases with a due stage, soonest due first (at most :data:`CASES_SHOWN`)."""

    rows: list[tuple[Any, Any]]  # (CaseSummary, its label or None)
    open_count: int
    overdue_count: int


def open_work(node: Node, principal: Principal) -> OpenWork:
    """The viewer's open forensic work: readable cases whose current stage has a due time."""
    due = [c for c in cases.list_cases(node, principal, limit=CASES_READ) if c.due]
    due.sort(key=lambda c: (not c.overdue, c.due or ""))
    rows = [(c, label_of_summary(c, node)) for c in due[:CASES_SHOWN]]  # type: ignore[arg-type]
    return OpenWork(rows, len(due), sum(1 for c in due if c.overdue))


@dataclass(frozen=True)
class KindRow:
    """One kind on the dashboard: its counts and where each number drills down to."""

    counts: KindCounts
    list_url: str
    new_url: str | None  # the list of what changed since the last visit (None: no link)
    trend: str | None  # the trend's SVG (links per week) or None


@dataclass(frozen=True)
class Dashboard:
    rows: list[KindRow]
    labels: list[Any]  # the labels of every record counted (for the banner)


def dashboard(
    node: Node,
    principal: Principal,
    since: dt.datetime | None,
    gettext: Callable[[str], str],
    *,
    now: dt.datetime | None = None,
) -> Dashboard:
    """The per-kind counts, "new since" links and trends of the home page."""
    kinds = [k for k in node.kinds if k.collection in KIND_NAMES]
    counted, labels = kind_counts(node, principal, kinds, since=since, now=now)
    starts = week_starts((now or dt.datetime.now(dt.UTC)).date())
    rows = []
    for c in counted:
        url = f"/{c.collection}"
        filterable = c.collection in FILTERABLE
        new_url = None
        if filterable and since is not None:
            new_url = f"{url}?{urlencode({'changed_after': since.isoformat()})}"
        trend = None
        if c.collection in TREND_KINDS:
            link = _week_link(url) if filterable else None
            trend = trend_svg(gettext(KIND_NAMES[c.collection]), c.weekly, starts, gettext, link)
        rows.append(KindRow(c, url, new_url, trend))
    return Dashboard(rows, labels)


def _week_link(url: str) -> Callable[[dt.date], str]:
    def link(monday: dt.date) -> str:
        sunday = monday + dt.timedelta(days=6)
        dates = {"date_from": monday.isoformat(), "date_to": sunday.isoformat()}
        return f"{url}?{urlencode(dates)}"

    return link


def trend_svg(
    title: str,
    weekly: tuple[int, ...],
    starts: list[dt.date],
    gettext: Callable[[str], str],
    link: Callable[[dt.date], str] | None = None,
) -> str:
    """Small bars, one per week (oldest left), each a link to that week's list when
    ``link`` is given. Scales to its container (``viewBox``); every bar is named.

    >>> svg = trend_svg("Docs", (0, 2), [dt.date(2026, 11, 30), dt.date(2026, 12, 7)], str)
    >>> svg.count("<rect"), 'data-count="2"' in svg
    (2, True)
    """
    width, height, gap = 240, 48, 2
    bar_w = width / max(len(weekly), 1) - gap
    peak = max(weekly, default=0) or 1
    week_of = gettext("week of %(date)s")
    label = f"{title}: " + gettext("records last changed per week, last %(num)s weeks") % {
        "num": len(weekly)
    }
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 14}" '
        f'class="trend" role="{"group" if link else "img"}" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    ]
    for i, (n, monday) in enumerate(zip(weekly, starts, strict=True)):
        h = max(1.0, n / peak * height) if n else 1.0
        x = i * (bar_w + gap)
        name = f"{week_of % {'date': monday.isoformat()}}: {n}"
        bar = (
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'data-week="{monday.isoformat()}" data-count="{n}"><title>{escape(name)}</title>'
            "</rect>"
        )
        if link is not None:
            bar = f'<a href="{escape(link(monday))}" aria-label="{escape(name)}">{bar}</a>'
        out.append(bar)
    out.append(
        f'<text x="0" y="{height + 12}" font-size="10">{starts[0].isoformat()}</text>'
        f'<text x="{width}" y="{height + 12}" font-size="10" text-anchor="end">'
        f"{starts[-1].isoformat()}</text></svg>"
    )
    return "".join(out)
