"""`dlcourse grade`: autograde every submission with nbgrader's machinery, in parallel, sandboxed.

Per submission:
  1. read the notebook (unreadable: status ``invalid_notebook``);
  2. restore nbgrader metadata that was stripped or changed, from the source notebook (``tampered``);
  3. nbgrader's sanitize preprocessors, with deleted test cells added back (``missing_cells``);
  4. execute in a sandbox (`sandbox`), fresh kernel, per-cell timeout (``timeout``, ``kernel_died``);
  5. `verify` each test cell against the reference solution's checked values;
  6. nbgrader's LimitOutput and SaveAutoGrades into the one gradebook (written by this process only).
Results: autograded/<student>/<assignment>/, the gradebook, and grades/<assignment>.csv with
``student_id,score,max_score,status``. A failed submission has its status there, never a bare 0.
"""

import csv
import hashlib
import json
import os
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
from .verify import reference_records, verify

# Most severe first: the status shown when several apply.
STATUSES = ("grading_error", "invalid_notebook", "missing_notebook", "kernel_died", "timeout", "tampered",
            "missing_cells", "ok")


class GradingError(RuntimeError):
    """Grading itself failed (not a student's code): the command exits non-zero."""


@dataclass
class Outcome:
    student_id: str
    score: float = None
    max_score: float = None
    statuses: set = field(default_factory=set)
    detail: str = ""

    @property
    def status(self):
        return next((s for s in STATUSES if s in self.statuses), "ok")


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


class Grader:
    """Grades one assignment; construct, then call `run(jobs)`."""

    def __init__(self, assignment, *, root=".", timeout=30, log=print):
        self.assignment, self.timeout, self.log = assignment, int(timeout), log
        self.coursedir, self.config = load_course(root)
        self.root = Path(self.coursedir.root)
        self.source_dir = self.root / self.coursedir.source_directory / assignment
        self.release_dir = self.root / self.coursedir.release_directory / assignment
        self.notebooks = sorted(p.stem for p in self.source_dir.glob("*.ipynb"))
        if not self.notebooks:
            raise GradingError(f"assignment {assignment!r}: no notebooks in {self.source_dir}")
        self.work = self.root / "build" / "grading" / assignment
        self.work.mkdir(parents=True, exist_ok=True)
        self.db_lock = threading.Lock()
        self.isolation = sandbox.level()
        self._references = {}
        self._reference_lock, self._reference_locks = threading.Lock(), {}
        self._templates = {}

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
        """Make sure the gradebook knows the current source notebooks (runs generate_assignment)."""
        stamp = self.work / "source.sha256"
        digest = "".join(_sha(self.source_dir / f"{n}.ipynb") for n in self.notebooks)
        db_file = self.root / self.coursedir.db_url.removeprefix("sqlite:///")
        if stamp.exists() and stamp.read_text() == digest and db_file.exists():
            return
        release = self.work / "release"
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", self.assignment, "--force",
                               f"--CourseDirectory.release_directory={release.relative_to(self.root)}"],
                              cwd=self.root, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise GradingError(f"nbgrader generate_assignment {self.assignment} failed:\n{proc.stderr[-3000:]}")
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

    def _compute_reference(self, notebook, student=None):
        import nbformat

        source = self.source_dir / f"{notebook}.ipynb"
        tag = "" if student is None else "." + hashlib.sha256(student.encode()).hexdigest()[:16]
        cache = self.work / f"{notebook}{tag}.reference.json"
        digest = _sha(source)
        if cache.exists():
            cached = json.loads(cache.read_text())
            if cached.get("sha256") == digest and cached.get("student") == student:
                return cached["records"]
        result = self.execute(nbformat.read(source, as_version=4), f"reference-{notebook}{tag}", notebook,
                              student=student)
        if result["status"] != "ok":
            raise GradingError(f"the reference solution {source} did not run cleanly in the sandbox: "
                               f"{result['status']} {result.get('detail', '')}")
        executed = nbformat.from_dict(result["notebook"])
        for cell in executed.cells:
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.outputs):
                raise GradingError(f"the reference solution fails its own test cell "
                                   f"{cell.metadata.get('nbgrader', {}).get('grade_id')}")
        records = reference_records(executed)
        cache.write_text(json.dumps({"sha256": digest, "student": student, "records": records}))
        return records

    # --- sandboxed execution --------------------------------------------------------------------

    def allowed(self, notebook):
        """The dlcourse modules this notebook may use while grading, as its SOURCE notebook declares."""
        from ..homework import declared_modules

        return declared_modules(self.templates(notebook)[0].metadata)

    def execute(self, nb, label, notebook, *, student=None):
        """Run `nb` in a fresh sandbox; returns the executor's result dict (status, notebook, ...).

        student : the id the notebook's `dlcourse.homework.student_id()` sees (from the submission's
        folder, never from the notebook), for assignments with per-student variants.
        """
        import nbformat

        scratch = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.work))
        try:
            for extra in self.release_dir.glob("*") if self.release_dir.exists() else []:
                if extra.is_file() and extra.suffix != ".ipynb":     # data files shipped with the assignment
                    (scratch / extra.name).write_bytes(extra.read_bytes())
            nbformat.write(nb, scratch / "submission.ipynb")
            sandbox.prepare_scratch(scratch)
            read_fd, write_fd = os.pipe()
            argv = [sys.executable, "-m", "dlcourse.grading.execute", "submission.ipynb",
                    "--timeout", str(self.timeout), "--result-fd", str(write_fd),
                    "--allow", ",".join(self.allowed(notebook))]
            cmd = sandbox.command(argv, scratch, limits=sandbox.Limits(cpu_seconds=4 * self.timeout + 120),
                                  isolation=self.isolation)
            chunks = []
            reader = threading.Thread(target=lambda: chunks.append(_read_all(read_fd)), daemon=True)
            reader.start()
            with open(self.work / f"{label}.log", "wb") as log:
                proc = subprocess.Popen(cmd, cwd=scratch, env=sandbox.environment({GRADING_ENV: "1", STUDENT_ENV: student or ""}),
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        pass_fds=(write_fd,), start_new_session=True)
                os.close(write_fd)
                try:
                    proc.wait(timeout=self.wall_limit())
                    killed = False
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait()
                    killed = True
            reader.join(timeout=30)
            payload = chunks[0] if chunks else b""
            if killed:
                return {"status": "timeout", "detail": f"stopped after {self.wall_limit()} s in all",
                        "timed_out": [], "notebook": None}
            try:
                return json.loads(payload)
            except ValueError:
                return {"status": "kernel_died", "timed_out": [], "notebook": None,
                        "detail": f"the notebook's process ended without a result (exit code {proc.returncode})"}
        finally:
            _remove(scratch)

    def wall_limit(self):
        """Hard limit for one submission, all cells together."""
        return 4 * self.timeout + 60

    # --- one submission ---------------------------------------------------------------------------

    def resources(self, notebook, student):
        return {"nbgrader": {"notebook": notebook, "assignment": self.assignment, "student": student,
                             "db_url": self.coursedir.db_url}}

    def grade_student(self, student):
        from nbgrader.api import Gradebook

        outcome = Outcome(student)
        folder = self.root / self.coursedir.submitted_directory / student / self.assignment
        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(self.assignment, student)
        out_dir = self.root / self.coursedir.autograded_directory / student / self.assignment
        out_dir.mkdir(parents=True, exist_ok=True)
        for notebook in self.notebooks:
            self.grade_notebook(folder / f"{notebook}.ipynb", notebook, student, out_dir, outcome)
        with self.db_lock, Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            sub = gb.find_submission(self.assignment, student)
            outcome.max_score = float(sub.max_score)
            graded = outcome.status not in ("invalid_notebook", "missing_notebook")
            outcome.score = float(sub.score) if graded else None
        return outcome

    def grade_notebook(self, path, notebook, student, out_dir, outcome):
        import nbformat

        from .metadata import restore_metadata, restore_missing_cells

        if not path.exists():
            outcome.statuses.add("missing_notebook")
            outcome.detail = f"{path.name} was not submitted"
            return
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # any unreadable file: JSON, schema, encoding
            outcome.statuses.add("invalid_notebook")
            outcome.detail = f"{path.name} is not a valid notebook ({type(exc).__name__})"
            return
        source, release = self.templates(notebook)
        if restore_metadata(nb, source, release):
            outcome.statuses.add("tampered")
            outcome.detail = "nbgrader metadata was changed or removed and has been restored"
        missing = restore_missing_cells(nb, release)
        if missing:
            outcome.statuses.add("missing_cells")
            outcome.detail = outcome.detail or f"restored deleted cells: {', '.join(missing)}"
        resources = self.resources(notebook, student)
        with self.db_lock:
            nb = self.sanitize(nb, resources)
        result = self.execute(nb, f"{student}-{notebook}", notebook, student=student)
        if result["status"] in ("kernel_died", "timeout", "grading_error"):
            outcome.statuses.add(result["status"])
            outcome.detail = result.get("detail") or result["status"]
        executed = nbformat.from_dict(result["notebook"]) if result.get("notebook") else nb
        verify(executed, self.reference(notebook, student), timed_out=result.get("timed_out", ()),
               kernel_died=result["status"] == "kernel_died")
        with self.db_lock:
            executed = self.save(executed, resources)
        nbformat.write(executed, out_dir / f"{notebook}.ipynb")

    def sanitize(self, nb, resources):
        from nbgrader.preprocessors import (
            CheckCellMetadata,
            ClearOutput,
            DeduplicateIds,
            OverwriteCells,
            OverwriteKernelspec,
        )

        for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
            nb, resources = pp(config=self.config).preprocess(nb, resources)
        return nb

    def save(self, nb, resources):
        from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

        for pp in (LimitOutput, SaveAutoGrades):
            nb, resources = pp(config=self.config).preprocess(nb, resources)
        return nb

    # --- all submissions --------------------------------------------------------------------------

    def students(self):
        submitted = self.root / self.coursedir.submitted_directory
        return sorted(p.parent.name for p in submitted.glob(f"*/{self.assignment}") if p.is_dir())

    def run(self, jobs=2, progress=True):
        """Grade every submission with `jobs` workers; write the CSV; returns the outcomes."""
        from tqdm import tqdm

        students = self.students()
        self.log(f"grading {self.assignment}: {len(students)} submissions, {jobs} workers, "
                 f"per-cell timeout {self.timeout} s, isolation: {self.isolation}")
        if self.isolation == "rlimits-only":
            self.log("WARNING: bubblewrap (bwrap) is not available: student code can read the course folder. "
                     "Install it: sudo apt-get install bubblewrap")
        with ThreadPoolExecutor(max_workers=1 + len(self.notebooks)) as setup:   # independent: run together
            # (with variants: one check that the reference runs cleanly; each student's own reference comes later)
            checks = [setup.submit(self.reference, n, "reference-check" if self.variants(n) else None)
                      for n in self.notebooks]
            for job in [setup.submit(self.sync_gradebook), *checks]:
                job.result()
        outcomes = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                tqdm(total=len(students), desc=f"grading {self.assignment}", unit="sub", disable=not progress,
                     file=sys.stderr) as bar:
            futures = {pool.submit(self.grade_student, s): s for s in students}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    outcomes[student] = future.result()
                except Exception as exc:  # a bug or a broken set-up: reported, and the exit code says so
                    outcomes[student] = Outcome(student, statuses={"grading_error"},
                                                detail=f"{type(exc).__name__}: {exc}")
                bar.set_postfix_str(f"{student}: {outcomes[student].status}")
                bar.update()
        ordered = [outcomes[s] for s in students]
        self.write_csv(ordered)
        return ordered

    def write_csv(self, outcomes):
        grades = self.root / "grades"
        grades.mkdir(exist_ok=True)
        path = grades / f"{self.assignment}.csv"
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["student_id", "score", "max_score", "status"])
            for o in outcomes:
                writer.writerow([o.student_id, "" if o.score is None else f"{o.score:g}",
                                 "" if o.max_score is None else f"{o.max_score:g}", o.status])
        return path


def _read_all(fd):
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _remove(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def grade(assignment, *, jobs=2, timeout=30, root=".", progress=True):
    """Grade `assignment`; returns (outcomes, csv path)."""
    started = time.perf_counter()
    grader = Grader(assignment, root=root, timeout=timeout, log=lambda m: print(m, file=sys.stderr))
    outcomes = grader.run(jobs=jobs, progress=progress)
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    for o in outcomes:
        if o.status != "ok":
            print(f"  {o.student_id}: {o.status} — {o.detail}", file=sys.stderr)
    print(f"graded {len(outcomes)} submissions in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), file=sys.stderr)
    return outcomes, grader.root / "grades" / f"{assignment}.csv"
