"""Hypothesis strategies for valid incidents."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from nucsec.incidents.items import MaterialItem, SourceItem
from nucsec.incidents.model import (
    REQUEST_STATUSES,
    Attachment,
    Incident,
    Link,
    Portion,
    SupportRequest,
)
from nucsec.incidents.vocabulary import DETECTION_MODES, INCIDENT_TYPES, ITDB_GROUPS, STATUSES

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_amount = st.floats(min_value=0, max_value=1e18, allow_nan=False, allow_infinity=False)
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2024, 12, 31))
_refs = st.from_regex(r"[A-Z]{2}-[0-9]{4}-[0-9]{3}", fullmatch=True)

sources = st.builds(
    SourceItem,
    nuclide=st.sampled_from(["Co-60", "Cs-137", "Am-241/Be", "Sr-90", "I-131", "Ba-140"]),
    activity_bq=_amount,
    activity_unc_bq=st.none() | _amount,
    reference_date=st.none() | _dates,
    form=_text,
    sealed=st.none() | st.booleans(),
    holding=_text,
    description=_text,
)
materials = st.builds(
    MaterialItem,
    material=st.sampled_from(["U"]),
    mass_g=_amount,
    mass_unc_g=st.none() | _amount,
    enrichment_pct=st.none() | st.floats(min_value=0, max_value=100),
    enrichment_unc_pct=st.none() | st.floats(min_value=0, max_value=5),
    chemical_form=_text,
    physical_form=_text,
    irradiated=st.booleans(),
    description=_text,
) | st.builds(
    MaterialItem,
    material=st.just("Pu"),
    mass_g=_amount,
    pu_isotopics_pct=st.lists(
        st.tuples(st.sampled_from(["Pu-238", "Pu-239", "Pu-240"]), st.floats(0, 30)),
        max_size=3,
        unique_by=lambda p: p[0],
    ).map(tuple),
)

attachments = st.builds(
    Attachment,
    name=_text.filter(str.strip),
    sha256=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    size_bytes=st.integers(0, 10**12),
    media_type=st.sampled_from(["application/octet-stream", "application/xml"]),
    description=_text,
)
requests = st.builds(
    SupportRequest,
    to_party=st.sampled_from(["USA.DOE", "JPN.JAEA"]),
    requested_on=st.just(date(2020, 1, 1)),
    question=_text.filter(str.strip),
    status=st.sampled_from(REQUEST_STATUSES),
    answered_on=st.none() | st.just(date(2020, 2, 1)),
)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    report = draw(_dates)
    incident_date = draw(st.none() | st.dates(min_value=date(1990, 1, 1), max_value=report))
    reference = draw(_refs)
    return Incident(
        reference=reference,
        report_date=report,
        country=draw(st.sampled_from(["JP", "US", "GE", "DE"])),
        incident_type=draw(st.sampled_from(INCIDENT_TYPES.codes)),
        itdb_group=draw(st.sampled_from(ITDB_GROUPS.codes)),
        detection_mode=draw(st.sampled_from(DETECTION_MODES.codes)),
        status=draw(st.sampled_from(STATUSES.codes)),
        incident_date=incident_date,
        incident_date_precision=draw(st.sampled_from(["day", "month", "year"])),
        place=draw(_text),
        narrative=tuple(
            draw(
                st.lists(
                    st.builds(
                        Portion,
                        st.sampled_from(["UNCLASSIFIED", "HI//REL TO JPN, USA"]),
                        _text.filter(str.strip),
                    ),
                    max_size=3,
                )
            )
        ),
        items=tuple(draw(st.lists(sources | materials, max_size=4))),
        attachments=tuple(draw(st.lists(attachments, max_size=2))),
        support_requests=tuple(draw(st.lists(requests, max_size=2))),
        links=tuple(
            draw(st.lists(st.builds(Link, _refs.filter(lambda r: r != reference)), max_size=2))
        ),
    )
