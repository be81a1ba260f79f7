"""nbgrader's own autograde (formgrader's "Autograde" button, `nbgrader autograde`) through the sandbox.

nbgrader_config.py puts `SandboxedExecute` in place of nbgrader's Execute preprocessor: the notebook runs
exactly as `dlcourse grade` runs it (own sandbox slot, filtered library, hidden tests sent on a pipe,
per-cell timeout and notebook budget), then its test cells are verified against the reference
solution's checked values and reduced to the grader's verdict. Student code never runs as the
instructor's user, whichever button starts grading.
"""

from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer


def _course_root(path):
    for folder in [Path(path).resolve(), *Path(path).resolve().parents]:
        if (folder / "nbgrader_config.py").exists() and (folder / "nbgrader_config.py").is_file():
            return folder
    raise RuntimeError(f"no nbgrader_config.py above {path}: run nbgrader from the course's root folder")


class SandboxedExecute(NbGraderPreprocessor):
    """Execute (and verify) a notebook in dlcourse's sandbox instead of in the instructor's account."""

    timeout = Integer(30, help="seconds per cell").tag(config=True)
    budget = Float(0.0, help="seconds for the whole notebook (0: 20 x timeout)").tag(config=True)

    def preprocess(self, nb, resources):
        from .autograde import Grader
        from .verify import hidden_lines, public_outputs, verify

        info = resources["nbgrader"]
        build = Path(resources.get("metadata", {}).get("path") or ".")
        root = _course_root(build)
        grader = Grader(info["assignment"], root=root, timeout=self.timeout, budget=self.budget or None, jobs=1,
                        log=self.log.info, warm=False)     # one notebook: a zygote would not pay for itself
        notebook, student = info["notebook"], info["student"]
        inputs = build if build.is_dir() else None
        result = grader.execute(nb, f"nbgrader-{student}-{notebook}", notebook, student=student, inputs=inputs)
        if result["status"] != "ok":
            self.log.warning("%s/%s: %s — %s", student, notebook, result["status"], result.get("detail", ""))
        executed = result["notebook"]
        verify(executed, grader.reference(notebook, student), timed_out=result.get("timed_out", ()),
               kernel_died=result["status"] == "kernel_died")
        public_outputs(executed, hidden_lines(grader.templates(notebook)[0]))
        return executed, resources


class StudentOwnOutputs(NbGraderPreprocessor):
    """For `nbgrader generate_feedback` (and formgrader's feedback button): code cells show the outputs of
    the student's own submitted notebook, never the grading run's.

    Student code runs beside the hidden tests while grading and may print them in any encoding (base64
    defeats the redaction of hidden lines), so the grading run's outputs of student cells stay in the
    instructor's autograded/ copy; test cells keep the grader's verdict. Same policy as `dlcourse feedback`.
    """

    def preprocess(self, nb, resources):
        from .autograde import load_course
        from .feedback import own_outputs, show_own_outputs

        info = resources["nbgrader"]
        root = _course_root(Path(resources.get("metadata", {}).get("path") or "."))
        coursedir, _ = load_course(root)
        submitted = (Path(coursedir.root) / coursedir.submitted_directory / info["student"] / info["assignment"]
                     / f"{info['notebook']}.ipynb")
        return show_own_outputs(nb, own_outputs(submitted)), resources
