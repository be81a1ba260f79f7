"""`make site` and `make slides`: execute the lectures; write static HTML pages and offline decks.

The explorers are live widgets; a static page has no kernel to move them. Each
widget output is replaced by what it showed at the end of the run (its status
text and its figure as an embedded PNG). Pages and decks load MathJax, require.js
and jQuery from copies next to them, so both read well offline.

    python -m dlcourse.site --assets NODE_MODULES [--lectures lectures] [--out build/site] [--timeout 300]
    python -m dlcourse.site --slides --assets NODE_MODULES [--out build/slides]

Slides are reveal.js decks (nbconvert's slides exporter) in linear navigation (→ and Space reach
every slide, subslide and fragment in order) that need no network: reveal.js,
MathJax, require.js and jQuery are copied next to them from npm packages (`make slides`
installs reveal.js@4, mathjax@2, requirejs and jquery@2 into .venv/node).
"""

import argparse
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
    from dlcourse.grading.execute import join_streams

    client.execute()
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = join_streams(cell.outputs)     # the same text however the kernel split it
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
        if isinstance(value, float):
            value = f"{value:.3g}"          # (a FloatLogSlider stores the value itself, not its exponent)
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


# The parts of the npm packages a page or deck needs, copied under <out>/assets/.
SLIDE_ASSETS = {
    "reveal.js": ["dist", "plugin/notes"],
    "mathjax": ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX", "jax/element",
                "jax/output/CommonHTML", "localization/en", "fonts/HTML-CSS/TeX/woff"],
    "requirejs": ["require.js"],
    "jquery": ["dist/jquery.min.js"],
}

# MathJax 2 leaves its previews and its hidden MathML copy visible (seen in Chromium 156, online
# and offline alike), so every formula showed twice: hide both.
MATHJAX_FIX = "<style>.MathJax_Preview, .MJX_Assistive_MathML { display: none !important; }</style>\n"

# reveal.js's default navigation sends → past vertical subslides (only ↓ or Space reach them). In
# "linear" mode → and ← walk every slide, subslide and fragment in order, whatever the notebook's
# slide types, so every lecture's deck can be taught with → alone. (window.Reveal: require.js keeps
# reveal.js out of the global scope; the deck tests ask it where they are.)
REVEAL_LINEAR = ("Reveal.initialize({", "window.Reveal = Reveal;\n        Reveal.initialize({\n            navigationMode: 'linear',")

# An explorer replayed in a deck is a run of fragments, one frame (a <figure> with a caption, from
# `dlcourse.widgets.frame`) each. Show only the current frame, so the frames replace each other in
# place like the slider would, instead of piling up below the slide's edge.
FRAME_CSS = ("<style>.reveal .slides .fragment:has(figure > figcaption):not(.current-fragment) "
             "{ display: none; }</style>\n")


def copy_slide_assets(node_modules, out):
    """Copy reveal.js, MathJax, require.js and jQuery from `node_modules` into out/assets/."""
    import shutil

    node_modules, assets = Path(node_modules), Path(out) / "assets"
    for package, parts in SLIDE_ASSETS.items():
        for part in parts:
            src, dst = node_modules / package / part, assets / package / part
            if not src.exists():
                raise FileNotFoundError(f"{src} is missing: run `make slides` (it installs the npm packages "
                                        f"reveal.js@4 mathjax@2 requirejs jquery@2 into .venv/node)")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    return assets


def _local_assets(exporter, out, assets):
    """Point an HTML exporter at copies of its scripts under out/assets/ instead of CDNs.

    Cells tagged "hide-input" (an explorer's replay frames) show their output only.
    """
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"hide-input"}), enabled=True)
    copy_slide_assets(assets, out)
    exporter.mathjax_url = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    exporter.require_js_url = "assets/requirejs/require.js"
    exporter.jquery_url = "assets/jquery/dist/jquery.min.js"
    for trait in ("mermaid_js_url", "mermaid_layout_elk_js_url"):   # ES modules loaded even without diagrams
        if exporter.has_trait(trait):
            setattr(exporter, trait, "assets/none.mjs")
    (Path(out) / "assets" / "none.mjs").write_text("export default {};\n")
    return exporter


def _offline_theme(out):
    """Drop the web-font @imports (Google Fonts) from the copied reveal.js themes: offline, the
    deck falls back to the system's sans-serif instead of asking the network."""
    for css in (Path(out) / "assets" / "reveal.js" / "dist" / "theme").glob("*.css"):
        text = css.read_text(encoding="utf-8")
        kept = "\n".join(line for line in text.splitlines() if not line.startswith("@import url(http"))
        if kept != text:
            css.write_text(kept, encoding="utf-8")


def _deck(body):
    """A slides export made linear (→ reaches everything) and with replayed explorers stacked in place."""
    old, new = REVEAL_LINEAR
    if body.count(old) != 1:
        raise RuntimeError("the reveal.js template changed: cannot set navigationMode 'linear'")
    return body.replace(old, new).replace("<!-- Load mathjax -->", FRAME_CSS + "<!-- Load mathjax -->", 1)


def _export_all(lectures, out, exporter, suffix, timeout, finish=None, execute_notebook=None):
    import copy

    written = []
    for path in sorted(Path(lectures).glob("*.ipynb")):
        executed = execute(path, timeout=timeout) if execute_notebook is None else execute_notebook(path)
        nb = make_widgets_static(copy.deepcopy(executed))
        body, _ = exporter.from_notebook_node(nb)
        body = body.replace("<!-- Load mathjax -->", MATHJAX_FIX + "<!-- Load mathjax -->", 1)
        if finish is not None:
            body = finish(body)
        target = Path(out) / f"{path.stem}{suffix}"
        target.write_text(body, encoding="utf-8")
        written.append(target)
        print(f"wrote {target}")
    return written


def build(lectures="lectures", out="build/site", *, assets, timeout=300, execute_notebook=None):
    """Execute every lecture and write out/<name>.html plus out/index.html, readable offline.

    execute_notebook : path -> executed notebook, to reuse executions (tests share one per lecture).
    """
    from nbconvert import HTMLExporter

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    exporter = _local_assets(HTMLExporter(template_name="lab"), out, assets)
    pages = _export_all(lectures, out, exporter, ".html", timeout, execute_notebook=execute_notebook)
    links = "".join(f"<li><a href='{p.name}'>{html.escape(p.stem)}</a></li>" for p in pages)
    (out / "index.html").write_text(f"<!doctype html><meta charset='utf-8'><title>STAT 4710 deep learning"
                                    f"</title><h1>Lectures</h1><ul>{links}</ul>", encoding="utf-8")
    return pages


def build_slides(lectures="lectures", out="build/slides", *, assets, timeout=300, execute_notebook=None):
    """Execute every lecture and write out/<name>.slides.html, openable from disk with no network."""
    from nbconvert import SlidesExporter

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    exporter = _local_assets(SlidesExporter(reveal_url_prefix="assets/reveal.js", reveal_theme="simple",
                                            reveal_transition="none", exclude_input_prompt=True,
                                            exclude_output_prompt=True), out, assets)
    _offline_theme(out)
    return _export_all(lectures, out, exporter, ".slides.html", timeout, finish=_deck,
                       execute_notebook=execute_notebook)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", default="lectures")
    parser.add_argument("--out", default="build/site")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("--slides", action="store_true", help="write reveal.js decks instead of pages")
    parser.add_argument("--assets", default=".venv/node/node_modules", help="node_modules with reveal.js etc.")
    args = parser.parse_args(argv)
    (build_slides if args.slides else build)(args.lectures, args.out, assets=args.assets, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
