"""`make lock`: pin every Python package the course installs, so each semester gets the same versions.

    python -m pip install --dry-run --ignore-installed --report build/lock.json -e '.[course,hub,test]'
    python -m dlcourse.lock write build/lock.json            # -> requirements.lock
    python -m dlcourse.lock check                            # exit 1 when the lock is stale

`requirements.lock` lists ``name==version`` for every package pip resolved (the course library
itself excepted), and in its header a digest of pyproject.toml's dependency tables. The lock is
stale when pyproject's dependencies changed since it was written, or when a locked version no
longer satisfies pyproject's constraints. `make lab`, `make test` and the Binder recipe install
with ``-c requirements.lock``. Standard library only (plus `packaging`, which pip vendors and
setuptools installs).
"""

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

LOCK = Path("requirements.lock")
HEADER = "# pyproject-dependencies-sha256: "


def dependencies(pyproject="pyproject.toml"):
    """The requirement strings of pyproject.toml: the core and every optional group."""
    project = tomllib.loads(Path(pyproject).read_text())["project"]
    return {"dependencies": project.get("dependencies", []),
            "optional-dependencies": project.get("optional-dependencies", {})}


def digest(pyproject="pyproject.toml"):
    return hashlib.sha256(json.dumps(dependencies(pyproject), sort_keys=True).encode()).hexdigest()


def _public(version):
    return version.split("+")[0]          # 2.13.0+cpu -> 2.13.0: the lock names the release, not the build


def write(report, out=LOCK, pyproject="pyproject.toml"):
    """Write the lock from pip's installation report (``pip install --dry-run --report``)."""
    installs = json.loads(Path(report).read_text())["install"]
    pins = sorted({(i["metadata"]["name"].lower().replace("_", "-"), _public(i["metadata"]["version"]))
                   for i in installs if i["metadata"]["name"].lower() != "dlcourse"})
    lines = ["# Every Python package of the course, pinned. Refresh each semester with `make lock`;",
             "# `make lab`, `make test` and Binder install with -c requirements.lock.",
             HEADER + digest(pyproject)] + [f"{name}=={version}" for name, version in pins]
    Path(out).write_text("\n".join(lines) + "\n")
    return pins


def read(lock=LOCK):
    """{name: version} and the recorded digest."""
    pins, recorded = {}, None
    for line in Path(lock).read_text().splitlines():
        if line.startswith(HEADER):
            recorded = line[len(HEADER):].strip()
        elif line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name] = version
    return pins, recorded


def problems(lock=LOCK, pyproject="pyproject.toml"):
    """Why the lock is stale (an empty list when it is current)."""
    from packaging.requirements import Requirement

    if not Path(lock).exists():
        return [f"{lock} is missing: run `make lock`"]
    pins, recorded = read(lock)
    found = []
    if recorded != digest(pyproject):
        found.append(f"{pyproject}'s dependencies changed since {lock} was written: run `make lock`")
    deps = dependencies(pyproject)
    for text in deps["dependencies"] + [r for group in deps["optional-dependencies"].values() for r in group]:
        req = Requirement(text)
        name = req.name.lower().replace("_", "-")
        if name not in pins:
            found.append(f"{req.name} is required by {pyproject} but not locked: run `make lock`")
        elif pins[name] not in req.specifier:
            found.append(f"{req.name}=={pins[name]} in {lock} does not satisfy {text!r}: run `make lock`")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write requirements.lock from pip's --report JSON")
    w.add_argument("report")
    w.add_argument("--out", default=str(LOCK))
    sub.add_parser("check", help="exit 1 when requirements.lock is stale")
    args = parser.parse_args(argv)
    if args.command == "write":
        pins = write(args.report, args.out)
        print(f"{args.out}: {len(pins)} packages pinned")
        return 0
    found = problems()
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
