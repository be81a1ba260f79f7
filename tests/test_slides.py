"""Lectures as slides: slide metadata, an offline reveal.js deck, and RISE inside JupyterLab.

Overflow limit: a slide's content may be at most 1.2 times the deck's slide height (700 px in
nbconvert's reveal.js template) — a little scrolling is tolerable, half a page more is not.
"""

import json
import uuid

import pytest

from dlcourse import site

from . import lab_ui
from .servers import ROOT, chromium_page, copy_course, jupyter_lab, screenshot

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
NODE_MODULES = ROOT / ".venv" / "node" / "node_modules"
OVERFLOW = 1.2


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_cell_has_slide_metadata(path):
    cells = json.loads(path.read_text())["cells"]
    types = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
    missing = [i for i, t in enumerate(types) if t not in SLIDE_TYPES]
    assert not missing, f"cells {missing} of {path.name} have no slideshow.slide_type"
    assert types[0] == "slide"
    assert types.count("slide") >= 6 and "fragment" in types and "notes" in types
    for cell, kind in zip(cells, types):            # set-up code stays in the notebook, out of the deck
        if cell["cell_type"] == "code" and "import " in "".join(cell["source"]):
            assert kind == "skip"


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    if not (NODE_MODULES / "reveal.js" / "dist" / "reveal.js").exists():
        pytest.fail("reveal.js and MathJax are missing from .venv/node: run `make test` or `make slides` "
                    "(they come from the npm registry)")
    out = tmp_path_factory.mktemp("slides")
    decks = site.build_slides(ROOT / "lectures", out, assets=NODE_MODULES, timeout=120)
    assert [d.name for d in decks] == [f"{p.stem}.slides.html" for p in LECTURES]
    return decks


@pytest.mark.parametrize("index", range(len(LECTURES)), ids=[p.stem for p in LECTURES])
def test_offline_deck_renders_navigates_and_fits(deck, index):
    deck = deck[index]
    text = deck.read_text()
    assert "https://unpkg" not in text and "cdnjs" not in text
    if deck.name.startswith("01_"):
        assert text.count("static-explorer") == 4
    with chromium_page() as page:
        requested = []
        page.context.route("http*://**", lambda route: (requested.append(route.request.url), route.abort()))
        page.context.set_offline(True)
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=20_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0", timeout=20_000)
        first = page.locator(".reveal .slides section.present").last.inner_text()
        title = json.loads(LECTURES[index].read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in first
        screenshot(page, f"deck_{LECTURES[index].stem}_first")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => location.hash === '#/1'", timeout=5_000)
        heights, seen = [], set()
        for _ in range(200):                        # walk the whole deck with the space bar
            info = page.evaluate("""() => {
                const slides = document.querySelector('.reveal .slides');
                const present = [...document.querySelectorAll('.reveal .slides section.present')].pop();
                return [location.hash, slides.offsetHeight, present.scrollHeight];
            }""")
            if info[0] in seen:
                break
            seen.add(info[0])
            heights.append(info)
            page.keyboard.press("Space")
            page.wait_for_timeout(60)
        assert page.locator(".MathJax_CHTML").count() > 5             # formulas typeset offline
        screenshot(page, f"deck_{LECTURES[index].stem}_last")
    assert requested == []
    assert len(seen) > 8
    too_tall = [(h, s) for h, limit, s in heights if s > OVERFLOW * limit]
    assert not too_tall, f"slides overflow more than {OVERFLOW}x the slide height: {too_tall}"


def test_rise_presents_the_lecture_inside_jupyterlab(tmp_path):
    copy_course(tmp_path, "lectures")
    with jupyter_lab(tmp_path) as (base, token, _), chromium_page() as page:
        lab_ui.open_notebook(page, f"{base}/lab/workspaces/t{uuid.uuid4().hex[:8]}/tree/lectures/"
                                   f"01_preliminaries.ipynb?reset&token={token}")
        page.locator("[title*='Reveal Slideshow']").first.click()       # the toolbar button (Alt+R)
        page.wait_for_function("() => [...document.querySelectorAll('iframe')].some(f => f.src.includes('/rise/'))",
                               timeout=30_000)
        frame = None
        for _ in range(150):
            frame = next((f for f in page.frames if "/rise/" in f.url), None)
            if frame is not None:
                break
            page.wait_for_timeout(200)
        assert frame is not None, "the RISE deck did not open"
        frame.wait_for_selector(".reveal .slides section", timeout=60_000)
        assert frame.locator(".reveal .slides section").count() > 10
        assert "Deep learning preliminaries" in frame.locator(".reveal").inner_text()
        screenshot(page, "rise_deck")
