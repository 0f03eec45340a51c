"""Dependencies point one way: the import graph against ``docs/architecture.md``.

The table "Allowed dependency directions" of ``docs/architecture.md`` lists the layers,
top to bottom, and the modules of each. A module may import modules of its own layer and
of the layers below it, never of a layer above; and the graph has no cycle. A new arrow
against the table, a new cycle, or a module the table does not place fails here, naming
it (see :mod:`tests.architecture.imports` for what counts as an import).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.architecture.imports import cycles, graph, modules

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
HEADING = "## Allowed dependency directions"


def layers() -> list[tuple[str, tuple[str, ...]]]:
    """``(layer, module prefixes)`` rows of the table, top layer first."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(HEADING) :].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not line.startswith("|") or set(cells[1]) <= {"-"}:
            continue
        names = tuple(re.findall(r"`(nucsec[\w.]*)`", cells[1]))
        if names:
            rows.append((cells[0], names))
    return rows


def layer_of(module: str, rows: list[tuple[str, tuple[str, ...]]]) -> int | None:
    """The index of the row placing ``module`` (longest prefix; ``nucsec`` alone is the
    package itself), or None."""
    best: tuple[int, int] | None = None
    for i, (_, names) in enumerate(rows):
        for name in names:
            inside = module.startswith(name + ".") and name != "nucsec"
            if (module == name or inside) and (best is None or len(name) > best[1]):
                best = (i, len(name))
    return best[0] if best else None


def test_the_table_places_every_module() -> None:
    rows = layers()
    assert len(rows) >= 10, "the table of allowed dependency directions was not found"
    unplaced = [m for m in modules() if layer_of(m, rows) is None]
    assert unplaced == [], f"place these modules in {DOC.name}, {HEADING!r}: {unplaced}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    rows = layers()
    upward = []
    for module, targets in sorted(graph().items()):
        mine = layer_of(module, rows)
        for target in sorted(targets):
            theirs = layer_of(target, rows)
            if mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{module} ({rows[mine][0]}) -> {target} ({rows[theirs][0]})")
    assert upward == [], "imports against the allowed directions:\n" + "\n".join(upward)


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_the_checks_see_what_they_check() -> None:
    """The reader finds lazy imports and skips type-only ones (else the tests above
    could pass on a graph with no arrows)."""
    edges = graph()
    assert "nucsec.service.labelled" in edges["nucsec.service.documents"]
    assert "nucsec.federation.outbox" in edges["nucsec.assembly"]  # inside a function
    assert not any(t.startswith("nucsec.service") for t in edges["nucsec.node"])  # type-only
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
