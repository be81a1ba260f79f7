"""The Binder recipe, checked by repo2docker itself (--no-build: no Docker daemon needed)."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _dockerfile(tmp_path):
    # repo2docker reads the repository's tracked files: give it a clean clone, not the working tree
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    proc = subprocess.run([str(BIN / "repo2docker"), "--no-build", "--debug", str(clone)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_repo2docker_uses_the_pinned_python_apt_packages_and_postbuild(tmp_path):
    out = _dockerfile(tmp_path)
    assert "Building conda environment for python=3.11" in out
    decoded = out.replace("-2f", "/").replace("-2e", ".").replace("-2d", "-")   # repo2docker's file-name escaping
    assert "environment.py-3.11-linux-64.lock" in decoded            # not the 3.10 default base
    assert "py-3.10" not in decoded
    apt = (ROOT / "apt.txt").read_text().split()
    install = next(line for line in out.splitlines() if "apt-get install --yes --no-install-recommends" in line
                   and any(p in line for p in apt))
    for package in apt:
        assert package in install
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "environment.yml"' in out
    assert re.search(r"RUN \./postBuild", out)
    assert "binder/" not in out


def test_environment_file_is_one_repo2docker_reads_whole():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert set(env) == {"name", "channels", "dependencies"}
    assert env["channels"] == ["conda-forge"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(line.startswith("--extra-index-url") and "whl/cpu" in line for line in pip), "CPU PyTorch"
    assert not (ROOT / "requirements.txt").exists(), "repo2docker ignores requirements.txt next to environment.yml"
