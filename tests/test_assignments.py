"""assignments/ is what `nbgrader generate_assignment` makes from solutions/: regenerate and compare."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_assignment_is_up_to_date(tmp_path, assignment):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
                   cwd=course, env=env, check=True, capture_output=True, timeout=300)
    for fresh in sorted((course / "assignments" / assignment).glob("*.ipynb")):
        committed = ROOT / "assignments" / assignment / fresh.name
        assert committed.exists(), f"{committed} is missing: run `nbgrader generate_assignment {assignment}`"
        assert json.loads(committed.read_text()) == json.loads(fresh.read_text()), (
            f"{committed} is stale: run `nbgrader generate_assignment {assignment} --force` and commit it")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_has_no_solutions_or_hidden_tests(assignment):
    for path in (ROOT / "assignments" / assignment).glob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "NotImplementedError" in text
