"""Controlled vocabularies of the register, as data: code, English and Japanese names.

Codes are what records, CSV files and the API carry; display names are for people. The
ITDB group definitions follow the IAEA 2024 fact sheet (``itdb_facts.csv`` ITDB-DEF-G1..G3),
the incident types the ITDB scope text (ITDB-DEF-SCOPE), the material classes the 2024
press release (ITDB-CUM-17..19). Detection modes and statuses are ours.

>>> lookup(ITDB_GROUPS, "Group II", field="itdb_group").code
'II'
>>> lookup(INCIDENT_TYPES, "Theft", field="incident_type").code
'theft'
"""

from __future__ import annotations

from dataclasses import dataclass

from nucsec.incidents.errors import IncidentError

__all__ = [
    "DETECTION_MODES",
    "INCIDENT_TYPES",
    "ITDB_GROUPS",
    "MATERIAL_CLASSES",
    "STATUSES",
    "Term",
    "Vocabulary",
    "lookup",
]


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary."""

    code: str
    en: str
    ja: str


@dataclass(frozen=True)
class Vocabulary:
    """A named, ordered set of terms; ``aliases`` maps extra spellings to codes."""

    name: str
    terms: tuple[Term, ...]
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes, in display order."""
        return tuple(t.code for t in self.terms)

    def term(self, code: str) -> Term:
        """The term with this exact code (``KeyError`` if none)."""
        for t in self.terms:
            if t.code == code:
                return t
        raise KeyError(code)


ITDB_GROUPS = Vocabulary(
    "itdb_group",
    (
        Term(
            "I",
            "Group I: confirmed or likely connected to trafficking or malicious use",
            "グループI:不正取引又は悪意ある使用に関連(確認済み又は可能性が高い)",
        ),
        Term(
            "II",
            "Group II: connection to trafficking or malicious use undetermined",
            "グループII:不正取引又は悪意ある使用との関連が不明(情報不足)",
        ),
        Term(
            "III",
            "Group III: trafficking or malicious use unlikely or ruled out",
            "グループIII:不正取引又は悪意ある使用の可能性が低い又は否定",
        ),
    ),
    aliases=(
        ("1", "I"),
        ("2", "II"),
        ("3", "III"),
        ("group i", "I"),
        ("group ii", "II"),
        ("group iii", "III"),
    ),
)

INCIDENT_TYPES = Vocabulary(
    "incident_type",
    (
        Term("unauthorized_possession", "unauthorised possession", "無許可の所持"),
        Term("attempted_sale", "attempted sale or trafficking", "売却又は不正取引の企て"),
        Term("theft", "theft", "盗取"),
        Term("loss", "loss", "紛失"),
        Term("discovery", "discovery of uncontrolled material", "管理外の物質の発見"),
        Term("unauthorized_disposal", "unauthorised disposal", "無許可の廃棄"),
        Term("unauthorized_shipment", "unauthorised shipment", "無許可の輸送"),
        Term("border_detection", "detection at a border crossing", "国境検問所での検知"),
        Term("scam", "scam (material purported to be nuclear or radioactive)", "詐欺"),
        Term("other", "other", "その他"),
    ),
    aliases=(
        ("unauthorised possession", "unauthorized_possession"),
        ("attempted sale", "attempted_sale"),
        ("trafficking", "attempted_sale"),
        ("unauthorised disposal", "unauthorized_disposal"),
        ("unauthorised shipment", "unauthorized_shipment"),
    ),
)

DETECTION_MODES = Vocabulary(
    "detection_mode",
    (
        Term("portal_monitor", "radiation portal monitor", "放射線ポータルモニター"),
        Term("customs_inspection", "customs inspection", "税関検査"),
        Term("police_intelligence", "police intelligence or investigation", "警察の情報・捜査"),
        Term("border_guard", "border guard check", "国境警備"),
        Term("scrap_metal_monitor", "scrap metal radiation monitor", "金属スクラップの放射線検査"),
        Term("facility_accounting", "facility accounting or inventory", "施設の計量管理・在庫確認"),
        Term("radiation_survey", "radiation survey", "放射線サーベイ"),
        Term("public_report", "report by a member of the public", "一般からの通報"),
        Term("other", "other", "その他"),
        Term("unknown", "unknown", "不明"),
    ),
)

STATUSES = Vocabulary(
    "status",
    (
        Term("draft", "draft", "下書き"),
        Term("open", "open", "調査中"),
        Term("closed", "closed", "終結"),
        Term("withdrawn", "withdrawn", "取下げ"),
    ),
)

MATERIAL_CLASSES = Vocabulary(
    "material_class",
    (
        Term("nuclear", "nuclear material (U, Pu, Th)", "核物質(ウラン、プルトニウム、トリウム)"),
        Term("radioactive", "other radioactive material", "その他の放射性物質"),
        Term(
            "contaminated",
            "radioactively contaminated and other material",
            "放射能汚染物質及びその他の物質",
        ),
    ),
)


def lookup(vocabulary: Vocabulary, text: object, *, field: str) -> Term:
    """Find a term by code, English name or alias (case-insensitive, ``-``/space as ``_``).

    Raises
    ------
    IncidentError
        If nothing matches; the message lists the accepted codes.
    """
    key = str(text).strip().lower() if isinstance(text, str) else ""
    squashed = key.replace("-", "_").replace(" ", "_")
    aliases = dict(vocabulary.aliases)
    for t in vocabulary.terms:
        if key in {t.code.lower(), t.en.lower()} or squashed == t.code.lower():
            return t
    if key in aliases:
        return vocabulary.term(aliases[key])
    raise IncidentError(
        f"unknown {vocabulary.name} {text!r}; expected one of {', '.join(vocabulary.codes)}",
        field=field,
        value=text if isinstance(text, str | int | float) else repr(text),
    )
