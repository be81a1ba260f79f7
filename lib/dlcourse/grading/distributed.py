"""`dlcourse grade --scheduler ADDRESS|local`: one task per submission on a Dask distributed cluster.

The process that runs `dlcourse grade` (the parent) keeps everything that touches the course's records,
exactly as without a scheduler: the gradebook sync and the reference runs (`Grader.set_up`), each
submission's checks and nbgrader's sanitizing (`Grader.prepare`), then, as each result comes back, the
gradebook, autograded/ and the result marker (`Grader.store`), and at the end the CSV. A worker only runs
`autograde.run_notebooks` in sandboxes of its own machine, as the thread pool does on one machine. The
task carries what that needs as data (the sanitized notebooks, the reference's checked values, the
allow-list, the student's and the release's input files), so a worker needs the same
dlcourse installed (checked with `code_digest`), bubblewrap, root and cgroups, but not the course folder
(deploy/grading-cluster/README.md).

Nothing lost:
* a worker that dies while grading: the scheduler runs its task on another worker (Dask reschedules the
  tasks of a lost worker; a task that kills ``allowed-failures`` workers in a row gets a status);
* one task per submission, keyed by assignment, version and student, and the parent stores the first
  result per student only: a submission graded twice is stored once;
* each result is stored when it arrives: a rerun after a lost cluster skips what was stored with the
  current version (`Grader.finished`, on by default through a scheduler) and grades the rest.
"""

import hashlib
import logging
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from .autograde import GradingError, Outcome, Runner, _shown, code_digest, run_notebooks

LOCAL = "local"
PARENT = "parent (nothing to run)"
RETRIES = 2                 # a task that raised (a worker's set-up, never a student's code) may try other workers
CONNECT_TIMEOUT = 30        # seconds to reach the scheduler
LOST = ("the Dask cluster was lost before this submission was graded: run the same command again "
        "to grade what is missing")


# --- on the worker ----------------------------------------------------------------------------------

_runners, _runners_lock = {}, threading.Lock()


def _runner(worker, timeout, budget, engine="fast", warm=True, preload=()):
    """This worker process's sandboxes: one `Runner` per (timeout, budget, engine, start, preload), as many
    slots as threads (a warm runner's zygote lives as long as the worker)."""
    key = (timeout, budget, engine, warm, tuple(preload))
    with _runners_lock:
        if key not in _runners:
            work = Path(worker.local_directory) / "dlcourse-grading"
            _runners[key] = Runner(work, timeout=timeout, budget=budget, slots=max(worker.state.nthreads, 1),
                                   engine=engine, warm=warm, preload=tuple(preload))
        return _runners[key]


def _write(folder, files):
    for rel, data in files.items():
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise GradingError(f"an input file outside the input folder: {rel!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def grade_task(task):
    """Runs on a Dask worker: one submission's notebooks in this machine's sandboxes (`run_notebooks`).

    task : `Grader.prepare`'s task plus ``files`` (the input files `Grader.inputs` gathered: the student's
        and the release's, {path: bytes}) and ``dlcourse`` (the parent's `code_digest`)
    Returns `run_notebooks`'s result with ``worker`` (this worker's name) and ``seconds``. Raises only when
    this worker cannot grade at all (its dlcourse differs, no sandbox): Dask may then try another worker.
    """
    from distributed import get_worker

    started = time.perf_counter()
    worker = get_worker()
    if task["dlcourse"] != code_digest():
        raise GradingError(f"worker {worker.name}'s dlcourse differs from the grader's: install the same version "
                           f"(the same commit) on every worker")
    runner = _runner(worker, task["timeout"], task["budget"], task.get("engine", "fast"), task.get("warm", True),
                     task.get("preload", ()))
    inputs = Path(tempfile.mkdtemp(prefix="inputs-", dir=runner.work))
    try:
        _write(inputs, task["files"])
        result = run_notebooks(runner, task, inputs)
    finally:
        shutil.rmtree(inputs, ignore_errors=True)
    return {**result, "worker": _worker_name(worker.name, worker.address),
            "seconds": time.perf_counter() - started}


def _worker_name(name, address):
    return str(address) if name is None or str(name) == str(address) else f"{name} ({address})"


# --- in the parent ----------------------------------------------------------------------------------

def _files(folder):
    """{relative path: bytes} of the regular files under `folder`."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def connect(scheduler, jobs, work):
    """(client, cluster): a Client of the scheduler at `scheduler`, or of a new LocalCluster of `jobs`
    single-threaded worker processes when `scheduler` is "local" (cluster None otherwise)."""
    from distributed import Client, LocalCluster

    if scheduler == LOCAL:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               local_directory=str(Path(work) / "dask"))
        return Client(cluster), cluster
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise GradingError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError as exc:
        client.close()
        raise GradingError(f"the Dask scheduler at {scheduler} has no workers (waited {CONNECT_TIMEOUT} s): "
                           f"start some with `dask worker {scheduler}`") from exc
    return client, None


def _quiet():
    """Dask's client logs a lost scheduler with tracebacks (its loggers have their own levels): the
    parent says it in one line, with what to do."""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _threads(client):
    try:
        return sum(client.nthreads().values())
    except Exception:  # the scheduler is gone: the wait below reports it
        return 1


def _error(student, detail):
    return Outcome(student, statuses={"grading_error"}, details={"grading_error": detail})


def grade_on_cluster(grader, scheduler, *, jobs=2, progress=True, resume=True):
    """Grade every submission of `grader`'s assignment through the Dask scheduler at `scheduler` ("local":
    a LocalCluster of `jobs` workers); write the CSV; returns the outcomes (in `students()` order).

    resume : skip the submissions already graded and stored with this version (`Grader.finished`)
    """
    try:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
    except ImportError as exc:
        raise GradingError("--scheduler needs Dask, which is not installed here: "
                           "pip install -c requirements.lock -e '.[cluster]'") from exc
    from tqdm import tqdm

    students = grader.students()
    client, cluster = connect(scheduler, jobs, grader.work)
    _quiet()
    try:
        info = client.scheduler_info()
        where = (f"Dask scheduler {info.get('address', scheduler)}: {len(info.get('workers', {}))} workers, "
                 f"{_threads(client)} threads")
        grader.start(students, jobs, where)
        done = grader.already_graded(students, resume)
        outcomes = {s: o for s, (o, _) in done.items()}
        graded_by = {s: (w or "?") + " (earlier run)" for s, (_, w) in done.items()}
        version, digest = grader.version(), code_digest()
        todo = iter([s for s in students if s not in outcomes])
        submitted, futures, in_flight = {}, as_completed(), 0

        with tqdm(total=len(students), initial=len(outcomes), desc=f"grading {grader.assignment}", unit="sub",
                  disable=not progress, file=sys.stderr) as bar:

            def finish(student, outcome, worker):
                if student in outcomes:           # graded twice: the first result stays
                    return
                outcomes[student], graded_by[student] = outcome, worker
                bar.set_postfix_str(f"{_shown(student)}: {outcome.status}" + (f" ({worker})" if worker else ""))
                bar.update()

            try:
                while True:
                    window = 2 * max(_threads(client), 1) + 2     # prepared ahead; the rest waits in the parent
                    while in_flight < window:
                        student = next(todo, None)
                        if student is None:
                            break
                        try:
                            sub = grader.prepare(student)
                        except Exception as exc:  # a bug or a broken set-up: reported, and the exit code says so
                            finish(student, _error(student, f"{type(exc).__name__}: {exc}"), None)
                            continue
                        if sub.task is None:        # nothing to run: stored here at once
                            try:
                                finish(student, grader.store(sub, None, worker=PARENT), PARENT)
                            except Exception as exc:
                                finish(student, _error(student, f"{type(exc).__name__}: {exc}"), None)
                            finally:
                                sub.close()
                            continue
                        # every input file travels with its task: data scattered to one worker would be
                        # lost with that worker (and small release files cost little to send again)
                        task = {**sub.task, "dlcourse": digest, "files": _files(sub.inputs)}
                        key = (f"dlcourse-grade-{grader.assignment}-{version[:12]}-"
                               f"{hashlib.sha256(student.encode()).hexdigest()[:16]}")
                        future = client.submit(grade_task, task, key=key, pure=False, retries=RETRIES)
                        submitted[future.key] = sub
                        futures.add(future)
                        in_flight += 1
                    if in_flight == 0:
                        break
                    for future in futures.next_batch(block=True):
                        in_flight -= 1
                        sub = submitted.pop(future.key)
                        try:
                            if sub.student in outcomes:
                                continue
                            try:
                                result = future.result()
                            except KilledWorker as exc:
                                finish(sub.student, _error(sub.student, f"every worker that graded it died "
                                                                        f"({exc.allowed_failures + 1} times)"), None)
                                continue
                            except Exception as exc:
                                if future.status == "cancelled":     # not by us: the scheduler is gone
                                    raise
                                finish(sub.student, _error(sub.student, f"{type(exc).__name__}: {exc}"), None)
                                continue
                            try:
                                finish(sub.student, grader.store(sub, result, worker=result["worker"]), result["worker"])
                            except Exception as exc:
                                finish(sub.student, _error(sub.student, f"{type(exc).__name__}: {exc}"), None)
                        finally:
                            sub.close()
                            future.release()
            except Exception as exc:  # the scheduler went away (connection, cancelled futures): keep what was stored
                why = (str(exc).splitlines() or [""])[0]
                grader.log(f"the Dask cluster was lost ({type(exc).__name__}: {why}): {len(outcomes)} of "
                           f"{len(students)} submissions graded and stored; run the same command again to grade "
                           f"the rest")
            finally:
                for sub in submitted.values():
                    sub.close()
        for student in students:
            if student not in outcomes:
                outcomes[student] = _error(student, LOST)
    finally:
        _close(client, cluster)
    ordered = [outcomes[s] for s in students]
    grader.write_csv(ordered)
    _report_workers(grader, students, graded_by)
    return ordered


def _close(client, cluster):
    try:
        client.close(timeout=10)
    except Exception:  # the scheduler is already gone
        pass
    if cluster is not None:
        cluster.close(timeout=30)


def _report_workers(grader, students, graded_by):
    """Which worker graded what: counts in the log, one line per student in build/grading/<assignment>/workers.csv."""
    import csv

    path = grader.work / "workers.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "worker"])
        for student in students:
            writer.writerow([_shown(student), graded_by.get(student) or "not graded"])
    counts = {}
    for student in students:
        worker = graded_by.get(student) or "not graded"
        counts[worker] = counts.get(worker, 0) + 1
    grader.log("graded by: " + ", ".join(f"{w}: {n}" for w, n in sorted(counts.items()))
               + f" (per student: {path.relative_to(grader.root)})")


__all__ = ["grade_on_cluster", "grade_task", "connect", "LOCAL"]
