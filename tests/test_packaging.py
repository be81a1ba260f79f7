"""The project's own rules: environment files agree, `import dlcourse` stays light."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORE = ["functions", "models", "losses", "penalties", "objectives", "optim", "landscapes", "convexity",
        "gradcheck", "networks", "graphs", "homework", "data", "conv", "autograd", "text", "_validation"]
HEAVY = {"torch", "matplotlib", "ipywidgets", "sklearn", "nbgrader", "IPython"}


def _split(requirement):
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_and_pyproject_list_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["course"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed.update(_split(r) for r in dep["pip"] if not r.startswith("-"))
        else:
            name, spec = _split(dep.replace("=", "==", 1) if re.match(r"^[\w.\-]+=[^=]", dep) else dep)
            listed[name] = spec
    assert listed.pop("python") == "==3.11", "write python=3.11 exactly (repo2docker falls back to 3.10 otherwise)"
    listed.pop("pip")
    assert listed == wanted, "environment.yml and pyproject.toml disagree (names or version constraints)"
    assert wanted["torch"] == "==2.13.0"


def test_import_dlcourse_core_pulls_in_nothing_heavy():
    code = ("import sys, dlcourse; from dlcourse import " + ", ".join(m for m in CORE if m != "_validation")
            + f"; print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_binder_files_are_at_the_root():
    assert not (ROOT / "binder").exists(), "a binder/ folder would hide the root-level files"
    assert (ROOT / "postBuild").stat().st_mode & 0o111
    for line in (ROOT / "apt.txt").read_text().split():
        assert re.fullmatch(r"[a-z0-9.+-]+", line)


def test_the_lock_is_current_with_pyproject():
    from dlcourse import lock

    assert lock.problems(ROOT / "requirements.lock", ROOT / "pyproject.toml") == []
    pins, _ = lock.read(ROOT / "requirements.lock")
    assert pins["torch"] == "2.13.0" and len(pins) > 100


def test_a_dependency_changed_without_relocking_fails(tmp_path):
    from dlcourse import lock

    changed = (ROOT / "pyproject.toml").read_text().replace('"nbgrader==0.9.6"', '"nbgrader==0.9.5"')
    assert changed != (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(changed)
    found = lock.problems(ROOT / "requirements.lock", tmp_path / "pyproject.toml")
    assert any("dependencies changed" in p for p in found)
    assert any("nbgrader==0.9.6 in" in p and "does not satisfy" in p for p in found)


def _install_commands(*variables):
    out = subprocess.run(["make", "-n", "-B", ".venv/.installed-stamp", *variables], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if "pip install" in line and "-e '.[course" in line]


def test_make_installs_from_the_lock_with_cpu_pytorch_unless_asked():
    (reachable,) = _install_commands("TORCH_INDEX_REACHABLE=yes")
    assert "-c requirements.lock" in reachable
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in reachable
    (unreachable,) = _install_commands("TORCH_INDEX_REACHABLE=")          # as on this machine: no retries
    assert "download.pytorch.org" not in unreachable and "-c requirements.lock" in unreachable
    (cuda,) = _install_commands("TORCH=cuda", "TORCH_INDEX_REACHABLE=yes")
    assert "download.pytorch.org" not in cuda


def test_binder_installs_the_locked_versions():
    post = (ROOT / "postBuild").read_text()
    assert "-r requirements.lock" in post and "whl/cpu" in post
