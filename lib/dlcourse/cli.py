"""The `dlcourse` command line: grading and feedback for the teaching team.

    dlcourse grade ASSIGNMENT [--jobs N] [--timeout SECONDS] [--budget SECONDS]
    dlcourse feedback ASSIGNMENT

Run from the course's root folder (where nbgrader_config.py is).
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="dlcourse", description="Grading tools for the STAT 4710 deep-learning unit.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every submitted/<student>/ASSIGNMENT/ (parallel, sandboxed)")
    g.add_argument("assignment")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: CPU count)")
    g.add_argument("--timeout", type=int, default=30, help="seconds per notebook cell (default: 30)")
    g.add_argument("--budget", type=int, default=None,
                   help="seconds for a whole notebook (default: 20 x --timeout); when spent, the remaining cells do "
                        "not run and the tests that ran keep their results")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    f = sub.add_parser("feedback", help="write feedback/<student>/ASSIGNMENT/*.html (no hidden tests)")
    f.add_argument("assignment")
    args = parser.parse_args(argv)
    for name in ("jobs", "timeout", "budget"):
        if getattr(args, name, None) is not None and getattr(args, name) < 1:
            parser.error(f"--{name}: expected an integer >= 1, got {getattr(args, name)}")

    import warnings

    from .grading.execute import skip_slow_optional_imports

    skip_slow_optional_imports()
    # nbgrader's own gradebook code triggers SQLAlchemy "not in session" warnings on every new
    # submission; they are harmless and would bury the progress bar and the per-student statuses.
    warnings.filterwarnings("ignore", message=r".*not in session.*")
    from .grading.autograde import GradingError

    try:
        if args.command == "grade":
            from .grading.autograde import grade

            outcomes, path = grade(args.assignment, jobs=args.jobs, timeout=args.timeout, budget=args.budget,
                                   progress=not args.no_progress)
            print(path)
            return 1 if any(o.status == "grading_error" for o in outcomes) else 0
        from .grading.feedback import write_feedback

        for path in write_feedback(args.assignment):
            print(path)
        return 0
    except GradingError as exc:
        print(f"dlcourse {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
