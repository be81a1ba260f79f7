"""`dlcourse collect`: nbgrader's exchange -> submitted/<student>/<assignment>/, safely.

`nbgrader collect` trusts the exchange, a folder every user can write: it follows a link a student
planted in their inbound folder (or an inbound folder that is itself a link) and copies what it
points at with the instructor's rights (the solutions, say), and it takes the student id from the
folder's name, so anyone can submit as anyone (it only logs a warning). This collector reads the
same folders, ``<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>[+<random>]/`` (written
by `nbgrader submit`), and copies a submission only when

* nothing in it is a link, a hard link or a special file: it is opened with O_NOFOLLOW, folder by
  folder through file descriptors, so a link swapped in while it is read is refused too;
* the folder and everything in it belong to the claimed student: the owner's uid is the uid of the
  student's account (``pwd``), or the one given in ``--owners`` (student_id,uid rows: a hub whose
  students have uids but no accounts on the instructor's machine, e.g. KubeSpawner's uid per user).
  With one shared account (a laptop, a hub where everyone is uid 1000) ownership proves nothing:
  ``--trust-names`` takes ids from folder names, with a warning, still refusing links;
* it holds at most MAX_FILES entries, MAX_DEPTH levels and MAX_SUBMISSION_BYTES, and its
  `timestamp.txt` (what `dlcourse grade` uses for late penalties) agrees with the folder's name.
  Files changed more than TIMESTAMP_SLACK after that time (the kernel's ctime, which the student
  cannot set) get the time of the last change instead (``--trust-timestamps`` keeps the claimed one).

Per student the newest accepted submission counts; a refused folder never hides an accepted one. As
`nbgrader collect`: an existing submitted/<student>/<assignment>/ is kept unless ``--update``, and
then replaced only by a newer submission (never by an older one); running it again changes nothing.
The summary has a line per student (collected, updated, unchanged) and per refused folder, with its
reason (link, not_owner, unknown_student, invalid_name, special_file, too_large, bad_timestamp,
unreadable, destination). Exit status: 0 (refusals are the students' doing, as statuses are for
`dlcourse grade`), 1 when a submission could not be written, 2 when collecting cannot start.
"""

import argparse
import csv
import datetime
import fnmatch
import os
import pwd
import secrets
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from .autograde import MAX_SUBMISSION_BYTES, STUDENT_ID, _shown

MAX_FILES = 1000                  # files and folders in one submission
MAX_DEPTH = 16                    # folder levels in one submission
TIMESTAMP_SLACK = 60              # seconds nbgrader submit may take between its timestamp and its last write
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"     # nbgrader's (Exchange.timestamp_format, timezone UTC)
ASSIGNMENT = STUDENT_ID           # a folder name: letters, digits, . @ + - _ (no "/", no leading dot)
OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class CollectError(RuntimeError):
    """Collecting cannot start (arguments, configuration, exchange): the command exits 2."""


class Refused(Exception):
    """One inbound folder is not collected; ``reason`` is a short code, the message says why."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


@dataclass
class Result:
    """What happened to one student, or to one refused inbound folder."""
    student: str
    status: str                   # collected | updated | unchanged | refused | failed (could not write)
    detail: str = ""
    folder: str = ""              # the inbound folder's name
    timestamp: datetime.datetime = None
    reason: str = ""              # refused: link, not_owner, unknown_student, invalid_name, special_file, ...


@dataclass
class Submission:
    """An accepted inbound folder, read into memory: {relative path: (bytes, mtime)} and its folders."""
    folder: str
    timestamp: datetime.datetime
    files: dict
    folders: list
    note: str = ""


# --- configuration ----------------------------------------------------------------------------------

def load_settings(root, exchange=None, course=None):
    """(course root, exchange root, course id, CourseDirectory) as nbgrader reads them: every
    nbgrader_config.py on Jupyter's config path (e.g. the hub's user-config), then <root>'s."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.exchange import Exchange
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise CollectError(f"--root: no nbgrader_config.py in {root} (run from the course's root folder or pass "
                           "--root)")
    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(root)]:      # lowest priority first
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)
    course = course if course is not None else coursedir.course_id
    if not course or "/" in course or course.startswith("."):
        raise CollectError(f"--course: expected the course id (c.CourseDirectory.course_id), got {course!r}")
    exchange = exchange if exchange is not None else Exchange(config=config).root
    return root, Path(exchange), course, coursedir


def read_owners(path):
    """{student id: uid} from a CSV with rows student_id,uid (a header row is allowed)."""
    owners = {}
    try:
        with open(path, newline="") as f:
            for number, row in enumerate(csv.reader(f), 1):
                if not row or (number == 1 and not row[-1].strip().isdigit()):
                    continue
                if len(row) != 2 or not row[1].strip().isdigit():
                    raise CollectError(f"--owners: line {number} of {path}: expected student_id,uid, got {row!r}")
                owners[row[0].strip()] = int(row[1])
    except OSError as exc:
        raise CollectError(f"--owners: cannot read {path}: {exc.strerror}") from exc
    return owners


# --- one inbound folder -----------------------------------------------------------------------------

def parse_folder(name, assignment):
    """(student id, timestamp text) of ``<student>+<assignment>+<timestamp>[+<random>]``, or None when the
    folder is not a submission of `assignment`. Ids may contain "+", as in nbgrader."""
    for parts in (name.rsplit("+", 3), name.rsplit("+", 2)):
        if len(parts) >= 3 and parts[1] == assignment:
            return parts[0], parts[2]
    return None


def parse_time(text):
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return None


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)


def read_submission(inbound_fd, name, claimed_time, uid, *, trust_timestamps=False):
    """Read inbound/<name> without following any link; every entry must belong to `uid` (None: to
    whoever owns the folder). Returns a Submission; raises Refused."""
    top = os.stat(name, dir_fd=inbound_fd, follow_symlinks=False)
    if stat.S_ISLNK(top.st_mode):
        target = os.readlink(name, dir_fd=inbound_fd)
        raise Refused("link", f"the folder is a symbolic link (to {_shown(target)})")
    if not stat.S_ISDIR(top.st_mode):
        raise Refused("special_file", "not a folder")
    uid = top.st_uid if uid is None else uid
    files, folders, state = {}, [], {"bytes": 0, "entries": 0, "changed": 0.0}

    def owned(st, rel):
        state["changed"] = max(state["changed"], st.st_ctime)
        if st.st_uid != uid:
            owner = _user(st.st_uid)
            raise Refused("not_owner", f"{rel or 'the folder'} belongs to {owner}, not to the student "
                                       f"({_user(uid)})")

    def walk(fd, prefix, depth):
        if depth > MAX_DEPTH:
            raise Refused("too_large", f"more than {MAX_DEPTH} folder levels")
        for entry in sorted(os.listdir(fd)):
            rel = prefix + entry
            state["entries"] += 1
            if state["entries"] > MAX_FILES:
                raise Refused("too_large", f"more than {MAX_FILES} files and folders")
            st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise Refused("link", f"{_shown(rel)} is a symbolic link (to {_shown(os.readlink(entry, dir_fd=fd))})")
            if stat.S_ISDIR(st.st_mode):
                sub = os.open(entry, OPEN_DIR, dir_fd=fd)
                try:
                    owned(os.fstat(sub), rel)
                    folders.append(rel)
                    walk(sub, rel + "/", depth + 1)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(st.st_mode):
                files[rel] = read_file(fd, entry, rel)
            else:
                raise Refused("special_file", f"{_shown(rel)} is not a regular file or folder")

    def read_file(fd, entry, rel):
        ffd = os.open(entry, OPEN_FILE, dir_fd=fd)
        try:
            st = os.fstat(ffd)
            if not stat.S_ISREG(st.st_mode):        # swapped for something else since it was looked at
                raise Refused("special_file", f"{_shown(rel)} is not a regular file")
            if st.st_nlink != 1:
                raise Refused("link", f"{_shown(rel)} is a hard link ({st.st_nlink} names for one file)")
            owned(st, rel)
            chunks = []
            while True:
                chunk = os.read(ffd, 1 << 20)
                if not chunk:
                    break
                state["bytes"] += len(chunk)
                if state["bytes"] > MAX_SUBMISSION_BYTES:
                    raise Refused("too_large", f"more than {MAX_SUBMISSION_BYTES // 1024**2} MB")
                chunks.append(chunk)
            owned(os.fstat(ffd), rel)                # a change while it was read counts as a change
            return b"".join(chunks), st.st_mtime
        finally:
            os.close(ffd)

    dfd = os.open(name, OPEN_DIR, dir_fd=inbound_fd)
    try:
        owned(os.fstat(dfd), "")
        walk(dfd, "", 1)
        owned(os.fstat(dfd), "")
    finally:
        os.close(dfd)

    if "timestamp.txt" not in files:
        raise Refused("bad_timestamp", "no timestamp.txt (nbgrader submit always writes one)")
    text = files["timestamp.txt"][0][:200].decode("utf-8", "replace")
    if parse_time(text) != claimed_time:
        raise Refused("bad_timestamp", f"timestamp.txt ({_shown(text[:40])}) does not match the folder's name")
    submission = Submission(name, claimed_time, files, folders)
    changed = _utc(state["changed"])
    if not trust_timestamps and changed > claimed_time + datetime.timedelta(seconds=TIMESTAMP_SLACK):
        submission.timestamp = changed
        submission.note = (f"timestamp.txt says {claimed_time:%Y-%m-%d %H:%M:%S} UTC but files changed until "
                           f"{changed:%Y-%m-%d %H:%M:%S} UTC: the later time is recorded")
        files["timestamp.txt"] = (changed.strftime(TIMESTAMP_FORMAT).encode(), files["timestamp.txt"][1])
    return submission


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


# --- submitted/ -------------------------------------------------------------------------------------

def existing_timestamp(dest):
    """The timestamp of an already collected submission (None: none, or no readable timestamp.txt)."""
    path = dest / "timestamp.txt"
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode) or stat.S_ISLNK(os.lstat(dest).st_mode):
            return None
        with open(path, "rb") as f:
            return parse_time(f.read(200).decode("utf-8", "replace"))
    except OSError:
        return None


def write_submission(submission, student_dir, assignment, ignore):
    """Write the submission to <student_dir>/<assignment>, replacing what was there in one rename."""
    def ignored(rel):
        return any(fnmatch.fnmatch(part, pattern) for part in rel.split("/") for pattern in ignore)

    staging = student_dir / f".{assignment}.collect-{secrets.token_hex(4)}"
    os.mkdir(staging, 0o755)
    try:
        for rel in submission.folders:
            if not ignored(rel):
                os.mkdir(staging / rel, 0o755)
        for rel, (data, mtime) in submission.files.items():
            if ignored(rel):
                continue
            fd = os.open(staging / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.utime(staging / rel, (mtime, mtime), follow_symlinks=False)
        dest = student_dir / assignment
        old = None
        if os.path.lexists(dest):
            old = student_dir / f".{assignment}.replaced-{secrets.token_hex(4)}"
            os.rename(dest, old)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        if os.path.islink(old) or not os.path.isdir(old):
            os.unlink(old)
        else:
            shutil.rmtree(old)


# --- all students -----------------------------------------------------------------------------------

def collect(assignment, *, root=".", exchange=None, course=None, update=False, trust_names=False,
            owners=None, trust_timestamps=False, log=print):
    """Collect every student's newest accepted submission of `assignment`; returns a list of Result."""
    if not isinstance(assignment, str) or not ASSIGNMENT.fullmatch(assignment) or "+" in assignment:
        raise CollectError(f"ASSIGNMENT: expected an assignment's folder name (letters, digits, . @ - _; no '+'), "
                           f"got {assignment!r}")
    if trust_names and owners is not None:
        raise CollectError("--trust-names and --owners exclude each other: --owners says whose uid is whose")
    root, exchange, course, coursedir = load_settings(root, exchange, course)
    owners = read_owners(owners) if owners is not None else None
    inbound = exchange / course / "inbound"
    try:
        course_fd = os.open(exchange / course, OPEN_DIR)          # the exchange root may be a link, set by an admin
        try:
            inbound_fd = os.open("inbound", OPEN_DIR, dir_fd=course_fd)
        finally:
            os.close(course_fd)
    except OSError as exc:
        linked = os.path.islink(exchange / course) or os.path.islink(inbound)
        why = "a link, refused: the course's folders must be real folders" if linked else exc.strerror
        raise CollectError(f"--exchange: cannot open {inbound} ({why}); release an assignment first, or pass "
                           "--exchange (c.Exchange.root) and --course") from exc
    try:
        try:
            names = os.listdir(inbound_fd)
        except OSError as exc:
            raise CollectError(f"--exchange: cannot list {inbound} ({exc.strerror}): run as the instructor who "
                               "released the assignment") from exc
        if trust_names:
            print("WARNING: --trust-names: student ids are taken from folder names, so anyone who can write to "
                  "the exchange can submit as anyone; use it only where every student is the same Unix user",
                  file=sys.stderr)
        candidates, results = {}, []
        for name in sorted(names):
            parsed = parse_folder(name, assignment)
            if parsed is None:
                continue                      # another assignment, or not nbgrader's (a submit's hidden staging)
            student, text = parsed
            claimed = parse_time(text)
            if claimed is None or not STUDENT_ID.fullmatch(student) or (trust_names and not student.isascii()):
                results.append(Result(student, "refused", "the folder's name is not <student>+<assignment>+"
                                      "<timestamp>[+<random>] with a valid id and time", name, reason="invalid_name"))
                continue
            candidates.setdefault(student, []).append((name, claimed))
        submitted = root / coursedir.submitted_directory
        for student in sorted(candidates):
            results.extend(_collect_student(student, candidates[student], inbound_fd, submitted, assignment,
                                            coursedir.ignore, update=update, trust_names=trust_names,
                                            owners=owners, trust_timestamps=trust_timestamps))
    finally:
        os.close(inbound_fd)
    _summary(assignment, inbound, submitted, results, log)
    return results


def _expected_uid(student, owners):
    if owners is not None:
        if student in owners:
            return owners[student]
        raise Refused("unknown_student", f"{_shown(student)} is not in --owners")
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        raise Refused("unknown_student", f"no account named {_shown(student)}") from None


def _collect_student(student, folders, inbound_fd, submitted, assignment, ignore, *, update, trust_names, owners,
                     trust_timestamps):
    results, newest = [], None
    for name, claimed in folders:
        try:
            uid = None if trust_names else _expected_uid(student, owners)
            submission = read_submission(inbound_fd, name, claimed, uid, trust_timestamps=trust_timestamps)
        except Refused as exc:
            results.append(Result(student, "refused", str(exc), name, claimed, exc.reason))
            continue
        except OSError as exc:         # vanished or unreadable while read
            results.append(Result(student, "refused", f"unreadable: {exc.strerror}", name, claimed, "unreadable"))
            continue
        if newest is None or (submission.timestamp, submission.folder) > (newest.timestamp, newest.folder):
            newest = submission        # only one submission in memory besides the one being read
    if newest is None:
        return results
    done = Result(student, "", newest.note, newest.folder, newest.timestamp)
    student_dir = submitted / student
    for path in (submitted, student_dir):
        if os.path.lexists(path) and (os.path.islink(path) or not os.path.isdir(path)):
            return results + [Result(student, "refused", f"{path} is a link or not a folder: remove it",
                                     newest.folder, newest.timestamp, "destination")]
    dest = student_dir / assignment
    if os.path.lexists(dest):
        existing = existing_timestamp(dest)
        if not update:
            done.status, done.detail = "unchanged", "already collected (--update takes a newer submission)"
            return results + [done]
        if existing is not None and existing >= newest.timestamp:
            done.status = "unchanged"
            done.detail = f"the collected submission ({existing:%Y-%m-%d %H:%M:%S} UTC) is not older"
            return results + [done]
        done.status = "updated"
    else:
        done.status = "collected"
    try:
        student_dir.mkdir(parents=True, exist_ok=True)
        write_submission(newest, student_dir, assignment, ignore)
    except OSError as exc:
        done.status, done.detail = "failed", f"cannot write {dest}: {exc.strerror}"
    return results + [done]


def _summary(assignment, inbound, submitted, results, log):
    log(f"collect {assignment}: {os.path.abspath(inbound)} -> {submitted}/<student>/{assignment}/")
    for r in results:
        when = f" ({r.timestamp:%Y-%m-%d %H:%M:%S} UTC)" if r.timestamp else ""
        if r.status == "refused":
            log(f"  {_shown(r.student)}: refused {_shown(r.folder)} — {r.reason}: {r.detail}")
        else:
            log(f"  {_shown(r.student)}: {r.status}{when}" + (f" — {r.detail}" if r.detail else ""))
    counts = {s: sum(r.status == s for r in results) for s in ("collected", "updated", "unchanged", "refused", "failed")}
    if not counts["failed"]:
        del counts["failed"]
    students = len({r.student for r in results})
    log(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({students} students)")
    if any(r.reason == "unknown_student" for r in results):
        log("unknown_student: each student must be the Unix user who owns the submission; with one shared account "
            "pass --trust-names, with uids that have no account here pass --owners (student_id,uid rows)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="dlcourse collect",
        description="Copy submissions from nbgrader's exchange into submitted/<student>/ASSIGNMENT/, refusing links "
                    "and folders that claim another student (use it instead of `nbgrader collect`).")
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("--root", default=".", help="the course's root folder, with nbgrader_config.py (default: .)")
    parser.add_argument("--exchange", default=None,
                        help="nbgrader's exchange (default: c.Exchange.root from nbgrader's config files)")
    parser.add_argument("--course", default=None, help="course id (default: c.CourseDirectory.course_id)")
    parser.add_argument("--update", action="store_true",
                        help="replace an already collected submission by a newer one (never by an older one)")
    parser.add_argument("--trust-names", action="store_true",
                        help="take student ids from folder names without checking ownership (only where every "
                             "student is the same Unix user)")
    parser.add_argument("--owners", metavar="CSV", default=None,
                        help="student_id,uid rows: the uid that must own each student's submission (instead of "
                             "the student's account on this machine)")
    parser.add_argument("--trust-timestamps", action="store_true",
                        help="record timestamp.txt as submitted even when the files changed later (e.g. after "
                             "the exchange was restored from a copy)")
    args = parser.parse_args(argv)
    try:
        results = collect(args.assignment, root=args.root, exchange=args.exchange, course=args.course, update=args.update,
                trust_names=args.trust_names, owners=args.owners, trust_timestamps=args.trust_timestamps)
    except CollectError as exc:
        print(f"dlcourse collect: {exc}", file=sys.stderr)
        return 2
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
