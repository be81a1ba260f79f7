"""Grading 60 submissions: `dlcourse grade --jobs 2` against stock `nbgrader autograde`, in one run.

Run:  .venv/bin/python benchmarks/grading.py [N]     (N submissions, default 60)
      JOBS=4 ... (other worker counts), PER_STUDENT=1 ... (also stock nbgrader called once per student)
      SCHEDULER=local ... (or --scheduler local): the thread pool against `dlcourse grade --scheduler local`,
      a Dask LocalCluster of JOBS single-threaded worker processes on this machine (instead of stock nbgrader)
Both start from a fresh copy of the course with the same submissions (a mix of correct, buggy and
broken notebooks) and include their set-up (nbgrader generate_assignment; for dlcourse also the
reference run). Prints both wall times, seconds per submission and the ratio. Goal: >= 4x
(with SCHEDULER=local: the cluster's cost on one machine, cluster/thread pool; the grades must be equal).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grading import corpus  # noqa: E402
from grading.homework import new_course  # noqa: E402

BIN = Path(sys.executable).parent


def make_course(base, submissions):
    course = new_course(base, "hw1")
    corpus.write(course, submissions)
    return course


def timed(cmd, cwd):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:])
    return elapsed, proc


def cluster_against_pool(submissions, n, jobs):
    """The same submissions graded by the thread pool and by a local 2-worker Dask cluster (cluster first,
    then the pool, each from a fresh course); both CSVs must be equal."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        pool_course, cluster_course = make_course(a, submissions), make_course(b, submissions)
        base = [str(BIN / "dlcourse"), "grade", "hw1", "--jobs", jobs, "--no-progress"]
        t_cluster, p = timed(base + ["--scheduler", "local"], cluster_course)
        print(f"dlcourse grade --scheduler local ({jobs} workers): {t_cluster:7.1f} s  ({t_cluster / n:.2f} s per "
              f"submission)  exit {p.returncode}")
        t_pool, p = timed(base, pool_course)
        print(f"dlcourse grade --jobs {jobs} (thread pool):    {t_pool:7.1f} s  ({t_pool / n:.2f} s per submission)  "
              f"exit {p.returncode}")
        same = ((pool_course / "grades" / "hw1.csv").read_text() == (cluster_course / "grades" / "hw1.csv").read_text())
        print(f"ratio cluster/thread pool: {t_cluster / t_pool:.2f}x  (same CSV: {same})")


def main():
    args = [a for a in sys.argv[1:] if a not in ("--scheduler", "local")]
    scheduler = os.environ.get("SCHEDULER") or ("local" if "--scheduler" in sys.argv[1:] else None)
    n = int(args[0]) if args else 60
    pool = corpus.honest_and_mutants()
    broken = {k: v for k, v in corpus.adversarial("/nonexistent").items()
              if k in ("kernel_exit", "truncated_notebook", "patches_asserts_and_abs", "uses_dlcourse_implementation")}
    mix = list({**pool, **broken}.items())
    submissions = {f"s{i:03d}_{name}": entry for i, (name, entry) in
                   zip(range(n), (mix[i % len(mix)] for i in range(n)))}
    print(f"{n} submissions ({len(mix)} kinds: correct, buggy, broken), {os.cpu_count()} CPUs")
    if scheduler == "local":
        return cluster_against_pool(submissions, n, os.environ.get("JOBS", "2"))
    if scheduler:
        sys.exit(f"--scheduler: only `local` is timed here, got {scheduler!r}")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ours_course, stock_course = make_course(a, submissions), make_course(b, submissions)
        jobs = os.environ.get("JOBS", "2")
        t_ours, p = timed([str(BIN / "dlcourse"), "grade", "hw1", "--jobs", jobs, "--no-progress"], ours_course)
        print(f"dlcourse grade --jobs {jobs}:      {t_ours:7.1f} s  ({t_ours / n:.2f} s per submission)  exit {p.returncode}")
        if os.environ.get("ONLY_OURS"):
            return
        t_gen, _ = timed([sys.executable, "-m", "nbgrader", "generate_assignment", "hw1", "--force"], stock_course)
        t_auto, p = timed([sys.executable, "-m", "nbgrader", "autograde", "hw1", "--create"], stock_course)
        t_stock = t_gen + t_auto
        print(f"nbgrader generate+autograde: {t_stock:7.1f} s  ({t_stock / n:.2f} s per submission)  exit {p.returncode}")
        print(f"speed-up stock/dlcourse: {t_stock / t_ours:.2f}x  (goal >= 4x)")
        if os.environ.get("PER_STUDENT"):     # stock nbgrader called once per student, as a TA script does
            t_each = 0.0
            for student in submissions:
                t, _ = timed([sys.executable, "-m", "nbgrader", "autograde", "hw1", "--create",
                              "--student", student, "--force"], stock_course)
                t_each += t
            print(f"nbgrader autograde --student (one call each): {t_each:7.1f} s  ({t_each / n:.2f} s per submission); "
                  f"speed-up {t_each / t_ours:.2f}x")


if __name__ == "__main__":
    main()
