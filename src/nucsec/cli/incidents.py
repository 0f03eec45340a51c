"""``nucsec categorize source|material``: IAEA categories without a node.

Examples::

    nucsec categorize source --item Co-60:555TBq --json
    nucsec categorize source --item Cs-137:0.19TBq --item Cs-137:0.19TBq --date 2010-11-08
    nucsec categorize source --item Co-60:555TBq@2000-01-01 --date 2010-11-08
    nucsec categorize material --material U --mass-g 1500 --enrichment-pct 93 --json
"""

from __future__ import annotations

from typing import Any

import click

from nucsec.cli._common import emit, json_option

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
    from nucsec.incidents.records import parse_date, source_from_spec

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

