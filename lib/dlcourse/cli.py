"""The `dlcourse` command line: grading and feedback for the teaching team.

    dlcourse grade ASSIGNMENT [--jobs N] [--timeout SECONDS] [--budget SECONDS] [--scheduler ADDRESS|local]
                   [--resume|--no-resume] [--engine fast|kernel] [--start warm|cold]
    dlcourse feedback ASSIGNMENT
    dlcourse report ASSIGNMENT [...]      (dlcourse.grading.report: an HTML page and a CSV after grading)
    dlcourse collect ASSIGNMENT [...]     (dlcourse.grading.collect: nbgrader's exchange -> submitted/, safely)

Run from the course's root folder (where nbgrader_config.py is).
"""

import argparse
import os
import sys

# Subcommands with their own options, parsed by their own module's `main(argv)`.
DELEGATED = {
    "report": ("dlcourse.grading.report", "HTML page + CSV of a graded assignment (score distribution, parts, "
                                          "failing tests, statuses)"),
    "collect": ("dlcourse.grading.collect", "copy submissions from nbgrader's exchange into submitted/ safely "
                                            "(no links, no names claiming another student)"),
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        return importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:])
    parser = argparse.ArgumentParser(prog="dlcourse", description="Grading tools for the STAT 4710 deep-learning unit.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every submitted/<student>/ASSIGNMENT/ (parallel, sandboxed)")
    g.add_argument("assignment")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: CPU count)")
    g.add_argument("--timeout", type=int, default=30, help="seconds per notebook cell (default: 30)")
    g.add_argument("--budget", type=int, default=None,
                   help="seconds for a whole notebook (default: 20 x --timeout); when spent, the remaining cells do "
                        "not run and the tests that ran keep their results")
    g.add_argument("--engine", choices=("fast", "kernel"), default="fast",
                   help="what runs the notebooks in the sandbox: `fast` (an IPython shell forked in the sandbox, "
                        "default) or `kernel` (a Jupyter kernel driven by nbclient, as stock nbgrader)")
    g.add_argument("--start", choices=("warm", "cold"), default="warm",
                   help="with the fast engine as root: `warm` (default) forks each sandbox's executor from one "
                        "pre-warmed Python (numpy and IPython imported once); `cold` starts Python in each sandbox")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask distributed cluster (tcp://host:8786), or `local` for a LocalCluster")
    g.add_argument("--resume", action=argparse.BooleanOptionalAction, default=None,
                   help="skip submissions already graded with the current version of the assignment, course "
                        "config and dlcourse (default: on with --scheduler, off without)")
    f = sub.add_parser("feedback", help="write feedback/<student>/ASSIGNMENT/*.html (no hidden tests)")
    f.add_argument("assignment")
    for name, (_, text) in DELEGATED.items():
        sub.add_parser(name, help=text + f" (see: dlcourse {name} --help)", add_help=False)
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

            extra = {"scheduler": args.scheduler} if args.scheduler else {}
            if args.resume is not None:
                extra["resume"] = args.resume
            outcomes, path = grade(args.assignment, jobs=args.jobs, timeout=args.timeout, budget=args.budget,
                                   progress=not args.no_progress, engine=args.engine,
                                   warm=args.start == "warm", **extra)
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
