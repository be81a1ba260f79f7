"""Every lecture notebook runs top to bottom in a fresh kernel, is stored clean and gives the same numbers."""

import json
import re
from pathlib import Path

import pytest

from dlcourse import site

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_stored_without_outputs_and_with_a_kernelspec(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def _text_outputs(nb):
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            text = out.get("data", {}).get("text/plain") or out.get("text", "")
            if "model_id" not in json.dumps(out.get("data", {})):
                texts.append(text.split("/tmp/")[0])   # warnings quote the kernel's temp file name
    return texts


def _markdown(nb):
    """All markdown of a notebook: the prose whose quoted numbers the lecture tests check."""
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.slow
def test_lecture_1_runs_headless_and_is_deterministic(executed_lecture):
    first = executed_lecture(ROOT / "lectures" / "01_preliminaries.ipynb")
    second = site.execute(ROOT / "lectures" / "01_preliminaries.ipynb", timeout=120)
    a, b = _text_outputs(first), _text_outputs(second)
    assert a == b
    joined = "\n".join(a)
    assert "NOT convex" in joined and "consistent with convexity" in joined
    assert "diverged=True" in joined and "nan" not in joined.lower()
    widget_state = first.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in widget_state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 5 and all(m["buffers"] for m in images)   # five explorers drew a figure
    assert "np.float64(" not in joined and "/tmp/" not in joined and "ipykernel" not in joined
    # the loss-surface slide: the trained point has converged, two equal basins with a barrier between
    grad_norm = re.search(r"converged in \d+ steps, ‖∇F\(β̂\)‖ = (\S+)", joined)
    assert grad_norm and float(grad_norm[1]) < 1e-5
    basins = re.search(r"F = ([\d.]+) in both basins, ([\d.]+) halfway", joined)
    assert basins and float(basins[2]) > float(basins[1]) + 0.1


def test_a_print_split_in_time_is_one_output(tmp_path):
    """The kernel sends a print's text in chunks as it flushes; the determinism tests compare
    outputs, so site.execute joins each run of same-named streams (stdout and stderr stay apart)."""
    import nbformat

    code = ("import sys, time\n"
            "sys.stdout.write('autograd   :'); sys.stdout.flush(); time.sleep(0.5)\n"
            "print(' [1. 2.]', flush=True)\n"
            "print('careful', file=sys.stderr); sys.stderr.flush(); time.sleep(0.5)\n"
            "print('vectorized : [1. 2.]')")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "split.ipynb")
    outputs = site.execute(tmp_path / "split.ipynb", timeout=60).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [("stdout", "autograd   : [1. 2.]\n"),
                                                   ("stderr", "careful\n"),
                                                   ("stdout", "vectorized : [1. 2.]\n")]


@pytest.mark.slow
def test_site_pages_show_figures_without_a_kernel(tmp_path, executed_lecture):
    pages = site.build(ROOT / "lectures", tmp_path, assets=ROOT / ".venv" / "node" / "node_modules", timeout=120,
                       execute_notebook=executed_lecture)
    assert [p.stem for p in pages] == [p.stem for p in LECTURES]
    text = pages[0].read_text()
    assert text.count("data:image/png;base64") >= 30          # static figures, 5 explorers and their replays
    assert text.count("static-explorer") == 5
    assert "widget-view+json" not in text and "unpkg" not in text and "cdnjs" not in text
    assert (tmp_path / "index.html").read_text().count("<li>") == len(LECTURES)


@pytest.mark.slow
def test_gpu_notebook_smoke_configuration_runs_on_the_cpu(executed_lecture):
    nb = executed_lecture(ROOT / "lectures" / "gpu_pytorch.ipynb")
    texts = _text_outputs(nb)
    joined = "\n".join(texts)
    assert "device: cpu" in joined
    # numpy and PyTorch softmax regression agree; autograd equals the hand-written gradient
    gaps = [float(t.split("(")[1].rstrip(")")) for t in texts if t.startswith("np.float64(")]
    assert len(gaps) == 2 and max(gaps) < 1e-10
