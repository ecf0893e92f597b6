"""A batch's counties in flight on a Dask cluster, and what happens when a worker is lost.

Used by :func:`tcm_coverage.batch.driver.run_batch` (its module docstring says what a planner
sees when a worker dies). :class:`WorkerLosses` counts, per county, the workers lost while they
held it, from the scheduler's ``remove-worker`` events; :class:`Flight` submits one attempt of
a county (its inputs cut and scattered in province mode) and tells what a finished future
means: the county's record, or "run it again" when its scattered inputs were lost with a
worker and attempts are left (the scheduler itself reruns a task whose worker died, up to its
``distributed.scheduler.allowed-failures``, and raises :class:`distributed.KilledWorker` after).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any

import dask
from distributed import Client, Future, KilledWorker, as_completed

from tcm_coverage._errors import TCMCoverageError
from tcm_coverage.batch.county import run_county
from tcm_coverage.batch.cut import ProvinceInputs, cut_county
from tcm_coverage.batch.jobs import CountyJob
from tcm_coverage.i18n import text

__all__ = ["Flight", "WorkerLosses", "allowed_failures", "county_label", "failed_record",
           "worker_lost_record"]


def failed_record(job: CountyJob, error: str) -> dict:
    """The record of a county that failed with ``error`` (never ran, or its run was lost)."""
    return {"job_id": job.job_id, "code": job.code, "name": job.name, "key": job.key,
            "status": "failed", "rows": [], "error": error, "traceback": None, "seconds": None,
            "warnings": []}


def county_label(job: CountyJob) -> str:
    """A county as the terminal names it: its job id and name."""
    return job.job_id + (f" {job.name}" if job.name and job.name != job.job_id else "")


class WorkerLosses:
    """The workers lost while they held a county, from the scheduler's ``remove-worker`` events
    (:meth:`on_event` is the handler of the ``all`` topic; it runs on the client's thread).

    A lost worker counts once per county it held (running its task, holding its scattered
    inputs, or both); one that left in order (retired) loses only data not copied elsewhere.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}  # task or inputs key -> job id
        self._lost: dict[str, list[str]] = {}  # job id -> addresses of the workers lost

    def watch(self, job_id: str, keys: Iterable[str]) -> None:
        """Count the losses of these keys (a county's task and inputs) for ``job_id``."""
        with self._lock:
            self._owner.update(dict.fromkeys(keys, job_id))

    def lost(self, job_id: str) -> list[str]:
        """The workers lost while they held the county, in order."""
        with self._lock:
            return list(self._lost.get(job_id, ()))

    def add(self, job_id: str, worker: str) -> None:
        """A loss no event named (a cancelled county with no ``remove-worker`` event)."""
        with self._lock:
            self._lost.setdefault(job_id, []).append(worker)

    def on_event(self, event: Any) -> None:
        """Handle one event of the scheduler's ``all`` topic: ``(time, message)``."""
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else None
        if not isinstance(msg, dict) or msg.get("action") != "remove-worker":
            return
        keys = set(msg.get("lost-scattered-tasks") or ())
        if not msg.get("expected"):
            keys |= set(msg.get("processing-tasks") or ())
        with self._lock:
            for job_id in dict.fromkeys(self._owner[str(k)] for k in keys if str(k) in self._owner):
                self._lost.setdefault(job_id, []).append(str(msg.get("worker", "?")))


def allowed_failures(client: Client) -> int:
    """How many more times the scheduler runs a task whose worker died (its
    ``distributed.scheduler.allowed-failures``; this process's setting when it cannot say)."""
    try:  # a lambda travels by value: the scheduler needs no tcm_coverage
        return int(client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures))
    except Exception:  # noqa: BLE001 - e.g. a scheduler that refuses pickled functions
        return int(dask.config.get("distributed.scheduler.allowed-failures"))


def worker_lost_record(job: CountyJob, lost: list[str], *, limit: int, lang: str) -> dict:
    """The failed record of a county that lost its worker more often than allowed."""
    error = text("batch.worker_lost_failed", lang, n=len(lost), limit=limit,
                 workers=text("batch.list_sep", lang).join(lost))
    return {**failed_record(job, error), "worker_lost": True}


@dataclass
class Flight:
    """The counties in flight on the cluster: each future's job, scattered inputs, attempt
    and the job's losses when it was submitted."""

    client: Client
    province: ProvinceInputs | None
    losses: WorkerLosses
    ac: as_completed
    futures: dict[Future, tuple[CountyJob, Future | None, int, int]]
    lang: str = "zh"
    #: the driver's phases (``cut counties``: seconds cutting and sending the counties' inputs;
    #: ``first county submitted``: the clock when the first county went out)
    timings: dict[str, float] = field(default_factory=dict)

    def submit(self, job: CountyJob, attempt: int = 1) -> dict | None:
        """Submit one attempt of a county; the failed record when its inputs cannot be cut or
        no worker is left to take them."""
        inputs = None
        if self.province is not None and not job.draw_only:  # drawing from its store needs none
            t_cut = time.perf_counter()
            try:
                inputs = self.client.scatter(cut_county(self.province, job.code), hash=False)
            except TCMCoverageError as exc:
                return failed_record(job, str(exc))
            except TimeoutError:  # the scheduler found no worker in 2 s: every one was lost
                return {**failed_record(job, text("batch.no_workers", self.lang)),
                        "worker_lost": True}
            finally:
                self.timings["cut counties"] = (self.timings.get("cut counties", 0.0)
                                                + time.perf_counter() - t_cut)
        key = (f"{'draw' if job.draw_only else 'county'}-{job.job_id}-{job.key[:16]}"
               + (f"-{attempt}" if attempt > 1 else ""))
        self.losses.watch(job.job_id, [key] + ([inputs.key] if inputs is not None else []))
        fut = self.client.submit(run_county, job, inputs, key=key, pure=False)
        self.futures[fut] = (job, inputs, attempt, len(self.losses.lost(job.job_id)))
        self.ac.add(fut)
        self.timings.setdefault("first county submitted", time.perf_counter())  # made relative by run_batch
        return None

    def outcome(self, fut: Future, *, limit: int, lang: str) -> dict | None:
        """The record of a county whose future is over, or ``None`` when it must run again
        (its scattered inputs were lost with a worker, and attempts are left)."""
        job, _inputs, _attempt, lost_before = self.futures[fut]
        try:
            return dict(fut.result())
        except KilledWorker as exc:  # the scheduler ran it allowed-failures + 1 times
            for _ in range(exc.allowed_failures + 1 - len(self.losses.lost(job.job_id))):
                self.losses.add(job.job_id, text("batch.worker_unknown", lang))
            return worker_lost_record(job, self.losses.lost(job.job_id),
                                      limit=exc.allowed_failures, lang=lang)
        except CancelledError:  # its inputs (or its task) were forgotten with a lost worker
            if len(self.losses.lost(job.job_id)) == lost_before:
                self.losses.add(job.job_id, text("batch.worker_unknown", lang))
            lost = self.losses.lost(job.job_id)
            if len(lost) <= limit:
                return None
            return worker_lost_record(job, lost, limit=limit, lang=lang)
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
            return failed_record(job, f"{type(exc).__name__}: {exc}")
