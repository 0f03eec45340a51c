"""``nucsec library add|import|export|list|show|match|query``: the nuclear forensics library.

Entries are labelled records (:mod:`nucsec.service.library`); every command acts as a user
(``--as``) and every read goes through the reference monitor and the audit log. A match
compares a sample with the entries *that user* may read; ``query --peer`` asks a partner
node, which answers with a conclusion and per-signature verdicts only.

Examples::

    nucsec library import crm.json --as doe.analyst --label "UNCLASSIFIED" --library crm
    nucsec library list --as doe.analyst --json
    nucsec library show UCLO-1 --as doe.analyst --json
    nucsec library match sample.json --as doe.analyst --json
    nucsec library query sample.json --peer jpn --as doe.analyst --label "SECRET//REL TO USA, JPN"
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nucsec.cli._common import emit, json_option, renderings_line

if TYPE_CHECKING:
    from nucsec.service.library import EntrySummary, LibraryEntryView

__all__ = ["library_group"]


def _read_json(path: str, field: str) -> Any:
    from nucsec.errors import InputError

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field=field) from None
    except ValueError as exc:
        raise InputError(f"{path} is not JSON: {exc}", field=field) from None


def _sample(path: str) -> Any:
    from nucsec.forensics.library import sample_from_dict

    return sample_from_dict(_read_json(path, "sample"))


@click.group("library")
def library_group() -> None:
    """The nuclear forensics library: entries under labels, matching, partner queries."""


_as = click.option("--as", "as_user", required=True, help="acting user")
_library = click.option("--library", default=None, help="library name (default: all)")


@library_group.command("add")
@click.argument("path", type=click.Path(dir_okay=False))
@_as
@click.option("--label", "label_text", required=True, help="label of the entry (banner or JSON)")
@click.option("--library", default="national", show_default=True, help="library name")
@click.option("--note", default="", help="change note")
@json_option
def add_cmd(
    path: str, as_user: str, label_text: str, library: str, note: str, as_json: bool
) -> None:
    """Add one entry (its JSON: the "show" shape) under a label."""
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.library import add_entry

    data = _read_json(path, "entry")
    with node() as n:
        view = add_entry(
            n, acting(n, as_user), data, parse_label(label_text, n.ctx), library=library, note=note
        )
    emit(view, as_json, lambda v: f"{v.id}  {v.entry['id']}  {v.banner}")


@library_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@_as
@click.option("--label", "label_text", required=True, help="label of every imported entry")
@click.option("--library", default="national", show_default=True, help="library name")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default=None,
    help="file format (default: from the file name)",
)  # fmt: skip
@json_option
def import_cmd(
    path: str, as_user: str, label_text: str, library: str, fmt: str | None, as_json: bool
) -> None:
    """Import a library file (JSON or CSV): all entries or none (errors name row and field)."""
    from nucsec.cli._node import acting, node
    from nucsec.errors import InputError
    from nucsec.markings import parse_label
    from nucsec.service.library import import_entries

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field="file") from None
    fmt = fmt or ("csv" if path.lower().endswith(".csv") else "json")
    with node() as n:
        result = import_entries(
            n, acting(n, as_user), text, parse_label(label_text, n.ctx), library=library, fmt=fmt
        )
    emit(result, as_json, lambda r: f"imported {len(r.created)} entries into {r.library}")


@library_group.command("export")
@_as
@_library
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("-o", "--output", default=None, help="file to write (default: stdout)")
def export_cmd(as_user: str, library: str | None, fmt: str, output: str | None) -> None:
    """Export the entries the user may export (ORCON: its originator only)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library import export_entries

    with node() as n:
        text = export_entries(n, acting(n, as_user), library=library, fmt=fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _list(items: tuple[EntrySummary, ...]) -> str:
    lines = [
        f"{i.entry:16} {i.library:10} {i.material_type:12} {i.portion:20} {i.id}" for i in items
    ]
    return "\n".join(lines) or "(no entries)"


@library_group.command("list")
@_as
@_library
@json_option
def list_cmd(as_user: str, library: str | None, as_json: bool) -> None:
    """The entries the user may read."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library import list_entries

    with node() as n:
        items = list_entries(n, acting(n, as_user), library)
    emit(items, as_json, _list)


def _show(v: LibraryEntryView) -> str:
    e = v.entry
    lines = [
        v.banner,
        renderings_line(v.banners),
        f"{e['id']}  {e['material_type']}  ({v.library})",
    ]
    if e.get("description"):
        lines.append(e["description"])
    for s in e["signatures"]:
        value = s.get("value", f"< {s.get('below')}")
        extra = f" ± {s['u']}" if s.get("u") is not None else ""
        spread = f"  spread {s['spread']}" if s.get("spread") is not None else ""
        lines.append(f"  {s['name']:24} {value}{extra} {s.get('unit', '')}{spread}")
    lines.append(v.banner)
    return "\n".join(lines)


@library_group.command("show")
@click.argument("entry")
@_as
@json_option
def show_cmd(entry: str, as_user: str, as_json: bool) -> None:
    """One entry (entry id or record id); exit 4 if hidden or absent. ``--json`` prints the
    entry: the sample shape plus ``spread`` (record fields under ``record``)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library import get_entry

    with node() as n:
        view = get_entry(n, acting(n, as_user), entry)
    record = {k: v for k, v in view.to_json().items() if k not in ("entry", "portions")}
    emit({**view.entry, "library": view.library, "record": record}, as_json, lambda _: _show(view))


def _match_text(data: dict[str, Any]) -> str:
    lines = [f"conclusion: {data['conclusion']} ({data['entries_compared']} entries compared)"]
    for c in data["candidates"]:
        lines.append(f"  {c['verdict']:12} {c['entry']:20} score {c['score']}")
        for s in c["signatures"]:
            lines.append(f"      {s['verdict']:12} {s['name']:24} {s['reason']}")
    for x in data["excluded"]:
        lines.append(f"  excluded     {x['entry']:20} by {x['by']}: {x['reason']}")
    nxt = data.get("next_measurement")
    if nxt:
        lines.append(f"next measurement: {nxt['name']} ({nxt['reason']})")
    return "\n".join(lines)


@library_group.command("match")
@click.argument("sample_path", type=click.Path(dir_okay=False))
@_as
@_library
@click.option("--false-exclusion-rate", type=float, default=0.01, show_default=True)
@click.option("--any-material", is_flag=True, help="compare entries of every material type")
@click.option("--max-candidates", type=int, default=20, show_default=True)
@json_option
def match_cmd(
    sample_path: str,
    as_user: str,
    library: str | None,
    false_exclusion_rate: float,
    any_material: bool,
    max_candidates: int,
    as_json: bool,
) -> None:
    """Compare a sample (JSON) with the entries the user may read."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library import match_sample

    sample = _sample(sample_path)
    with node() as n:
        data = match_sample(
            n,
            acting(n, as_user),
            sample,
            library=library,
            false_exclusion_rate=false_exclusion_rate,
            same_material_type=not any_material,
            max_candidates=max_candidates,
        )
    emit(data, as_json, _match_text)


def _answer_text(data: dict[str, Any]) -> str:
    outcome = data.get("conclusion") or data["status"]
    if data.get("reason"):
        outcome += f" ({data['reason']})"
    lines = [f"{data['peer']} answers: {outcome}  (query {data['query']})"]
    lines += [f"  {s['verdict']:12} {s['name']}" for s in data.get("signatures", [])]
    lines += [f"  released entry {e['id']}" for e in data.get("released", [])]
    lines.append(f"kept as record {data['record']}  {data['banner']}")
    return "\n".join(lines)


@library_group.command("query")
@click.argument("sample_path", type=click.Path(dir_okay=False))
@click.option("--peer", "peer_name", required=True, help="the partner node to ask")
@_as
@click.option("--label", "label_text", required=True, help="label of the sample (banner or JSON)")
@click.option("--false-exclusion-rate", type=float, default=0.01, show_default=True)
@json_option
def query_cmd(
    sample_path: str,
    peer_name: str,
    as_user: str,
    label_text: str,
    false_exclusion_rate: float,
    as_json: bool,
) -> None:
    """Ask a partner's library: only the sample's signatures leave (if its label is
    releasable to the partner); the answer (conclusion and per-signature verdicts) is kept
    as a labelled record citing the query."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.library_query import query_peer
    from nucsec.markings import parse_label

    sample = _sample(sample_path)
    with node() as n:
        view = query_peer(
            n,
            acting(n, as_user),
            peer_name,
            sample,
            parse_label(label_text, n.ctx),
            false_exclusion_rate=false_exclusion_rate,
        )
    emit(_answer_data(view), as_json, _answer_text)


def _answer_data(view: Any) -> dict[str, Any]:
    """The CLI's JSON of a kept answer: ``status`` is answered, pending or refused."""
    return {
        "query": view.query["id"],
        "peer": view.query["peer"],
        "status": "answered",
        **view.answer,
        "record": view.id,
        "banner": view.banner,
    }


@library_group.command("poll")
@click.argument("record")
@_as
@json_option
def poll_cmd(record: str, as_user: str, as_json: bool) -> None:
    """Ask the partner again about a pending query (RECORD: the kept answer's record id);
    the record is updated once the partner's officer approved or refused it."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.library_query import poll_peer

    with node() as n:
        view = poll_peer(n, acting(n, as_user), record)
    emit(_answer_data(view), as_json, _answer_text)


def _queue_text(items: list[dict[str, Any]]) -> str:
    lines = [
        f"{i['state']:9} {i['query']:36} {i['peer']:8} {i['received_at'][:19]}  "
        f"{len(i['signatures'])} signatures  {i['banner']}"
        for i in items
    ]
    return "\n".join(lines) or "(no queries)"


@library_group.command("queue")
@_as
@click.option("--all", "show_all", is_flag=True, help="decided queries too")
@json_option
def queue_cmd(as_user: str, show_all: bool, as_json: bool) -> None:
    """Partners' library queries awaiting an officer's approval (setting library_approval)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library_approvals import queue, queue_item

    with node() as n:
        items = queue(n, acting(n, as_user), None if show_all else "pending")
    emit([queue_item(v) for v in items], as_json, _queue_text)


@library_group.command("approve")
@click.argument("query")
@_as
@click.option("--release", "release", default=None, help="entry id released with the answer")
@json_option
def approve_cmd(query: str, as_user: str, release: str | None, as_json: bool) -> None:
    """Approve a partner's query (QUERY: its query id or record id): the answer is
    computed now and the partner gets it when it asks again; ``--release ENTRY_ID``
    releases that one entry with it."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.library_query import approve_query
    from nucsec.service.library_approvals import queue_item

    with node() as n:
        view = approve_query(n, acting(n, as_user), query, release)
    emit(queue_item(view), as_json, lambda i: f"approved {i['query']} for {i['peer']}")


@library_group.command("refuse")
@click.argument("query")
@_as
@click.option("--reason", required=True, help="why (the partner reads it)")
@json_option
def refuse_cmd(query: str, as_user: str, reason: str, as_json: bool) -> None:
    """Refuse a partner's query with a reason."""
    from nucsec.cli._node import acting, node
    from nucsec.service.library_approvals import queue_item, refuse, resolve

    with node() as n:
        who = acting(n, as_user)
        view = refuse(n, who, resolve(n, who, query), reason)
    emit(queue_item(view), as_json, lambda i: f"refused {i['query']} for {i['peer']}")
