"""Fixed vocabularies: applicability tags, facility types, finding types, statuses, topics.

Applicability tags name what a framework node or a practice applies to, in four
dimensions: nuclear material categories (INFCIRC/225/Rev.5: ``cat:I``, ``cat:II``,
``cat:III``), source security levels (NSS 14: ``level:A``, ``level:B``, ``level:C``),
purposes (``theft``, ``sabotage``, ``transport``) and facility types
(``facility:research_reactor``, ...). Anything else is refused by the validators.

Topics are the catalogue's fixed subject list, derived from the guidance topics of
``data/practices/guidance.csv`` (see ``topics.csv``, which names the guidance topics each
one covers).

>>> tag_dimension("cat:II"), tag_dimension("theft"), tag_dimension("facility:storage")
('holding', 'purpose', 'facility')
>>> ATTRACTIVENESS["cat:I"] > ATTRACTIVENESS["cat:III"]
True
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "ATTRACTIVENESS",
    "CATEGORY_TAGS",
    "FACILITY_TYPES",
    "FINDING_TYPES",
    "LEVEL_TAGS",
    "PURPOSES",
    "TAGS",
    "Topic",
    "attractiveness",
    "read_data_csv",
    "tag_dimension",
    "topics",
]

DATA = "nucsec.data.practices"

CATEGORY_TAGS = ("cat:I", "cat:II", "cat:III")
LEVEL_TAGS = ("level:A", "level:B", "level:C")
PURPOSES = ("theft", "sabotage", "transport")

#: facility type -> (English, Japanese)
FACILITY_TYPES: dict[str, tuple[str, str]] = {
    "power_reactor": ("power reactor", "発電用原子炉"),
    "research_reactor": ("research reactor", "研究用原子炉"),
    "fuel_fabrication": ("fuel fabrication", "燃料加工"),
    "enrichment": ("enrichment", "濃縮"),
    "reprocessing": ("reprocessing", "再処理"),
    "storage": ("storage", "貯蔵"),
    "laboratory": ("laboratory", "研究所・実験施設"),
    "transport_operator": ("transport operator", "輸送事業者"),
    "source_user": ("radioactive source user", "放射性線源使用者"),
}

TAGS: frozenset[str] = frozenset(
    (*CATEGORY_TAGS, *LEVEL_TAGS, *PURPOSES, *(f"facility:{t}" for t in FACILITY_TYPES))
)

#: how attractive the material a tag protects is to a thief: higher first.
#: Category I material outranks any source level; level A (category 1 sources) outranks II.
ATTRACTIVENESS: dict[str, int] = {
    "cat:I": 6,
    "level:A": 5,
    "cat:II": 4,
    "level:B": 3,
    "cat:III": 2,
    "level:C": 1,
}

#: review-finding types an assessment records (finding_types.csv, the INSServ/IPPAS rows)
FINDING_TYPES = ("recommendation", "suggestion", "good practice")


def tag_dimension(tag: str) -> str | None:
    """``"holding"``, ``"purpose"`` or ``"facility"`` for a known tag; ``None`` otherwise."""
    if tag in CATEGORY_TAGS or tag in LEVEL_TAGS:
        return "holding"
    if tag in PURPOSES:
        return "purpose"
    if tag.startswith("facility:") and tag.removeprefix("facility:") in FACILITY_TYPES:
        return "facility"
    return None


def attractiveness(tags: frozenset[str] | set[str]) -> int:
    """The highest attractiveness among ``tags`` (0 when none names a holding)."""
    return max((ATTRACTIVENESS.get(t, 0) for t in tags), default=0)


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of a packaged CSV under ``nucsec/data/practices`` (UTF-8, header row)."""
    text = resources.files(DATA).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class Topic:
    """A catalogue topic: code, English and Japanese labels, guidance topics it covers."""

    code: str
    label_en: str
    label_ja: str
    guidance_topics: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def topics() -> dict[str, Topic]:
    """The fixed topic vocabulary (``topics.csv``), by code."""
    out: dict[str, Topic] = {}
    for row in read_data_csv("topics.csv"):
        covered = tuple(t for t in row["guidance_topics"].split("|") if t)
        out[row["code"]] = Topic(row["code"], row["label_en"], row["label_ja"], covered)
    return out
