"""Grading a class: a map of :func:`~dlkit.classroom.job.grade_payload` over
the submissions, on local processes or on a Dask cluster, resumable, with
the result files written as each submission finishes."""
from __future__ import annotations

import json
import multiprocessing
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from dlkit.classroom.intake import Entry
from dlkit.classroom.job import failed_record, grade_payload, make_request
from dlkit.classroom.outputs import feedback_markdown, file_name, gradescope_results, grades_csv


@dataclass
class ClassRun:
    """What one `dlkit grade` run did."""

    records: list[dict[str, Any]] = field(default_factory=list)
    graded: int = 0
    reused: int = 0
    seconds: float = 0.0


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def run_local(requests: list[bytes], jobs: int) -> Iterator[tuple[int, bytes]]:
    """(index, answer) as each request is graded, by `jobs` judge processes.
    A judge process that dies is replaced; the request it held is retried
    once, then recorded as an internal error."""
    pending = dict(enumerate(requests))
    tries: dict[int, int] = {}
    while pending:
        context = multiprocessing.get_context("spawn")  # a clean judge: no state of this process
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pending))), mp_context=context) as pool:
            futures: dict[Future, int] = {pool.submit(grade_payload, req): k for k, req in pending.items()}
            broken = False
            while futures and not broken:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    k = futures.pop(future)
                    try:
                        answer = future.result()
                    except BrokenProcessPool:
                        broken = True
                        tries[k] = tries.get(k, 0) + 1
                        if tries[k] < 2:
                            continue
                        answer = failed_record(pending[k], "internal error of the grader: the judge process died")
                    del pending[k]
                    yield k, answer
            if broken:
                for future in futures:
                    future.cancel()


BATCH_SYSTEMS = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}


def batch_cluster(system: str, workers: int) -> Any:
    """A dask-jobqueue cluster of `workers` single-threaded Dask workers,
    submitted as batch jobs (queue, cores per job, memory: dask-jobqueue's own
    configuration, ~/.config/dask/jobqueue.yaml)."""
    import importlib

    jobqueue = importlib.import_module("dask_jobqueue")
    cluster = getattr(jobqueue, BATCH_SYSTEMS[system])()
    cluster.scale(workers)
    return cluster


def run_dask(requests: list[bytes], address: Any, workers: int = 1) -> Iterator[tuple[int, bytes]]:
    """(index, answer) as each request is graded on the Dask cluster at
    `address` (a scheduler address, a distributed Cluster object, or 'slurm'
    / 'pbs' for a dask-jobqueue cluster of `workers` workers). Only bytes
    travel: the workers need dlkit installed, no shared file system."""
    from distributed import Client, as_completed

    if isinstance(address, str) and address in BATCH_SYSTEMS:
        address = batch_cluster(address, workers)
    with Client(address) as client:
        keys = [f"dlkit-grade-{k}-{json.loads(r)['hash'][:16]}" for k, r in enumerate(requests)]
        futures = client.map(grade_payload, requests, key=keys, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        for future in as_completed(futures):
            yield index[future.key], future.result()


class Progress:
    """A live bar on a terminal (count, failures so far, ETA), plain lines otherwise."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.done, self.failed = total, 0, 0
        self.bar = None
        if total and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="submission", desc="grading", file=self.stream, dynamic_ncols=True)

    def update(self, record: dict[str, Any], reused: bool = False) -> None:
        self.done += 1
        self.failed += record["status"] == "error" or record["score"] < record["max_score"]
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.failed} not full marks", refresh=False)
            self.bar.update(1)
            return
        how = "earlier result" if reused else f"{record['seconds']:.1f} s"
        score = (f"{record['score']:g}/{record['max_score']:g}" if record["status"] == "graded"
                 else f"error: {record['reason']}")
        print(f"[{self.done}/{self.total}] {record['student']}: {score} ({how})", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_class(entries: list[Entry], modules: list[str], out: Path, jobs: int = 1, force: bool = False,
                scheduler: Any = None, hidden: bool = True, test_limit: float = 60.0, sandbox: str = "auto",
                progress: Callable[[int], Progress] | None = None) -> ClassRun:
    """Grade every entry on `modules`; write OUT/records, OUT/results (Gradescope),
    OUT/feedback per student as each finishes, then OUT/grades.csv.

    A student whose stored record has the same content hash (same files,
    modules, graders and limits) is not graded again unless `force`."""
    began = time.monotonic()
    for sub in ("records", "results", "feedback"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    names = [file_name(e.student, taken) for e in entries]
    requests = [make_request(e, modules, hidden, test_limit, sandbox) for e in entries]
    records: list[dict[str, Any] | None] = [None] * len(entries)
    todo: list[int] = []
    for k, request in enumerate(requests):
        stored = _stored(out / "records" / f"{names[k]}.json")
        if not force and stored is not None and stored.get("hash") == json.loads(request)["hash"] \
                and stored.get("student") == entries[k].student:
            records[k] = stored
        else:
            todo.append(k)
    run = ClassRun(reused=len(entries) - len(todo))
    bar = (progress or (lambda n: Progress(n)))(len(entries))
    for k, record in enumerate(records):
        if record is not None:
            bar.update(record, reused=True)
    runner = run_dask([requests[k] for k in todo], scheduler, jobs) if scheduler is not None \
        else run_local([requests[k] for k in todo], jobs)
    try:
        for j, answer in runner:
            k = todo[j]
            record = json.loads(answer)
            records[k] = record
            _write_student(out, names[k], record)
            run.graded += 1
            bar.update(record)
    finally:
        bar.close()
    run.records = [r for r in records if r is not None]
    for k, record in enumerate(records):  # results of earlier runs may predate these files
        if record is not None and not (out / "results" / f"{names[k]}.json").is_file():
            _write_student(out, names[k], record)
    (out / "grades.csv").write_text(grades_csv(run.records), encoding="utf-8")
    run.seconds = time.monotonic() - began
    return run


def _stored(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_student(out: Path, name: str, record: dict[str, Any]) -> None:
    (out / "results" / f"{name}.json").write_text(_json(gradescope_results(record)), encoding="utf-8")
    (out / "feedback" / f"{name}.md").write_text(feedback_markdown(record), encoding="utf-8")
    # Last: a record on disk means its other files are complete (what resuming trusts).
    (out / "records" / f"{name}.json").write_text(_json(record), encoding="utf-8")
