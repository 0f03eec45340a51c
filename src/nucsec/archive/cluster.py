"""The Dask cluster a job runs on: an existing scheduler, or a local one on this machine.

With a scheduler address (``tcp://host:8786``) the client connects to a running cluster
(started with ``dask scheduler`` and ``dask worker tcp://host:8786`` on any machines that
see the archive's files at the same paths). Without one, a ``LocalCluster`` of single-
threaded worker processes, one per core, bound to the loopback interface, with its
dashboard on a free loopback port (Bokeh is installed). The job code is the same in both.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nucsec.errors import NucsecError

__all__ = ["ClusterError", "ClusterInfo", "connect", "describe"]

CONNECT_TIMEOUT = "20s"
#: the local cluster's settings: no statistical profiler (a stack sample of the busy thread
#: every 10 ms, for the dashboard's profile tab), and slower housekeeping ticks (event-loop
#: health every 200 ms instead of 20, memory every 1 s, system monitor every 2 s, no disk
#: monitor): an idle local cluster then takes about 1 % of a core instead of 5 %. On your own
#: cluster, the same as DASK_* environment variables (see docs/archive.md).
LOCAL_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "200ms",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.disk": False,
}


class ClusterError(NucsecError, ConnectionError):
    """The Dask scheduler cannot be reached, or was lost during a job."""

    code = "cluster"


@dataclass(frozen=True)
class ClusterInfo:
    """Where the job runs: the scheduler address, its dashboard link and its workers."""

    scheduler: str
    dashboard: str | None
    workers: int
    local: bool


def _dashboard(client: Any) -> str | None:
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError, ValueError):
        return None
    info = client.scheduler_info()
    return str(link) if "dashboard" in info.get("services", {}) else None


def _warm_up() -> None:
    from nucsec.archive.worker import _warm_up as warm

    warm()


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A connected ``distributed.Client`` (closed, and a local cluster stopped, on exit).

    ``workers`` sizes the local cluster (default: all cores); ignored with ``scheduler``.
    Every worker imports the reader and loads the line library before the job starts.
    """
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        else:
            with dask.config.set(LOCAL_CONFIG):
                cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
                client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ClusterError(
            f"cannot reach the Dask scheduler {scheduler or '(local)'}: {exc}", field="scheduler"
        ) from exc
    try:
        client.run(_warm_up)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def describe(client: Any, local: bool) -> ClusterInfo:
    """The scheduler address, dashboard link and number of workers of a client."""
    info = client.scheduler_info()
    return ClusterInfo(
        scheduler=str(client.scheduler.address),
        dashboard=_dashboard(client),
        workers=len(info.get("workers", {})),
        local=local,
    )
