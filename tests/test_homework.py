"""dlcourse.homework: the allow-list fails closed, in a real kernel under the grading harness."""

import sys
import uuid

import nbformat
import pytest

import dlcourse
from dlcourse import homework
from dlcourse.grading import execute


@pytest.fixture
def new_module(tmp_path, monkeypatch):
    """A dlcourse module that no list has ever heard of. It lives in a folder added to the package's
    `__path__` (the kernels fork from this process), not in lib/dlcourse: a file there would change
    the code digest of any grading run in a parallel test worker."""
    name = f"zz_new_module_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "more_dlcourse"
    folder.mkdir()
    (folder / f"{name}.py").write_text('"""A module added to dlcourse after the allow-list was written."""\nANSWER = 42\n')
    monkeypatch.setattr(dlcourse, "__path__", [*dlcourse.__path__, str(folder)])
    yield f"dlcourse.{name}"
    sys.modules.pop(f"dlcourse.{name}", None)


def run_cells(tmp_path, sources, allowed=()):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    records = []
    result = execute.run(nb, 60, allowed, emit=records.append)
    assert result["status"] == "ok", result
    outputs = {r["cell"]: r["outputs"] for r in records}
    assert sorted(outputs) == list(range(len(sources))), "every cell reports its outputs as it ends"
    return [(outputs[i][0] if outputs[i] else {}) for i in range(len(sources))]


def _error(output):
    return output.get("ename"), output.get("evalue", "")


def test_a_new_module_is_blocked_without_editing_any_list(tmp_path, new_module):
    outputs = run_cells(tmp_path, [
        f"import {new_module}",
        f"import dlcourse\ndlcourse.{new_module.split('.')[-1]}",       # the lazy attribute route
        "from dlcourse import data, landscapes, homework\nprint(len(data.make_classes(10).y))",
        "import dlcourse.networks",
        "from dlcourse.models import sigmoid",
    ])
    name, value = _error(outputs[0])
    assert name == "ModuleNotFoundError" or name == "ImportError", outputs[0]
    assert "is not available while grading" in value
    assert _error(outputs[1])[0] in ("ImportError", "ModuleNotFoundError", "AttributeError")
    assert outputs[2].get("text") == "10\n"                          # the allow-list still works
    assert "is not available while grading" in _error(outputs[3])[1]
    assert "is not available while grading" in _error(outputs[4])[1]


def test_an_assignment_can_declare_more_modules(tmp_path, new_module):
    outputs = run_cells(tmp_path, [f"import {new_module} as m\nprint(m.ANSWER)", "import dlcourse.models"],
                        allowed=[new_module])
    assert outputs[0].get("text") == "42\n"
    assert "is not available while grading" in _error(outputs[1])[1]


def test_the_allow_list_and_its_messages():
    assert homework.is_allowed("numpy") and homework.is_allowed("dlcourse.data.files")
    assert not homework.is_allowed("dlcourse.functions") and not homework.is_allowed("dlcourse.datasets")
    assert homework.is_allowed("dlcourse.plotting", homework.allowed_modules(["dlcourse.plotting"]))
    assert homework.declared_modules({"dlcourse": {"allowed_modules": ["dlcourse.torch"]}}) == ["dlcourse.torch"]
    with pytest.raises(ValueError, match=r"allowed_modules: expected names of dlcourse modules .* got 'numpy'"):
        homework.allowed_modules(["numpy"])


def test_assert_own_work_fails_closed_too(new_module):
    import importlib

    from dlcourse.functions import relu

    mod = importlib.import_module(new_module)

    def uses_new_module(x):
        return mod.ANSWER * x

    def own_relu(z):
        return z * (z > 0)

    def wraps_library(z):
        return relu(z)

    homework.assert_own_work(own_relu)
    with pytest.raises(AssertionError, match=r"wraps_library calls dlcourse.functions.relu"):
        homework.assert_own_work(wraps_library)
    with pytest.raises(AssertionError, match=rf"uses_new_module calls {new_module}"):
        homework.assert_own_work(uses_new_module)
    with pytest.raises(AssertionError, match=r"relu is dlcourse's own implementation"):
        homework.assert_own_work(relu)
