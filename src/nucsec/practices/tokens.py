"""Search tokens for Japanese and English text, the same on SQLite FTS5 and PostgreSQL.

Neither engine splits Japanese into words: FTS5's ``unicode61`` tokenizer and
PostgreSQL's ``simple`` parser take a run of kanji and kana as one token, so 核物質 would
not be found inside 核物質防護. We therefore index **tokens we make ourselves** and hand
both engines a string of space-separated tokens:

- text is NFKC-normalised (full-width letters and digits become ASCII) and lower-cased;
- a run of Latin letters and digits is one token (``insider``);
- a run of Japanese characters (kanji, hiragana, katakana) becomes its overlapping
  bigrams (核物質防護 -> 核物 物質 質防 防護); a run of one character is that character.

A query is tokenised the same way: each Latin word matches as a prefix (``insider``
finds *insiders*), each Japanese run as a phrase of its bigrams (adjacent, in order), and
every term must match (AND). :func:`fts5_query` and :func:`tsquery` write the same query
for each engine; tokens contain only letters and digits, so quoting is all the escaping
they need. A single-kanji query matches a run that begins or is that kanji (a bigram
prefix), not one where it is last: a known limit of bigram indexing.

>>> search_tokens("Insider threat: 核物質防護の強化")
'insider threat 核物 物質 質防 防護 護の の強 強化'
>>> fts5_query("insiders 核物質")
'"insiders"* AND "核物 物質"'
>>> tsquery("insiders 核物質")
"'insiders':* & ('核物' <-> '物質')"
>>> query_terms("!!!")
()
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["QueryTerm", "fts5_query", "query_terms", "search_tokens", "tsquery"]

# kanji (CJK unified ideographs and extension A, compatibility), hiragana, katakana,
# the prolonged-sound mark and iteration marks
_CJK = "\u3005\u3006\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
#: longest query accepted (characters): a query is a few words, not a document
MAX_QUERY = 200
#: most terms a query keeps (the rest are ignored)
MAX_TERMS = 12


@dataclass(frozen=True)
class QueryTerm:
    """One query term: a Latin word (matched as a prefix) or a Japanese run (a phrase)."""

    tokens: tuple[str, ...]
    japanese: bool


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _runs(text: str) -> list[tuple[str, bool]]:
    normal = unicodedata.normalize("NFKC", text).lower()
    return [(m[1], True) if m[1] else (m[2], False) for m in _RUN.finditer(normal)]


def search_tokens(text: str) -> str:
    """The indexed form of ``text``: its tokens, space-separated (see the module)."""
    out: list[str] = []
    for run, japanese in _runs(text):
        out.extend(_bigrams(run) if japanese else [run])
    return " ".join(out)


def query_terms(query: str) -> tuple[QueryTerm, ...]:
    """The terms of a query (at most :data:`MAX_TERMS`; empty when it has no word)."""
    terms = [
        QueryTerm(tuple(_bigrams(run)) if japanese else (run,), japanese)
        for run, japanese in _runs(query[:MAX_QUERY])
    ]
    return tuple(terms[:MAX_TERMS])


def fts5_query(query: str) -> str:
    """An FTS5 MATCH expression for ``query`` (empty string: nothing to search)."""
    parts = []
    for term in query_terms(query):
        if term.japanese and len(term.tokens[0]) > 1:
            parts.append('"' + " ".join(term.tokens) + '"')
        else:
            parts.append(f'"{term.tokens[0]}"*')
    return " AND ".join(parts)


def tsquery(query: str) -> str:
    """A PostgreSQL ``to_tsquery('simple', ...)`` expression for ``query`` (empty string:
    nothing to search)."""
    parts = []
    for term in query_terms(query):
        if term.japanese and len(term.tokens[0]) > 1:
            phrase = " <-> ".join(f"'{t}'" for t in term.tokens)
            parts.append(f"({phrase})" if len(term.tokens) > 1 else phrase)
        else:
            parts.append(f"'{term.tokens[0]}':*")
    return " & ".join(parts)
