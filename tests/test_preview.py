"""dist/cards.html: every card as Anki shows it, checked against the official anki library."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
import tinyhtml5
from click.testing import CliRunner

from deckpress.cli import main
from deckpress.deck.cardview import cards_of, resolve_clozes
from deckpress.deck.identity import STATE_NAME
from deckpress.deck.preview import card_css

from .conftest import SOURCE
from .test_deck_anki import import_apkg, open_collection, text_of

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES = FIXTURES / "cards-shapes" / "source"
TRICKY = FIXTURES / "deck" / "tricky"
XHTML = "{http://www.w3.org/1999/xhtml}"


def build(source: Path, out: Path, *only: str):
    args = ["build", "--source", str(source), "--out", str(out)]
    for name in only:
        args += ["--only", name]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def page_cards(path: Path) -> dict[tuple[str, int], dict]:
    """Each card on the page: {(guid, ord): {front, back, source, warnings, href}}."""
    root = tinyhtml5.parse(path.read_text("utf-8"))
    found = {}
    for article in root.iter(f"{XHTML}article"):
        faces = {}
        for face in article.iter(f"{XHTML}div"):
            if face.get("class") == "dpv-face":
                card = next(
                    d for d in face.iter(f"{XHTML}div") if d.get("class", "").startswith("card ")
                )
                faces[face.get("data-side")] = visible(card)
        warnings = [
            " ".join("".join(li.itertext()).split())
            for ul in article.iter(f"{XHTML}ul")
            if ul.get("class") == "dpv-warnings"
            for li in ul
        ]
        link = next(a for a in article.iter(f"{XHTML}a") if a.get("class") == "dpv-source")
        key = (article.get("data-guid"), int(article.get("data-ord")))
        assert key not in found
        found[key] = {
            **faces,
            "source": article.get("data-source"),
            "href": link.get("href"),
            "link": "".join(link.itertext()),
            "warnings": warnings,
        }
    return found


def visible(element) -> str:
    """As ``text_of`` reads Anki's HTML: every tag is a space (``</li><li>`` is a break)."""

    def words(e) -> str:
        return " ".join([e.text or "", *(f" {words(c)} {c.tail or ''}" for c in e)])

    return unicodedata.normalize("NFC", " ".join(words(element).split()))


def anki_cards(apkg: Path, folder: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """What Anki shows, after importing the deck: {(guid, cloze number or 0): (front, back)}."""
    col = open_collection(folder)
    try:
        import_apkg(col, apkg)
        shown = {}
        for card_id in col.find_cards(""):
            card = col.get_card(card_id)
            note = card.note()
            cloze = note.note_type()["type"] == 1
            key = (note.guid, card.ord + 1 if cloze else 0)
            shown[key] = (text_of(card.question()), text_of(card.answer()))
        return shown
    finally:
        col.close()


def assert_same_as_anki(page: dict, anki: dict) -> None:
    assert set(page) == set(anki)
    for key, (front, back) in anki.items():
        assert page[key]["front"] == front, (key, page[key]["source"])
        assert page[key]["back"] == back, (key, page[key]["source"])


# --------------------------------------------------------------------------
# Every card as Anki renders it


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    root = tmp_path_factory.mktemp("preview-real")
    source = root / "source"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns(STATE_NAME))
    build(source, root / "dist", "deck", "cards")
    return root


def test_real_deck_cards_match_anki(real):
    page = page_cards(real / "dist" / "cards.html")
    anki = anki_cards(next((real / "dist").glob("*.apkg")), real / "anki")
    assert len(page) == 419
    assert_same_as_anki(page, anki)


def test_real_deck_page_shows_weak_cards_and_sources(real):
    page = page_cards(real / "dist" / "cards.html")
    by_source = {card["source"]: card for card in page.values()}
    gpus = by_source["part1.md:279"]
    assert "Why is this especially relevant on GPUs?" in gpus["front"]
    assert any("starts with 'this'" in w for w in gpus["warnings"])
    assert gpus["href"] == "../source/part1.md" and gpus["link"] == "part1.md:279"
    assert not by_source["part1.md:61"]["warnings"]  # Perceptron = linear classifier
    html = (real / "dist" / "cards.html").read_text("utf-8")
    assert "419 cards · cards: 33 weak" in html
    # grouped by topic then unit, in course order
    topics = re.findall(r"<h2>(\d\d) ", html)
    assert topics == [f"{i:02d}" for i in range(1, 16)]


@pytest.mark.parametrize("fixture", [SHAPES, TRICKY], ids=["shapes", "tricky"])
def test_fixture_cards_match_anki(fixture, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(fixture, source)
    build(source, tmp_path / "dist", "deck", "cards")
    page = page_cards(tmp_path / "dist" / "cards.html")
    assert_same_as_anki(page, anki_cards(next((tmp_path / "dist").glob("*.apkg")), tmp_path / "a"))


def test_shapes_page_front_hides_back_reveals(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SHAPES, source)
    build(source, tmp_path / "dist", "cards")  # the preview alone, without the deck
    page = page_cards(tmp_path / "dist" / "cards.html")
    padding = next(c for c in page.values() if c["source"] == "notes.md:6")
    assert "Padding controls [...] Fixes:" in padding["front"]
    assert (
        "Padding controls spatial size and border information retention. Fixes:"
        in (padding["back"])
    )
    assert padding["warnings"] == []  # the cloze keeps "Padding controls" as its cue
    recap = next(c for c in page.values() if c["source"] == "notes.md:29")
    assert any("not a fact" in w for w in recap["warnings"])


def test_images_point_at_the_notes_files(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(TRICKY, source)
    build(source, tmp_path / "out" / "dist", "cards")
    html = (tmp_path / "out" / "dist" / "cards.html").read_text("utf-8")
    assert 'src="../../source/img/dot.png"' in html
    assert 'src="dot-' not in html  # no Anki media names: the page shows the files themselves


# --------------------------------------------------------------------------
# An artifact like the others


def test_incremental_and_only(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SHAPES, source)
    out = tmp_path / "dist"
    first = build(source, out, "cards")
    assert "cards.html: 12 cards, 5 weak" in first.output
    assert not list(out.glob("*.apkg"))  # --only cards builds the page alone
    page = out / "cards.html"
    build(source, out, "deck", "cards")  # the deck's first build writes the lock file
    before = page.stat().st_mtime_ns
    time.sleep(0.01)
    config = source / "course.yaml"
    config.write_text(config.read_text("utf-8") + "print:\n  paper: letter\n", "utf-8")
    same = build(source, out, "deck", "cards")  # the cards did not change: page untouched
    assert page.stat().st_mtime_ns == before and f"wrote {page}" not in same.output
    notes = source / "notes.md"
    notes.write_text(notes.read_text("utf-8").replace("GPU memory", "HBM"), "utf-8")
    build(source, out, "deck")
    again = build(source, out, "cards")
    assert f"wrote {page}" in again.output
    assert "HBM is limited" in page.read_text("utf-8")
    assert not list(out.glob(".cards.html.*"))  # written atomically, no temp file left


# --------------------------------------------------------------------------
# The Anki emulation itself


def test_clozes_with_hints_and_repeats_as_anki():
    text = "{{c1::alpha::greek}} and {{c2::beta}} {{c1::gamma}}"
    assert resolve_clozes(text, 1, question=True) == (
        '<span class="cloze" data-cloze="alpha" data-ordinal="1">[greek]</span> and '
        '<span class="cloze-inactive" data-ordinal="2">beta</span> '
        '<span class="cloze" data-cloze="gamma" data-ordinal="1">[...]</span>'
    )
    assert resolve_clozes(text, 2, question=False).count("cloze-inactive") == 2


def test_template_sections_and_filters():
    cards = cards_of(
        "{{#Extra}}<i>{{Extra}}</i>{{/Extra}}{{^Extra}}none{{/Extra}} {{text:Front}}",
        "{{FrontSide}}<hr>{{Back}} {{Tags}}",
        {"Front": "<b>Q</b>", "Back": "A", "Extra": ""},
        None,
        {"Tags": "t1"},
    )
    assert [(c.front.html, c.back.html) for c in cards] == [("none Q", "none Q<hr>A t1")]


def test_width_rules_become_container_queries():
    css = ".card { color: red; }\n@media (max-width: 480px) {\n  .card { font-size: 17px; }\n}\n"
    out = card_css(css)
    assert out.startswith(css)
    assert "@container (max-width: 480px) {\n  .card { font-size: 17px; }\n}" in out
    assert card_css(".card { color: red; }") == ".card { color: red; }"


# --------------------------------------------------------------------------
# In a real browser: headless Chromium at phone width, day and night

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def screenshot(page: Path, query: str, png: Path) -> None:
    subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=412,1400",
            f"--screenshot={png}",
            f"{page.resolve().as_uri()}?{query}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.skipif(
    BROWSER is None,
    reason="headless Chromium is not installed (`make test` installs it with apt-get when it can)",
)
def test_page_renders_at_phone_width_day_and_night(tmp_path):
    from PIL import Image, ImageStat

    source = tmp_path / "source"
    shutil.copytree(SHAPES, source)
    build(source, tmp_path / "dist", "cards")
    page = tmp_path / "dist" / "cards.html"
    brightness = {}
    for mode in ("day", "night"):
        png = tmp_path / f"{mode}.png"
        screenshot(page, "phone" + ("&night" if mode == "night" else ""), png)
        image = Image.open(png).convert("L")
        assert image.size == (412, 1400)
        low, high = image.getextrema()
        assert high - low > 100, f"{mode}: the page is blank"
        assert len(image.getcolors(maxcolors=1 << 16) or ()) > 20, f"{mode}: no text drawn"
        # the page background, between the cards' right edge and the window's
        brightness[mode] = ImageStat.Stat(image.crop((404, 200, 412, 1400))).mean[0]
        brightness[mode + " overall"] = ImageStat.Stat(image).mean[0]
    assert brightness["day"] > 200 and brightness["day overall"] > 180, brightness
    assert brightness["night"] < 50 and brightness["night overall"] < 80, brightness
