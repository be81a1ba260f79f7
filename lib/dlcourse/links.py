"""`make links`: the README's Binder badge and nbgitpuller links, built from one setting.

The course's repository URL (and its branch, and the hub's address for nbgitpuller links) live in
one place, ``[tool.dlcourse]`` in pyproject.toml::

    [tool.dlcourse]
    repository = "https://github.com/your-org/stat4710-deep-learning"
    branch = "main"
    hub = "https://hub.example.edu"

    python -m dlcourse.links write     # rewrite the README's generated blocks from these settings
    python -m dlcourse.links check     # exit 1 when the README's blocks are stale; warn on placeholders

The README's generated parts sit between ``<!-- dlcourse-links:NAME -->`` and
``<!-- /dlcourse-links:NAME -->`` markers. Standard library only.
"""

import argparse
import re
import sys
import tomllib
import urllib.parse
from pathlib import Path

PLACEHOLDERS = ("OWNER/REPO", "://HUB")
DEFAULT_PAGE = "lectures/01_preliminaries.ipynb"


def settings(root="."):
    """{"repository", "branch", "hub"} from pyproject.toml's [tool.dlcourse] table."""
    root = Path(root)
    table = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}).get("dlcourse", {})
    missing = [k for k in ("repository", "branch", "hub") if not isinstance(table.get(k), str) or not table[k]]
    if missing:
        raise ValueError(f"pyproject.toml [tool.dlcourse]: expected non-empty strings for {', '.join(missing)}")
    repository = table["repository"].rstrip("/").removesuffix(".git")
    if not re.fullmatch(r"https://[^\s/]+/\S+", repository):
        raise ValueError(f"pyproject.toml [tool.dlcourse] repository: expected an https:// URL of a git "
                         f"repository, got {table['repository']!r}")
    return {"repository": repository, "branch": table["branch"], "hub": table["hub"].rstrip("/")}


def placeholders(config):
    """The settings that still hold a template placeholder (a teaching team must set them)."""
    return [key for key, value in config.items() if any(p in value for p in PLACEHOLDERS)]


def binder_url(config, page=DEFAULT_PAGE):
    """mybinder.org's launch URL for the repository, opening `page` in JupyterLab."""
    repository, branch = config["repository"], urllib.parse.quote(config["branch"], safe="")
    query = "?" + urllib.parse.urlencode({"urlpath": f"lab/tree/{page}"}, safe="/")
    github = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repository)
    if github:
        return f"https://mybinder.org/v2/gh/{github.group(1)}/{branch}{query}"
    return f"https://mybinder.org/v2/git/{urllib.parse.quote(repository + '.git', safe='')}/{branch}{query}"


def nbgitpuller_url(config, page=DEFAULT_PAGE, target="course"):
    """The hub link that clones (or updates) the course into ~/`target` and opens `page`."""
    query = urllib.parse.urlencode({"repo": config["repository"], "branch": config["branch"], "targetpath": target,
                                    "urlpath": f"lab/tree/{target}/{page}"}, safe="/:")
    return f"{config['hub']}/hub/user-redirect/git-pull?{query}"


def blocks(config, root="."):
    """{block name: generated markdown} for the README."""
    lectures = sorted(p.relative_to(root).as_posix() for p in (Path(root) / "lectures").glob("*.ipynb"))
    rows = "\n".join(f"- `{Path(p).stem}`: <{nbgitpuller_url(config, p)}>" for p in lectures)
    return {
        "badge": f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(config)})",
        "hub": "Links for students (clone or update the course into `~/course`, then open the lecture):\n\n" + rows,
    }


def _pattern(name):
    return re.compile(rf"(<!-- dlcourse-links:{name} -->\n)(.*?)(<!-- /dlcourse-links:{name} -->)", re.S)


def render(readme_text, config, root="."):
    """The README text with every generated block replaced; ValueError when a block's markers are missing."""
    for name, body in blocks(config, root).items():
        pattern = _pattern(name)
        if not pattern.search(readme_text):
            raise ValueError(f"README.md: expected the markers <!-- dlcourse-links:{name} --> and "
                             f"<!-- /dlcourse-links:{name} --> around the generated {name} block")
        readme_text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(3), readme_text)
    return readme_text


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse.links", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "check"))
    parser.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        config = settings(root)
        readme = root / "README.md"
        current = readme.read_text()
        wanted = render(current, config, root)
    except (ValueError, OSError) as exc:
        print(f"dlcourse.links: {exc}", file=sys.stderr)
        return 2
    for key in placeholders(config):
        print(f"WARNING: pyproject.toml [tool.dlcourse] {key} = {config[key]!r} is still the template's placeholder: "
              f"set it to your course's {key}, then run `make links` (the Binder badge and hub links use it)",
              file=sys.stderr)
    if args.action == "write":
        if wanted != current:
            readme.write_text(wanted)
        print(f"README.md: Binder badge and {len(blocks(config, root)['hub'].splitlines()) - 2} hub links "
              f"from {config['repository']} ({config['branch']})")
        return 0
    if wanted != current:
        print("README.md's Binder badge or hub links do not match pyproject.toml [tool.dlcourse]: run `make links`",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
