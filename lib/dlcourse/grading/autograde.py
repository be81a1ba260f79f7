"""`dlcourse grade`: autograde every submission with nbgrader's machinery, in parallel, sandboxed.

Before grading (`Grader.set_up`): the gradebook learns the source notebooks, and the reference solution
runs once in the sandbox (with per-student variants: once per student, in batches of students sharing
one kernel); its checked values are cached by source version (and student).

Per submission, in three parts: `Grader.prepare` (steps 0–3) and `Grader.store` (step 6) run in the
process that runs `dlcourse grade`, the only one that writes the gradebook and autograded/;
`run_notebooks` (steps 4–5) runs on this machine (a thread pool) or on a Dask worker (`distributed`):
  0. refuse what is not a plain submission: odd student ids (``invalid_student_id``), symlinks or
     special files anywhere in it (``symlink``), oversized notebooks, attachments or folders
     (``too_large``); read `timestamp.txt` into the gradebook;
  1. read the notebook (unreadable: status ``invalid_notebook``);
  2. restore nbgrader metadata that was stripped or changed, from the source notebook (``tampered``);
  3. nbgrader's sanitize preprocessors, with deleted test cells added back (``missing_cells``; OverwriteCells
     with one gradebook read per notebook, `prefetch`);
  4. execute in a sandbox of its own (`sandbox`: own uid and cgroup), fresh kernel (the ``fast`` engine:
     an IPython shell forked inside the sandbox, kernel.py; or ``kernel``: ipykernel with nbclient), per-cell
     timeout and a whole-notebook budget; results arrive cell by cell, so nothing that ran is lost
     (``timeout``, ``kernel_died``). As root, the fast engine's executor is forked into the sandbox from one
     pre-warmed interpreter (`zygote`: numpy and IPython imported once per run, not once per sandbox);
  5. `verify` each test cell against the reference solution's checked values; test cells keep only
     the grader's verdict, and hidden-test lines are redacted from every output;
  6. nbgrader's LimitOutput, SaveAutoGrades (one gradebook read and one commit per notebook, `prefetch`)
     and AssignLatePenalties into the one gradebook (written by this process only); the release files, the
     student's files and timestamp.txt go to autograded/.
Results: autograded/<student>/<assignment>/, the gradebook, and grades/<assignment>.csv with
``student_id,score,max_score,status`` then ``raw_score,late_penalty,timestamp,detail,seconds`` (``seconds``:
the wall time of the submission's sandboxed runs, empty when nothing ran).
A failed submission has its status there, never a bare 0. Each stored result also leaves a marker in
build/grading/<assignment>/results/ (`Grader.finished`): a run with ``resume`` (by default, a run through a
scheduler) grades only the submissions not yet stored with the current version.
"""

import copy
import csv
import fnmatch
import functools
import hashlib
import json
import os
import re
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..homework import GRADING_ENV, STUDENT_ENV
from . import sandbox
from .execute import ENGINES
from .verify import hidden_lines, public_outputs, reference_records, verify

# Most severe first: the status shown when several apply.
STATUSES = ("grading_error", "invalid_student_id", "symlink", "too_large", "invalid_notebook", "missing_notebook",
            "kernel_died", "timeout", "tampered", "missing_cells", "ok")
NOT_GRADED = ("invalid_student_id", "symlink", "too_large", "invalid_notebook", "missing_notebook")

# nbgrader's gradebook keeps ids in String(128); ids are folder names, so no "/" and no leading dot.
STUDENT_ID = re.compile(r"[^\W_][\w.@+-]{0,127}")
MAX_NOTEBOOK_BYTES = 20 * 1024**2
MAX_ATTACHMENT_BYTES = 10 * 1024**2        # all attachments of one notebook together
MAX_SUBMISSION_BYTES = 100 * 1024**2       # the whole submission folder
KEPT_FILES = ("timestamp.txt", "submission_secret.txt")   # nbgrader's, not the student's own files


class GradingError(RuntimeError):
    """Grading itself failed (not a student's code): the command exits non-zero."""


@dataclass
class Outcome:
    student_id: str
    score: float = None
    max_score: float = None
    statuses: set = field(default_factory=set)
    details: dict = field(default_factory=dict)
    raw_score: float = None
    late_penalty: float = None
    timestamp: object = None
    seconds: float = None        # wall time of the sandboxed runs (`run_notebooks`); None when nothing ran

    @property
    def status(self):
        return next((s for s in STATUSES if s in self.statuses), "ok")

    @property
    def detail(self):
        return self.details.get(self.status, "")

    def add(self, status, detail):
        self.statuses.add(status)
        self.details.setdefault(status, detail)


def load_course(root="."):
    """nbgrader's CourseDirectory configured from <root>/nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").exists():
        raise GradingError(f"no nbgrader_config.py in {root}: run dlcourse from the course's root folder")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)
    return coursedir, config


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_digest(folder):
    """A digest of a folder's files (names and contents); None when it holds a link or a special file,
    or is missing."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return None
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder, followlinks=False)):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                return None
            h.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
            if stat.S_ISREG(st.st_mode):
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest():
    """A digest of the installed dlcourse package's code: the grader's and what the sandbox sees."""
    folder, h = sandbox.library_dir(), hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@dataclass
class Submission:
    """One submission between `Grader.prepare` and `Grader.store`: its outcome so far, its input files
    (a temporary folder, removed by `close`) and the task for `run_notebooks` (None: nothing to run)."""
    student: str
    outcome: Outcome
    gradeable: bool = False
    folder: Path = None
    inputs: Path = None
    task: dict = None
    digest: str = None          # of the submission's files when it was prepared (`tree_digest`)

    def close(self):
        if self.inputs is not None:
            _remove(self.inputs)


def run_notebooks(runner, task, inputs):
    """The sandboxed part of grading one submission, the same on the grader's machine and on a Dask
    worker: each notebook of `task` (from `Grader.prepare`) runs in a fresh sandbox of `runner` with the
    files of the folder `inputs`, its test cells are verified against the reference's checked values,
    and only the verdicts and redacted outputs are kept. Returns plain data for `Grader.store`:
    {"notebooks": {name: executed notebook}, "statuses": [[status, detail], ...], "seconds": wall time}."""
    import nbformat

    started = time.perf_counter()
    notebooks, statuses = {}, []
    for item in task["notebooks"]:
        nb = nbformat.from_dict(copy.deepcopy(item["notebook"]))
        result = runner.execute(nb, f"{task['student']}-{item['name']}", item["allowed"], student=task["student"],
                                inputs=inputs)
        if result["status"] in ("kernel_died", "timeout", "grading_error"):
            statuses.append([result["status"], result.get("detail") or result["status"]])
        executed = result["notebook"]
        verify(executed, item["reference"], timed_out=result.get("timed_out", ()),
               kernel_died=result["status"] == "kernel_died")
        public_outputs(executed, set(item["hidden"]))
        notebooks[item["name"]] = executed
    return {"notebooks": notebooks, "statuses": statuses, "seconds": time.perf_counter() - started}


class Runner:
    """Sandboxed execution on this machine: fresh sandboxes (slots, filtered library copies) under `work`.

    The grader's own machine has one; with `--scheduler`, every Dask worker has its own (`distributed`).
    slots : how many sandboxes may run at once (at level bwrap-slots, each has its own uid and cgroup)
    engine : what runs the cells in the sandbox (`execute.ENGINES`): "fast" (kernel.py) or "kernel" (ipykernel)
    warm : fork the fast engine's executor from a pre-warmed zygote (as root); preload : libraries it also
        imports (`zygote.PRELOADABLE`, see `preloads`)
    """

    def __init__(self, work, *, timeout=30, budget=None, slots=2, engine="fast", warm=True, preload=()):
        if engine not in ENGINES:
            raise GradingError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
        self.work, self.timeout, self.engine = Path(work), int(timeout), engine
        self.budget = float(budget) if budget else 20.0 * self.timeout   # seconds for a whole notebook
        self.work.mkdir(parents=True, exist_ok=True)
        self.isolation = sandbox.level()
        self.slots = None
        if self.isolation == "bwrap-slots":           # fail loudly: no per-sandbox limits, no grading as root
            if sandbox.cgroup_kind() is None:
                raise sandbox.SandboxError("no writable cgroups (pids, memory, cpu) under /sys/fs/cgroup: each "
                                           "sandbox needs its own limits (run as root on a machine with cgroups)")
            self.slots = sandbox.Slots(slots)
        self._libraries, self._library_lock = {}, threading.Lock()
        self.zygote = None                # warm start (zygote.py): as root, for the fast engine
        if warm and self.slots is not None and engine == "fast":
            from .zygote import Zygote

            self.zygote = Zygote(env=sandbox.environment(), log=self.work / "zygote.log", preload=preload)

    def close(self):
        """End the zygote, if one was started (it also ends with this process)."""
        if self.zygote is not None:
            self.zygote.close()

    def library(self, allowed):
        """The filtered copy of dlcourse the sandbox sees for this allow-list (made once per run)."""
        with self._library_lock:
            if allowed not in self._libraries:
                tag = hashlib.sha256(",".join(allowed).encode()).hexdigest()[:12]
                self._libraries[allowed] = sandbox.library_copy(allowed, self.work / f"library-{tag}" / "dlcourse")
        return self._libraries[allowed]

    def execute(self, nb, label, allowed, *, student=None, inputs=None, budget="default", runs=1):
        """Run `nb` in a fresh sandbox; returns {"status", "detail", "timed_out", "budget_hit", "notebook"}.

        The notebook reaches the executor through a pipe, never as a file in the sandbox. Results come
        back cell by cell: when the sandbox has to be killed, every cell that ran keeps its outputs.
        allowed : the dlcourse modules the notebook may use (`Grader.allowed`)
        student : the id the notebook's `dlcourse.homework.student_id()` sees (from the submission's
        folder, never from the notebook), for assignments with per-student variants.
        inputs : a folder of files (release and student files) copied into the working folder
        budget : seconds for the whole notebook (None: no budget, as for the reference solution)
        runs : how many notebooks `nb` holds (a batch of reference runs): the wall-clock limit scales with it
        """
        import nbformat

        allowed = tuple(allowed)
        budget = self.budget if budget == "default" else budget
        scratch = Path(tempfile.mkdtemp(prefix=f"{hashlib.sha256(label.encode()).hexdigest()[:16]}-", dir=self.work))
        try:
            input_dir = scratch / "input"
            if inputs is not None:
                shutil.copytree(inputs, input_dir, symlinks=True,          # never a notebook: it may hold tests
                                ignore=shutil.ignore_patterns("*.ipynb", *KEPT_FILES))
            sandbox.prepare_inputs(input_dir)
            argv = [sys.executable, sandbox.EXECUTOR_IN_SANDBOX if self.isolation != "rlimits-only"
                    else str(sandbox.EXECUTOR), "--timeout", str(self.timeout), "--allow", ",".join(allowed),
                    "--engine", self.engine]
            if budget is not None:
                argv += ["--budget", str(budget)]
            if self.isolation == "rlimits-only":
                argv += ["--input", str(input_dir)]
            else:
                argv += ["--input", sandbox.INPUT]
            wall = runs * ((budget if budget is not None else 60.0 * self.timeout) + self.timeout) + 60
            limits = sandbox.Limits(cpu_seconds=int(wall) + 60)
            with (self.slots.acquire() if self.slots else _no_slot()) as slot:
                result, killed = self._run_sandbox(argv, input_dir, limits, slot, allowed, student, wall, label,
                                                   nbformat.writes(nb).encode())
        finally:
            _remove(scratch)
        executed = copy.deepcopy(nb)
        final = {}
        for record in result:
            if "final" in record:
                final = record["final"]
            elif isinstance(record.get("cell"), int) and 0 <= record["cell"] < len(executed.cells):
                cell = executed.cells[record["cell"]]
                if cell.cell_type == "code":
                    cell.outputs = [nbformat.from_dict(o) for o in record.get("outputs", [])]
                    cell.execution_count = record.get("execution_count")
        out = {"status": "ok", "detail": "", "timed_out": [], "budget_hit": False, **final, "notebook": executed}
        if killed:
            out.update(status="timeout", detail=f"stopped after {wall:g} s in all; the cells that ran keep their results")
        elif not final:
            out.update(status="kernel_died",
                       detail="the notebook's process ended without a result; the cells that ran keep their results")
        return out

    def _run_sandbox(self, argv, input_dir, limits, slot, allowed, student, wall, label, payload):
        if self.zygote is not None:
            return self._run_warm(argv, input_dir, limits, slot, allowed, student, wall, label, payload)
        read_fd, write_fd = os.pipe()
        nb_read, nb_write = os.pipe()
        argv = argv + ["--result-fd", str(write_fd), "--notebook-fd", str(nb_read)]
        cmd = sandbox.command(argv, input_dir, limits=limits, isolation=self.isolation, slot=slot,
                              library=self.library(allowed))
        chunks = []
        reader = threading.Thread(target=lambda: chunks.append(_read_all(read_fd)), daemon=True)
        reader.start()
        env = sandbox.environment({GRADING_ENV: "1", STUDENT_ENV: student or ""})
        killed = False
        with open(self.work / f"{hashlib.sha256(label.encode()).hexdigest()[:16]}.log", "wb") as log:
            proc = subprocess.Popen(cmd, cwd=input_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, pass_fds=(write_fd, nb_read), start_new_session=True)
            os.close(write_fd)
            os.close(nb_read)
            writer = threading.Thread(target=_write_all, args=(nb_write, payload), daemon=True)
            writer.start()
            if not _wait(proc, wall):
                os.killpg(proc.pid, 9)
                proc.wait()
                killed = True
        reader.join(timeout=30)
        return _records(chunks[0] if chunks else b""), killed

    def _run_warm(self, argv, input_dir, limits, slot, allowed, student, wall, label, payload):
        """`_run_sandbox` with a warm start (`zygote`): bubblewrap makes the sandbox as for a cold start but
        holds only a placeholder; the zygote forks the executor into it. When the executor is done (its
        result pipe closes) or the wall time is spent, bubblewrap is killed, and with it the sandbox's PID
        namespace: every process left in it is killed."""
        from .zygote import HOLD, read_info

        read_fd, write_fd = os.pipe()
        nb_read, nb_write = os.pipe()
        info_r, info_w = os.pipe()
        request_argv = argv[2:]          # without python and the script; the descriptors are added by the zygote
        cmd = sandbox.command(HOLD, input_dir, limits=limits, isolation=self.isolation, slot=slot,
                              library=self.library(allowed), info_fd=info_w)
        env = sandbox.environment({GRADING_ENV: "1", STUDENT_ENV: student or ""})
        chunks, killed = [], False
        log_path = self.work / f"{hashlib.sha256(label.encode()).hexdigest()[:16]}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=input_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log, pass_fds=(info_w,), start_new_session=True)
            try:
                os.close(info_w)
                info = read_info(info_r)
                ready = proc.stdout.readline()
                if ready != b"ready\n" or not info["pid"]:
                    raise sandbox.SandboxError(f"the sandbox did not start (bubblewrap: {ready!r}, "
                                               f"{log_path.read_bytes()[-1000:].decode(errors='replace')})")
                self.zygote.enter({**info, "uid": sandbox.slot_uid(slot), "limits": limits.__dict__,
                                   "cgroup_procs": [str(p) for p in sandbox.cgroup_procs(slot)],   # set up by command()
                                   "env": env, "argv": request_argv, "workdir": sandbox.WORKDIR,
                                   "executor": sandbox.EXECUTOR_IN_SANDBOX},
                                  log.fileno(), write_fd, nb_read)
            except BaseException:
                os.killpg(proc.pid, 9)
                proc.wait()
                for fd in (read_fd, write_fd, nb_read, nb_write):
                    os.close(fd)
                raise
            finally:
                os.close(info_r)
            os.close(write_fd)
            os.close(nb_read)
            reader = threading.Thread(target=lambda: chunks.append(_read_all(read_fd)), daemon=True)
            reader.start()
            writer = threading.Thread(target=_write_all, args=(nb_write, payload), daemon=True)
            writer.start()
            reader.join(timeout=wall)
            killed = reader.is_alive()
            os.killpg(proc.pid, 9)               # bubblewrap, and with it the sandbox's PID namespace: every
            proc.wait()                          # process left in it (a stopped placeholder too) is killed
            reader.join(timeout=30)
            proc.stdin.close()
            proc.stdout.close()
        return _records(chunks[0] if chunks else b""), killed


class Grader:
    """Grades one assignment; construct, then call `run(jobs)`."""

    def __init__(self, assignment, *, root=".", timeout=30, budget=None, jobs=2, log=print, engine="fast", warm=True):
        self.assignment, self.timeout, self.log, self.engine, self.warm = assignment, int(timeout), log, engine, warm
        self.budget = float(budget) if budget else 20.0 * self.timeout   # seconds for a whole notebook
        self.coursedir, self.config = load_course(root)
        self.root = Path(self.coursedir.root)
        self.source_dir = self.root / self.coursedir.source_directory / assignment
        self.release_dir = self.root / self.coursedir.release_directory / assignment
        self.notebooks = sorted(p.stem for p in self.source_dir.glob("*.ipynb"))
        if not self.notebooks:
            raise GradingError(f"assignment {assignment!r}: no notebooks in {self.source_dir}")
        self.work = self.root / "build" / "grading" / assignment
        self.work.mkdir(parents=True, exist_ok=True)
        self.db_lock = GradebookLock()
        self._templates = {}
        self.preload = preloads(c.source for n in self.notebooks for c in self.templates(n)[0].cells
                                if c.cell_type == "code")
        self.runner = Runner(self.work, timeout=self.timeout, budget=self.budget, slots=max(jobs, 1 + len(self.notebooks)),
                             engine=engine, warm=warm, preload=self.preload)
        self.isolation, self.slots = self.runner.isolation, self.runner.slots
        self._references = {}
        self._reference_lock, self._reference_locks = threading.Lock(), {}
        self._version = None

    def templates(self, notebook):
        """(source, release) notebooks, read once: the trusted versions a submission is restored from."""
        import nbformat

        if notebook not in self._templates:
            source = nbformat.read(self.source_dir / f"{notebook}.ipynb", as_version=4)
            release_path = self.release_dir / f"{notebook}.ipynb"
            release = nbformat.read(release_path, as_version=4) if release_path.exists() else source
            self._templates[notebook] = (source, release)
        return self._templates[notebook]

    # --- set-up ---------------------------------------------------------------------------------

    def sync_gradebook(self):
        """Make sure the gradebook knows the current source notebooks: nbgrader's generate_assignment, run in
        this process (nbgrader is imported already; a `nbgrader` subprocess spends ~5 s starting up), its
        student version written to build/grading/<assignment>/release/."""
        import logging

        from nbgrader.converters import GenerateAssignment
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.utils import capture_log

        stamp = self.work / "source.sha256"
        digest = "".join(_sha(self.source_dir / f"{n}.ipynb") for n in self.notebooks)
        db_file = self.root / self.coursedir.db_url.removeprefix("sqlite:///")
        if stamp.exists() and stamp.read_text() == digest and db_file.exists():
            return
        coursedir = CourseDirectory(config=self.config)
        coursedir.root = str(self.root)
        coursedir.release_directory = str((self.work / "release").relative_to(self.root))
        coursedir.assignment_id = self.assignment
        log = logging.getLogger("dlcourse.grading.generate_assignment")
        log.propagate, log.level = False, logging.INFO        # its lines are kept for the error message only
        app = GenerateAssignment(coursedir=coursedir, config=self.config, log=log)
        app.force = app.create_assignment = True
        with self.db_lock:
            result = capture_log(app)
        if not result["success"]:
            raise GradingError(f"nbgrader generate_assignment {self.assignment} failed:\n"
                               f"{(result.get('log', '') + result.get('error', ''))[-3000:]}")
        stamp.write_text(digest)

    def variants(self, notebook):
        """Whether the notebook gives every student their own variant (its SOURCE metadata says so)."""
        from ..homework import uses_variants

        return uses_variants(self.templates(notebook)[0].metadata)

    def reference(self, notebook, student=None):
        """Checked values of the reference solution, by test cell (computed once per source version;
        with variants, once per student: the reference runs with that student's id)."""
        key = (notebook, student if self.variants(notebook) else None)
        with self._reference_lock:
            lock = self._reference_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._references:
                self._references[key] = self._compute_reference(*key)
        return self._references[key]

    def _reference_cache(self, notebook, student):
        tag = "" if student is None else "." + hashlib.sha256(student.encode()).hexdigest()[:16]
        return self.work / f"{notebook}{tag}.reference.json"

    def _cached_reference(self, notebook, student, digest):
        """The cached records for this source version and student, or None."""
        cache = self._reference_cache(notebook, student)
        if cache.exists():
            cached = json.loads(cache.read_text())
            if cached.get("sha256") == digest and cached.get("student") == student:
                return cached["records"]
        return None

    def _compute_reference(self, notebook, student=None):
        source = self.source_dir / f"{notebook}.ipynb"
        digest = _sha(source)
        records = self._cached_reference(notebook, student, digest)
        if records is None:
            records = self._reference_runs(notebook, [student])[student]
            self._reference_cache(notebook, student).write_text(
                json.dumps({"sha256": digest, "student": student, "records": records}))
        return records

    def _reference_runs(self, notebook, students):
        """{student: records} of the reference solution run for each student, all in one sandbox and one
        kernel (`execute.BATCH_RESET` before each student's copy gives it a fresh kernel's state).
        Not cached; raises GradingError when the reference does not run cleanly."""
        import nbformat

        from .execute import batch_reset

        source = self.source_dir / f"{notebook}.ipynb"
        nb = nbformat.read(source, as_version=4)
        batched = len(students) > 1           # one student: the notebook alone, the id from the environment
        if batched:
            combined = copy.deepcopy(nb)
            combined.cells = []
            for student in students:
                combined.cells.append(nbformat.v4.new_code_cell(batch_reset(student, STUDENT_ENV)))
                for cell in copy.deepcopy(nb.cells):
                    cell.id = nbformat.v4.new_code_cell().id          # ids stay unique in the combined notebook
                    combined.cells.append(cell)
        else:
            combined = nb
        tag = "" if students == [None] else "." + hashlib.sha256("\0".join(students).encode()).hexdigest()[:16]
        result = self.execute(combined, f"reference-{notebook}{tag}", notebook, student=students[0], budget=None,
                              runs=len(students))
        if result["status"] != "ok":
            raise GradingError(f"the reference solution {source} did not run cleanly in the sandbox: "
                               f"{result['status']} {result.get('detail', '')}")
        executed, out, size = result["notebook"], {}, len(nb.cells) + batched
        for i, student in enumerate(students):
            cells = executed.cells[i * size:(i + 1) * size]
            if batched:
                reset, cells = cells[0], cells[1:]
                if reset.execution_count is None or reset.outputs:
                    raise GradingError(f"the reference runs of {notebook} could not start student {student!r}'s "
                                       f"run: {[o.get('evalue', o.get('text', '')) for o in reset.outputs][:1]}")
            for cell in cells:
                if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.outputs):
                    raise GradingError(f"the reference solution fails its own test cell "
                                       f"{cell.metadata.get('nbgrader', {}).get('grade_id')}")
            out[student] = reference_records(nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata))
        return out

    def prepare_references(self, students, jobs=2):
        """With variants: every student's reference run before grading, in at most `jobs` batches (one
        sandbox and one kernel each, run side by side) instead of one sandbox per student. Results are
        cached per source version and student as `reference` does. Each batch's last student is also
        run on its own and must get the same checked values. A batch that fails either way leaves its
        students to `reference`, which runs them one by one (and reports a broken reference as before)."""
        for notebook in [n for n in self.notebooks if self.variants(n)]:
            digest = _sha(self.source_dir / f"{notebook}.ipynb")
            missing = []
            for student in dict.fromkeys(s for s in students if STUDENT_ID.fullmatch(s)):
                records = self._cached_reference(notebook, student, digest)
                if records is None:
                    missing.append(student)
                else:
                    with self._reference_lock:
                        self._references[(notebook, student)] = records
            n = min(max(jobs, 1), len(missing))
            batches = [missing[i::n] for i in range(n)] if n else []

            def run_batch(batch, notebook=notebook, digest=digest):
                try:
                    found = self._reference_runs(notebook, batch)
                    if len(batch) > 1:        # the last student, most exposed to what the others left, run alone
                        alone = self._reference_runs(notebook, batch[-1:])
                        if alone[batch[-1]] != found[batch[-1]]:
                            raise GradingError(f"student {batch[-1]!r}'s checked values differ from those of a "
                                               f"run on its own")
                except GradingError as exc:
                    self.reference(notebook, "reference-check")       # a broken reference stops grading here
                    self.log(f"reference runs for {len(batch)} students of {notebook} in one kernel failed "
                             f"({exc}); running them one by one")
                    return
                for student, records in found.items():
                    self._reference_cache(notebook, student).write_text(
                        json.dumps({"sha256": digest, "student": student, "records": records}))
                    with self._reference_lock:
                        self._references[(notebook, student)] = records

            if not missing and not any(STUDENT_ID.fullmatch(s) for s in students):
                self.reference(notebook, "reference-check")           # no one to grade: check it runs
            with ThreadPoolExecutor(max_workers=max(n, 1)) as pool:
                for job in [pool.submit(run_batch, b) for b in batches]:
                    job.result()

    # --- sandboxed execution --------------------------------------------------------------------

    def allowed(self, notebook):
        """The dlcourse modules this notebook may use while grading, as its SOURCE notebook declares."""
        from ..homework import allowed_modules, declared_modules

        return allowed_modules(declared_modules(self.templates(notebook)[0].metadata))

    def library(self, notebook):
        """The filtered copy of dlcourse the sandbox sees for this notebook (made once per run)."""
        return self.runner.library(self.allowed(notebook))

    def execute(self, nb, label, notebook, *, student=None, inputs=None, budget="default", runs=1):
        """`Runner.execute` with this notebook's allow-list."""
        return self.runner.execute(nb, label, self.allowed(notebook), student=student, inputs=inputs, budget=budget,
                                   runs=runs)

    # --- one submission ---------------------------------------------------------------------------

    def resources(self, notebook, student):
        return {"nbgrader": {"notebook": notebook, "assignment": self.assignment, "student": student,
                             "db_url": self.coursedir.db_url}}

    def submission_folder(self, student):
        return self.root / self.coursedir.submitted_directory / student / self.assignment

    def check_submission(self, student, outcome):
        """Refuse odd ids, links and special files, oversized folders; False when it cannot be graded."""
        if not STUDENT_ID.fullmatch(student):
            outcome.add("invalid_student_id", "a student id is 1–128 letters, digits or . @ + - _, starting with a "
                                              "letter or digit")
            return False
        top = self.root / self.coursedir.submitted_directory / student
        for path in (top, top / self.assignment):
            if path.is_symlink() or not path.is_dir():
                outcome.add("symlink", f"{path.name} is a link or not a folder: submissions must be plain files")
                return False
        total = 0
        for dirpath, dirnames, filenames in os.walk(top / self.assignment, followlinks=False):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                rel = os.path.relpath(os.path.join(dirpath, name), top / self.assignment)
                if stat.S_ISLNK(st.st_mode) or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                    outcome.add("symlink", f"{rel} is a link or a special file: submissions must be plain files")
                    return False
                total += st.st_size if stat.S_ISREG(st.st_mode) else 0
        if total > MAX_SUBMISSION_BYTES:
            outcome.add("too_large", f"the submission holds {total / 1024**2:.0f} MB "
                                     f"(at most {MAX_SUBMISSION_BYTES // 1024**2} MB)")
            return False
        return True

    def timestamp(self, student):
        """The submission time from timestamp.txt (written by `nbgrader collect`), or None."""
        from nbgrader.utils import parse_utc

        path = self.submission_folder(student) / "timestamp.txt"
        if not path.exists():
            return None
        text = path.read_text(errors="replace").strip()
        if not text:
            return None
        try:
            return parse_utc(text)
        except (ValueError, OverflowError):
            return None

    def inputs(self, student, folder):
        """A folder with the files the notebooks may read, as stock nbgrader provides them: the student's
        own files, then the release's files (subfolders included) over them; never notebooks."""
        dest = Path(tempfile.mkdtemp(prefix="inputs-", dir=self.work))
        ignore = list(self.coursedir.ignore) + ["*.ipynb"]

        def skip(rel):
            return any(fnmatch.fnmatch(part, pat) for part in Path(rel).parts for pat in ignore)

        sources = [(folder, KEPT_FILES)] if folder is not None else []
        if self.release_dir.exists():
            sources.append((self.release_dir, ()))
        for src, excluded in sources:
            for path in sorted(src.rglob("*")):
                rel = path.relative_to(src)
                if path.is_symlink() or not path.is_file() or skip(rel) or str(rel) in excluded:
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest / rel)
        return dest

    def grade_student(self, student):
        """Grade one submission on this machine: `prepare`, `run_notebooks` in this machine's sandboxes, `store`."""
        sub = self.prepare(student)
        try:
            result = run_notebooks(self.runner, sub.task, sub.inputs) if sub.task else None
            return self.store(sub, result, worker="thread pool")
        finally:
            sub.close()

    def prepare(self, student):
        """What grading one submission needs before its notebooks run (this process, with the gradebook):
        the checks, the gradebook's student and submission, the input files, and each notebook read,
        restored and sanitized by nbgrader's preprocessors. Returns a `Submission`; its `task` (None when
        nothing is to run) is plain data: what `run_notebooks` needs, on this machine or a Dask worker."""
        from nbgrader.api import Gradebook

        outcome = Outcome(student)
        sub = Submission(student, outcome)
        if not self.check_submission(student, outcome):
            return sub
        sub.gradeable = True
        folder = self.submission_folder(student)
        outcome.timestamp = self.timestamp(student)
        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
            if outcome.timestamp is not None:
                gb.update_or_create_submission(self.assignment, student, timestamp=outcome.timestamp)
            else:
                gb.update_or_create_submission(self.assignment, student)
        sub.folder, sub.digest, sub.inputs = folder, tree_digest(folder), self.inputs(student, folder)
        try:
            self._prepare_notebooks(sub)
        except BaseException:
            sub.close()
            raise
        return sub

    def _prepare_notebooks(self, sub):
        student, folder, outcome = sub.student, sub.folder, sub.outcome
        too_large = [n for n in self.notebooks if (folder / f"{n}.ipynb").exists()
                     and (folder / f"{n}.ipynb").stat().st_size > MAX_NOTEBOOK_BYTES]
        if too_large:
            outcome.add("too_large", f"{too_large[0]}.ipynb is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB: "
                                     "remove large outputs or attachments and resubmit")
            return
        notebooks = []
        for notebook in self.notebooks:
            nb = self.prepare_notebook(folder / f"{notebook}.ipynb", notebook, student, outcome)
            if nb is not None:
                notebooks.append({"name": notebook, "notebook": nb, "allowed": list(self.allowed(notebook)),
                                  "reference": self.reference(notebook, student),
                                  "hidden": sorted(hidden_lines(self.templates(notebook)[0]))})
        if notebooks:
            sub.task = {"assignment": self.assignment, "student": student, "timeout": self.timeout,
                        "budget": self.budget, "engine": self.engine, "warm": self.warm,
                        "preload": list(self.preload), "notebooks": notebooks}

    def prepare_notebook(self, path, notebook, student, outcome):
        """The submitted notebook, restored and sanitized, ready to run; None (and a status) when it cannot be."""
        import nbformat

        from .metadata import restore_metadata, restore_missing_cells

        if not path.exists():
            outcome.add("missing_notebook", f"{path.name} was not submitted")
            return None
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # any unreadable file: JSON, schema, encoding
            outcome.add("invalid_notebook", f"{path.name} is not a valid notebook ({type(exc).__name__})")
            return None
        attachments = sum(len(json.dumps(c.get("attachments", {}))) for c in nb.cells)
        if attachments > MAX_ATTACHMENT_BYTES:
            outcome.add("too_large", f"{path.name}: attachments of {attachments / 1024**2:.0f} MB "
                                     f"(at most {MAX_ATTACHMENT_BYTES // 1024**2} MB): make images smaller and resubmit")
            return None
        source, release = self.templates(notebook)
        if restore_metadata(nb, source, release):
            outcome.add("tampered", "nbgrader metadata was changed or removed and has been restored")
        missing = restore_missing_cells(nb, release)
        if missing:
            outcome.add("missing_cells", f"restored deleted cells: {', '.join(missing)}")
        with self.db_lock:
            return self.sanitize(nb, self.resources(notebook, student))

    def store(self, sub, result, worker=None):
        """Write one submission's results (this process only): nbgrader's SaveAutoGrades and late penalty into
        the gradebook, autograded/<student>/<assignment>/ (notebooks, release and student files,
        timestamp.txt), and the scores read back from the gradebook. `result` comes from `run_notebooks`
        (None when nothing ran); `worker`: who ran it (saved with the result). Returns the `Outcome`."""
        import nbformat
        from nbgrader.api import Gradebook

        outcome, student = sub.outcome, sub.student
        if not sub.gradeable:
            outcome.max_score = self.max_score()
            return outcome
        for status, detail in (result or {}).get("statuses", []):
            outcome.add(status, detail)
        if (result or {}).get("seconds") is not None:
            outcome.seconds = float(result["seconds"])
        out_dir = self.root / self.coursedir.autograded_directory / student / self.assignment
        if out_dir.is_symlink() or out_dir.exists():
            _remove(out_dir)
        out_dir.mkdir(parents=True)
        for notebook in self.notebooks:
            executed = (result or {}).get("notebooks", {}).get(notebook)
            if executed is not None:
                with self.db_lock:
                    executed = self.save(nbformat.from_dict(executed), self.resources(notebook, student))
                nbformat.write(executed, out_dir / f"{notebook}.ipynb")
        for path in sorted(sub.inputs.rglob("*")):            # autograded/ as stock leaves it: the other files
            if path.is_file():
                (out_dir / path.relative_to(sub.inputs)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, out_dir / path.relative_to(sub.inputs))
        folder = sub.folder
        if (folder / "timestamp.txt").exists() and not (folder / "timestamp.txt").is_symlink():
            shutil.copyfile(folder / "timestamp.txt", out_dir / "timestamp.txt")
        if outcome.statuses & set(NOT_GRADED):      # formgrader then lists it as not autograded, not as a 0
            _remove(out_dir)
        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            found = gb.find_submission(self.assignment, student)
            outcome.max_score = float(found.max_score)
            if not (outcome.statuses & set(NOT_GRADED)):
                # as `nbgrader export`: the gradebook's score is the raw score, the late penalty comes off it
                outcome.raw_score = float(found.score)
                outcome.late_penalty = float(found.late_submission_penalty or 0)
                outcome.score = outcome.raw_score - outcome.late_penalty
        self.save_result(sub, outcome, worker)
        return outcome

    # --- results saved as they arrive: a rerun can grade only what is missing ------------------------

    def version(self):
        """What a stored result depends on besides the submission: the source and release files, the
        course configuration (due dates, late penalties), the gradebook's due date, the timeouts and
        the dlcourse code. Computed once per run, after `set_up`."""
        from nbgrader.api import Gradebook

        if self._version is None:
            with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                due = gb.find_assignment(self.assignment).duedate
            parts = {"source": tree_digest(self.source_dir), "release": tree_digest(self.release_dir),
                     "config": _sha(self.root / "nbgrader_config.py"), "due": str(due), "timeout": self.timeout,
                     "budget": self.budget, "engine": self.engine, "dlcourse": code_digest()}
            self._version = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
        return self._version

    def result_path(self, student):
        return self.work / "results" / f"{hashlib.sha256(student.encode()).hexdigest()[:24]}.json"

    def save_result(self, sub, outcome, worker=None):
        """Note that this submission, as it was prepared, is graded and stored with this version
        (build/grading/<assignment>/results/). A grading error is never noted: a rerun grades it again."""
        if not sub.gradeable or sub.digest is None or outcome.status == "grading_error":
            return
        path = self.result_path(sub.student)
        path.parent.mkdir(exist_ok=True)
        data = {"student": sub.student, "version": self.version(), "submission": sub.digest, "worker": worker,
                "outcome": {"score": outcome.score, "max_score": outcome.max_score, "details": outcome.details,
                            "raw_score": outcome.raw_score, "late_penalty": outcome.late_penalty,
                            "timestamp": None if outcome.timestamp is None else outcome.timestamp.isoformat(),
                            "seconds": outcome.seconds}}
        tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)

    def finished(self, students):
        """{student: (Outcome, worker)} of the submissions already graded and stored with the current version,
        unchanged since: still in the gradebook, and in autograded/ when they were graded."""
        from datetime import datetime

        from nbgrader.api import Gradebook

        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            in_gradebook = {sub.student.id for sub in gb.assignment_submissions(self.assignment)}
        found = {}
        for student in students:
            path = self.result_path(student)
            if student not in in_gradebook or not path.exists():
                continue
            try:
                data = json.loads(path.read_text())
            except ValueError:
                continue
            if (data.get("student") != student or data.get("version") != self.version()
                    or data.get("submission") != tree_digest(self.submission_folder(student))):
                continue
            o = data["outcome"]
            outcome = Outcome(student, score=o["score"], max_score=o["max_score"], statuses=set(o["details"]),
                              details=o["details"], raw_score=o["raw_score"], late_penalty=o["late_penalty"],
                              timestamp=None if o["timestamp"] is None else datetime.fromisoformat(o["timestamp"]),
                              seconds=o.get("seconds"))
            out_dir = self.root / self.coursedir.autograded_directory / student / self.assignment
            if outcome.statuses & set(NOT_GRADED) or out_dir.is_dir():
                found[student] = (outcome, data.get("worker"))
        return found

    def max_score(self):
        from nbgrader.api import Gradebook

        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            return float(gb.find_assignment(self.assignment).max_score)

    def sanitize(self, nb, resources):
        from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteKernelspec

        from .prefetch import OverwriteCells  # nbgrader's, with one gradebook read per notebook

        for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, _check_cell_metadata()):
            nb, resources = pp(config=self.config).preprocess(nb, resources)
        return nb

    def save(self, nb, resources):
        from nbgrader.preprocessors import AssignLatePenalties, LimitOutput

        from .prefetch import SaveAutoGrades  # nbgrader's, with one gradebook read and one commit per notebook

        for pp in (LimitOutput, SaveAutoGrades, AssignLatePenalties):
            nb, resources = pp(config=self.config).preprocess(nb, resources)
        return nb

    # --- due dates ----------------------------------------------------------------------------------

    def due_date(self):
        """The due date from nbgrader_config.py's ``c.DlcourseGrading.due_dates`` (None: no due date)."""
        from nbgrader.utils import parse_utc

        due = self.config.get("DlcourseGrading", {}).get("due_dates", {}).get(self.assignment)
        return parse_utc(due) if due else None

    def sync_due_date(self):
        """Write the configured due date into the gradebook, where nbgrader reads it (late penalties,
        formgrader, export); a due date set with `nbgrader db assignment add --duedate` is kept when the
        config names none."""
        from nbgrader.api import Gradebook

        due = self.due_date()
        if due is None:
            return
        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_assignment(self.assignment, duedate=due)

    # --- all submissions --------------------------------------------------------------------------

    def students(self):
        """Every entry of submitted/ that holds this assignment (links included: they get a status)."""
        submitted = self.root / self.coursedir.submitted_directory
        if not submitted.is_dir():
            return []
        names = []
        for entry in sorted(os.listdir(submitted)):
            path = submitted / entry
            if path.is_symlink() or os.path.lexists(path / self.assignment):
                names.append(entry)
        return names

    def set_up(self, students, jobs=2):
        """Before grading: the gradebook knows the source notebooks, and the reference solution's checked
        values are ready (with variants, for every student, in batches). Independent: run together."""
        with ThreadPoolExecutor(max_workers=2 + len(self.notebooks)) as setup:
            jobs_ = [setup.submit(self.sync_gradebook), setup.submit(self.prepare_references, students, jobs)]
            jobs_ += [setup.submit(self.reference, n) for n in self.notebooks if not self.variants(n)]
            for job in jobs_:
                job.result()
        self.sync_due_date()

    def start(self, students, jobs, where):
        """The opening lines, then `set_up`."""
        self.log(f"grading {self.assignment}: {len(students)} submissions, {where}, "
                 f"per-cell timeout {self.timeout} s, notebook budget {self.budget:g} s, engine {self.engine}"
                 + (" (warm start)" if self.runner.zygote is not None else "") + ", "
                 f"isolation: {self.isolation}"
                 + (f" (uid and {sandbox.cgroup_kind()} cgroup per sandbox)" if self.slots else ""))
        if self.isolation == "rlimits-only":
            self.log("WARNING: bubblewrap (bwrap) is not available: student code can read the course folder. "
                     "Install it: sudo apt-get install bubblewrap")
        self.set_up(students, jobs)

    def already_graded(self, students, resume):
        """With `resume`: the submissions graded and stored with this version already (`finished`), said in the log."""
        done = self.finished(students) if resume else {}
        if done:
            self.log(f"{len(done)} of {len(students)} submissions already graded with this version "
                     f"(build/grading/{self.assignment}/results/): only the {len(students) - len(done)} others are graded")
        return done

    def run(self, jobs=2, progress=True, resume=False):
        """Grade every submission with `jobs` threads on this machine; write the CSV; returns the outcomes.
        resume : skip the submissions already graded and stored with this version (`finished`)."""
        from tqdm import tqdm

        students = self.students()
        self.start(students, jobs, f"{jobs} workers")
        outcomes = {s: o for s, (o, _) in self.already_graded(students, resume).items()}
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(students), initial=len(outcomes), desc=f"grading {self.assignment}", unit="sub",
                     disable=not progress, file=sys.stderr) as bar:
            futures = {pool.submit(self.grade_student, s): s for s in students if s not in outcomes}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    outcomes[student] = future.result()
                except Exception as exc:  # a bug or a broken set-up: reported, and the exit code says so
                    outcomes[student] = Outcome(student, statuses={"grading_error"},
                                                details={"grading_error": f"{type(exc).__name__}: {exc}"})
                bar.set_postfix_str(f"{_shown(student)}: {outcomes[student].status}")
                bar.update()
        ordered = [outcomes[s] for s in students]
        self.write_csv(ordered)
        return ordered

    def write_csv(self, outcomes):
        grades = self.root / "grades"
        grades.mkdir(exist_ok=True)
        path = grades / f"{self.assignment}.csv"

        def number(x):
            return "" if x is None else f"{x:g}"

        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["student_id", "score", "max_score", "status", "raw_score", "late_penalty", "timestamp",
                             "detail", "seconds"])
            for o in outcomes:
                writer.writerow([_shown(o.student_id), number(o.score), number(o.max_score), o.status,
                                 number(o.raw_score), number(o.late_penalty),
                                 "" if o.timestamp is None else o.timestamp.isoformat(), o.detail,
                                 "" if o.seconds is None else f"{o.seconds:.2f}"])
        return path


def preloads(sources):
    """The libraries among `zygote.PRELOADABLE` that these code cells (their sources) import at their top level
    (the warm start's zygote imports them once, instead of once per sandbox)."""
    import ast

    from .zygote import PRELOADABLE

    found = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found.update(n.split(".")[0] for n in names)
    return tuple(m for m in PRELOADABLE if m in found)


@functools.lru_cache(maxsize=1)
def alembic_head():
    """The revision nbgrader stamps into a new gradebook, read in this process: nbgrader's own
    `get_alembic_version` runs the `alembic` command for it (~2.7 s, and it needs `alembic` on PATH)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


class GradebookLock:
    """The lock around every use of the gradebook in this process (`with grader.db_lock:`). While it is held,
    nbgrader's Gradebook objects (each preprocessor opens one of its own, several per submission) share one
    database engine per URL: a new engine compiles every query anew, about 0.1 s per submission. A new
    gradebook gets its alembic revision from `alembic_head` (the same value, without a subprocess)."""

    def __init__(self):
        self._lock, self._engines, self._saved = threading.Lock(), {}, None

    def __enter__(self):
        import nbgrader.api

        self._lock.acquire()
        self._saved = nbgrader.api.create_engine

        def shared_engine(url, **kwargs):
            key = (str(url), tuple(sorted(kwargs.items())))
            if key not in self._engines:
                self._engines[key] = self._saved(url, **kwargs)
            return self._engines[key]

        nbgrader.api.create_engine = shared_engine
        self._saved_head, nbgrader.api.get_alembic_version = nbgrader.api.get_alembic_version, alembic_head
        return self

    def __exit__(self, *exc):
        import nbgrader.api

        nbgrader.api.create_engine, nbgrader.api.get_alembic_version = self._saved, self._saved_head
        self._lock.release()
        return False


@functools.lru_cache(maxsize=1)
def _check_cell_metadata():
    """nbgrader's CheckCellMetadata with its JSON schema compiled once: nbgrader validates each cell with
    `jsonschema.validate`, which checks the schema itself at every call (0.08 s per notebook). Same checks,
    same errors."""
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError
    from nbgrader.nbgraderformat.common import BaseMetadataValidator, SchemaTooNewError, SchemaTooOldError
    from nbgrader.preprocessors import CheckCellMetadata

    class CompiledSchema(BaseMetadataValidator):
        def validate_cell(self, cell):           # BaseMetadataValidator's, with a validator made once
            if "nbgrader" not in cell.metadata:
                return
            schema = cell.metadata["nbgrader"].get("schema_version", 0)
            if schema < self.schema_version:
                raise SchemaTooOldError(f"Outdated schema version: {schema} (expected {self.schema_version})",
                                        schema, self.schema_version)
            if schema > self.schema_version:
                raise SchemaTooNewError(f"Schema version is too new: {schema} (expected {self.schema_version})",
                                        schema, self.schema_version)
            if getattr(self, "_compiled", None) is None:
                cls = jsonschema.validators.validator_for(self.schema)
                cls.check_schema(self.schema)
                self._compiled = cls(self.schema)
            error = jsonschema.exceptions.best_match(self._compiled.iter_errors(cell.metadata["nbgrader"]))
            if error is not None:
                raise error

    class Validator(MetadataValidator, CompiledSchema):     # MetadataValidator's checks, then CompiledSchema's
        pass

    validator = Validator()

    class Check(CheckCellMetadata):
        def preprocess(self, nb, resources):
            import traceback

            try:
                validator.validate_nb(nb)
            except ValidationError:
                self.log.error(traceback.format_exc())
                msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
                self.log.error(msg)
                raise ValidationError(msg) from None
            return nb, resources

    return Check


def _shown(student):
    """A student id as printed: odd characters escaped, long ids shortened, no spreadsheet formulas."""
    text = student.encode("unicode_escape").decode("ascii")
    text = text if len(text) <= 80 else text[:60] + f"…({len(student)} characters)"
    return "'" + text if text[:1] in "=+-@" else text


class _no_slot:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _wait(proc, timeout):
    """Wait up to `timeout` s for `proc` to end; True if it did. Woken by the kernel through a pidfd:
    `Popen.wait(timeout)` polls, sleeping up to 50 ms past the end of every sandbox."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):           # no pidfd (Linux < 5.3): Popen's polling
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ready = select.select([fd], [], [], timeout)[0]
    finally:
        os.close(fd)
    if ready:
        proc.wait()
    return bool(ready)


def _records(data):
    """The executor's JSON records, one per line (a line cut off by a kill is dropped). A warm start's setup
    error (written by the zygote's child, never reachable by student code) is the grader's failure: raised."""
    records = []
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            if "setup_error" in record:
                raise sandbox.SandboxError(f"warm start: {record['setup_error']} (`dlcourse grade --start cold` "
                                           f"starts Python in each sandbox instead)")
            records.append(record)
    return records


def _read_all(fd):
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _write_all(fd, payload):
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
    except (BrokenPipeError, OSError):      # the executor died before reading it all
        pass


def _remove(path):
    shutil.rmtree(path, ignore_errors=True)


def grade(assignment, *, jobs=2, timeout=30, budget=None, root=".", progress=True, scheduler=None, resume=None,
          engine="fast", warm=True):
    """Grade `assignment`; returns (outcomes, csv path).

    engine : "fast" (the minimal kernel of kernel.py, default) or "kernel" (ipykernel driven by nbclient)
    warm : with the fast engine as root, fork each sandbox's executor from one pre-warmed interpreter
        (`zygote`) instead of starting Python in every sandbox
    scheduler : None (a thread pool of `jobs` on this machine), a Dask scheduler's address
        (tcp://host:8786) or "local" (a LocalCluster of `jobs` worker processes): see `distributed`
    resume : skip the submissions already graded and stored with the current version (`Grader.finished`);
        default: only through a scheduler, so that a rerun after a lost cluster grades only what is missing
    """
    started = time.perf_counter()
    try:
        grader = Grader(assignment, root=root, timeout=timeout, budget=budget, jobs=jobs,
                        log=lambda m: print(m, file=sys.stderr), engine=engine, warm=warm)
    except sandbox.SandboxError as exc:
        raise GradingError(str(exc)) from exc
    resume = bool(scheduler) if resume is None else resume
    try:
        if scheduler:
            from .distributed import grade_on_cluster

            outcomes = grade_on_cluster(grader, scheduler, jobs=jobs, progress=progress, resume=resume)
        else:
            outcomes = grader.run(jobs=jobs, progress=progress, resume=resume)
    finally:
        grader.runner.close()
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    for o in outcomes:
        if o.status != "ok":
            print(f"  {_shown(o.student_id)}: {o.status} — {o.detail}", file=sys.stderr)
    print(f"graded {len(outcomes)} submissions in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), file=sys.stderr)
    return outcomes, grader.root / "grades" / f"{assignment}.csv"
