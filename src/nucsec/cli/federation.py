"""``nucsec peer ...``, ``nucsec sync`` and ``nucsec release ...``: federation commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nucsec.cli._common import emit, json_option
from nucsec.errors import InputError

__all__ = ["peer_group", "release_group", "sync_cmd"]


@click.group("peer")
def peer_group() -> None:
    """Partner nodes and their pinned keys."""


@peer_group.command("add")
@click.argument("name")
@click.option("--nation", required=True, help="the partner's nation (ISO 3166 alpha-3)")
@click.option("--url", required=True, help="the partner's base URL, e.g. http://host:8812")
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="the partner's node public key (from `nucsec node public-key`)",
)
@click.option(
    "--kind",
    type=click.Choice(["nucsec", "taxii"]),
    default="nucsec",
    show_default=True,
    help="taxii: a plain TAXII 2.1 source (only TLP:CLEAR accepted, nothing sent)",
)
@click.option("--user", "basic_user", default=None, help="taxii kind: HTTP basic user")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="taxii kind: file holding the HTTP basic password",
)
@json_option
def add_cmd(
    name: str,
    nation: str,
    url: str,
    public_key: Path | None,
    kind: str,
    basic_user: str | None,
    password_file: Path | None,
    as_json: bool,
) -> None:
    """Pin a partner's key; release to it what the markings allow (backfilled now)."""
    from nucsec.audit.keys import load_public_key, public_key_pem
    from nucsec.cli._node import node
    from nucsec.federation.outbox import backfill
    from nucsec.federation.peers import add_peer

    n = node()
    key = public_key_pem(load_public_key(public_key)) if public_key else None
    with n.engine.begin() as conn:
        peer = add_peer(
            n,
            conn,
            name=name,
            nation=nation,
            url=url,
            public_key=key,
            kind=kind,
            basic_user=basic_user,
            password_file=password_file,
        )
        counts = backfill(n, conn, peer) if peer.kind == "nucsec" else {}
    n.close()
    data = {**peer.to_dict(), "released": counts}
    emit(
        data,
        as_json,
        lambda d: (
            f"peer {d['name']} ({d['nation']}) at {d['url']}: key {d['key_thumbprint']}; "
            f"released {d['released'].get('queued', 0)}, withheld {d['released'].get('denied', 0)}"
        ),
    )


@peer_group.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """Active peers."""
    from nucsec.cli._node import node
    from nucsec.federation.peers import list_peers

    n = node()
    with n.engine.connect() as conn:
        peers = [p.to_dict() for p in list_peers(conn)]
    n.close()
    emit(
        peers,
        as_json,
        lambda ps: (
            "\n".join(f"{p['name']:10} {p['nation']} {p['kind']:6} {p['url']}" for p in ps)
            or "(no peers)"
        ),
    )


@peer_group.command("remove")
@click.argument("name")
@json_option
def remove_cmd(name: str, as_json: bool) -> None:
    """Stop releasing to a peer (its outbox becomes unreadable; history is kept)."""
    from nucsec.cli._node import node
    from nucsec.federation.peers import remove_peer

    n = node()
    with n.engine.begin() as conn:
        peer = remove_peer(n, conn, name)
    n.close()
    emit({"removed": peer.name}, as_json, lambda d: f"removed peer {d['removed']}")


def _sync_line(r: dict[str, Any]) -> str:
    lines = [
        f"{r['peer']}: received {r['received']}, recalled {r['recalled']}, "
        f"unchanged {r['unchanged']}, rejected {r['rejected']} ({r['pages']} pages)"
    ]
    lines += [f"  rejected {x['id'] or '(page)'}: {x['reason']}" for x in r["rejections"]]
    if r.get("checkpoint"):
        lines.append(f"  witnessed checkpoint of size {r['checkpoint']['witnessed']}")
    if r.get("error"):
        lines.append(f"  interrupted: {r['error']}")
    return "\n".join(lines)


@click.command("sync")
@click.option("--peer", "peer_name", default=None, help="the peer to pull from (default: all)")
@click.option("--page-size", default=1000, show_default=True, type=click.IntRange(1, 1000))
@json_option
def sync_cmd(peer_name: str | None, page_size: int, as_json: bool) -> None:
    """Pull what a partner released to this node; print counts (rejections with reasons).

    Exit 0 when complete; 8 when the peer could not be reached, 5 when a page was refused
    (what arrived before is kept; run it again to resume).
    """
    from nucsec.cli._node import node
    from nucsec.errors import IntegrityError, PeerError
    from nucsec.federation.peers import list_peers
    from nucsec.federation.sync import sync_peer

    n = node()
    if peer_name is None:
        with n.engine.connect() as conn:
            names = [p.name for p in list_peers(conn)]
    else:
        names = [peer_name]
    results = [sync_peer(n, name, page_size=page_size).to_dict() for name in names]
    n.close()
    data: Any = results[0] if peer_name is not None else results
    emit(data, as_json, lambda d: "\n".join(_sync_line(r) for r in results))
    failed = [r for r in results if r["error"]]
    if failed:
        kinds = {r["peer"]: r["error"] for r in failed}
        message = "; ".join(f"{p}: {e}" for p, e in kinds.items())
        if any("refused" in e for e in kinds.values()):
            raise IntegrityError(message)
        raise PeerError(message)


@click.group("release")
def release_group() -> None:
    """Release to partners: explain, ORCON approval, recall."""


def _record_options(f: Any) -> Any:
    """``--document ID``, ``--incident ID`` or ``--analysis ID``: the record released (one
    option per federated record kind)."""
    from nucsec.service.registry import RECORD_KINDS

    for kind in reversed([k.name for k in RECORD_KINDS.federated]):
        f = click.option(f"--{kind}", f"{kind}_id", default=None, help=f"a {kind} id")(f)
    return f


def _one_record(ids: dict[str, str | None]) -> tuple[str, str]:
    """``(kind, id)`` of the one ``--<kind> ID`` option given."""
    given = [(name.removesuffix("_id"), v) for name, v in ids.items() if v is not None]
    if len(given) != 1:
        options = [f"--{name.removesuffix('_id')} ID" for name in ids]
        choices = ", ".join(options[:-1]) + f" or {options[-1]}"
        raise InputError(f"name one record: {choices}", field="record")
    return given[0]


@release_group.command("explain")
@_record_options
@click.option("--peer", "peer_name", required=True)
@json_option
def explain_cmd(peer_name: str, as_json: bool, **ids: str | None) -> None:
    """Why was this record released to the peer, or not (both checks' reasons)."""
    from nucsec.cli._node import node
    from nucsec.federation.explain import explain_release

    kind, record_id = _one_record(ids)
    with node() as n:
        result = explain_release(n, record_id, peer_name, kind=kind)

    def human(r: dict[str, Any]) -> str:
        lines = [
            f"{r['banner']}  ->  {r['peer']} ({r['nation']})",
            f"{'RELEASED' if r['allowed'] else 'NOT RELEASED'}: {r['summary']}",
            "reference monitor: " + ("allows" if r["monitor"]["allowed"] else "denies"),
        ]
        lines += [f"  {x}" for x in r["monitor"]["reasons"]]
        lines.append("boundary check: " + ("allows" if r["boundary"]["allowed"] else "denies"))
        lines += [f"  {x}" for x in r["boundary"]["reasons"]]
        for s in r["outbox"]:
            state = "revocation" if s["revocation"] else f"v{s['version']}"
            ack = f", acknowledged {s['acknowledged_at']}" if s["acknowledged_at"] else ""
            lines.append(f"  outbox: {state} queued {s['queued']}{ack}")
        return "\n".join(lines)

    emit(result, as_json, human)


@release_group.command("approve")
@_record_options
@click.option("--peer", "peer_name", required=True)
@click.option("--as", "as_user", required=True, help="a user of the originator agency")
@json_option
def approve_cmd(peer_name: str, as_user: str, as_json: bool, **ids: str | None) -> None:
    """Originator approval to release an ORCON record to a peer's nation."""
    from nucsec.cli._node import acting, node
    from nucsec.federation.outbox import approve_orcon

    kind, record_id = _one_record(ids)
    with node() as n:
        principal = acting(n, as_user)
        with n.engine.begin() as conn:
            result = approve_orcon(n, conn, principal, kind, record_id, peer_name)
    emit(result, as_json, lambda r: f"approved for {r['nation']} ({r['peer']}): {r['outcome']}")


@release_group.command("recall")
@click.option("--document", "doc_id", default=None, help="the document to recall")
@click.option("--incident", "incident_id", default=None, help="or the incident to recall")
@click.option("--as", "as_user", required=True, help="the originator agency or a security officer")
@json_option
def recall_cmd(doc_id: str | None, incident_id: str | None, as_user: str, as_json: bool) -> None:
    """Recall a document or an incident: hidden from every user here, and from partners'
    users (an incident leaves the statistics on both sides)."""
    from nucsec.cli._node import acting, node
    from nucsec.service.documents import recall_document
    from nucsec.service.incidents import recall_incident
    from nucsec.service.views import RecordView

    if (doc_id is None) == (incident_id is None):
        raise InputError("name one record: --document ID or --incident ID", field="record")
    with node() as n:
        principal = acting(n, as_user)
        result: RecordView
        if doc_id is not None:
            result = recall_document(n, principal, doc_id)
        else:
            result = recall_incident(n, principal, str(incident_id))
    emit(result, as_json, lambda r: f"recalled {r.id} (version {r.version})")
