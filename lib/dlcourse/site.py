"""`make site`: execute the lectures and write static HTML pages under build/site/.

The explorers are live widgets; a static page has no kernel to move them. Each
widget output is replaced by what it showed at the end of the run (its status
text and its figure as an embedded PNG), so the page reads well offline, with
no JavaScript from a CDN.

    python -m dlcourse.site [--lectures lectures] [--out build/site] [--timeout 300]
"""

import argparse
import base64
import html
import sys
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def execute(path, *, timeout=300):
    """Run a notebook top to bottom in a fresh kernel (cwd: its folder); returns the executed copy."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                     resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    return nb


def _render(model_id, state, depth=0):
    """HTML for a widget model from the saved widget state (sliders as text, images inline)."""
    model = state.get(model_id)
    if model is None or depth > 10:
        return ""
    name, s = model["model_name"], model["state"]
    if name in ("VBoxModel", "HBoxModel"):
        tag = "div" if name == "VBoxModel" else "div style='display:flex;gap:1.5em'"
        inner = "".join(_render(c.removeprefix("IPY_MODEL_"), state, depth + 1) for c in s.get("children", []))
        return f"<{tag}>{inner}</div>"
    if name == "HTMLModel":
        return f"<div>{s.get('value', '')}</div>"
    if name == "ImageModel":
        for buf in model.get("buffers", []):
            if buf["path"] == ["value"]:
                return f"<img alt='explorer figure' src='data:image/png;base64,{buf['data']}'/>"
        return ""
    if "value" in s and name.endswith("Model") and name not in ("PlayModel",):
        value = s["value"]
        if name == "FloatLogSliderModel":
            value = f"{s.get('base', 10) ** value:.3g}"
        label = html.escape(str(s.get("description", "")))
        return f"<span><i>{label}</i> = {html.escape(str(value))}</span>"
    return ""


def make_widgets_static(nb):
    """Replace each widget view by its final status and figure as plain HTML (in place)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).pop(WIDGET_VIEW, None)
            if view is not None:
                out["data"]["text/html"] = ("<div class='static-explorer'><p><i>Static view of a live explorer "
                                            "(run the notebook to move its sliders):</i></p>"
                                            + _render(view["model_id"], state) + "</div>")
    nb.metadata.pop("widgets", None)
    return nb


def build(lectures="lectures", out="build/site", *, timeout=300):
    """Execute every lectures/*.ipynb and write out/<name>.html plus out/index.html."""
    from nbconvert import HTMLExporter

    lectures, out = Path(lectures), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for path in sorted(lectures.glob("*.ipynb")):
        nb = make_widgets_static(execute(path, timeout=timeout))
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
        (out / f"{path.stem}.html").write_text(body, encoding="utf-8")
        pages.append(path.stem)
        print(f"wrote {out / path.stem}.html")
    links = "".join(f"<li><a href='{p}.html'>{html.escape(p)}</a></li>" for p in pages)
    (out / "index.html").write_text(f"<!doctype html><meta charset='utf-8'><title>STAT 4710 deep learning"
                                    f"</title><h1>Lectures</h1><ul>{links}</ul>", encoding="utf-8")
    return [out / f"{p}.html" for p in pages]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", default="lectures")
    parser.add_argument("--out", default="build/site")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    build(args.lectures, args.out, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
