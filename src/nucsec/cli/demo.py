"""``nucsec demo``: the main job of ``make demo``.

Creates a fresh joint working-group node under ``$NUCSEC_HOME/demo`` (default
``./var/demo``), seeds the demo, prints the node (agencies, users, documents with banners
and who may read them) and three access decisions with their reasons, then verifies the
audit log the run produced.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

__all__ = ["demo_cmd"]


def _section(title: str) -> None:
    click.echo("")
    click.secho(title, bold=True)
    click.echo("-" * len(title))


@click.command("demo")
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="where to create the demo node (default $NUCSEC_HOME/demo)",
)
def demo_cmd(home: Path | None) -> None:
    """Create and show the demo working-group node."""
    from nucsec import settings as settings_mod
    from nucsec.demo import DEMO_PASSWORD, seed
    from nucsec.node import init_node
    from nucsec.service.documents import explain_document, list_documents
    from nucsec.service.users import list_users
    from nucsec.web.passwords import hash_password

    base = settings_mod.load()
    home = home or (base.home / "demo")
    if home.exists():
        shutil.rmtree(home)
    settings = settings_mod.load(home=home, database_url="")
    node = init_node(settings, "USA", demo=True, joint=True)
    counts = seed(node, password_hash=hash_password(DEMO_PASSWORD))
    click.echo(
        f"demo node at {home} ({node.origin}): {counts['users']} users, "
        f"{counts['documents']} documents"
    )

    _section("Agencies of the working group")
    for nation in node.ctx.nations.values():
        names = ", ".join(f"{a.code} ({a.name_en})" for a in nation.agencies)
        click.echo(f"{nation.code} {nation.name_en} / {nation.name_ja}: {names}")

    with node.engine.connect() as conn:
        users = list_users(conn)
    _section("Users (login password on this demo node: " + DEMO_PASSWORD + ")")
    for u in users:
        click.echo(
            f"{u.username:14} {u.nation}.{u.agency:5} {u.clearance:16} "
            f"{','.join(u.roles):17} {','.join(u.compartments) or '-'}"
        )

    chiefs = [u for u in users if u.username.endswith(".chief")]
    by_id: dict[str, dict[str, object]] = {}
    visible: dict[str, set[str]] = {}
    for u in users:
        page = list_documents(node, u.principal, limit=100)
        visible[u.username] = {d["id"] for d in page["items"]}
        for d in page["items"]:
            by_id[d["id"]] = d
    _section("Documents: banner, and which section chiefs may read them (the SQL twin)")
    click.echo(" " * 44 + " ".join(f"{c.agency:>4}" for c in chiefs))
    for doc_id, d in by_id.items():
        marks = " ".join(f"{'yes' if doc_id in visible[c.username] else '-':>4}" for c in chiefs)
        click.echo(f"{str(d['banner'])[:43]:43} {marks}  {str(d['title'])[:40]}")

    _section("Three access decisions, with the reference monitor's reasons")
    by_title = {str(d["title"]): doc_id for doc_id, d in by_id.items()}
    cases = [
        ("npa.analyst", "Gamma survey of seized container"),
        ("npa.analyst", "Talking points for the Seoul 2012"),
        ("dhs.analyst", "Uranium enrichment measurement"),
    ]
    users_by_name = {u.username: u for u in users}
    for username, title_start in cases:
        doc_id = next(i for t, i in by_title.items() if t.startswith(title_start))
        result = explain_document(node, users_by_name[username].principal, doc_id, actor="system")
        verdict = "ALLOWED" if result["allowed"] else "DENIED"
        click.echo(f"{username} reads '{title_start}...' [{result['banner']}]: {verdict}")
        for reason in result["reasons"]:
            click.echo(f"    {reason}")

    _section("Audit log")
    from nucsec.audit.verify import verify_log

    with node.engine.begin() as conn:
        node.audit.checkpoint(conn)
    with node.engine.connect() as conn:
        report = verify_log(conn, origin=node.origin, public_keys=[node.key.public_key()])
    state = "intact" if report.ok else f"NOT intact: {report.problems[0].message}"
    click.echo(
        f"{report.events} events, {report.checkpoints} signed checkpoints, "
        f"root {report.root_hash.hex()[:16]}...: {state}"
    )
    click.echo(f"(check it yourself: NUCSEC_HOME={home} nucsec audit verify)")
    node.close()
