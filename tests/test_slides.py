"""Lectures as slides: slide metadata, an offline reveal.js deck, and RISE inside JupyterLab.

The deck is walked with → alone, at 1280×720: it must reach every slide, subslide and fragment
in order, no screen may be taller than the deck (700 px in nbconvert's reveal.js template), and
nothing may be requested from the network or fail to load. A screenshot of every screen is
written to build/screenshots/deck_<lecture>/ for a reviewer.
"""

import json
import shutil
import uuid

import pytest

from dlcourse import site

from . import lab_ui
from .servers import ROOT, SCREENSHOTS, chromium_page, copy_course, jupyter_lab, screenshot

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
NODE_MODULES = ROOT / ".venv" / "node" / "node_modules"


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
def deck(tmp_path_factory, executed_lecture):
    if not (NODE_MODULES / "reveal.js" / "dist" / "reveal.js").exists():
        pytest.fail("reveal.js and MathJax are missing from .venv/node: run `make test` or `make slides` "
                    "(they come from the npm registry)")
    out = tmp_path_factory.mktemp("slides")
    decks = site.build_slides(ROOT / "lectures", out, assets=NODE_MODULES, timeout=120,
                              execute_notebook=executed_lecture)
    assert [d.name for d in decks] == [f"{p.stem}.slides.html" for p in LECTURES]
    return decks


def screens(path):
    """What → must reach in a lecture's deck: one screen per slide or subslide, one per fragment."""
    cells = json.loads(path.read_text())["cells"]
    types = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
    return sum(t in ("slide", "subslide", "fragment") for t in types)


WALK = """() => {
    const present = [...document.querySelectorAll('.reveal .slides section.present')].pop();
    const i = Reveal.getIndices();
    return {h: i.h, v: i.v || 0, f: i.f === undefined ? -1 : i.f, deck: document.querySelector('.reveal .slides').offsetHeight,
            height: present.scrollHeight, end: Reveal.isLastSlide() && !Reveal.availableFragments().next};
}"""


@pytest.mark.parametrize("index", range(len(LECTURES)), ids=[p.stem for p in LECTURES])
def test_offline_deck_reaches_every_screen_with_arrow_right_and_fits(deck, index):
    deck, lecture = deck[index], LECTURES[index]
    text = deck.read_text()
    assert "https://unpkg" not in text and "cdnjs" not in text
    shots = SCREENSHOTS / f"deck_{lecture.stem}"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with chromium_page() as page:
        requested, failed = [], []
        page.on("request", lambda r: requested.append(r.url))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
        page.context.route("http*://**", lambda route: route.abort())
        page.context.set_offline(True)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=20_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0", timeout=20_000)
        first = page.locator(".reveal .slides section.present").last.inner_text()
        title = json.loads(lecture.read_text())["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in first
        visited = [page.evaluate(WALK)]
        page.screenshot(path=str(shots / "000.png"))
        for k in range(1, 400):                     # → only, as a lecturer with a clicker would
            if visited[-1]["end"]:
                break
            page.keyboard.press("ArrowRight")
            state = (visited[-1]["h"], visited[-1]["v"], visited[-1]["f"])
            page.wait_for_function(f"() => {{ const i = Reveal.getIndices(); return JSON.stringify([i.h, i.v || 0, "
                                   f"i.f === undefined ? -1 : i.f]) !== '{json.dumps(list(state), separators=(',', ':'))}'; }}",
                                   timeout=5_000)
            page.wait_for_timeout(150)
            page.wait_for_function("() => MathJax.Hub.queue.pending === 0", timeout=10_000)
            page.wait_for_timeout(50)
            visited.append(page.evaluate(WALK))
            page.screenshot(path=str(shots / f"{k:03d}.png"))
        assert page.locator(".MathJax_CHTML").count() > 5             # formulas typeset offline
    order = [(s["h"], s["v"], s["f"]) for s in visited]
    assert order == sorted(set(order)), "→ went back or repeated a screen"
    assert len(order) == screens(lecture), f"→ reached {len(order)} screens, the notebook has {screens(lecture)}"
    too_tall = [(s["h"], s["f"], s["height"]) for s in visited if s["height"] > s["deck"]]
    assert not too_tall, f"screens taller than the deck ({visited[0]['deck']} px), as (slide, fragment, height): {too_tall}"
    outside = [u for u in requested if not u.startswith(("file://", "data:", "blob:"))]
    assert outside == [] and failed == [], f"the deck asked the network for {outside}; failed: {failed}"


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


def test_lecture_1_explorers_replay_as_distinct_frames_that_say_what_the_slide_names(deck):
    import re

    from bs4 import BeautifulSoup

    from dlcourse import explorers
    from dlcourse.explorers.convexity import convexity_view

    soup = BeautifulSoup(deck[0].read_text(), "html.parser")
    replays = []
    for section in soup.select(".reveal .slides section"):
        if section.find("section"):              # a horizontal slide around its vertical ones
            continue
        frames = [f for f in section.select(".fragment figure") if f.figcaption]
        if frames:
            captions = [f.figcaption.get_text(" ", strip=True) for f in frames]
            prose = " ".join(m.get_text(" ", strip=True) for m in section.select(".jp-MarkdownOutput"))
            replays.append((prose, [f.img["src"] for f in frames], captions))
    assert len(replays) == 5                     # ridge, convexity, learning rate, ball, restarts
    for _, images, captions in replays:
        assert len(images) >= 2 and len(set(images)) == len(images), captions     # every frame differs
    checked = 0
    for prose, _, captions in replays:
        for caption in captions:
            if m := re.match(r"γ = ([\d.]+):\s+β² (\S+)\s+·\s+elongated bowl (\S+)", caption):
                gamma = float(m[1])
                views = [explorers.descent_view(n, gamma, 80) for n in ("bowl_1d", "elongated_bowl_2d")]
                assert (m[2], m[3]) == (views[0].regime, views[1].regime)
                assert m[1] in prose and m[3] in prose          # the slide names the value and what happens
                checked += 1
            elif m := re.match(r"α = ([\d.]+), t = ([\d.]+)", caption):
                view = convexity_view(float(m[1]), -1.0, 2.5, float(m[2]))
                assert caption == f"α = {m[1]}, {view.status}"
                checked += 1
    assert checked == 5 + 5
    regimes = " ".join(c for _, _, cs in replays for c in cs)
    for word in ("crawls", "converges", "zig-zags", "diverges", "NOT convex", "below the chord",
                 "global minimum", "local minimum"):
        assert word in regimes, word
