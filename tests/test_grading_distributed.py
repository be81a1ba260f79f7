"""`dlcourse grade --scheduler`: grading through a real Dask cluster (Dask's own `dask scheduler` and
`dask worker` commands, separate processes on loopback, each worker with its own folder) gives the
same CSV and gradebook as the thread pool; a worker killed while grading loses nothing; a cluster lost
while grading keeps what was stored, and a rerun grades only what is missing. Also: the Kubernetes
recipe (deploy/grading-cluster/) gives the workers what the sandbox needs.

One course of 20 homework-1 submissions (honest, buggy and adversarial) is graded once on this machine
(module fixture); each test then empties the course's records and grades it again through a cluster.
"""

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .grading import corpus
from .grading.homework import new_course

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TIMEOUT = 5
ADVERSARIAL = ("steals_solutions", "writes_gradebook", "reads_other_students", "patches_asserts_and_abs",
               "patches_check", "uses_dlcourse_implementation", "deleted_test_cells", "replaced_test_source",
               "stripped_metadata", "changed_test_metadata", "kernel_exit", "truncated_notebook")

pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")


def _env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def _grade(course, *args):
    return subprocess.run([str(BIN / "dlcourse"), "grade", "hw1", "--timeout", str(TIMEOUT), "--no-progress", *args],
                          cwd=course, env=_env(), capture_output=True, text=True, timeout=600)


def _csv(course, seconds=False):
    """grades/hw1.csv as rows; without the last column, ``seconds`` (each run's own wall time), unless asked."""
    with open(course / "grades" / "hw1.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "seconds", rows[0]
    return rows if seconds else [row[:-1] for row in rows]


def _gradebook(course):
    """{student: (score, late penalty, [(notebook, grade cell, auto score)])} of every submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return {sub.student_id: (sub.score, sub.late_submission_penalty,
                                 sorted((nb.name, g.name, g.auto_score) for nb in sub.notebooks for g in nb.grades))
                for sub in gb.assignment_submissions("hw1")}


def _reset(course):
    """The course as before any grading of a student (the gradebook keeps the assignment, the
    reference's cached values stay): nothing of a previous run can make a test pass."""
    from nbgrader.api import Gradebook

    for folder in ("autograded", "grades", "build/grading/hw1/results"):
        shutil.rmtree(course / folder, ignore_errors=True)
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for student in [s.id for s in gb.students]:
            gb.remove_student(student)


def _workers_csv(course):
    with open(course / "build" / "grading" / "hw1" / "workers.csv", newline="") as f:
        return list(csv.reader(f))[1:]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("course_cluster"), "hw1")
    adversarial = corpus.adversarial(root)
    submissions = {**corpus.honest_and_mutants(), **{k: adversarial[k] for k in ADVERSARIAL}}
    assert len(submissions) == 20
    corpus.write(root, submissions)
    proc = _grade(root, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    local = {"csv": _csv(root), "gradebook": _gradebook(root)}
    for name, (_, honest, status) in submissions.items():          # the thread pool grades as it should
        row = next(r for r in local["csv"] if r[0] == name)
        assert row[3] == status and (row[1] == "" if honest is None else float(row[1]) == honest), row
    return {"root": root, "local": local, "submissions": submissions}


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A Dask scheduler on loopback and workers w1, w2: each its own process, started with Dask's own
    commands, each worker with its own folder and one thread (one sandbox at a time)."""

    def __init__(self, folder):
        self.folder, self.procs = folder, {}
        self.address = f"tcp://127.0.0.1:{_free_port()}"

    def _start(self, name, *cmd):
        log = open(self.folder / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([str(BIN / "dask"), *cmd], env=_env(), stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.folder)
        log.close()

    def start(self):
        from distributed import Client

        self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                    "--no-dashboard")
        for name in ("w1", "w2"):
            (self.folder / name).mkdir(exist_ok=True)
            self._start(name, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
                        "--no-dashboard", "--local-directory", str(self.folder / name))
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)

    def kill(self, name):
        self.procs[name].kill()          # SIGKILL, by the process id
        self.procs[name].wait()

    def stop(self):
        for name, proc in self.procs.items():
            if proc.poll() is None:
                self.kill(name)


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _graded_by(course):
    """{student: the worker's name} (w1, w2, or how the parent stored it)."""
    return {s: w.split()[0] if w[:1] == "w" else w for s, w in _workers_csv(course)}


def test_a_cluster_grades_as_the_thread_pool(course, cluster):
    root = course["root"]
    _reset(root)
    proc = _grade(root, "--scheduler", cluster.address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _csv(root) == course["local"]["csv"]
    assert _gradebook(root) == course["local"]["gradebook"]
    seconds = {r[0]: r[-1] for r in _csv(root, seconds=True)[1:]}       # workers time what they ran
    assert seconds.pop("truncated_notebook") == "" and all(float(x) > 0 for x in seconds.values()), seconds
    graded_by = _graded_by(root)
    assert sorted(graded_by) == sorted(course["submissions"])
    assert graded_by.pop("truncated_notebook").startswith("parent")      # nothing to run: stored by the parent
    assert set(graded_by.values()) == {"w1", "w2"}, graded_by             # both workers took tasks
    assert "graded by: " in proc.stderr and "w1 (tcp://" in proc.stderr
    zygotes = {w: list((cluster.folder / w).glob("**/dlcourse-grading/zygote.log")) for w in ("w1", "w2")}
    assert all(zygotes.values()), zygotes                                # the workers started warm, as the grader


def test_a_cluster_runs_the_engine_the_grader_was_given(course, cluster):
    """--engine kernel (ipykernel with nbclient) and --start cold reach the workers: the same grades, and no
    worker started a zygote."""
    root = course["root"]
    _reset(root)
    proc = _grade(root, "--scheduler", cluster.address, "--engine", "kernel")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "engine kernel" in proc.stderr and _csv(root) == course["local"]["csv"]
    assert _gradebook(root) == course["local"]["gradebook"]
    assert not list(cluster.folder.glob("w*/**/dlcourse-grading/zygote.log"))


def test_a_worker_killed_while_grading_loses_nothing(course, cluster):
    import psutil

    root = course["root"]
    _reset(root)
    w1 = cluster.procs["w1"]
    grading = subprocess.Popen([str(BIN / "dlcourse"), "grade", "hw1", "--timeout", str(TIMEOUT), "--no-progress",
                                "--scheduler", cluster.address], cwd=root, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not psutil.Process(w1.pid).children(recursive=True):     # w1 is running a submission's sandbox
        assert grading.poll() is None and time.monotonic() < deadline, "w1 never started grading"
        time.sleep(0.05)
    cluster.kill("w1")
    out, err = grading.communicate(timeout=600)
    assert grading.returncode == 0, err[:4000]
    assert _csv(root) == course["local"]["csv"]                      # every submission, its score and status
    assert _gradebook(root) == course["local"]["gradebook"]
    graded_by = _graded_by(root)
    assert sorted(graded_by) == sorted(course["submissions"])       # each once
    graded_by.pop("truncated_notebook")
    assert set(graded_by.values()) == {"w2"}, graded_by              # w1 died in its first task: w2 graded all


def test_a_lost_cluster_keeps_what_was_stored_and_a_rerun_grades_only_the_rest(course, cluster):
    root = course["root"]
    _reset(root)
    results = root / "build" / "grading" / "hw1" / "results"
    grading = subprocess.Popen([str(BIN / "dlcourse"), "grade", "hw1", "--timeout", str(TIMEOUT), "--no-progress",
                                "--scheduler", cluster.address], cwd=root, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while len(list(results.glob("*.json"))) < 5:
        assert grading.poll() is None and time.monotonic() < deadline, "nothing was stored"
        time.sleep(0.05)
    cluster.stop()                                                  # the scheduler and the workers are gone
    out, err = grading.communicate(timeout=300)
    stored = len(list(results.glob("*.json")))
    assert grading.returncode == 1 and "the Dask cluster was lost" in err and "Traceback" not in err, err[:4000]
    rows = {r[0]: r for r in _csv(root)[1:]}
    assert sum(r[3] == "grading_error" for r in rows.values()) == 20 - stored
    cluster.start()                                                 # a new cluster at the same address
    proc = _grade(root, "--scheduler", cluster.address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{stored} of 20 submissions already graded with this version" in proc.stderr
    assert _csv(root) == course["local"]["csv"]
    assert _gradebook(root) == course["local"]["gradebook"]
    again = dict(_workers_csv(root))
    assert sum("earlier run" in w for w in again.values()) == stored


def test_the_grading_cluster_manifest_runs_the_sandbox_as_it_needs():
    """deploy/grading-cluster: privileged root workers in the course image's grading twin, one sandbox per
    CPU, a scheduler reachable inside the cluster only."""
    import yaml

    docs = {(d["kind"], d["metadata"]["name"]): d for d in
            yaml.safe_load_all((ROOT / "deploy" / "grading-cluster" / "grading-cluster.yaml").read_text())}
    worker = docs["Deployment", "grading-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["securityContext"] == {"runAsUser": 0, "privileged": True}
    command = worker["command"]
    assert command[1] == "tcp://grading-scheduler:8786"
    assert command[command.index("--nthreads") + 1] == str(worker["resources"]["limits"]["cpu"])
    assert docs["Service", "grading-scheduler"]["spec"]["type"] == "ClusterIP"
    hub = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())["singleuser"]["image"]
    for deployment in ("grading-worker", "grading-scheduler"):
        image = docs["Deployment", deployment]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"{hub['name']}-grading:{hub['tag']}", image       # the hub's image, same tag
    dockerfile = (ROOT / "deploy" / "grading-cluster" / "Dockerfile").read_text()
    assert "bubblewrap" in dockerfile and "[cluster]" in dockerfile and f"dlcourse:{hub['tag']}" in dockerfile
