"""``nucsec archive``: analyse spectrum archives on a Dask cluster, triage, search, jobs.

Examples::

    nucsec archive analyze /data/portal-2024/ spectra.tar --workers 2
    nucsec archive analyze 'spectra/**/*.n42' --scheduler tcp://10.0.0.5:8786 --resume
    nucsec archive analyze DIR --label 'SECRET//REL TO USA, JPN' --as doe.analyst
    nucsec archive search JOB --nuclide U-235
    nucsec archive search JOB --peak 185.7 --tolerance-kev 1 --min-significance 5
    nucsec archive search JOB --like item.n42
    nucsec archive jobs --json ; nucsec archive show JOB

Dask, Arrow and the spectrometry package are imported inside the commands.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from nucsec.cli._common import emit, json_option
from nucsec.errors import InputError

__all__ = ["archive_group"]

DETECTORS = ("HPGe", "NaI", "LaBr3", "CsI", "CZT")


def _home() -> Path:
    from nucsec.settings import load

    return load().home


def _results(ref: str) -> Path:
    """A results path: as given, or the directory of a job id of this node."""
    from nucsec.archive.jobs import jobs_root, open_job

    path = Path(ref)
    if path.exists():
        return path
    return open_job(jobs_root(_home()), ref).path


class _Bar:
    """The runner's progress, drawn with rich on standard error."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task: Any = None

    def start(self, phase: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=True)
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task(phase, total=total)

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)


def _human_report(data: dict[str, Any]) -> str:
    job, report = data["job"], data["report"]
    lines = [f"job {job['id']}: {job['status']}, {report['rows']} result rows"]
    lines.append("classes: " + ", ".join(f"{k} {v}" for k, v in report["classes"].items()))
    for item in report["priority"]:
        where = item["source"] + (f"!{item['member']}" if item["member"] else "")
        lines.append(f"  {item['class']:8s} {where} #{item['record_index']}")
        lines += [f"           {r}" for r in item["reasons"][:4]]
    lines.append("over time:")
    for period, counts in report["over_time"].items():
        lines.append(f"  {period:10s} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append("per instrument:")
    for who, counts in report["per_instrument"].items():
        lines.append(f"  {who[:30]:30s} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if report["failed"]:
        lines.append(f"failed items ({len(report['failed'])}):")
        for f in report["failed"]:
            where = f["source"] + (f"!{f['member']}" if f["member"] else "")
            lines.append(f"  {where}: {f['error_code']}: {f['error_message']}")
    if data.get("findings"):
        fd = data["findings"]
        lines.append(
            f"stored {fd['stored']} of {fd['findings']} findings as labelled analyses "
            f"in {fd['batches']} audited batch(es)"
        )
    lines.append(f"results: {job.get('results')}")
    return "\n".join(lines)


def _write_outputs(results: Path, jsonl: Path | None, parquet: Path | None) -> None:
    if parquet is not None:
        tmp = parquet.with_name(parquet.name + ".part")
        shutil.copyfile(results, tmp)
        tmp.replace(parquet)
    if jsonl is not None:
        import pyarrow.parquet as pq

        table = pq.read_table(results).drop_columns(["features"])
        tmp = jsonl.with_name(jsonl.name + ".part")
        with tmp.open("w", encoding="utf-8") as fh:
            for batch in table.to_batches(max_chunksize=4096):
                for row in batch.to_pylist():
                    fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        tmp.replace(jsonl)


def _store_findings(
    job: Any, rows_path: Path, label: str, as_user: str, classes: str, min_confidence: float
) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from nucsec.archive.findings import store
    from nucsec.cli._node import acting, node
    from nucsec.markings import parse_label

    wanted = tuple(c.strip() for c in classes.split(",") if c.strip())
    rows = pq.read_table(rows_path).drop_columns(["features"]).to_pylist()
    options = job.record["options"]
    params = {
        "detector": options["detector"],
        "use_file_background": options["use_file_background"],
    }
    with node() as n:
        out = store(
            n,
            acting(n, as_user),
            parse_label(label, n.ctx),
            job.id,
            rows,
            classes=wanted,
            min_confidence=min_confidence,
            params=params,
        )
    job.save(findings={k: v for k, v in out.items() if k != "ids"})
    return out


@click.group("archive")
def archive_group() -> None:
    """Spectrum archives on a Dask cluster: analyse, triage, search, jobs."""


@archive_group.command("analyze")
@click.argument("sources", nargs=-1, required=True)
@click.option("--scheduler", default=None, help="Dask scheduler (tcp://HOST:8786); default: local")
@click.option("--workers", type=int, default=None, help="local cluster: worker processes")
@click.option("--resume", is_flag=True, help="continue the stopped job of the same sources")
@click.option("--job", "job_id", default=None, help="continue this job id")
@click.option("--detector", type=click.Choice(DETECTORS), default=None)
@click.option("--no-file-background", is_flag=True, help="ignore backgrounds stored in files")
@click.option("--max-bytes", type=int, default=None, help="size cap per file (default: node's)")
@click.option("--label", default=None, help="store findings as analyses under this label")
@click.option("--as", "as_user", default=None, help="acting user (with --label)")
@click.option("--findings", "classes", default="SNM,anomaly,industrial,medical", show_default=True)
@click.option("--min-confidence", type=float, default=0.8, show_default=True)
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--parquet", type=click.Path(dir_okay=False, path_type=Path), default=None)
@json_option
def analyze_cmd(
    sources: tuple[str, ...],
    scheduler: str | None,
    workers: int | None,
    resume: bool,
    job_id: str | None,
    detector: str | None,
    no_file_background: bool,
    max_bytes: int | None,
    label: str | None,
    as_user: str | None,
    classes: str,
    min_confidence: float,
    jsonl: Path | None,
    parquet: Path | None,
    as_json: bool,
) -> None:
    """Analyse every spectrum of SOURCES (folders, globs, tar/zip files, N42 files)."""
    from nucsec.archive.report import summarize
    from nucsec.archive.run import JobSpec, run_job
    from nucsec.archive.worker import Options
    from nucsec.settings import load

    if (label is None) != (as_user is None):
        raise InputError("--label and --as go together", field="label")
    if jsonl is not None and parquet is not None:
        raise InputError("choose one of --jsonl and --parquet", field="jsonl")
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1", field="workers", value=workers)
    settings = load()
    options = Options(
        detector=detector,
        use_file_background=not no_file_background,
        max_bytes=max_bytes or int(settings.max_upload_bytes),
    )

    def announce(info: Any) -> None:
        where = "local cluster" if info.local else "cluster"
        link = info.dashboard or "unavailable (the scheduler serves none)"
        click.echo(
            f"{where} {info.scheduler}, {info.workers} worker(s); dashboard: {link}", err=True
        )

    bar = _Bar()
    with bar.progress:
        job = run_job(
            JobSpec.of(sources, options),
            home=settings.home,
            scheduler=scheduler,
            workers=workers,
            resume=resume,
            job_id=job_id,
            progress=bar,
            on_cluster=announce,
        )
    findings = None
    if label is not None and as_user is not None:
        findings = _store_findings(job, job.results_path, label, as_user, classes, min_confidence)
    _write_outputs(job.results_path, jsonl, parquet)
    data = {"job": job.record, "report": summarize(job.results_path), "findings": findings}
    emit(data, as_json, _human_report)


def _search_human(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        where = r["source"] + (f"!{r['member']}" if r["member"] else "")
        extra = {
            k: r[k]
            for k in ("confidence", "peak_energy_kev", "significance", "similarity")
            if k in r
        }
        out.append(f"{r['triage_class']:10s} {where} #{r['record_index']}  {extra}")
    return "\n".join(out) or "(no match)"


@archive_group.command("search")
@click.argument("results")
@click.option("--nuclide", default=None, help="spectra where this nuclide was identified")
@click.option("--peak", type=float, default=None, help="spectra with a peak at this energy (keV)")
@click.option("--tolerance-kev", type=float, default=1.0, show_default=True)
@click.option("--min-significance", type=float, default=0.0, show_default=True)
@click.option("--min-confidence", type=float, default=0.0, show_default=True)
@click.option("--like", "like_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top", type=int, default=10, show_default=True, help="--like: how many")
@click.option("--limit", type=int, default=1000, show_default=True, help="rows printed at most")
@json_option
def search_cmd(
    results: str,
    nuclide: str | None,
    peak: float | None,
    tolerance_kev: float,
    min_significance: float,
    min_confidence: float,
    like_file: Path | None,
    top: int,
    limit: int,
    as_json: bool,
) -> None:
    """Search stored results (a job id or a results path) without re-analysis."""
    from nucsec.archive import search

    if sum(x is not None for x in (nuclide, peak, like_file)) != 1:
        raise InputError("give one of --nuclide, --peak and --like", field="query")
    path = _results(results)
    if nuclide is not None:
        found = search.by_nuclide(path, nuclide, min_confidence, limit=limit)
    elif peak is not None:
        found = search.by_peak(path, peak, tolerance_kev, min_significance, limit=limit)
    else:
        found = search.like(path, _features_of(Path(str(like_file))), top=top)
    emit(found, as_json, lambda d: _search_human(d["items"]))


def _features_of(path: Path) -> Any:
    """The feature vector of a spectrum file (analysed here, as a worker would)."""
    from nucsec.archive.schema import feature_vector
    from nucsec.forensics.spectra import analyze, read_spectrum
    from nucsec.settings import load

    sf = read_spectrum(path, max_bytes=int(load().max_upload_bytes))
    analysis = analyze(sf.foreground(), background=sf.background())
    return feature_vector(analysis.counts, analysis.calibration.edges_kev)


@archive_group.command("jobs")
@json_option
def jobs_cmd(as_json: bool) -> None:
    """The archive jobs of this node, newest first."""
    from nucsec.archive.jobs import jobs_root, list_jobs

    keys = ("id", "status", "created_at", "finished_at", "items", "rows", "failed", "classes")
    jobs = [{k: r.get(k) for k in keys} for r in list_jobs(jobs_root(_home()))]

    def human(rows: list[dict[str, Any]]) -> str:
        return (
            "\n".join(
                f"{r['id']}  {r['status']:11s} items {r['items']}  rows {r['rows']}  "
                f"failed {r['failed']}"
                for r in rows
            )
            or "(no archive jobs)"
        )

    emit(jobs, as_json, human)


@archive_group.command("show")
@click.argument("job_id")
@json_option
def show_cmd(job_id: str, as_json: bool) -> None:
    """A job's record and report: classes, SNM and anomalies first, failed items."""
    from nucsec.archive.jobs import jobs_root, open_job
    from nucsec.archive.report import summarize

    job = open_job(jobs_root(_home()), job_id)
    has_rows = job.results_path.exists() or any((job.path / "parts").glob("*.parquet"))
    report = summarize(job.path) if has_rows else None
    findings = job.record.get("findings")
    data: dict[str, Any] = {"job": job.record, "report": report, "findings": findings}
    if report is None:
        emit(data, as_json, lambda d: f"job {d['job']['id']}: {d['job']['status']}, no rows yet")
    else:
        emit(data, as_json, _human_report)
