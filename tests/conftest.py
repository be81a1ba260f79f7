import os

import numpy as np
import pytest

# Notebooks executed by the tests (and their kernels, which inherit this) use their smoke configuration.
os.environ.setdefault("DLCOURSE_SMOKE", "1")



@pytest.fixture(scope="session")
def executed_lecture(tmp_path_factory):
    """path -> that lecture executed once per test run (smoke settings), a fresh copy each call.

    The lecture tests, the static site and the decks all start from this one execution; the
    determinism tests execute each lecture a second time and compare. With parallel test workers
    (pytest-xdist) the first worker that needs a lecture executes it under a file lock and the
    others read its result from the run's shared temporary folder (keyed by the notebook's bytes).
    """
    import copy
    import hashlib
    from pathlib import Path

    import nbformat
    from filelock import FileLock

    from dlcourse import site

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent                      # the folder all workers of this run share
    shared = shared / "executed-lectures"
    shared.mkdir(exist_ok=True)
    cache = {}

    def get(path):
        path = Path(path).resolve()
        if path not in cache:
            key = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
            done = shared / f"{path.stem}-{key}.ipynb"
            with FileLock(str(done) + ".lock"):
                if not done.exists():
                    nbformat.write(site.execute(path, timeout=300), done)
            cache[path] = nbformat.read(done, as_version=4)
        return copy.deepcopy(cache[path])

    return get


def _torch():
    import torch as _t  # torch is a required test dependency (pinned in pyproject.toml)

    return _t           # references are built from float64 numpy arrays, so they are float64 too


@pytest.fixture(scope="session")
def torch():
    return _torch()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def finite_difference_gradient(f, beta, h=1e-6):
    """Central differences, written independently of dlcourse.gradcheck."""
    beta = np.asarray(beta, dtype=float)
    g = np.zeros_like(beta)
    for j in range(beta.size):
        e = np.zeros_like(beta)
        e[j] = h
        g[j] = (f(beta + e) - f(beta - e)) / (2 * h)
    return g


# The longest test files first: with parallel workers (`make test` runs pytest-xdist, one file per
# worker at a time) a long file started last would leave the other workers idle at the end.
LONGEST_FIRST = ["test_grading_hw3.py", "test_grading_quiz.py", "test_grading_hw4.py", "test_jupyterhub.py",
                 "test_grading_hw2.py", "test_trust.py", "test_grading.py", "test_lecture_03.py",
                 "test_grading_distributed.py", "test_slides.py", "test_report.py", "test_collect.py",
                 "test_lecture_02.py", "test_lectures.py", "test_lecture_05.py", "test_lecture_04.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))      # stable: order within a file kept


# --- CPU seconds per test file (the suite's cost on CI's 2 cores is its CPU time, not its wall time) ---------

def _cpu_seconds():
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _cpu_log(config):
    base = config._tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                          # the folder all workers of this run share
    return base / "cpu-seconds.tsv"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test's CPU time, its fixtures' set-up and its own processes (kernels, servers, browsers: children it
    waited for) included, added to its file's line in the run's cpu-seconds.tsv. Processes inside a bubblewrap
    sandbox with its own PID namespace are not counted (measured: a sandboxed busy loop adds 0.03 s, not 0.4 s)."""
    start = _cpu_seconds()
    yield
    with open(_cpu_log(item.config), "a") as log:
        log.write(f"{item.path.name}\t{_cpu_seconds() - start:.2f}\n")


def pytest_terminal_summary(terminalreporter, config):
    path = _cpu_log(config)
    if os.environ.get("PYTEST_XDIST_WORKER") or not path.exists():
        return
    totals = {}
    for line in path.read_text().splitlines():
        name, seconds = line.split("\t")
        totals[name] = totals.get(name, 0.0) + float(seconds)
    terminalreporter.write_sep("=", "CPU seconds by test file (test processes and children they waited for; not what "
                                    "ran inside grading sandboxes, whose PID namespace keeps it from their parent)")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:10]:
        terminalreporter.write_line(f"{seconds:8.1f}s  {name}")
    terminalreporter.write_line(f"{sum(totals.values()):8.1f}s  in all, {len(totals)} files")
