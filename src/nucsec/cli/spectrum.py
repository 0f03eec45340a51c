"""``nucsec spectrum``: read, convert and analyse gamma-spectrum files.

The spectrometry package (SciPy, SpecUtils) is imported inside the commands, so other
``nucsec`` commands do not pay for it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from nucsec.cli._common import emit, json_option, to_json
from nucsec.errors import InputError
from nucsec.forensics.spectra.enrichment import enrichment_text

__all__ = ["spectrum_group"]

DETECTORS = ("HPGe", "NaI", "LaBr3", "CsI", "CZT")


def _max_bytes() -> int:
    """The node's upload limit (``max_upload_bytes``, from the environment or the node
    file): a file the node would refuse over the API is refused here too. The library's
    own default applies to pure Python use."""
    from nucsec.settings import load

    return int(load().max_upload_bytes)


@click.group("spectrum")
def spectrum_group() -> None:
    """Gamma spectra: read any detector file, find peaks, identify nuclides, enrichment."""


def _read_efficiency(path: Path) -> Any:
    from nucsec.service.analysis_methods import efficiency_from_csv

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="efficiency") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text", field="efficiency") from None
    return efficiency_from_csv(text, str(path))


def _human(result: dict[str, Any]) -> str:
    det = result["detector"]
    cal = result["calibration"]
    lines = [
        f"detector: {det['type']} {det['instrument']} {det['name']}".rstrip(),
        f"live time: {result['live_time_s']:.1f} s, {result['n_channels']} channels, "
        f"FWHM at 662 keV {det['resolution']['fwhm_kev_at_662']:.2f} keV",
        f"calibration: {cal['source']} ({cal['n_lines']} lines"
        + (f", rms {cal['rms_kev']:.3f} keV)" if cal["rms_kev"] is not None else ")")
        + (f", {cal['confidence']} confidence" if cal.get("confidence") else ""),
    ]
    if result.get("background"):
        lines.append(f"background subtracted (scale {result['background']['scale']:.4g})")
    lines.append(f"peaks ({len(result['peaks'])}; net counts +- k=1):")
    for p in result["peaks"][:40]:
        lines.append(
            f"  {p['energy_kev']:9.2f} keV  FWHM {p['fwhm_kev']:6.2f}  "
            f"{p['net_counts']:11.1f} +- {p['unc']:8.1f}  {p['label'] or ''}"
        )
    lines.append("nuclides:")
    for n in result["nuclides"] or [
        {"name": "none", "category": "", "confidence": 0.0, "explanation": ""}
    ]:
        extra = ""
        if "activity_bq" in n:
            extra = f"  activity {n['activity_bq']:.4g} +- {n['activity_unc_bq']:.2g} Bq (k=1)"
        if n.get("status") == "possible":
            extra += "  POSSIBLE (one ambiguous line)"
        if n.get("family"):
            extra += f"  [{n['family']}]"
        lines.append(
            f"  {n['name']:8s} {n['category']:11s} confidence {n['confidence']:.2f}{extra}"
        )
        if n["explanation"]:
            lines.append(f"      {n['explanation']}")
    enr = result.get("enrichment")
    if enr:
        lines.append(f"enrichment: {enrichment_text(enr)}")
    pu = result.get("pu_isotopics")
    if pu:
        fractions = ", ".join(f"{k} {v:.2f}" for k, v in pu["mass_pct"].items())
        lines.append(
            f"plutonium isotopics: {fractions or pu['quality']} (mass %, k=1 intervals in --json)"
        )
    for w in result["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _batch(
    directory: Path, detector: str | None, as_json: bool, jsonl: bool, workers: int | None
) -> None:
    from nucsec.forensics.spectra.batch import analyze_many, spectrum_files

    files = spectrum_files(directory)
    if not files:
        raise InputError(f"no spectrum files under {directory}", field="path", value=str(directory))
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1", field="workers", value=workers)
    results: list[dict[str, Any]] = []
    limit = _max_bytes()
    with click.progressbar(length=len(files), label="analysing", file=sys.stderr) as bar:
        for res in analyze_many(files, detector=detector, workers=workers, max_bytes=limit):
            bar.update(1)
            if jsonl:
                click.echo(json.dumps(res, ensure_ascii=False, default=str))
            else:
                results.append(res)
    if jsonl:
        return
    results.sort(key=lambda r: r["file"])
    if as_json:
        click.echo(to_json(results))
        return
    for r in results:
        if "error" in r:
            click.echo(f"{r['file']}: error: {r['error']['message']}")
        else:
            names = ", ".join(n["name"] for n in r["nuclides"]) or "-"
            click.echo(f"{r['file']}: {names}")


@spectrum_group.command("analyze")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--background",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="background spectrum file, subtracted after live-time normalisation",
)
@click.option(
    "--detector",
    type=click.Choice(DETECTORS),
    help="detector type (default: from the file, or inferred from the peak widths)",
)
@click.option(
    "--efficiency",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of energy_kev,efficiency (point geometry): report activities",
)
@click.option(
    "--no-file-background", is_flag=True, help="ignore a background spectrum stored in the file"
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write an SVG plot of the spectrum and fits",
)
@click.option("--workers", type=int, help="processes for a directory (default: all cores)")
@click.option("--jsonl", is_flag=True, help="directory: one JSON object per line as ready")
@json_option
def analyze_cmd(
    path: Path,
    background: Path | None,
    detector: str | None,
    efficiency: Path | None,
    no_file_background: bool,
    plot_path: Path | None,
    workers: int | None,
    jsonl: bool,
    as_json: bool,
) -> None:
    """Analyse a spectrum file, or every spectrum file under a directory."""
    if path.is_dir():
        if plot_path or background or efficiency:
            raise InputError(
                "--plot, --background and --efficiency take a single file",
                field="path",
                value=str(path),
            )
        _batch(path, detector, as_json, jsonl, workers)
        return
    from nucsec.forensics.spectra import analyze, plot_svg, read_spectrum

    limit = _max_bytes()
    sf = read_spectrum(path, max_bytes=limit)
    bg = (
        read_spectrum(background, max_bytes=limit).foreground()
        if background
        else (None if no_file_background else sf.background())
    )
    eff = _read_efficiency(efficiency) if efficiency else None
    analysis = analyze(sf.foreground(), background=bg, detector=detector, efficiency=eff)
    result = {"file": str(path), **analysis.to_dict()}
    if plot_path:
        plot_path.write_text(plot_svg(analysis, title=path.name), encoding="utf-8")
    emit(result, as_json, _human)


@spectrum_group.command("info")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def info_cmd(path: Path, as_json: bool) -> None:
    """Show what a spectrum file holds: records, detector, times, calibration."""
    from nucsec.forensics.spectra import read_spectrum

    summary = read_spectrum(path, max_bytes=_max_bytes()).summary()

    def human(s: dict[str, Any]) -> str:
        out = [
            f"{s['filename']}: {s['manufacturer']} {s['instrument']}".rstrip(),
            f"{s['n_records']} record(s)",
        ]
        for r in s["records"]:
            lo, hi = r["energy_range_kev"]
            out.append(
                f"  {r['source_type']:10s} {r['detector_type']:7s} {r['detector_name'] or '-':12s}"
                f" {r['n_channels']:6d} ch  live {r['live_time_s']:.1f} s  "
                f"{r['total_counts']:.0f} counts  {lo:.1f}-{hi:.1f} keV "
                f"({r['calibration']['kind']})  {r['start_time'] or ''}"
            )
        out += [f"warning: {w}" for w in s["warnings"]]
        return "\n".join(out)

    emit(summary, as_json, human)


@spectrum_group.command("convert")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "fmt",
    default="n42",
    show_default=True,
    type=click.Choice(["n42", "n42-2006", "csv", "spe", "chn", "pcf", "cnf", "txt", "tka"]),
    help="output format",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="output file (default: standard output)",
)
def convert_cmd(path: Path, fmt: str, output: Path | None) -> None:
    """Convert a spectrum file to another format (N42-2012 by default)."""
    from nucsec.forensics.spectra import convert_spectrum

    data = convert_spectrum(path, fmt, max_bytes=_max_bytes())
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, output)
        click.echo(f"wrote {output} ({len(data)} bytes)", err=True)
