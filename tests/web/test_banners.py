"""The page banner and the label picker, as pure functions (no node, no HTTP)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nucsec.markings import Label, LabelError, parse_banner, render_banner
from nucsec.policy import Principal, Resource, decide
from nucsec.web.banners import banner_view, lowest_label, page_label
from nucsec.web.pages.picker import form_from_label, label_from_form, picker_options
from tests.strategies import CTX, labels, principals


def _readable(p: Principal, label: Label) -> bool:
    return decide(p, "read", Resource(label), CTX).allowed


@settings(max_examples=150, deadline=None)
@given(items=st.lists(labels(), min_size=1, max_size=5), viewer=principals())
def test_page_banner_is_at_least_as_restrictive_as_what_it_shows(
    items: list[Label], viewer: Principal
) -> None:
    """Whoever may read the page's banner label may read every item on the page."""
    shown = [lb for lb in items if _readable(viewer, lb)]
    assume(shown)
    page = page_label(shown, CTX, viewer.nation)
    assert page.rank(CTX) == max(lb.rank(CTX) for lb in shown)
    assert page.compartments >= frozenset().union(*(lb.compartments for lb in shown))
    nationals_only = page.noforn or (
        bool(page.rel_to) and all(e.startswith(page.authority + ".") for e in page.rel_to)
    )
    assert nationals_only or not any(lb.noforn for lb in shown)
    assert page.orcon == any(lb.orcon for lb in shown)
    assert _readable(viewer, page), "the viewer may read the page it is shown"


@settings(max_examples=100, deadline=None)
@given(items=st.lists(labels(), min_size=1, max_size=4), other=principals(), viewer=principals())
def test_readers_of_the_page_banner_may_read_each_item(
    items: list[Label], other: Principal, viewer: Principal
) -> None:
    shown = [lb for lb in items if _readable(viewer, lb)]
    assume(shown)
    page = page_label(shown, CTX, viewer.nation)
    if _readable(other, page):
        assert all(_readable(other, lb) for lb in shown)


def test_empty_page_is_lowest_level_of_the_viewers_scheme() -> None:
    assert render_banner(page_label([], CTX, "USA"), CTX) == "UNCLASSIFIED"
    assert render_banner(lowest_label(CTX, "JPN"), CTX) == "SHITEI NASHI"


@pytest.mark.parametrize(
    ("banner", "viewer", "expected"),
    [
        (
            "SECRET//REL TO USA, JPN",
            "USA",
            [("USA", "SECRET//REL TO USA, JPN"), ("JPN", "極秘//REL TO USA, JPN")],
        ),
        (
            "SECRET//REL TO USA, JPN",
            "JPN",
            [("JPN", "極秘//REL TO USA, JPN"), ("USA", "SECRET//REL TO USA, JPN")],
        ),
        (
            "HI//ITDB//REL TO JPN, USA.DHS",
            "USA",
            [
                ("USA", "CONFIDENTIAL//ITDB//REL TO JPN, USA.DHS"),
                ("JPN", "秘//ITDB//REL TO JPN, USA.DHS"),
            ],
        ),
        ("TOP SECRET//NOFORN", "USA", [("USA", "TOP SECRET//NOFORN"), ("JPN", "機密//NOFORN")]),
    ],
    ids=["us-viewer", "jp-viewer", "jp-label-us-viewer", "noforn"],
)
def test_banner_in_both_schemes_viewer_first(
    banner: str, viewer: str, expected: list[tuple[str, str]]
) -> None:
    view = banner_view(parse_banner(banner, CTX), CTX, viewer)
    assert [(r.nation, r.text) for r in view.renderings] == expected
    assert view.primary.lang == ("ja" if viewer == "JPN" else "en")


def test_banner_colour_follows_the_common_rank() -> None:
    assert banner_view(parse_banner("GOKUHI", CTX), CTX, "USA").css == "rank-3"
    assert banner_view(parse_banner("SECRET", CTX), CTX, "JPN").css == "rank-3"
    assert banner_view(parse_banner("UNCLASSIFIED", CTX), CTX, "USA").css == "rank-0"


@settings(max_examples=100, deadline=None)
@given(label=labels(), author=principals())
def test_picker_round_trip(label: Label, author: Principal) -> None:
    """A label the picker can express comes back unchanged from its form values."""
    assume(label.authority == author.nation)
    assume(label.level_of(CTX).nation == author.nation)
    assume(not any(e.startswith(author.nation + ".") for e in label.rel_to))
    assume(not label.rel_to or label.rel_to - {author.nation})  # REL TO a partner, or none
    try:
        label.validate(CTX)
    except LabelError:
        assume(False)
    form = {k: v if isinstance(v, list) else [v] for k, v in form_from_label(label, "body").items()}
    got = label_from_form(form, "body", author, CTX)
    assert got == label.with_(originator=None, legal_basis=CTX.default_basis)


@settings(max_examples=100, deadline=None)
@given(author=principals())
def test_picker_offers_only_what_the_author_holds(author: Principal) -> None:
    options = picker_options(author, CTX)
    clearance = CTX.resolve_level(author.clearance, author.nation)
    for choice in options.levels:
        level = CTX.resolve_level(choice.value, author.nation)
        assert level.nation == author.nation
        assert CTX.rank(level) <= CTX.rank(clearance)
    assert {c.value for c in options.compartments} <= author.compartments
    assert author.nation not in {nation.value for nation, _ in options.release}


def test_picker_levels_read_in_the_authors_script_with_partner_equivalents() -> None:
    """A Japanese author picks 極秘 (= USA SECRET), not GOKUHI; nothing is doubled."""
    npa = Principal.create(id="j", nation="JPN", agency="NPA", clearance="GOKUHI")
    doe = Principal.create(id="u", nation="USA", agency="DOE", clearance="SECRET")
    jpn_levels = {c.value: (c.text, c.text_ja) for c in picker_options(npa, CTX).levels}
    usa_levels = {c.value: (c.text, c.text_ja) for c in picker_options(doe, CTX).levels}
    assert jpn_levels["GOKUHI"] == ("極秘", "= USA SECRET")
    assert usa_levels["SECRET"] == ("SECRET", "= JPN 極秘 (GOKUHI)")
    for text, equivalents in [*jpn_levels.values(), *usa_levels.values()]:
        words = f"{text} {equivalents}".replace("(", " ").replace(")", " ").split()
        assert len(words) == len(set(words)), (text, equivalents)


def test_picker_refuses_a_foreign_scheme_level() -> None:
    author = Principal.create(id="a", nation="USA", agency="DOE", clearance="SECRET")
    with pytest.raises(LabelError) as err:
        label_from_form({"body_level": ["GOKUHI"]}, "body", author, CTX)
    assert err.value.field == "body_level"


def test_picker_rel_to_always_includes_the_authors_nation() -> None:
    author = Principal.create(id="a", nation="USA", agency="DOE", clearance="SECRET")
    for alone in ([], ["USA"]):  # REL TO nobody but the author is a mistake, not a label
        with pytest.raises(LabelError) as err:
            label_from_form(
                {"body_level": ["SECRET"], "body_dissem": ["relto"], "body_rel": alone},
                "body",
                author,
                CTX,
            )
        assert err.value.field == "body_rel"
    form = {"body_level": ["SECRET"], "body_dissem": ["relto"], "body_rel": ["JPN.NPA"]}
    npa = label_from_form(form, "body", author, CTX)
    assert render_banner(npa, CTX) == "SECRET//REL TO USA, JPN.NPA"
