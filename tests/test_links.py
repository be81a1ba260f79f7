"""The README's Binder badge and nbgitpuller links come from one setting (pyproject.toml's [tool.dlcourse]),
a stale README fails the check, and the template's placeholders are flagged."""

import shutil
import urllib.parse
from pathlib import Path

import pytest

from dlcourse import links

ROOT = Path(__file__).resolve().parents[1]


def course_copy(tmp_path, repository="https://github.com/stat4710/deep-learning", hub="https://hub.example.edu"):
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "lectures", tmp_path / "lectures", ignore=shutil.ignore_patterns("*.py", "data"))
    text = (tmp_path / "pyproject.toml").read_text()
    text = text.replace('repository = "https://github.com/OWNER/REPO"', f'repository = "{repository}"')
    (tmp_path / "pyproject.toml").write_text(text.replace('hub = "https://HUB"', f'hub = "{hub}"'))
    return tmp_path


def test_the_readme_matches_the_setting_and_the_placeholders_are_flagged(capsys):
    assert links.main(["check", "--root", str(ROOT)]) == 0            # the README was written from the setting
    assert sorted(links.placeholders(links.settings(ROOT))) == ["hub", "repository"]
    err = capsys.readouterr().err
    assert "WARNING" in err and "OWNER/REPO" in err and "make links" in err


def test_one_setting_rewrites_the_badge_and_every_hub_link(tmp_path, capsys):
    course = course_copy(tmp_path)
    assert links.main(["check", "--root", str(course)]) == 1           # setting changed, README not yet
    assert "run `make links`" in capsys.readouterr().err
    assert links.main(["write", "--root", str(course)]) == 0
    assert links.main(["check", "--root", str(course)]) == 0
    assert "WARNING" not in capsys.readouterr().err
    readme = (course / "README.md").read_text()
    assert "OWNER/REPO" not in readme and "://HUB" not in readme
    assert ("https://mybinder.org/v2/gh/stat4710/deep-learning/main?urlpath=lab/tree/lectures/01_preliminaries.ipynb"
            in readme)
    hub_links = [line.split("<", 1)[1].rstrip(">") for line in readme.splitlines()
                 if line.startswith("- `") and "git-pull" in line]
    lectures = sorted(p.name for p in (ROOT / "lectures").glob("*.ipynb"))
    assert len(hub_links) == len(lectures)
    for link, lecture in zip(hub_links, lectures):
        url = urllib.parse.urlsplit(link)
        assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
        query = dict(urllib.parse.parse_qsl(url.query))
        assert query == {"repo": "https://github.com/stat4710/deep-learning", "branch": "main", "targetpath": "course",
                         "urlpath": f"lab/tree/course/lectures/{lecture}"}


def test_other_git_hosts_and_branches():
    config = {"repository": "https://gitlab.example.edu/stats/dl", "branch": "fall 2026", "hub": "https://h"}
    url = links.binder_url(config, "lectures/02_neural_networks.ipynb")
    assert url == ("https://mybinder.org/v2/git/https%3A%2F%2Fgitlab.example.edu%2Fstats%2Fdl.git/fall%202026"
                   "?urlpath=lab/tree/lectures/02_neural_networks.ipynb")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(links.nbgitpuller_url(config)).query))["branch"] == \
        "fall 2026"


@pytest.mark.parametrize("line, message", [
    ('repository = "git@github.com:me/course"', "repository: expected an https:// URL"),
    ('repository = ""', "expected non-empty strings for repository"),
])
def test_a_bad_setting_names_the_key(tmp_path, line, message, capsys):
    course = course_copy(tmp_path)
    text = (course / "pyproject.toml").read_text()
    (course / "pyproject.toml").write_text(text.replace('repository = "https://github.com/stat4710/deep-learning"', line))
    with pytest.raises(ValueError, match=message):
        links.settings(course)
    assert links.main(["check", "--root", str(course)]) == 2
    assert message in capsys.readouterr().err


def test_missing_markers_are_an_error(tmp_path):
    course = course_copy(tmp_path)
    with pytest.raises(ValueError, match="dlcourse-links:badge"):
        links.render("# a README without markers\n", links.settings(course), course)
