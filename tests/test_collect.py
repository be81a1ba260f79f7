"""`dlcourse collect` against a real nbgrader exchange, real Unix users and real `dlcourse grade`.

The main scenario (module fixture `exchange`): the instructor (root) releases homework 1 with
`nbgrader release_assignment`; alice and bob, two real accounts, hand in with `nbgrader submit`
run as themselves; mallory, a third account, plants a link to the solutions in her inbound folder,
an inbound folder that is itself a link to the solutions' folder, and a folder named after alice.
Stock `nbgrader collect` on that exchange collects the solutions for mallory and mallory's notebook
as alice's (the reason for the tool); `dlcourse collect` refuses all three, takes alice's newer
submission only with --update, never an older one, changes nothing when run again, and
`dlcourse grade` then gives alice and bob their own scores. The accounts are removed afterwards.

The other tests build inbound folders by hand (one shared account, --trust-names, --owners, special
files, odd names, changed timestamps) and check the command's error messages.
"""

import csv
import datetime
import hashlib
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from dlcourse.grading import collect as collect_module
from dlcourse.grading.collect import TIMESTAMP_FORMAT, collect, main

from .grading import corpus

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COURSE = "stat4710-dl"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
ALICE_V1 = "naive_sigmoid"           # alice's first submission (a bug), then the reference
BOB_BUG = "intercept_penalized"
SUBMIT = ("import site, sys; site.addsitedir(sys.argv[1]); from nbgrader.apps import NbGraderApp; "
          "sys.argv = ['nbgrader', 'submit', 'hw1', '--course=" + COURSE + "', '--Exchange.root=' + sys.argv[2]]; "
          "NbGraderApp.launch_instance()")


def _env():
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def _run(cmd, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _now():
    return datetime.datetime.now(datetime.UTC).strftime(TIMESTAMP_FORMAT)


def _new_course(parent, name="course"):
    course = Path(parent) / name
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    return course


def _tree(folder):
    """{relative path: (sha256, mtime_ns)} of every file under `folder`."""
    return {str(p.relative_to(folder)): (_sha(p.read_bytes()), p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def _sha(text):
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _by_status(results):
    return {(r.student, r.status, r.reason) for r in results}


class Accounts:
    """Throw-away Unix accounts (dlc_<role>_<random>) whose homes live in a scratch folder."""

    def __init__(self, scratch, roles):
        self.scratch, self.names = scratch, {}
        suffix = secrets.token_hex(3)
        for role in roles:
            name = f"dlc_{role}_{suffix}"
            home = scratch / name
            _run(["useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name])
            self.names[role] = name
            home.mkdir()
            shutil.chown(home, name, name)

    def __getitem__(self, role):
        return self.names[role]

    def home(self, role):
        return self.scratch / self.names[role]

    def sh(self, role, script, *args):
        """Run a shell script as that user (arguments as $1, $2, ...)."""
        return _run([shutil.which("runuser"), "-u", self[role], "--", "/bin/sh", "-c", script, "sh", *args], cwd=self.home(role),
                    env={"HOME": str(self.home(role)), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})

    def remove(self):
        for name in self.names.values():
            subprocess.run(["userdel", name], capture_output=True, timeout=60)


def _system_python():
    """An interpreter other accounts can run, of this venv's Python version (the venv's own may sit under
    /root, mode 0700, e.g. pyenv's); None if there is none."""
    for candidate in (sys.executable, f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"):
        real = Path(candidate).resolve()
        if real.exists() and all(os.stat(p).st_mode & stat.S_IXOTH for p in real.parents):
            return str(real)
    return None


def submit(accounts, role, notebook_text, exchange, python):
    """`nbgrader submit hw1` run as that user, from ~/hw1/hw1.ipynb."""
    folder = accounts.home(role) / "hw1"
    folder.mkdir(exist_ok=True)
    (folder / "hw1.ipynb").write_text(notebook_text)
    for path in (folder, folder / "hw1.ipynb"):
        shutil.chown(path, accounts[role], accounts[role])
    proc = _run([shutil.which("runuser"), "-u", accounts[role], "--", python, "-c", SUBMIT, SITE_PACKAGES, exchange],
                cwd=accounts.home(role), env={"HOME": str(accounts.home(role)), "PATH": "/usr/bin:/bin",
                                              "LANG": "C.UTF-8"})
    assert "Submitted as" in proc.stderr, proc.stderr[-2000:]


def plant(accounts, role, inbound, name, script, *args):
    """A folder made by hand in inbound/ as that user: `script` runs inside it with `args` as $3, $4, ...;
    timestamp.txt as nbgrader writes it."""
    timestamp = name.split("+")[2]
    accounts.sh(role, 'mkdir "$1" && cd "$1" && printf %s "$2" > timestamp.txt && ' + script,
                inbound / name, timestamp, *args)


@pytest.fixture(scope="module")
def exchange():
    if os.geteuid() != 0:
        pytest.fail("the exchange test creates Unix accounts: run it as root (CI does)")
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install passwd util-linux")
    python = _system_python()
    if python is None:
        pytest.fail(f"no Python {sys.version_info.major}.{sys.version_info.minor} that other accounts can run "
                    "(install the system's python3 of that version)")
    scratch = Path(tempfile.mkdtemp(prefix="dlcourse-collect-", dir="/tmp"))
    scratch.chmod(0o755)
    accounts = None
    try:
        accounts = Accounts(scratch, ("alice", "bob", "mallory"))
        alice, mallory = accounts["alice"], accounts["mallory"]
        course = _new_course(scratch)
        for folder in ("solutions/hw1", "assignments/hw1"):
            shutil.copytree(ROOT / folder, course / folder)
        (course / "solutions").chmod(0o700)           # the students cannot read the solutions themselves
        solution = course / "solutions" / "hw1" / "hw1.ipynb"
        root = scratch / "exchange"
        root.mkdir()
        root.chmod(0o1777)
        _run([BIN / "nbgrader", "release_assignment", "hw1", f"--Exchange.root={root}"], cwd=course, env=_env())
        inbound = root / COURSE / "inbound"

        answers = {"reference": corpus.reference_answers(), **{k: v[0] for k, v in corpus.MUTATIONS.items()}}
        notebooks = {k: corpus.build(v) for k, v in answers.items()}
        submit(accounts, "alice", notebooks[ALICE_V1], root, python)
        submit(accounts, "bob", notebooks[BOB_BUG], root, python)
        # mallory: an inbound folder that is a link to the solutions' folder, then one with a link to the
        # solutions notebook (her newest), then a folder named after alice, newer than alice's submission
        links_to = course / "solutions" / "hw1"
        accounts.sh("mallory", 'ln -s "$1" "$2"', links_to, inbound / f"{mallory}+hw1+{_now()}+folderlink")
        plant(accounts, "mallory", inbound, f"{mallory}+hw1+{_now()}+filelink", 'ln -s "$3" hw1.ipynb', solution)
        forged = notebooks["wrong_update_rule"]
        plant(accounts, "mallory", inbound, f"{alice}+hw1+{_now()}+forged", 'printf %s "$3" > hw1.ipynb', forged)
        denied = subprocess.run([shutil.which("runuser"), "-u", mallory, "--", "cat", solution], capture_output=True)
        assert denied.returncode != 0, "mallory can read the solutions herself: the test would prove nothing"

        # stock nbgrader collect, on the same exchange, into a folder of its own (dlcourse grade never sees it)
        _run([BIN / "nbgrader", "collect", "hw1", f"--Exchange.root={root}",
              "--CourseDirectory.submitted_directory=stock-submitted"], cwd=course, env=_env())

        # dlcourse collect, the command line, first run
        first = subprocess.run([BIN / "dlcourse", "collect", "hw1", "--exchange", root], cwd=course, env=_env(),
                               capture_output=True, text=True, timeout=300)
        after_first = _tree(course / "submitted")

        # alice hands in again (the reference); without --update nothing changes, with it alice's is replaced
        submit(accounts, "alice", notebooks["reference"], root, python)
        without_update = collect("hw1", root=course, exchange=root, log=lambda *a, **k: None)
        after_without_update = _tree(course / "submitted")
        lines = []
        updated = collect("hw1", root=course, exchange=root, update=True, log=lines.append)
        after_update = _tree(course / "submitted")
        again = collect("hw1", root=course, exchange=root, update=True, log=lambda *a, **k: None)
        after_again = _tree(course / "submitted")
        # the instructor removes alice's newest submission from the exchange: the older one stays uncollected
        newest = max((p for p in inbound.iterdir() if p.name.startswith(alice + "+") and p.owner() == alice),
                     key=lambda p: p.name)
        shutil.rmtree(newest)
        older = collect("hw1", root=course, exchange=root, update=True, log=lambda *a, **k: None)
        after_older = _tree(course / "submitted")

        grade = _run([BIN / "dlcourse", "grade", "hw1", "--jobs", "2", "--timeout", "10", "--no-progress"],
                     cwd=course, env=_env())
        with open(course / "grades" / "hw1.csv", newline="") as f:
            grades = {row["student_id"]: row for row in csv.DictReader(f)}
        yield {"accounts": accounts, "course": course, "solution": solution.read_bytes(),
               "notebooks": notebooks, "forged": forged, "first": first, "after_first": after_first,
               "without_update": without_update, "after_without_update": after_without_update,
               "updated": updated, "update_lines": lines, "after_update": after_update, "again": again,
               "after_again": after_again, "older": older, "after_older": after_older, "grades": grades,
               "grade_stderr": grade.stderr}
    finally:
        if accounts is not None:
            accounts.remove()
        shutil.rmtree(scratch, ignore_errors=True)


def _stock_collected(exchange, student):
    return (exchange["course"] / "stock-submitted" / student / "hw1" / "hw1.ipynb").read_bytes()


def test_stock_nbgrader_collect_copies_the_solutions_and_takes_a_forged_name(exchange):
    """Why the tool exists: nbgrader 0.9's collect follows the planted link and believes the folder name."""
    a = exchange["accounts"]
    assert _stock_collected(exchange, a["mallory"]) == exchange["solution"]
    assert _stock_collected(exchange, a["alice"]).decode() == exchange["forged"]


def test_first_collect_takes_honest_submissions_and_refuses_links_and_forged_names(exchange):
    a, first = exchange["accounts"], exchange["first"]
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert f"  {a['alice']}: collected" in out and f"  {a['bob']}: collected" in out
    assert f"{a['mallory']}: refused {a['mallory']}+hw1+" in out and "link: the folder is a symbolic link" in out
    assert "link: hw1.ipynb is a symbolic link" in out
    assert f"{a['alice']}: refused {a['alice']}+hw1+" in out
    assert f"not_owner: the folder belongs to {a['mallory']}, not to the student ({a['alice']})" in out
    assert out.strip().splitlines()[-1] == "2 collected, 0 updated, 0 unchanged, 3 refused (3 students)"
    collected = exchange["after_first"]
    for student, name in ((a["alice"], ALICE_V1), (a["bob"], BOB_BUG)):
        assert collected[f"{student}/hw1/hw1.ipynb"][0] == _sha(exchange["notebooks"][name])
    assert not any(path.startswith(a["mallory"]) for path in collected)
    # nbgrader's files are kept: timestamp.txt (late penalties) and submission_secret.txt
    assert {Path(p).name for p in exchange["after_first"]} == {"hw1.ipynb", "timestamp.txt", "submission_secret.txt"}


def test_the_solutions_never_reach_submitted(exchange):
    for snapshot in ("after_first", "after_update", "after_older"):
        hashes = {h for h, _ in exchange[snapshot].values()}
        assert _sha(exchange["solution"]) not in hashes
    assert _sha(exchange["forged"]) not in {h for h, _ in exchange["after_older"].values()}


def test_a_newer_submission_is_taken_only_with_update(exchange):
    a = exchange["accounts"]
    assert (a["alice"], "unchanged", "") in _by_status(exchange["without_update"])
    assert exchange["after_without_update"] == exchange["after_first"]
    assert (a["alice"], "updated", "") in _by_status(exchange["updated"])
    assert (a["bob"], "unchanged", "") in _by_status(exchange["updated"])
    assert exchange["after_update"][f"{a['alice']}/hw1/hw1.ipynb"][0] == _sha(exchange["notebooks"]["reference"])
    # the forged folder is still refused, and the summary says so
    assert any("not_owner" in line for line in exchange["update_lines"])


def test_collecting_again_changes_nothing(exchange):
    assert {r.status for r in exchange["again"]} == {"unchanged", "refused"}
    assert exchange["after_again"] == exchange["after_update"]


def test_an_older_submission_never_replaces_a_newer_one(exchange):
    a = exchange["accounts"]
    alice = [r for r in exchange["older"] if r.student == a["alice"] and r.status != "refused"]
    assert [r.status for r in alice] == ["unchanged"] and "is not older" in alice[0].detail
    assert exchange["after_older"] == exchange["after_update"]


def test_dlcourse_grade_gives_each_student_their_own_score(exchange):
    a, grades = exchange["accounts"], exchange["grades"]
    assert sorted(grades) == sorted([a["alice"], a["bob"]])
    assert (grades[a["alice"]]["score"], grades[a["alice"]]["status"]) == (f"{corpus.AUTO_TOTAL:g}", "ok")
    assert (grades[a["bob"]]["score"], grades[a["bob"]]["status"]) == (f"{corpus.MUTATIONS[BOB_BUG][1]:g}", "ok")
    assert grades[a["alice"]]["timestamp"]        # timestamp.txt reached the gradebook


# --- inbound folders made by hand ------------------------------------------------------------------

@pytest.fixture
def hand(tmp_path):
    """A course and an exchange whose inbound folders the test makes itself (all owned by root)."""
    course = _new_course(tmp_path)
    inbound = tmp_path / "exchange" / COURSE / "inbound"
    inbound.mkdir(parents=True)

    def make(name, files=None, timestamp=None):
        folder = inbound / name
        folder.mkdir()
        (folder / "timestamp.txt").write_text(timestamp or name.split("+")[2])
        for rel, text in ({"hw1.ipynb": "{}"} if files is None else files).items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        return folder

    def run(*args, **kwargs):
        lines = []
        results = collect("hw1", root=course, exchange=tmp_path / "exchange", log=lines.append, **kwargs)
        return results, lines

    return {"course": course, "inbound": inbound, "make": make, "run": run, "tmp": tmp_path}


def _root_name():
    return pwd.getpwuid(os.geteuid()).pw_name


def test_one_shared_account_needs_trust_names_and_still_refuses_links(hand, capsys):
    """Where every folder belongs to one user, ownership proves nothing: ids come from names only when
    the instructor says so (with a warning), and links are refused all the same."""
    ghost = "ghost" + secrets.token_hex(3)          # no such account
    hand["make"](f"{ghost}+hw1+{_now()}+a")
    link = hand["make"](f"other{ghost}+hw1+{_now()}+b", files={})
    (link / "hw1.ipynb").symlink_to(ROOT / "solutions" / "hw1" / "hw1.ipynb")
    results, lines = hand["run"]()
    assert _by_status(results) == {(ghost, "refused", "unknown_student"), (f"other{ghost}", "refused", "unknown_student")}
    assert "pass --trust-names" in lines[-1]
    results, _ = hand["run"](trust_names=True)
    assert _by_status(results) == {(ghost, "collected", ""), (f"other{ghost}", "refused", "link")}
    assert "WARNING: --trust-names" in capsys.readouterr().err


def test_obfuscated_names_and_files_are_refused(hand):
    """Disguises that change nothing: a hard link to the solutions, a link deep in a subfolder with an
    innocent name, a FIFO (would hang a naive copy), a name that walks out of submitted/, a look-alike id."""
    solution_copy = hand["tmp"] / "solutions.ipynb"
    shutil.copy(ROOT / "solutions" / "hw1" / "hw1.ipynb", solution_copy)
    hard = hand["make"](f"hard+hw1+{_now()}+a", files={})
    os.link(solution_copy, hard / "hw1.ipynb")
    deep = hand["make"](f"deep+hw1+{_now()}+b", files={"hw1.ipynb": "{}", "data/more/notes.txt": "x"})
    (deep / "data" / "more" / "numbers.txt").symlink_to("/etc/passwd")
    fifo = hand["make"](f"fifo+hw1+{_now()}+c")
    os.mkfifo(fifo / "helper.py")
    hand["make"](f"..+hw1+{_now()}+d")
    hand["make"](f"\u0430lice+hw1+{_now()}+e")          # Cyrillic а
    hand["make"](f"late+hw1+{_now()}+f", timestamp="2020-01-01 00:00:00.000000 UTC")   # does not match its name
    results, _ = hand["run"](trust_names=True)
    assert _by_status(results) == {("hard", "refused", "link"), ("deep", "refused", "link"),
                                   ("fifo", "refused", "special_file"), ("..", "refused", "invalid_name"),
                                   ("\u0430lice", "refused", "invalid_name"), ("late", "refused", "bad_timestamp")}
    assert not (hand["course"] / "submitted").exists() or not any((hand["course"] / "submitted").iterdir())
    assert not (hand["course"] / "hw1").exists()


def test_owners_file_maps_ids_to_uids(hand):
    """A hub whose students have uids but no accounts here (KubeSpawner's uid per user): --owners."""
    mine = hand["make"](f"kay+hw1+{_now()}+a")
    claimed = hand["make"](f"jay+hw1+{_now()}+b")
    for folder in (mine, claimed):
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, 54321, 54321)          # both made by kay's uid; jay's is 54322
    owners = hand["tmp"] / "owners.csv"
    owners.write_text("student_id,uid\nkay,54321\njay,54322\n")
    results, _ = hand["run"](owners=str(owners))
    assert _by_status(results) == {("kay", "collected", ""), ("jay", "refused", "not_owner")}


def test_files_changed_after_the_claimed_time_get_the_later_time(hand):
    """A student who backdates a submission, or edits it in the exchange after the due date, gets the time
    the kernel recorded for the last change (ctime, which nobody but root can set)."""
    claimed = "2020-01-01 00:00:00.000000 UTC"
    hand["make"](f"eve+hw1+{claimed}+a")
    results, lines = hand["run"](trust_names=True)
    (r,) = results
    assert r.status == "collected" and r.timestamp > datetime.datetime(2025, 1, 1)
    assert "the later time is recorded" in r.detail
    recorded = (hand["course"] / "submitted" / "eve" / "hw1" / "timestamp.txt").read_text()
    assert recorded.startswith(str(r.timestamp.date()))
    shutil.rmtree(hand["course"] / "submitted")
    (r,) = hand["run"](trust_names=True, trust_timestamps=True)[0]
    assert r.timestamp == datetime.datetime(2020, 1, 1)


def test_size_limits(hand, monkeypatch):
    monkeypatch.setattr(collect_module, "MAX_FILES", 5)
    hand["make"](f"many+hw1+{_now()}+a", files={f"f{i}.txt": "x" for i in range(6)})
    results, _ = hand["run"](trust_names=True)
    assert _by_status(results) == {("many", "refused", "too_large")}


def test_a_linked_folder_in_submitted_is_not_written_through(hand):
    """submitted/ is the instructor's, but a link there (left by hand or another tool) is not followed."""
    elsewhere = hand["tmp"] / "elsewhere"
    elsewhere.mkdir()
    (hand["course"] / "submitted").mkdir()
    (hand["course"] / "submitted" / "zed").symlink_to(elsewhere)
    hand["make"](f"zed+hw1+{_now()}+a")
    results, _ = hand["run"](trust_names=True)
    assert _by_status(results) == {("zed", "refused", "destination")}
    assert not any(elsewhere.iterdir())


def test_errors_name_the_argument(tmp_path, capsys):
    course = _new_course(tmp_path)
    assert main(["hw1", "--root", str(tmp_path / "nowhere")]) == 2
    assert "--root: no nbgrader_config.py" in capsys.readouterr().err
    assert main(["hw1", "--root", str(course), "--exchange", str(tmp_path / "none")]) == 2
    assert "--exchange: cannot open" in capsys.readouterr().err
    assert main(["../hw1", "--root", str(course)]) == 2
    assert "ASSIGNMENT: expected an assignment's folder name" in capsys.readouterr().err
    assert main(["hw1", "--root", str(course), "--trust-names", "--owners", "x.csv"]) == 2
    assert "--trust-names and --owners" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("student_id,uid\nalice,notanumber\n")
    (tmp_path / "exchange" / COURSE / "inbound").mkdir(parents=True)
    assert main(["hw1", "--root", str(course), "--exchange", str(tmp_path / "exchange"),
                 "--owners", str(tmp_path / "bad.csv")]) == 2
    assert "--owners: line 2" in capsys.readouterr().err


def test_a_linked_inbound_folder_is_refused_outright(tmp_path, capsys):
    course = _new_course(tmp_path)
    real = tmp_path / "elsewhere"
    (real / "inbound").mkdir(parents=True)
    (tmp_path / "exchange").mkdir()
    (tmp_path / "exchange" / COURSE).symlink_to(real)
    assert main(["hw1", "--root", str(course), "--exchange", str(tmp_path / "exchange")]) == 2
    assert "(a link, refused" in capsys.readouterr().err
