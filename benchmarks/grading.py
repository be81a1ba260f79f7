"""Grading 60 submissions: `dlcourse grade --jobs 2` against stock `nbgrader autograde`, in one run.

Run:  .venv/bin/python benchmarks/grading.py [N]     (N submissions, default 60)
      JOBS=4 ... (other worker counts), PER_STUDENT=1 ... (also stock nbgrader called once per student)
      SCHEDULER=local ... (or --scheduler local): the thread pool against `dlcourse grade --scheduler local`,
      a Dask LocalCluster of JOBS single-threaded worker processes on this machine (instead of stock nbgrader)
      ENGINE=kernel ... (dlcourse grade --engine kernel: ipykernel and nbclient instead of the fast engine)
      COLD=0 ... (skip the side-by-side run with --start cold, Python started in every sandbox)
Both start from a fresh copy of the course with the same submissions (a mix of correct, buggy and
broken notebooks) and include their set-up (nbgrader generate_assignment; for dlcourse also the
reference run). Prints both wall times, seconds per submission and the ratio. Goal: >= 4x
(with SCHEDULER=local: the cluster's cost on one machine, cluster/thread pool; the grades must be equal).
Then the per-submission overhead: each submission's grading time (the `seconds` column of the grades
CSV: its sandbox, start to end) minus its cells' own run time (the same notebooks' cells timed one by
one in one warm kernel, no sandbox), and the memory of one sandbox (its processes' RSS and PSS, sampled
while the reference solution runs, and the peak of its cgroup) for both engines.
"""

import csv
import os
import subprocess
import sys
import tempfile
import threading
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


def _scores(course):
    """The grades CSV without its `seconds` column (wall times differ from run to run)."""
    with open(course / "grades" / "hw1.csv", newline="") as f:
        return [row[:-1] for row in csv.reader(f)]


def cell_seconds(text):
    """The run time of a submission's code cells alone: timed one by one in a warm fast-engine kernel (the
    harness first, as when grading), in a scratch folder; the kernel's start is not counted."""
    import json

    from dlcourse.grading import execute, kernel
    from dlcourse.homework import ALLOWED_ENV, GRADING_ENV, allowed_modules

    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError):
        return 0.0                                   # not a notebook: nothing runs
    os.environ[GRADING_ENV] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        here = os.getcwd()
        os.chdir(scratch)
        try:
            k = kernel.Kernel.start()
            try:
                k.execute(execute.HARNESS.format(allowed=allowed_modules(()), env=ALLOWED_ENV), 30)
                total = 0.0
                for cell in cells:
                    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    if cell["cell_type"] != "code" or not source.strip():
                        continue
                    t0 = time.perf_counter()
                    reply = k.execute(source, 30)
                    total += time.perf_counter() - t0
                    if reply.status == "died":
                        break
            finally:
                k.shutdown()
        finally:
            os.chdir(here)
    return total


def overhead(course, submissions):
    """Per submission: grading time (the CSV's seconds) minus the cells' own run time."""
    with open(course / "grades" / "hw1.csv", newline="") as f:
        seconds = {r["student_id"]: float(r["seconds"]) for r in csv.DictReader(f) if r.get("seconds")}
    own, kinds = {}, {}
    for student, (text, _, _) in submissions.items():
        if student in seconds:
            kinds.setdefault(text, []).append(student)
    for text, students in kinds.items():
        t = cell_seconds(text)
        for student in students:
            own[student] = t
    if not seconds:
        print("per-submission overhead: the CSV has no seconds column")
        return
    grading = sum(seconds.values()) / len(seconds)
    cells = sum(own[s] for s in seconds) / len(seconds)
    print(f"per submission (mean of {len(seconds)}): grading {grading:.2f} s = cells {cells:.2f} s "
          f"+ overhead {grading - cells:.2f} s  (overhead min {min(seconds[s] - own[s] for s in seconds):.2f} s, "
          f"max {max(seconds[s] - own[s] for s in seconds):.2f} s)")


def memory(engine):
    """(peak RSS sum, peak PSS sum, peak cgroup usage) in MiB of one sandbox running the reference solution
    with a last cell that sleeps 2 s, sampled from outside every 50 ms."""
    import nbformat

    from dlcourse.grading import autograde, sandbox

    nb = nbformat.reads(corpus.build(corpus.reference_answers()), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(2)"))
    allowed = ("dlcourse", "dlcourse._validation", "dlcourse.data", "dlcourse.homework", "dlcourse.landscapes")
    peaks, done = [0, 0, 0], threading.Event()

    def sample(slot):
        kind = sandbox.cgroup_kind()
        group = sandbox._cgroup_dirs(slot)["memory" if kind == "v1" else "unified"]
        usage = group / ("memory.max_usage_in_bytes" if kind == "v1" else "memory.peak")
        while not done.wait(0.05):
            try:
                pids = [int(x) for x in (group / "cgroup.procs").read_text().split()]
            except OSError:
                continue
            rss = pss = 0
            for pid in pids:
                try:
                    for line in open(f"/proc/{pid}/smaps_rollup"):
                        if line.startswith("Rss:"):
                            rss += int(line.split()[1]) * 1024
                        elif line.startswith("Pss:"):
                            pss += int(line.split()[1]) * 1024
                except OSError:
                    pass
            peaks[0], peaks[1] = max(peaks[0], rss), max(peaks[1], pss)
            try:
                peaks[2] = max(peaks[2], int(usage.read_text()))
            except (OSError, ValueError):
                pass

    with tempfile.TemporaryDirectory() as work:
        runner = autograde.Runner(Path(work), timeout=30, slots=1, engine=engine)
        if runner.slots is None:
            return None
        real = runner._run_sandbox

        def run_sandbox(argv, input_dir, limits, slot, *args):
            kind = sandbox.cgroup_kind()
            group = sandbox._cgroup_dirs(slot)["memory" if kind == "v1" else "unified"]
            sandbox.setup_cgroup(slot, limits)
            try:
                (group / ("memory.max_usage_in_bytes" if kind == "v1" else "memory.reclaim")).write_text("0")
            except OSError:
                pass
            watcher = threading.Thread(target=sample, args=(slot,), daemon=True)
            watcher.start()
            try:
                return real(argv, input_dir, limits, slot, *args)
            finally:
                done.set()
                watcher.join()

        runner._run_sandbox = run_sandbox
        result = runner.execute(nb, "memory", allowed, budget=None)
        assert result["status"] == "ok", result
        zygote = [0, 0]
        if runner.zygote is not None and runner.zygote.pid:      # the warm start's zygote, one per grading run
            for line in open(f"/proc/{runner.zygote.pid}/smaps_rollup"):
                if line.startswith("Rss:"):
                    zygote[0] = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    zygote[1] = int(line.split()[1]) * 1024
        runner.close()
    return [x / 1024**2 for x in peaks + zygote]


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
    print(f"{n} submissions ({len(mix)} kinds: correct, buggy, broken), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows both sides)")
    if scheduler == "local":
        return cluster_against_pool(submissions, n, os.environ.get("JOBS", "2"))
    if scheduler:
        sys.exit(f"--scheduler: only `local` is timed here, got {scheduler!r}")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ours_course, stock_course = make_course(a, submissions), make_course(b, submissions)
        jobs = os.environ.get("JOBS", "2")
        engine = os.environ.get("ENGINE", "fast")
        t_ours, p = timed([str(BIN / "dlcourse"), "grade", "hw1", "--jobs", jobs, "--no-progress", "--engine", engine],
                          ours_course)
        print(f"dlcourse grade --jobs {jobs} ({engine}): {t_ours:7.1f} s  ({t_ours / n:.2f} s per submission)  "
              f"exit {p.returncode}")
        overhead(ours_course, submissions)
        if os.environ.get("COLD", "1") != "0" and engine == "fast":   # the same without the warm start
            with tempfile.TemporaryDirectory() as c:
                cold_course = make_course(c, submissions)
                t_cold, p = timed([str(BIN / "dlcourse"), "grade", "hw1", "--jobs", jobs, "--no-progress",
                                   "--start", "cold"], cold_course)
                same = _scores(cold_course) == _scores(ours_course)
                print(f"dlcourse grade --jobs {jobs} --start cold (Python started in each sandbox): {t_cold:7.1f} s  "
                      f"(warm start {t_cold / t_ours:.2f}x faster; same grades: {same})")
        if os.environ.get("ONLY_OURS"):
            return
        t_gen, _ = timed([sys.executable, "-m", "nbgrader", "generate_assignment", "hw1", "--force"], stock_course)
        t_auto, p = timed([sys.executable, "-m", "nbgrader", "autograde", "hw1", "--create"], stock_course)
        t_stock = t_gen + t_auto
        print(f"nbgrader generate+autograde: {t_stock:7.1f} s  ({t_stock / n:.2f} s per submission)  exit {p.returncode}")
        print(f"speed-up stock/dlcourse: {t_stock / t_ours:.2f}x  (goal >= 4x; load average now "
              f"{os.getloadavg()[0]:.1f})")
        for name in ("fast", "kernel"):
            peaks = memory(name)
            if peaks:
                print(f"memory of one sandbox ({name} engine, hw1 reference): RSS {peaks[0]:.0f} MiB, "
                      f"PSS {peaks[1]:.0f} MiB (its processes together), cgroup peak {peaks[2]:.0f} MiB"
                      + (f"; plus the warm start's zygote, once per grading run: RSS {peaks[3]:.0f} MiB, "
                         f"PSS {peaks[4]:.0f} MiB" if peaks[3] else ""))
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
