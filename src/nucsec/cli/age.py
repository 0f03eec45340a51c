"""``nucsec age``: model ages, model dates and concordance of radiochronometers.

Examples::

    nucsec age --chronometer Th-230/U-234 --ratio 1.41148e-4 --ratio-unc 7.06e-7 \\
        --measured-on 2024-05-01 --monte-carlo 100000 --json
    nucsec age concordance sample.json --json
    nucsec age chronometers
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from nucsec.cli._common import emit, json_option
from nucsec.errors import FileFormatError, InputError

__all__ = ["age_group"]

DEFAULT_SEED = 20240501


@click.group("age", invoke_without_command=True)
@click.option("--chronometer", help="daughter/parent, e.g. Th-230/U-234 or 241Am/241Pu")
@click.option("--ratio", type=float, help="measured daughter/parent ratio")
@click.option("--ratio-unc", type=float, help="standard uncertainty (k=1) of the ratio")
@click.option(
    "--ratio-kind",
    type=click.Choice(["atom", "activity"]),
    default="atom",
    show_default=True,
    help="atom (amount) ratio or activity ratio",
)
@click.option("--measured-on", help="measurement date YYYY-MM-DD (gives the model date)")
@click.option("--age-on", help="also report the age on this date YYYY-MM-DD")
@click.option(
    "--half-lives",
    default="nubase2020",
    show_default=True,
    help="half-life set (nubase2020, icrp107, cheng2013+nubase2020, ...)",
)
@click.option(
    "--monte-carlo",
    type=int,
    default=0,
    show_default=True,
    help="Monte Carlo samples (0: GUM only)",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="seed of the Monte Carlo generator",
)
@click.option("--initial-daughter", type=float, help="residual daughter ratio at purification")
@click.option("--initial-daughter-unc", type=float, help="its standard uncertainty (k=1)")
@click.option(
    "--rel-unc",
    "rel_unc",
    multiple=True,
    metavar="NAME=U",
    help="extra relative standard uncertainty on the ratio (spike, mass bias...)",
)
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the ingrowth plot (SVG) to this file",
)
@json_option
@click.pass_context
def age_group(ctx: click.Context, **opts: Any) -> None:
    """Model age of nuclear material from a daughter/parent ratio (uncertainties k=1)."""
    if ctx.invoked_subcommand is not None:
        return
    if opts["chronometer"] is None:
        click.echo(ctx.get_help())
        return
    from nucsec.forensics.chronometry import ingrowth_curve, ingrowth_svg

    result = _run_age(opts)
    if opts["svg_path"] is not None:
        opts["svg_path"].write_text(ingrowth_svg(ingrowth_curve(result=result)), encoding="utf-8")
    emit(result.to_dict(), opts["as_json"], _human_age)


def _run_age(opts: dict[str, Any]) -> Any:
    import numpy as np

    from nucsec.forensics.chronometry import ChronometryError, InitialDaughter, model_age

    if opts["ratio"] is None:
        raise ChronometryError("--ratio is required", field="ratio")
    if opts["ratio_unc"] is None:
        raise ChronometryError(
            "--ratio-unc (standard uncertainty, k=1) is required: an age without an "
            "uncertainty cannot be defended",
            field="u_ratio",
        )
    initial = None
    if opts["initial_daughter"] is not None:
        if opts["initial_daughter_unc"] is None:
            raise ChronometryError(
                "--initial-daughter needs --initial-daughter-unc", field="initial_daughter_unc"
            )
        initial = InitialDaughter(opts["initial_daughter"], opts["initial_daughter_unc"])
    n_mc = opts["monte_carlo"]
    return model_age(
        opts["chronometer"],
        opts["ratio"],
        opts["ratio_unc"],
        kind=opts["ratio_kind"],
        measured_on=_date(opts["measured_on"], "measured_on"),
        half_lives=opts["half_lives"],
        monte_carlo=n_mc,
        rng=np.random.default_rng(opts["seed"]) if n_mc else None,
        initial_daughter=initial,
        relative_uncertainties=_relative_terms(opts["rel_unc"]),
        reference_date=_date(opts["age_on"], "age_on"),
    )


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--{name.replace('_', '-')} must be YYYY-MM-DD, not {text!r}", field=name, value=text
        ) from None


def _relative_terms(items: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"--rel-unc expects NAME=U (e.g. spike=0.001), not {item!r}",
                field="rel_unc",
                value=item,
            ) from None
    return out


def _fmt(x: float | None, spec: str = ".6g") -> str:
    return "inf" if x is None else format(x, spec)


def _human_age(d: dict[str, Any]) -> str:
    lines = [
        f"{d['chronometer']}  {d['ratio_kind']} ratio {d['ratio']:.6g} ± {d['u_ratio']:.3g} (k=1)",
        f"age        {_fmt(d['age_years'])} ± {_fmt(d['u_age_years'], '.3g')} y (k=1, "
        f"{d['uncertainty_method']}); k=2 interval "
        f"[{_fmt(d['interval_years_k2'][0])}, {_fmt(d['interval_years_k2'][1])}] y",
    ]
    if d.get("model_date"):
        lines.append(
            f"model date {d['model_date']} ± {d['u_model_date_days']:.0f} d (k=1), "
            f"measured on {d['measured_on']}"
        )
    elif d.get("model_year") is not None:
        lines.append(
            f"model year {d['model_year']:.1f} (before the calendar), "
            f"measured on {d['measured_on']}"
        )
    if "reference_date" in d:
        lines.append(f"age on {d['reference_date']}: {_fmt(d['age_at_reference_years'])} y")
    lines.append(f"half-lives {d['half_life_set']} ({d['half_life_set_version']})")
    lines.append("budget (k=1):")
    for row in d["budget"]:
        lines.append(
            f"  {row['input']:<24} u={row['u']:<10.3g} c={row['sensitivity']:<11.4g} "
            f"u_i={row['contribution_years']:<10.3g} y  {row['variance_share']:6.1%}"
        )
    mc = d.get("monte_carlo")
    if mc:
        lines.append(
            f"monte carlo {mc['n_samples']} samples: median {_fmt(mc['median_years'])} y,"
            f" k=2 [{_fmt(mc['interval_k2_years'][0])}, "
            f"{_fmt(mc['interval_k2_years'][1])}] y, GUM validated: "
            f"{mc['gum_validated']}"
        )
    lines += [f"warning: {w}" for w in d["warnings"]]
    return "\n".join(lines)


@age_group.command("concordance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="significance level of the chi-square test",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@json_option
def concordance_cmd(file: Path, alpha: float, seed: int, as_json: bool) -> None:
    """Do several chronometers of one sample give the same model date? FILE is JSON:

    {"sample": "...", "measured_on": "2024-05-01", "half_lives": "nubase2020",
    "chronometers": [{"chronometer": "Th-230/U-234", "ratio": ..., "ratio_unc": ...,
    "ratio_kind": "atom"}, ...]}
    """
    from nucsec.forensics.chronometry.sample import concordance_from_dict

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(
            f"{file} is not valid JSON: {exc}", field="file", value=str(file)
        ) from None
    import numpy as np

    result = concordance_from_dict(data, alpha=alpha, rng=np.random.default_rng(seed))
    out = result.to_dict()
    if isinstance(data, dict) and "sample" in data:
        out = {"sample": data["sample"], **out}
    emit(out, as_json, _human_concordance)


def _human_concordance(d: dict[str, Any]) -> str:
    lines = [d["summary"]]
    if "weighted_mean_model_date" in d:
        lines.append(
            f"weighted mean model date {d['weighted_mean_model_date']} ± "
            f"{d['u_weighted_mean_model_date_days']:.0f} d (k=1)"
        )
    for r in d["results"]:
        lines.append(
            f"  {r['chronometer']:<14} {_fmt(r['age_years'])} ± "
            f"{_fmt(r['u_age_years'], '.3g')} y  {r.get('model_date', '')}"
        )
    for p in d["pairs"]:
        lines.append(
            f"  {p['a']} - {p['b']}: {p['difference_years']:+.4g} ± "
            f"{p['u_difference_years']:.3g} y ({p['z']:.1f} sigma)"
        )
    return "\n".join(lines)


@age_group.command("chronometers")
@json_option
def chronometers_cmd(as_json: bool) -> None:
    """List the known chronometers and half-life sets."""
    from nucsec.forensics.chronometry import CHRONOMETERS, half_life_set_names

    data: dict[str, Any] = {
        "chronometers": [c.to_dict() for c in CHRONOMETERS.values()],
        "half_life_sets": half_life_set_names(),
    }
    emit(
        data,
        as_json,
        lambda d: "\n".join(
            [
                f"{c['name']:<14} chain {' -> '.join(c['chain'])}  ({c['material']})"
                for c in d["chronometers"]
            ]
            + ["half-life sets: " + ", ".join(d["half_life_sets"])]
        ),
    )
