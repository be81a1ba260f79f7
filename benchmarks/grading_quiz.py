"""Grading a class of N quiz submissions (per-student variants) against N homework-1 submissions, in one run.

Run:  .venv/bin/python benchmarks/grading_quiz.py [N]     (default 60; JOBS=4 for other worker counts)

The quiz gives every student their own variant, so `dlcourse grade` runs the reference solution once per
student (cached by student and source version) besides the submission itself: before grading, in --jobs
batches of students, each batch in one sandbox and one kernel; homework 1 runs it once.
Both classes are the reference solution's answers under N different student ids, graded from a fresh
course with `dlcourse grade --jobs 2` (set-up and reference runs included), one after the other
(ROUNDS=2: quiz, hw1, hw1, quiz, so that a change in the machine's load hits both).
Prints both wall times, seconds per submission and the ratio quiz/hw1. Goal: <= 1.5x.
"""

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grading.homework import Homework, new_course  # noqa: E402

BIN = Path(sys.executable).parent


def make_course(base, assignment, n):
    course = new_course(base, assignment)
    hw = Homework(assignment)
    text = hw.build(hw.reference_answers())
    for i in range(n):
        folder = course / "submitted" / f"student{i:03d}" / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text(text)
    return course


def grade(assignment, n, jobs):
    with tempfile.TemporaryDirectory() as base:
        course = make_course(base, assignment, n)
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
        started = time.perf_counter()
        proc = subprocess.run([str(BIN / "dlcourse"), "grade", assignment, "--jobs", jobs, "--no-progress"],
                              cwd=course, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        with open(course / "grades" / f"{assignment}.csv", newline="") as f:
            rows = list(csv.reader(f))[1:]
        full = sum(r[3] == "ok" for r in rows)
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
        return elapsed, proc.returncode, len(rows), full


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    jobs = os.environ.get("JOBS", "2")
    print(f"{n} submissions per class, dlcourse grade --jobs {jobs}, {os.cpu_count()} CPUs")
    times = {"quiz": [], "hw1": []}
    order = ("quiz", "hw1", "hw1", "quiz") if os.environ.get("ROUNDS") == "2" else ("quiz", "hw1")
    for assignment in order:
        elapsed, code, rows, ok = grade(assignment, n, jobs)
        times[assignment].append(elapsed)
        print(f"{assignment:>5}: {elapsed:7.1f} s  ({elapsed / n:.2f} s per submission)  exit {code}, "
              f"{rows} rows, {ok} graded ok")
    quiz, hw1 = (sum(times[a]) / len(times[a]) for a in ("quiz", "hw1"))
    print(f"mean: quiz {quiz:.1f} s, hw1 {hw1:.1f} s; ratio quiz/hw1 = {quiz / hw1:.2f}x  (goal <= 1.5x)")


if __name__ == "__main__":
    main()
