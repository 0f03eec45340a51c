"""Review round 2: stored labels that no longer parse after the marking data changes.

The equivalence table is data (``markings_dir``; "the real table of the working group's
agreement ... replaces this file"). The reference monitor recompiles a stored label
against the current tables and denies it when it no longer means anything
(``unknown_marking``: fail closed), but the SQL twin filters on the rank, basis and flags
*stored when the label was interned*. After a level loses its equivalent, a record under
it is still counted by ``policy.sql`` (counts, statistics) while ``decide`` refuses it, and
the listing that then tries to render its banner raises ``LabelError`` for every reader
whose clearance covers the stale rank (one stale record breaks the whole list).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from nucsec import settings
from nucsec.assembly import open_node
from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.documents import (
    DocumentInput,
    count_documents,
    create_document,
    get_document,
    list_documents,
)
from nucsec.service.users import principal_of

CUI_ROW = '[[rank]]\nUSA = "CUI"\nJPN = "TORIATSUKAI CHUI"\n\n'


def _without_cui(directory: Path) -> Path:
    """A copy of the shipped marking data whose agreement has no CUI row."""
    target = directory / "markings"
    shutil.copytree(Path(str(resources.files("nucsec.data").joinpath("markings"))), target)
    agreement = target / "agreements" / "nswg-demo.toml"
    text = agreement.read_text(encoding="utf-8")
    if CUI_ROW not in text:  # pragma: no cover - the shipped table changed
        pytest.fail("the shipped agreement has no CUI row to remove")
    agreement.write_text(text.replace(CUI_ROW, ""), encoding="utf-8")
    return target


@pytest.fixture
def reopened(node_factory: Callable[..., Any], tmp_path: Path) -> Any:
    """(node reopened with the changed tables, id of a CUI document made before)."""
    node: Node = node_factory("USA", name="stale")
    label = parse_banner("CUI", node.ctx)
    doc = create_document(
        node,
        principal_of(node, "doe.analyst"),
        DocumentInput("Stalecanary title", "body", label, label),
    )
    url = node.settings.db_url
    node.close()
    again = open_node(
        settings.load(
            home=tmp_path / "stale", database_url=url, markings_dir=str(_without_cui(tmp_path))
        )
    )
    yield again, doc["id"]
    again.close()


def test_stale_label_is_denied_by_the_monitor(reopened: Any) -> None:
    """Passing baseline: the monitor fails closed on the record whose level lost its rank."""
    node, doc_id = reopened
    with pytest.raises(NotFoundError):
        get_document(node, principal_of(node, "dhs.analyst"), doc_id)


def test_finding_stale_label_is_still_counted_by_the_sql_twin(reopened: Any) -> None:
    """``count_documents`` (the SQL twin) still counts the record ``decide`` refuses.
    Expected: 0, as for any record the monitor denies."""
    node, _ = reopened
    assert count_documents(node, principal_of(node, "dhs.analyst"), "stalecanary") == 0


def test_finding_stale_label_breaks_the_listing(reopened: Any) -> None:
    """Listing documents raises ``LabelError`` (the stale label's banner cannot be
    rendered) instead of leaving the record out. Expected: a list without it."""
    node, _ = reopened
    page = list_documents(node, principal_of(node, "dhs.analyst"), query="stalecanary")
    assert page["items"] == []
