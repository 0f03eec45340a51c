"""The list pages' shared filter bar: marking, nation, agency, date range and sort order,
read from the URL (so a filtered list can be shared and linked to) and offered as
choices in the viewer's language.

The filter itself is :class:`nucsec.store.record_filter.RecordFilter`, applied in SQL by
the listing services; this module only reads it from the query string and builds the
choices and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Query

from nucsec.markings.context import MarkingContext
from nucsec.store.record_filter import SORTS, RecordFilter
from nucsec.web.i18n import N_

__all__ = ["FilterChoices", "ListQuery", "choices", "list_query", "list_url"]

#: the sort orders as the filter bar names them (msgids)
SORT_NAMES = {"new": N_("Newest first"), "old": N_("Oldest first"), "title": N_("Title A–Z")}


@dataclass(frozen=True)
class ListQuery:
    """A list page's filter and sort order, as read from its URL."""

    flt: RecordFilter
    sort: str

    def params(self) -> dict[str, str]:
        """The URL parameters that reproduce this filter and sort (default sort left out)."""
        return self.flt.params() | ({"sort": self.sort} if self.sort != "new" else {})


def list_query(
    level: str = Query("", max_length=64),
    nation: str = Query("", max_length=3),
    agency: str = Query("", max_length=64),
    date_from: str = Query("", max_length=10),
    date_to: str = Query("", max_length=10),
    sort: str = Query("", max_length=8),
    changed_after: str = Query("", max_length=40),
) -> ListQuery:
    """FastAPI dependency: the filter bar's fields (checked by the service, which raises
    InputError naming the field for an unknown value)."""
    flt = RecordFilter(
        level or None,
        nation or None,
        agency or None,
        date_from or None,
        date_to or None,
        changed_after or None,
    )
    return ListQuery(flt, sort or "new")


def list_url(path: str, params: dict[str, str]) -> str:
    """``path`` with ``params`` (empty values left out) as its query string."""
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@dataclass(frozen=True)
class FilterChoices:
    """What the filter bar offers: ``(value, shown name)`` pairs in the viewer's language."""

    levels: list[tuple[str, str]]
    nations: list[tuple[str, str]]
    agencies: list[tuple[str, str]]
    sorts: list[tuple[str, str]]


def choices(ctx: MarkingContext, language: str) -> FilterChoices:
    """Every level, nation and agency the node knows, named in ``language`` (Japanese:
    a Japanese level in kanji, another nation's with its Japanese rendering)."""
    ja = language == "ja"
    levels = []
    for code in sorted(ctx.schemes):
        nation = ctx.nations.get(code)
        nation_name = (nation.name_ja if ja else nation.name_en) if nation else code
        for lv in sorted(ctx.schemes[code].levels, key=lambda lv: -lv.order):
            shown = (lv.native or lv.ja or lv.name) if ja else lv.name
            levels.append((lv.name, f"{shown} ({nation_name})"))
    nations = [(c, n.name_ja if ja else n.name_en) for c, n in sorted(ctx.nations.items())]
    agencies = [
        (a.qualified, f"{a.name_ja if ja else a.name_en} ({a.qualified})")
        for _, n in sorted(ctx.nations.items())
        for a in n.agencies
    ]
    return FilterChoices(levels, nations, agencies, [(s, SORT_NAMES[s]) for s in SORTS])
