"""The layer rules of the project, enforced on the import graph (../shared/architecture.md).

1. The numpy core (every dlcourse module that is not drawing, widgets, PyTorch, grading or
   tooling) imports no torch, matplotlib, ipywidgets, scikit-learn, nbgrader or IPython at
   module level (inside a function, to load a file or draw on request, is allowed).
2. Teaching code never imports grading code.
3. Grading code never imports widgets or drawing code; the one exception is the teaching team's
   report page (`dlcourse.grading.report`), which draws its histogram with matplotlib (inside a
   function), and no other grading module imports it (the grading pipeline and sandbox stay free
   of drawing).
New modules are classified by their path, so a new core module is held to rule 1 at once.
"""

import ast
import sys
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib" / "dlcourse"
HEAVY = {"torch", "matplotlib", "ipywidgets", "sklearn", "nbgrader", "IPython", "nbclient", "nbformat",
         "nbconvert", "PIL", "tqdm"}
DRAWING = {"dlcourse.plotting", "dlcourse.widgets", "dlcourse.site"}     # and everything under dlcourse.widgets
REPORTING = {"dlcourse.grading.report"}     # grading modules that may draw (matplotlib, inside functions)
TOOLING = {"dlcourse.cli", "dlcourse.site", "dlcourse.lock", "dlcourse.links"}


def module_name(path):
    parts = list(path.relative_to(LIB.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(name):
    if name.startswith("dlcourse.grading") or name in TOOLING:
        return "grading" if name.startswith("dlcourse.grading") else "tooling"
    if name.startswith("dlcourse.torch"):
        return "torch"
    if name in DRAWING or name.startswith("dlcourse.widgets."):
        return "drawing"
    return "core"


def imports(path, *, top_level_only):
    """(imported module, line) for each import in the file; relative imports made absolute."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:                          # imports under a top-level try/if still run at import time
        nodes = [n for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                 for n in ast.walk(top)]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    for alias in node.names:
                        yield f"{target}.{alias.name}", node.lineno
                    continue
                yield target, node.lineno
            else:
                yield node.module, node.lineno


MODULES = sorted(LIB.rglob("*.py"))


def violations(rule):
    found = []
    for path in MODULES:
        name = module_name(path)
        for target, line in imports(path, top_level_only=(rule == "core")):
            root = target.split(".")[0]
            if rule == "core" and layer(name) == "core" and root in HEAVY:
                found.append(f"{name}:{line} imports {target} at module level (the numpy core stays light)")
            if rule == "teaching" and layer(name) in ("core", "drawing", "torch") \
                    and target.startswith("dlcourse.grading"):
                found.append(f"{name}:{line} imports {target} (teaching code never imports grading)")
            if rule == "grading" and layer(name) == "grading" \
                    and (layer(target) == "drawing" or root == "ipywidgets"
                         or (root == "matplotlib" and name not in REPORTING)):
                found.append(f"{name}:{line} imports {target} (grading never imports widgets or drawing)")
            if rule == "grading" and target in REPORTING and name not in REPORTING | TOOLING:
                found.append(f"{name}:{line} imports {target} (only the CLI uses the report page)")
    return found


def test_the_module_list_is_the_whole_library():
    names = {module_name(p) for p in MODULES}
    assert {"dlcourse.models", "dlcourse.functions", "dlcourse.networks", "dlcourse.grading.execute",
            "dlcourse.torch.training", "dlcourse.data.files"} <= names
    assert layer("dlcourse.some_new_module") == "core"       # new modules are held to the core's rule


@pytest.mark.parametrize("rule", ["core", "teaching", "grading"])
def test_layer_rules_hold(rule):
    assert violations(rule) == []


def test_the_checker_sees_relative_and_nested_imports(tmp_path, monkeypatch):
    """The rule checker itself: a relative import of grading and a module-level torch import are caught."""
    pkg = tmp_path / "dlcourse"
    (pkg / "grading").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "grading" / "__init__.py").write_text("from ..widgets import x\n")
    (pkg / "sneaky.py").write_text("try:\n    import torch\nexcept ImportError:\n    pass\nfrom .grading import autograde\n")
    (pkg / "lazy.py").write_text("def f():\n    import matplotlib\n")
    monkeypatch.setattr(sys.modules[__name__], "LIB", pkg)
    monkeypatch.setattr(sys.modules[__name__], "MODULES", sorted(pkg.rglob("*.py")))
    assert [v.split(" ")[0] for v in violations("core")] == ["dlcourse.sneaky:2"]
    assert [v.split(" ")[0] for v in violations("teaching")] == ["dlcourse.sneaky:5"]
    assert [v.split(" ")[0] for v in violations("grading")] == ["dlcourse.grading:1"]
