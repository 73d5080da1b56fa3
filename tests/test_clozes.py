"""Cards that teach (issue 10): a cue on every cloze, one fact per blank, no leakage.

Unit tests of the rules on the shapes of ``shared/cases/cards``, then the whole
real deck imported with the official anki library, and the switch from the old
cards to these keeping every review.
"""

from __future__ import annotations

import html
import re
import shutil
import time

import pytest
from markupsafe import Markup

from deckpress.deck import cards
from deckpress.deck.cards import anki_safe, cloze_point
from deckpress.deck.clozes import split_term
from deckpress.render import html_block

from .conftest import SOURCE
from .test_deck_anki import build, import_apkg, open_collection, scheduling

APKG = "100-days-of-deep-learning.apkg"


def hidden_share(field: str, n: int) -> float:
    """Share (0–1) of a bullet's visible characters that cloze ``n`` hides."""
    hidden = "".join(
        m.group(1) for m in re.finditer(rf"\{{\{{c{n}::(.*?)(?:::[^}}]*)?\}}\}}", field)
    )
    total = re.sub(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", r"\1", field)
    size = len(_plain(total).strip())
    return len(_plain(hidden).strip()) / size if size else 0.0


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def cloze(markdown: str) -> str:
    return str(cloze_point(str(html_block(markdown)), 1))


@pytest.mark.parametrize(
    ("bullet", "want"),
    [
        # two labels: two blanks of one card
        (
            "Classification: BCE/CE; regression: MSE/MAE/Huber.",
            "Classification: {{c1::BCE/CE}}; regression: {{c1::MSE/MAE/Huber.}}",
        ),
        # a sentence keeps its subject and verb
        (
            "Padding controls spatial size and border information retention.",
            "Padding controls {{c1::spatial size and border information retention.}}",
        ),
        # an enumeration is one blank with a count
        (
            "Fixes: ReLU-family, better initialization, normalization, residuals, gradient clipping.",
            "Fixes: {{c1::ReLU-family, better initialization, normalization, residuals, "
            "gradient clipping.::5 items}}",
        ),
        # a condition is not a term; one blank per rule
        (
            "If y ∈ {+1, −1}: when misclassified, w ← w + yx, b ← b + y.",
            "If y ∈ &#123;+1, −1&#125;: when misclassified, w ← {{c1::w + yx}}, b ← {{c1::b + y.}}",
        ),
        # a chain keeps its first step as the cue
        (
            "Course map: ANN → CNN → RNN → Transformers.",
            "Course map: ANN → {{c1::CNN → RNN → Transformers.::3 more steps}}",
        ),
        ("DL = representation learning", "DL = {{c1::representation learning}}"),
    ],
)
def test_card_shapes(bullet, want):
    assert cloze(bullet) == want


def test_a_term_with_a_nested_list_or_code_hides_the_list_or_code():
    nested = cloze("Optimizers:\n  - SGD with momentum\n  - RMSProp\n  - Adam")
    assert nested.startswith("<p>Optimizers:</p>\n{{c1::<ul>")
    code = cloze("Config example:\n  ```python\n  opt = Adam(params)\n  ```")
    assert code.startswith("<p>Config example:</p>\n{{c1::<pre>")


def test_parentheses_quotes_and_code_are_never_split():
    assert cloze("Standardization (zero mean, unit variance) is common for MLPs.") == (
        "Standardization (zero mean, unit variance) is {{c1::common for MLPs.}}"
    )
    assert cloze("`w` is normal to the decision boundary.") == (
        "<code>w</code> is {{c1::normal to the decision boundary.}}"
    )


def test_every_blank_is_anki_safe():
    point = cloze("Syntax: {{c2::x::hint}} and }} [sound:a.mp3]")
    inner = point[point.index("{{c1::") + 6 : point.rindex("}}")]
    assert "{" not in inner and "}" not in inner and "::" not in inner and "[" not in inner


def _real_key_points():
    from deckpress.notes.load import load_course

    course = load_course(SOURCE).course
    return [(unit, point) for unit in course.units for point in unit.key_points]


def test_real_deck_every_card_has_a_cue_and_one_fact_per_blank(tmp_path):
    out = tmp_path / "dist"
    src = tmp_path / "src"
    shutil.copytree(SOURCE, src)
    build(src, out, int(time.time()))
    col = open_collection(tmp_path / "anki")
    import_apkg(col, out / APKG)
    shares = []
    for cid in col.find_cards('"note:deckpress Key points"'):
        card = col.get_card(cid)
        field = card.note()["Text"]
        items = re.findall(r"<li>(.*?)</li>", field, re.DOTALL)
        (item,) = [i for i in items if f"{{{{c{card.ord + 1}::" in i]
        share = hidden_share(item, card.ord + 1)
        shares.append(share)
        assert share < 1.0, item  # a visible cue on every card
        for blank in re.findall(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", item, re.DOTALL):
            plain = html.unescape(re.sub(r"<[^>]+>", "", blank))
            assert ";" not in plain, item  # one statement per blank
        front = card.question()
        assert "[...]" in front or re.search(r"\[\d+ (items|more steps)\]", front)
    assert len(shares) == 251
    assert sum(shares) / len(shares) <= 0.60
    # every term: card keeps its term visible
    for _, point in _real_key_points():
        whole = re.fullmatch(r"<p>(.*)</p>", str(html_block(point.text)), re.DOTALL)
        term = split_term(whole.group(1)) if whole else None
        if term and not term[0].lower().startswith(("if ", "when ")):
            visible = re.sub(r"\{\{c1::.*?\}\}", "", cloze(point.text), flags=re.DOTALL)
            assert str(anki_safe(term[0])) in visible, point.text


_OLD_SCAN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>|(:\s+)|(\s=\s)")


def _old_split_term(inline_html: str) -> tuple[str, str, str] | None:
    """The term rule of the cards before issue 10: first ``: `` or `` = `` outside elements."""
    depth = 0
    for m in _OLD_SCAN.finditer(inline_html):
        if m.group(2):
            if m.group(2).lower() not in {"br", "img", "hr", "input", "wbr"} and not m.group(3):
                depth += -1 if m.group(1) else 1
            continue
        if depth:
            continue
        term, rest = inline_html[: m.start()], inline_html[m.end() :]
        plain = html.unescape(re.sub(r"<[^>]+>", "", term)).strip()
        return (term, m.group(0), rest) if plain and len(plain) <= 80 and rest.strip() else None
    return None


def _old_cloze(text_html: str, ord_: int) -> Markup:
    """The cards before this change: a term's definition, else the whole bullet."""
    whole = re.fullmatch(r"<p>((?:(?!<p>).)*)</p>", text_html, re.DOTALL)
    parts = _old_split_term(whole.group(1)) if whole else None
    if parts is None:
        body = whole.group(1) if whole else text_html
        return Markup(f"{{{{c{ord_}::{anki_safe(body, cloze=True)}}}}}")
    term, separator, definition = parts
    return Markup(
        f"{anki_safe(term)}{separator}{{{{c{ord_}::{anki_safe(definition, cloze=True)}}}}}"
    )


def bullet_of(col, cid) -> int:
    card = col.get_card(cid)
    items = re.findall(r"<li>(.*?)</li>", card.note()["Text"], re.DOTALL)
    return next(i for i, item in enumerate(items) if f"{{{{c{card.ord + 1}::" in item)


def test_switching_to_the_new_cards_keeps_every_review(tmp_path, monkeypatch):
    src = tmp_path / "src"
    shutil.copytree(SOURCE, src)
    out = tmp_path / "dist"
    t1 = int(time.time()) - 86_400
    with monkeypatch.context() as m:
        m.setattr(cards, "cloze_point", _old_cloze)
        build(src, out, t1)
    col = open_collection(tmp_path / "anki")
    import_apkg(col, out / APKG)
    assert "{{c1::Perceptron" not in str(col.find_notes("Perceptron"))  # sanity
    for cid in col.find_cards('"note:deckpress Key points"'):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    before = scheduling(col)
    asked = {cid: bullet_of(col, cid) for cid in col.find_cards('"note:deckpress Key points"')}
    notes = col.note_count()
    build(src, out, t1 + 3600)
    log = import_apkg(col, out / APKG)
    assert (len(log.new), len(log.conflicting)) == (0, 0)
    # key-points notes whose clozes changed, and nothing else
    assert 70 < len(log.updated) <= 84
    assert all(
        col.get_note(u.id.nid).note_type()["name"] == "deckpress Key points" for u in log.updated
    )
    assert col.note_count() == notes
    assert scheduling(col) == before
    assert {cid: bullet_of(col, cid) for cid in asked} == asked


def test_the_author_marks_the_blanks():
    assert cloze("The ==sigmoid== saturates for ==large inputs==.") == (
        "The {{c1::sigmoid}} saturates for {{c1::large inputs}}."
    )
    # a mark wins over every other rule, also in a term: definition bullet
    assert cloze("Dropout: zeroes ==random activations== in training.") == (
        "Dropout: zeroes {{c1::random activations}} in training."
    )


def test_text_after_a_mark_cannot_open_a_cloze_of_its_own():
    point = cloze("==a=={{c2::b}} and ==c==")  # the {{c2:: is the user's text
    assert point.count("{{c") == 2 and "{{c2" not in point
    assert "&#123;&#123;c2" in point
