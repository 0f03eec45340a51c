"""``nucsec categorize source|material``: IAEA categories without a node.

Examples::

    nucsec categorize source --item Co-60:555TBq --json
    nucsec categorize source --item Cs-137:0.19TBq --item Cs-137:0.19TBq --date 2010-11-08
    nucsec categorize source --item Co-60:555TBq@2000-01-01 --date 2010-11-08
    nucsec categorize material --material U --mass-g 1500 --enrichment-pct 93 --json
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nucsec.service.views import IncidentView

from nucsec.cli._common import emit, json_option, renderings_line

__all__ = ["categorize_group"]


@click.group("categorize")
def categorize_group() -> None:
    """IAEA source category (A/D) and INFCIRC/225/Rev.5 nuclear material category."""


def _human_source(data: dict[str, Any]) -> str:
    lines = [
        f"{i['nuclide']:>10}  {i['activity_at_date_tbq']:.4g} TBq  D={i['d_value_tbq']}  "
        f"A/D={'unknown' if i['a_over_d'] is None else format(i['a_over_d'], '.4g')}"
        for i in data["items"]
    ]
    total = data["sum_a_over_d"]
    lines.append(f"sum A/D: {'unknown' if total is None else format(total, '.4g')}")
    lines.append(f"category: {data['category'] if data['category'] is not None else 'unknown'}")
    return "\n".join(lines + [f"  - {r}" for r in data["reasons"]])


@categorize_group.command("source")
@click.option(
    "--item",
    "items",
    multiple=True,
    required=True,
    help="NUCLIDE:ACTIVITY[@REFERENCE_DATE], e.g. Co-60:555TBq or Cs-137:5Ci@2001-06-01 "
    "(units TBq, GBq, MBq, kBq, Bq, Ci, mCi, ...); repeat for sources held together",
)
@click.option("--date", "on_date", default=None, help="date to categorise on (YYYY-MM-DD)")
@json_option
def source_cmd(items: tuple[str, ...], on_date: str | None, as_json: bool) -> None:
    """Source category 1-5 from the sum of A/D over the items held together."""
    from nucsec.incidents.categorize import categorize_sources
    from nucsec.incidents.convert import parse_date, source_from_spec

    sources = [source_from_spec(spec, field=f"items[{i}]") for i, spec in enumerate(items)]
    result = categorize_sources(sources, on_date=parse_date(on_date, "date"))
    emit(result.to_dict(), as_json, _human_source)


def _human_material(data: dict[str, Any]) -> str:
    if data["category"] is not None:
        head = f"Category {data['category']}"
    else:
        head = "below Category III" if data["below_category_iii"] else "category unknown"
    fissile = data["fissile_mass_g"]
    lines = [head, f"fissile mass: {'unknown' if fissile is None else format(fissile, '.6g')} g"]
    lines.append(f"weapons-usable: {'yes' if data['weapons_usable'] else 'no'}")
    return "\n".join(lines + [f"  - {r}" for r in data["reasons"]])


@categorize_group.command("material")
@click.option("--material", required=True, help="U, Pu, U-233 or Th")
@click.option("--mass-g", type=float, required=True, help="mass of the element (of U-233), g")
@click.option("--enrichment-pct", type=float, default=None, help="uranium: U-235, mass %")
@click.option("--pu238-pct", type=float, default=None, help="plutonium: Pu-238, mass %")
@click.option(
    "--mass-unc-g", type=float, default=None, help="standard uncertainty of the mass (k=1)"
)
@click.option(
    "--enrichment-unc-pct", type=float, default=None, help="standard unc. of enrichment (k=1)"
)
@click.option("--irradiated", is_flag=True, help="irradiated, above 1 Gy/h at 1 m unshielded")
@json_option
def material_cmd(
    material: str,
    mass_g: float,
    enrichment_pct: float | None,
    pu238_pct: float | None,
    mass_unc_g: float | None,
    enrichment_unc_pct: float | None,
    irradiated: bool,
    as_json: bool,
) -> None:
    """INFCIRC/225/Rev.5 category I, II, III (or below III) and the weapons-usable flag."""
    from nucsec.incidents.items import MaterialItem
    from nucsec.incidents.material import categorize_material

    item = MaterialItem(
        material,
        mass_g,
        mass_unc_g=mass_unc_g,
        enrichment_pct=enrichment_pct,
        enrichment_unc_pct=enrichment_unc_pct,
        pu_isotopics_pct=(("Pu-238", pu238_pct),) if pu238_pct is not None else (),
        irradiated=irradiated,
    )
    emit(categorize_material(item).to_dict(), as_json, _human_material)


# ``incident_group`` (nucsec incident add|list|show|import|export|stats) joins this module
# once the store is in place; it uses nucsec.incidents.csvio and nucsec.incidents.stats.


# -- the register: nucsec incident add|list|show|import|export|stats ---------------------


@click.group("incident")
def incident_group() -> None:
    """The illicit-trafficking incident register (labelled, versioned incidents)."""


def _today() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC).date()


@incident_group.command("add")
@click.option("--as", "as_user", required=True, help="acting user")
@click.option(
    "--label", "label_text", required=True, help="label of the incident's facts (banner or JSON)"
)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="the incident as a JSON record (see docs/incidents.md)",
)
@click.option("--reference", default=None)
@click.option("--report-date", default=None, help="ISO date")
@click.option("--incident-date", default=None, help="ISO date")
@click.option("--country", default=None, help="ISO 3166 alpha-2 or alpha-3")
@click.option("--type", "incident_type", default=None, help="incident type (code or name)")
@click.option("--group", "itdb_group", default=None, help="ITDB group I, II or III")
@click.option("--detection", "detection_mode", default="unknown", show_default=True)
@click.option("--place", default="")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="radioactive source NUCLIDE:ACTIVITY[@DATE], e.g. Co-60:555TBq",
)
@click.option("--narrative", "narratives", multiple=True, help="a narrative paragraph")
@click.option(
    "--narrative-label", default=None, help="label of the narrative paragraphs (default: --label)"
)
@json_option
def add_cmd(
    as_user: str,
    label_text: str,
    path: str | None,
    reference: str | None,
    report_date: str | None,
    incident_date: str | None,
    country: str | None,
    incident_type: str | None,
    itdb_group: str | None,
    detection_mode: str,
    place: str,
    sources: tuple[str, ...],
    narratives: tuple[str, ...],
    narrative_label: str | None,
    as_json: bool,
) -> None:
    """Record an incident (from --file, or from the options)."""
    import json
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.errors import InputError
    from nucsec.incidents.convert import item_to_record, source_from_spec
    from nucsec.markings import parse_label
    from nucsec.service.incidents import add_incident, parse_incident

    if path:
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not JSON: {exc.msg}", field="file") from exc
    else:
        record = {
            "reference": reference,
            "report_date": report_date,
            "incident_date": incident_date,
            "country": country,
            "incident_type": incident_type,
            "itdb_group": itdb_group,
            "detection_mode": detection_mode,
            "place": place,
            "items": [item_to_record(source_from_spec(s, field="source")) for s in sources],
            "narrative": [{"label": narrative_label or label_text, "text": t} for t in narratives],
        }
        missing = [
            k
            for k in ("reference", "report_date", "country", "incident_type", "itdb_group")
            if not record[k]
        ]
        if missing:
            raise InputError(f"missing --{missing[0].replace('_', '-')}", field=missing[0])
        record = {k: v for k, v in record.items() if v not in (None, "", [])}
    with node() as n:
        incident = parse_incident(record, today=n.clock().date())
        view = add_incident(n, acting(n, as_user), incident, parse_label(label_text, n.ctx))
    emit(
        {
            "id": view.id,
            "reference": view.reference,
            "banner": view.banner,
            "assessment": view.assessment,
        },
        as_json,
        lambda v: f"{v['id']}  {v['reference']}  {v['banner']}",
    )


def _incident_text(v: IncidentView) -> str:
    inc = v.incident
    lines = [
        v.banner,
        renderings_line(v.banners),
        f"{inc['reference']} · {inc['incident_type']} · group {inc['itdb_group']} · "
        f"{inc['country']} {inc.get('place') or ''}",
        f"dates: incident {inc.get('incident_date')}, report {inc['report_date']}",
    ]
    for item in inc["items"]:
        lines.append(f"  item: {item}")
    a = v.assessment
    for s in a["sources"]:
        lines.append(
            f"  source category ({s['holding'] or 'all'}): {s['category']} "
            f"(sum A/D {s['sum_a_over_d']})"
        )
    for m in a["materials"]:
        lines.append(f"  material category: {m['category']}")
    if a["weapons_usable"]:
        lines.append("  WEAPONS-USABLE MATERIAL")
    lines += [f"{p['portion']} {p['text']}" for p in inc["narrative"]]
    lines.append(v.banner)
    return "\n".join(lines)


@incident_group.command("show")
@click.argument("incident_id")
@click.option("--as", "as_user", required=True)
@json_option
def show_cmd(incident_id: str, as_user: str, as_json: bool) -> None:
    """An incident with its IAEA categories; exit 4 if hidden or absent."""
    from nucsec.cli._node import acting, node
    from nucsec.service.incidents import get_incident

    with node() as n:
        view = get_incident(n, acting(n, as_user), incident_id)
    emit(view, as_json, _incident_text)


@incident_group.command("list")
@click.option("--as", "as_user", required=True)
@click.option("--query", "-q", default=None)
@click.option("--limit", default=50, show_default=True)
@click.option("--after", default=None)
@json_option
def list_cmd(as_user: str, query: str | None, limit: int, after: str | None, as_json: bool) -> None:
    """The incidents the user may read, newest first."""
    from nucsec.cli._node import acting, node
    from nucsec.service.incidents import list_incidents

    with node() as n:
        page = list_incidents(n, acting(n, as_user), query=query, limit=limit, after=after)
    emit(
        page,
        as_json,
        lambda p: (
            "\n".join(f"{i.id}  {i.portion:28} {i.title}" for i in p.items) or "(no incidents)"
        ),
    )


@incident_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "as_user", required=True)
@click.option("--label", "label_text", required=True, help="label of the imported facts")
@click.option("--partial", is_flag=True, help="import the good incidents, report the bad rows")
@json_option
def import_cmd(path: str, as_user: str, label_text: str, partial: bool, as_json: bool) -> None:
    """Import incidents from CSV; every bad row is reported, nothing half-imported."""
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label
    from nucsec.service.incidents import import_incidents

    text = Path(path).read_text(encoding="utf-8-sig")
    with node() as n:
        result = import_incidents(
            n, acting(n, as_user), text, parse_label(label_text, n.ctx), partial=partial
        )
    emit(
        result,
        as_json,
        lambda r: (
            f"created {len(r.created)}, updated {len(r.updated)}, "
            f"bad rows {len(r.errors)}"
            + "".join(
                f"\n  line {e['line']} {e['reference']}: {e['field']}: {e['message']}"
                for e in r.errors
            )
        ),
    )


@incident_group.command("export")
@click.option("--as", "as_user", required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="write to a file instead of stdout",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "stix", "stix-ecosystem"]),
    default="csv",
    show_default=True,
    help="csv: the register's columns; stix: a STIX 2.1 bundle (the federation mapping); "
    "stix-ecosystem: the same with standard STIX objects for MISP and OpenCTI (no NOFORN)",
)
def export_cmd(as_user: str, output: str | None, fmt: str) -> None:
    """The incidents the user may export (ORCON: originator only), as CSV or STIX 2.1."""
    from pathlib import Path

    from nucsec.cli._node import acting, node
    from nucsec.federation.ecosystem import export_incidents_ecosystem
    from nucsec.federation.export import export_incidents_stix
    from nucsec.service.incidents import export_incidents

    export = {
        "csv": export_incidents,
        "stix": export_incidents_stix,
        "stix-ecosystem": export_incidents_ecosystem,
    }[fmt]
    with node() as n:
        text = export(n, acting(n, as_user))
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)


@incident_group.command("stats")
@click.option("--as", "as_user", required=True)
@click.option("--from", "year_from", type=int, default=None)
@click.option("--to", "year_to", type=int, default=None)
@json_option
def stats_cmd(as_user: str, year_from: int | None, year_to: int | None, as_json: bool) -> None:
    """Counts by year, ITDB group, material class, type, country and detection mode —
    over the incidents the user may read only."""
    from nucsec.cli._node import acting, node
    from nucsec.service.incidents import incident_statistics

    with node() as n:
        stats = incident_statistics(
            n, acting(n, as_user), year_from=year_from, year_to=year_to
        ).to_dict()
    emit(
        stats,
        as_json,
        lambda s: "\n".join(
            [f"total: {s['total']}"] + [f"{k}: {v}" for k, v in s.items() if k != "total"]
        ),
    )
