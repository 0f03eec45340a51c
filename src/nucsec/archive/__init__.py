"""Spectrum archives on a Dask cluster: analyse, triage, search, store findings.

>>> from nucsec.archive import JobSpec, Options, run_job, search   # doctest: +SKIP
>>> job = run_job(JobSpec.of(["/data/portal-2024"], Options()), home=Path("var"))  # doctest: +SKIP
>>> search.by_nuclide(job.path, "U-235")["count"]                     # doctest: +SKIP
3

Modules: :mod:`~nucsec.archive.sources` (items), :mod:`~nucsec.archive.worker` (the task),
:mod:`~nucsec.archive.schema` (Arrow rows, features), :mod:`~nucsec.archive.triage`,
:mod:`~nucsec.archive.jobs` (job directory, manifest), :mod:`~nucsec.archive.run`,
:mod:`~nucsec.archive.cluster`, :mod:`~nucsec.archive.search`, :mod:`~nucsec.archive.report`,
:mod:`~nucsec.archive.findings` (into the node), :mod:`~nucsec.archive.simulated`.
See ``docs/archive.md``.
"""

from nucsec.archive import search
from nucsec.archive.cluster import ClusterError
from nucsec.archive.run import JobSpec, run_job
from nucsec.archive.sources import ArchiveError, SourceError
from nucsec.archive.triage import CLASSES, TriageRules, triage
from nucsec.archive.worker import Options

__all__ = [
    "CLASSES",
    "ArchiveError",
    "ClusterError",
    "JobSpec",
    "Options",
    "SourceError",
    "TriageRules",
    "run_job",
    "search",
    "triage",
]
