"""``nucsec demo``: the main job of ``make demo``.

Creates two national nodes under ``$NUCSEC_HOME/demo`` (default ``./var/demo``): USA and
JPN, each with its own database and key, seeded with its nation's agencies, users,
documents and incidents, peered with the other's pinned public key, served on localhost
and synced both ways. It then shows what the working group's platform does — documents
and who may read them on each node, what crossed to the partner, three access decisions
with the reference monitor's reasons, the verified audit logs — prints both URLs and the
demo logins, and serves until interrupted (``--no-serve`` stops after the showing).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nucsec.service.views import RecordSummary

__all__ = ["demo_cmd"]


def _section(title: str) -> None:
    click.echo("")
    click.secho(title, bold=True)
    click.echo("-" * len(title))


def _documents(node: Any) -> None:
    """Each document on the node, its banner, origin and which chiefs may read it."""
    from nucsec.service.documents import list_documents
    from nucsec.service.users import list_users

    with node.engine.connect() as conn:
        chiefs = [u for u in list_users(conn) if u.username.endswith(".chief")]
    seen: dict[str, RecordSummary] = {}
    readable: dict[str, set[str]] = {}
    for chief in chiefs:
        items = list_documents(node, chief.principal, limit=200).items
        readable[chief.username] = {d.id for d in items}
        seen.update({d.id: d for d in items})
    click.echo(f"{'banner':40} {'from':5} " + " ".join(f"{c.agency:>4}" for c in chiefs))
    for doc_id, d in seen.items():
        marks = " ".join(f"{'yes' if doc_id in readable[c.username] else '-':>4}" for c in chiefs)
        click.echo(f"{d.banner[:40]:40} {d.origin or 'here':5} {marks}  {d.title[:38]}")


def _decisions(nodes: dict[str, Any]) -> None:
    from nucsec.federation.explain import explain_release
    from nucsec.service.documents import explain_document, list_documents
    from nucsec.service.users import principal_of

    usa, jpn = nodes["usa"], nodes["jpn"]

    def find(node: Any, user: str, title: str) -> str:
        items = list_documents(node, principal_of(node, user), query=title, limit=5).items
        return items[0].id

    npa = principal_of(jpn, "npa.analyst")
    survey = find(jpn, "npa.analyst", "Gamma survey of seized container")
    r = explain_document(jpn, npa, survey, actor="system")
    click.echo(
        f"1. On the JPN node, npa.analyst reads the US survey [{r.banner}]: "
        + ("ALLOWED" if r.allowed else "DENIED")
    )
    for reason in r.reasons:
        click.echo(f"     {reason}")
    talking = find(usa, "dos.chief", "Talking points for the Seoul 2012")
    e = explain_release(usa, talking, "jpn", actor="system")
    click.echo(
        f"2. The USA node releases the Seoul talking points [{e['banner']}] to JPN: "
        + ("RELEASED" if e["allowed"] else "NOT RELEASED")
    )
    for reason in e["monitor"]["reasons"]:
        click.echo(f"     {reason}")
    uranium = find(usa, "doe.analyst", "Uranium enrichment measurement")
    r = explain_document(usa, principal_of(usa, "dhs.analyst"), uranium, actor="system")
    click.echo(
        f"3. On the USA node, dhs.analyst reads the enrichment result [{r.banner}]: "
        + ("ALLOWED" if r.allowed else "DENIED")
    )
    for reason in r.reasons:
        click.echo(f"     {reason}")


def _audit(name: str, node: Any) -> None:
    from nucsec.audit.verify import verify_log

    with node.engine.begin() as conn:
        node.audit.checkpoint(conn)
    with node.engine.connect() as conn:
        report = verify_log(conn, origin=node.origin, public_keys=[node.key.public_key()])
    state = "intact" if report.ok else f"NOT intact: {report.problems[0].message}"
    click.echo(
        f"{name}: {report.events} events, {report.checkpoints} signed checkpoints, "
        f"root {report.root_hash.hex()[:16]}...: {state}"
    )


def _cases(node: Any, out: Path) -> None:
    """The node's forensic cases and their staged reports, written as PDF files for a
    home reader (and the latest as the version released to the partner, NOFORN left
    out)."""
    from nucsec.federation.peers import peer_principal
    from nucsec.service.case_reports import render_report
    from nucsec.service.cases import get_case, list_cases
    from nucsec.service.users import principal_of

    chief = principal_of(node, "doe.chief")
    partner = peer_principal(node, "JPN", "jpn")
    out.mkdir(parents=True, exist_ok=True)
    for item in list_cases(node, chief):
        view = get_case(node, chief, item.id)
        click.echo(f"{item.portion} {item.title} (stage {item.stage})")
        for i, r in enumerate(view.reports):
            last = i == len(view.reports) - 1
            for who, peer in (("home", None), ("released-jpn", partner))[: 2 if last else 1]:
                path = out / f"case-{r['stage']}-{who}.pdf"
                pdf = render_report(node, chief, item.id, "pdf", stage=r["stage"], partner=peer)
                path.write_bytes(pdf)
                click.echo(f"  {r['stage']:12} report sha256 {r['sha256'][:16]}... -> {path}")


@click.command("demo")
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="where to create the demo nodes (default $NUCSEC_HOME/demo)",
)
@click.option(
    "--ports", default="8811,8812", show_default=True, help="ports of the USA and JPN nodes"
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="keep serving the two nodes after the showing",
)
def demo_cmd(home: Path | None, ports: str, serve: bool) -> None:
    """Two federated national nodes (USA, JPN) with the demo working group."""
    from nucsec import settings
    from nucsec.assembly import open_node
    from nucsec.cli.demo_pair import start_pair

    try:
        port_pair = tuple(int(p) for p in ports.split(","))
    except ValueError:
        port_pair = ()
    if len(port_pair) != 2:
        raise click.BadParameter("two ports, e.g. 8811,8812", param_hint="--ports")
    base = home or (settings.load().home / "demo")
    base.mkdir(parents=True, exist_ok=True)
    click.echo(f"creating the USA and JPN nodes in {base} ...")
    procs = start_pair(base, (port_pair[0], port_pair[1]), echo=click.echo)
    try:
        nodes = {
            n: open_node(settings.load(env={}, home=base / n, database_url=""))
            for n in ("usa", "jpn")
        }
        _section("Agencies of the working group")
        ctx = nodes["usa"].ctx
        for nation in ctx.nations.values():
            names = ", ".join(f"{a.code} ({a.name_en})" for a in nation.agencies)
            click.echo(f"{nation.code} {nation.name_en} / {nation.name_ja}: {names}")
        for node in nodes.values():
            _section(f"Documents on the {node.nation} node, and which section chiefs may read them")
            _documents(node)
        _section("Forensic case on the USA node: staged reports (home and released to JPN)")
        _cases(nodes["usa"], base / "reports")
        _section("Three access decisions, with the reference monitor's reasons")
        _decisions(nodes)
        _section("Best practices and facility self-assessment")
        from nucsec.cli.demo_practices import show_practices

        show_practices(nodes, base)
        _section("Audit logs")
        for name, node in nodes.items():
            _audit(name, node)
        for node in nodes.values():
            node.close()
        if serve:
            click.echo("\nServing both nodes; press Ctrl-C to stop.")
            while all(p.poll() is None for p in procs):
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
