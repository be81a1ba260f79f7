#!/usr/bin/env python3
"""Set up a one-machine course hub (run as root): accounts from the roster, the nbgrader exchange,
and an environment every account can run.

    course_setup.py accounts ROSTER [--homes /home] [--passwords FILE]
        One system account per roster row (no password login for the accounts that exist already
        unless --reset-passwords), home folder 0700, a random password each, written with the
        user names to FILE (0600, for the instructor to hand out). Accounts are tagged
        "dlcourse course <course>" in their comment field; nothing else is ever changed or removed.
    course_setup.py exchange --root /srv/nbgrader/exchange --course stat4710-dl --owner INSTRUCTOR
        The exchange with the permissions nbgrader prescribes, tightened: the root 1777 (anyone
        may create, nobody may delete what is not theirs), the course folder and outbound/ owned by
        the instructor 0755, inbound/ 3733 (students may write a submission but not list the
        folder, so they never learn the random names of the others' submissions, nor delete them).
    course_setup.py remove ROSTER [--exchange DIR --course ID]
        Delete the tagged accounts of the roster with their homes (and the course's exchange folder).
    course_setup.py user-env --venv .venv --dest /opt/dlcourse-user-env
        Only when the course's venv sits on a Python other accounts cannot run (e.g. pyenv's under
        /root, mode 0700): an environment on the system's /usr/bin/python3 (same X.Y) holding the
        venv's packages as hard links, with the venv's commands re-pointed at it.

Roster (CSV with a header): username,role[,name] with role one of student, ta, instructor.
User names: lower-case letters, digits, '-' and '_', starting with a letter, at most 32 characters
(they are Linux accounts and nbgrader student ids).
"""

import argparse
import csv
import grp
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

ROLES = ("student", "ta", "instructor")
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
DEFAULT_COURSE = "stat4710-dl"


class SetupError(SystemExit):
    def __init__(self, message):
        super().__init__(f"course_setup: {message}")


def read_roster(path):
    """[(username, role, name)] from the roster; a clear error for any bad row."""
    path = Path(path)
    if not path.is_file():
        raise SetupError(f"no roster at {path}")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"username", "role"} <= set(reader.fieldnames):
            raise SetupError(f"{path}: the header must name at least the columns username,role")
        rows, seen = [], set()
        for line, row in enumerate(reader, start=2):
            user, role = (row.get("username") or "").strip(), (row.get("role") or "").strip().lower()
            if not NAME.match(user):
                raise SetupError(f"{path}:{line}: {user!r} is not a valid user name (a-z, 0-9, '-', '_'; a letter first)")
            if role not in ROLES:
                raise SetupError(f"{path}:{line}: role {role!r} is not one of {', '.join(ROLES)}")
            if user in seen:
                raise SetupError(f"{path}:{line}: {user} is listed twice")
            seen.add(user)
            rows.append((user, role, (row.get("name") or "").strip()))
    if not rows:
        raise SetupError(f"{path}: no rows")
    return rows


def tag(course):
    return f"dlcourse course {course}"


def _account(user):
    try:
        return pwd.getpwnam(user)
    except KeyError:
        return None


def _require_root():
    if os.geteuid() != 0:
        raise SetupError("run as root (it creates system accounts and folders owned by them)")


def create_accounts(roster, homes, passwords=None, course=DEFAULT_COURSE, reset_passwords=False):
    """Create the roster's accounts; return {user: password} for the accounts given a new password."""
    _require_root()
    homes = Path(homes)
    homes.mkdir(parents=True, exist_ok=True)
    os.chmod(homes, 0o755)
    issued = {}
    for user, _role, _name in read_roster(roster):
        existing = _account(user)
        if existing and existing.pw_gecos != tag(course):
            raise SetupError(f"an account {user} exists already and is not this course's: pick another user name")
        if not existing:
            home = homes / user
            subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                            "--comment", tag(course), "--user-group", user], check=True)
        home = Path(pwd.getpwnam(user).pw_dir)
        os.chmod(home, 0o700)
        if not existing or reset_passwords:
            issued[user] = secrets.token_urlsafe(12)
    if issued:
        lines = "".join(f"{u}:{p}\n" for u, p in issued.items())
        subprocess.run(["chpasswd"], input=lines, text=True, check=True)
    if passwords and issued:
        passwords = Path(passwords)
        fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", newline="") as f:
            if f.tell() == 0:
                f.write("username,password\n")
            csv.writer(f).writerows(issued.items())
        os.chmod(passwords, 0o600)
    return issued


def setup_exchange(root, course, owner):
    """The nbgrader exchange for one course (see the module's doc for the modes)."""
    _require_root()
    account = _account(owner)
    if account is None:
        raise SetupError(f"the exchange's owner {owner} has no account: create the roster's accounts first")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o1777)        # nbgrader insists on o+rwx for the root; the sticky bit stops deletions
    course_dir = root / course
    for path, mode in ((course_dir, 0o755), (course_dir / "outbound", 0o755), (course_dir / "inbound", 0o3733)):
        path.mkdir(exist_ok=True)
        os.chown(path, account.pw_uid, account.pw_gid)
        os.chmod(path, mode)
    return course_dir


def remove_accounts(roster, course=DEFAULT_COURSE, exchange=None):
    """Delete the roster's accounts that carry this course's tag, with their homes and processes."""
    _require_root()
    removed = []
    for user, _role, _name in read_roster(roster):
        account = _account(user)
        if account is None or account.pw_gecos != tag(course):
            continue
        subprocess.run(["pkill", "-KILL", "-u", str(account.pw_uid)], check=False)
        subprocess.run(["userdel", "--remove", user], check=False, capture_output=True)
        if Path(account.pw_dir).exists():        # userdel leaves a home it considers foreign
            shutil.rmtree(account.pw_dir, ignore_errors=True)
        try:
            grp.getgrnam(user)
            subprocess.run(["groupdel", user], check=False, capture_output=True)
        except KeyError:
            pass
        removed.append(user)
    if exchange and (Path(exchange) / course).exists():
        shutil.rmtree(Path(exchange) / course)
    return removed


def _readable_by_others(path):
    """Whether an account other than root can reach `path` (x on every folder above, r on it)."""
    path = Path(path).resolve()
    for parent in reversed(path.parents):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def build_user_env(venv, dest, python="/usr/bin/python3"):
    """An environment other accounts can run: the system's Python with the venv's packages."""
    venv, dest = Path(venv).resolve(), Path(dest)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    if not site.is_dir():
        raise SetupError(f"no site-packages at {site}: build the venv with this Python version first (make venv)")
    if not _readable_by_others(site):
        raise SetupError(f"{site} is not reachable by other accounts (a folder above it lacks o+x): "
                         "put the course's venv somewhere like /opt or /srv")
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    if version != f"{sys.version_info.major}.{sys.version_info.minor}":
        raise SetupError(f"{python} is Python {version}, the venv's packages are for "
                         f"{sys.version_info.major}.{sys.version_info.minor}: build the venv on {python} instead")
    subprocess.run([python, "-m", "venv", "--without-pip", "--clear", str(dest)], check=True)
    purelib = Path(subprocess.run([str(dest / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # The venv's packages, Jupyter configuration and data, as hard links (no copy on the same file
    # system): the environment is then whole under its own prefix, as `dlcourse grade`'s sandbox needs.
    parts = [(site, purelib)] + [(venv / p / "jupyter", dest / p / "jupyter") for p in ("etc", "share")
                                 if (venv / p / "jupyter").is_dir()]
    for src, dst in parts:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists():
            shutil.rmtree(dst)
        if subprocess.run(["cp", "-a", "--link", str(src), str(dst)], capture_output=True).returncode != 0:
            shutil.rmtree(dst, ignore_errors=True)
            print(f"(another file system: copying {src})")
            subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    shebang = f"#!{venv}/bin/python"
    for script in sorted((venv / "bin").iterdir()):
        if not script.is_file() or script.name.startswith(("python", "activate", "pip")):
            continue
        try:
            text = script.read_text()
        except UnicodeDecodeError:
            continue
        first, _, rest = text.partition("\n")
        if first.strip() in (shebang, shebang + "3"):
            target = dest / "bin" / script.name
            target.write_text(f"#!{dest.resolve()}/bin/python\n{rest}")
            target.chmod(0o755)
    for path in [dest, *(dest / "bin").iterdir(), *dest.glob("lib*"), *dest.glob("*/jupyter")]:
        if not path.is_symlink():
            path.chmod((path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)) & 0o7777)
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course_setup.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("accounts", help="create the roster's accounts")
    a.add_argument("roster")
    a.add_argument("--homes", default="/home")
    a.add_argument("--passwords", help="append new user names and passwords to this CSV (mode 0600)")
    a.add_argument("--course", default=DEFAULT_COURSE)
    a.add_argument("--reset-passwords", action="store_true")
    e = sub.add_parser("exchange", help="create the course's nbgrader exchange")
    e.add_argument("--root", default="/srv/nbgrader/exchange")
    e.add_argument("--course", default=DEFAULT_COURSE)
    e.add_argument("--owner", required=True, help="the instructor account that releases and collects")
    r = sub.add_parser("remove", help="delete the roster's accounts (only those this script created)")
    r.add_argument("roster")
    r.add_argument("--course", default=DEFAULT_COURSE)
    r.add_argument("--exchange", help="also delete the course's folder in this exchange")
    u = sub.add_parser("user-env", help="an environment other accounts can run, from the course venv")
    u.add_argument("--venv", default=".venv")
    u.add_argument("--dest", required=True)
    u.add_argument("--python", default="/usr/bin/python3")
    args = parser.parse_args(argv)
    if args.command == "accounts":
        issued = create_accounts(args.roster, args.homes, args.passwords, args.course, args.reset_passwords)
        print(f"{len(issued)} new password(s)" + (f" appended to {args.passwords}" if args.passwords and issued else ""))
        if issued and not args.passwords:
            for user, password in issued.items():
                print(f"{user},{password}")
    elif args.command == "exchange":
        print(setup_exchange(args.root, args.course, args.owner))
    elif args.command == "remove":
        print("removed:", " ".join(remove_accounts(args.roster, args.course, args.exchange)) or "nothing")
    else:
        print(build_user_env(args.venv, args.dest, args.python))


if __name__ == "__main__":
    main()
