"""The interface in Japanese and English: catalogues complete, templates marked, languages
chosen per user and switchable.

A string a reader sees that is not marked for translation, or marked but not translated,
fails here: (a) extraction with the project's own ``babel.cfg`` finds every marked string
and each must have a checked Japanese translation; (b) Jinja's lexer finds every run of
words in a template outside ``_()``/``{% trans %}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from nucsec.node import Node
from nucsec.web import i18n
from nucsec.web.views import TEMPLATES, make_templates
from tests.web.conftest import (
    TestClient,
    client_of,
    fresh_db_url,
    make_demo_node,
    sign_in,
)
from tests.web.template_text import pieces

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "nucsec" / "web"
JA_PO = WEB / "locale" / "ja" / "LC_MESSAGES" / "messages.po"

#: words that stay as written in every language: the product's name, marking words (data,
#: shown in the viewer's scheme by the banner code, never translated), units and formats
ALLOWED_WORDS = frozenset(
    {
        "nucsec",  # the product's name
        "REL", "TO", "NOFORN", "ORCON",  # marking words (CAPCO/agreement syntax)
        "keV", "MeV", "Bq", "kBq", "MBq", "UTC",  # units and the time zone
        "CSV", "JSON", "PDF", "STIX", "TAXII", "API", "ID", "URL", "PNG", "SVG",  # formats
        "JPN", "USA", "IAEA", "ITDB",  # nation codes and bodies' acronyms
    }
)  # fmt: skip


# -- (a) every marked string has a Japanese translation -------------------------------------
def _extracted() -> dict[str | tuple[str, ...], list[str]]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map
    ):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def test_every_marked_string_has_a_checked_japanese_translation() -> None:
    with JA_PO.open("rb") as po:
        catalogue = read_po(po, locale="ja")
    extracted = _extracted()
    assert len(extracted) > 300  # the extraction saw the templates and the pages
    problems = []
    for msgid, where in extracted.items():
        entry = catalogue.get(msgid if isinstance(msgid, str) else msgid[0])
        strings = (
            []
            if entry is None
            else [entry.string]
            if isinstance(entry.string, str)
            else list(entry.string)
        )
        if entry is None:
            problems.append(f"{where[0]}: not in ja messages.po (run `make messages`): {msgid!r}")
        elif not all(strings) or entry.fuzzy:
            problems.append(f"{where[0]}: untranslated or fuzzy in ja: {msgid!r}")
    assert not problems, "\n".join(problems)


def test_translations_keep_their_placeholders() -> None:
    """A translation that drops or renames ``%(name)s`` would raise or lose a value."""
    with JA_PO.open("rb") as po:
        catalogue = read_po(po, locale="ja")
    wrong = []
    for entry in catalogue:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for s in strings:
            if set(re.findall(r"%\(\w+\)s", s)) != wanted:
                wrong.append(f"{entry.id!r} -> {s!r}")
    assert not wrong, "\n".join(wrong)


# -- (b) no words in a template outside _() / {% trans %} ------------------------------------
def _unmarked() -> Iterator[str]:
    env = make_templates().env
    for path in sorted(TEMPLATES.glob("**/*.html")):
        for piece in pieces(env, path.read_text(encoding="utf-8")):
            words = re.findall(r"[A-Za-z]+", piece.text)
            if any(w not in ALLOWED_WORDS for w in words):
                yield f"{path.name}:{piece.line}: {piece.text.strip()!r}"


def test_templates_have_no_words_outside_translation_markers() -> None:
    unmarked = list(_unmarked())
    assert not unmarked, "words not marked for translation:\n" + "\n".join(unmarked)


def test_the_lint_finds_unmarked_words() -> None:
    """The lint itself: text and visible attributes are found; markers, code and
    attributes a reader never sees are not."""
    env = make_templates().env
    source = (
        '<p title="Hover text">Plain words {{ _("Marked") }} <code>make demo</code>'
        ' <a href="/x" class="button">{% trans %}In a block{% endtrans %}</a></p>\n'
        "<script>const words = 1;</script>{# a comment #}\n<b>Line two</b>"
    )
    found = [(p.line, p.text.strip()) for p in pieces(env, source) if p.text.strip()]
    assert found == [(1, "Hover text"), (1, "Plain words"), (3, "Line two")]


# -- (c) per user, switchable, persisted -------------------------------------------------
@pytest.fixture(scope="module")
def native_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A demo node whose users have not chosen a language (their nation's default)."""
    home = tmp_path_factory.mktemp("lang")
    with fresh_db_url(home) as url:
        node = make_demo_node(home / "home", url, interface_language=None)
        yield node
        node.close()


MAIN_PAGES = (
    "/",
    "/documents",
    "/documents/new",
    "/incidents",
    "/incidents/trends",
    "/spectra",
    "/age",
    "/analyses",
    "/cases",
    "/practices",
    "/facilities",
    "/account",
)
#: (English, Japanese) nav words that every signed-in page carries
NAV = (("Documents", "文書"), ("Incidents", "事案"), ("Sign out", "サインアウト"))


def _lang(html: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', html)
    assert found, "page has no <html lang>"
    return found.group(1)


def _nav(html: str) -> str:
    found = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>.*?</header>', html, re.S)
    assert found, "page has no main nav"
    return found.group(0)


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_a_japanese_user_gets_japanese_pages_and_an_american_english(
    native_node: Node, path: str
) -> None:
    ja, en = client_of(native_node), client_of(native_node)
    sign_in(ja, "npa.analyst")
    sign_in(en, "dhs.analyst")
    ja_page, en_page = ja.get(path), en.get(path)
    assert ja_page.status_code == en_page.status_code == 200
    assert _lang(ja_page.text) == "ja" and _lang(en_page.text) == "en"
    for english, japanese in NAV:
        assert f">{japanese}<" in _nav(ja_page.text) and f">{english}<" not in _nav(ja_page.text)
        assert f">{english}<" in _nav(en_page.text) and f">{japanese}<" not in _nav(en_page.text)


def test_the_switch_changes_and_persists_the_language(native_node: Node) -> None:
    client = client_of(native_node)
    csrf = sign_in(client, "mext.analyst")
    assert _lang(client.get("/documents").text) == "ja"
    response = client.post(
        "/language",
        data={"language": "en", "csrf_token": csrf, "next": "/documents?q=x"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/documents?q=x"
    assert _lang(client.get("/documents").text) == "en"
    # stored on the user: a new browser, signed in afresh, keeps it
    other = client_of(native_node)
    sign_in(other, "mext.analyst")
    page = other.get("/documents").text
    assert _lang(page) == "en" and ">Documents<" in page
    # and back
    client.post("/language", data={"language": "ja", "csrf_token": csrf, "next": "/"})
    assert _lang(other.get("/").text) == "ja"


def test_the_switch_needs_the_anti_forgery_token_and_a_known_language(
    native_node: Node,
) -> None:
    client = client_of(native_node)
    csrf = sign_in(client, "nisa.chief")
    forged = client.post("/language", data={"language": "en", "next": "/"})
    assert forged.status_code == 403
    unknown = client.post("/language", data={"language": "fr", "csrf_token": csrf})
    assert unknown.status_code == 422
    assert _lang(client.get("/").text) == "ja"  # unchanged


def test_the_sign_in_page_follows_the_cookie_then_accept_language(native_node: Node) -> None:
    client = client_of(native_node)
    assert _lang(client.get("/login").text) == "en"
    page = client.get("/login", headers={"Accept-Language": "ja,en-US;q=0.8"}).text
    assert _lang(page) == "ja" and "サインイン" in page
    page = client.get("/login", headers={"Accept-Language": "fr, en;q=0.5, ja;q=0.4"}).text
    assert _lang(page) == "en"
    switched = client.post("/language", data={"language": "ja", "next": "/login"})
    assert switched.status_code == 200 and _lang(switched.text) == "ja"
    assert _lang(client.get("/login", headers={"Accept-Language": "en"}).text) == "ja"


def test_errors_come_in_the_readers_language(native_node: Node) -> None:
    ja: TestClient = client_of(native_node)
    sign_in(ja, "npa.chief")
    page = ja.get("/documents/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404
    assert "<h1>見つかりません</h1>" in page.text
    wrong = client_of(native_node).post(
        "/login",
        data={"username": "npa.chief", "password": "wrong", "login_token": "x"},
        headers={"Accept-Language": "ja"},
    )
    assert wrong.status_code == 403  # no sign-in cookie: the anti-forgery check refuses
    assert "許可されていません" in wrong.text


def test_plural_forms_and_dates_follow_the_language(native_node: Node) -> None:
    ja, en = client_of(native_node), client_of(native_node)
    sign_in(ja, "mofa.chief")
    sign_in(en, "dos.chief")
    ja_page, en_page = ja.get("/documents").text, en.get("/documents").text
    assert re.search(r"閲覧できる文書は \d+ 件です。", ja_page)
    assert re.search(r"\d+ documents? that you may read\.", en_page)
    # dates for people in the reader's locale, ISO kept for machines
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+Z">\d{4}年\d{1,2}月\d{1,2}日 ', ja_page)
    assert re.search(r'<time datetime="[^"]+Z">[A-Z][a-z]{2} \d{1,2}, \d{4} ', en_page)


def test_concurrent_renders_do_not_mix_languages(native_node: Node) -> None:
    """One shared template environment serves both languages at once."""
    from concurrent.futures import ThreadPoolExecutor

    ja, en = client_of(native_node), client_of(native_node)
    sign_in(ja, "mext.chief")
    sign_in(en, "doe.analyst")

    def fetch(i: int) -> tuple[str, str]:
        client, want = (ja, "ja") if i % 2 else (en, "en")
        page = client.get("/incidents").text
        return want, _lang(page) + ("文書" if "文書" in _nav(page) else "Documents")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(fetch, range(16)))
    assert all(got == {"ja": "ja文書", "en": "enDocuments"}[want] for want, got in results)


def test_the_language_of_a_user() -> None:
    assert i18n.language_of_user("JPN", None) == "ja"
    assert i18n.language_of_user("USA", None) == "en"
    assert i18n.language_of_user("JPN", "en") == "en"
    assert i18n.language_of_user("USA", "xx") == "en"
    assert i18n.catalogue("ja").gettext("Documents") == "文書"
    assert i18n.catalogue("en").gettext("Documents") == "Documents"


def test_sign_in_errors_and_the_wait_in_japanese(native_node: Node) -> None:
    """The wrong-password message and the throttle's wait ("約15分") in Japanese."""
    from nucsec.web.auth import MAX_USER_FAILURES

    client = client_of(native_node)
    client.cookies.set("nucsec_lang", "ja")

    def attempt(password: str) -> str:
        client.get("/login")
        return client.post(
            "/login",
            data={
                "username": "jpn.auditor",
                "password": password,
                "login_token": client.cookies.get("nucsec_login") or "",
            },
            follow_redirects=False,
        ).text

    t0 = native_node.clock()
    clock = native_node.clock
    native_node.clock = lambda: t0  # type: ignore[method-assign]
    try:
        assert "ユーザー名またはパスワードが正しくありません" in attempt("guess")
        for _ in range(MAX_USER_FAILURES - 1):
            attempt("guess")
        assert "サインインの失敗が多すぎます。約15分後に再度お試しください" in attempt("guess")
    finally:
        native_node.clock = clock  # type: ignore[method-assign]
