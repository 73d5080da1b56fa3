"""Weak cards: key points and questions that will not teach well as flashcards.

Works on the model only (:class:`~deckpress.notes.model.Course`, its units' key points
and questions), so ``check``, the card preview and any later tool see the same
findings. Every rule is a heuristic and reports a *warning* with ``file:line``;
``deckpress check --strict`` makes them errors.

The rules come from Piotr Wozniak's "Effective learning: Twenty rules of
formulating knowledge" (SuperMemo, 1999), cited below as "rule N".

Thresholds were chosen by measuring the example course in ``source/`` (see the
constants).
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import Diagnostic
from ..notes.config import CardsCheck
from ..notes.model import Course, KeyPoint, Location, Question, Unit
from .cardview import CLOZE

ENUMERATION_ITEMS = CardsCheck.enumeration_items
"""One blank hiding this many items or more is an enumeration (rules 9 and 10); by default,
``cards.enumeration_items`` in course.yaml."""
ITEM_MAX_WORDS = 5
"""Comma-separated parts longer than this are clauses of a sentence, not list items."""
DUPLICATE_SIMILARITY = CardsCheck.duplicate_similarity
"""The default of ``cards.duplicate_similarity``: rapidfuzz ``token_sort_ratio`` (0–100) of two cards' content words at or above which
they are near-duplicates. Measured on ``source/`` (251 key points, 168 questions
with their answers): the 8 pairs scoring 67 or more across units all say the same
thing twice (e.g. "Self-attention computes token-to-token relevance within the same
sequence." / "“Self” = attention within the same sequence"); the highest pair below
(66.7, "Forward pass: compute activations layer by layer." / "For each layer: compute
dZ, dW, db …") does not."""

RULES: dict[str, tuple[str, str]] = {
    "whole-bullet": ("whole-bullet blank", "whole-bullet blanks"),
    "enumeration": ("enumeration", "enumerations"),
    "not-a-fact": ("not a fact", "not facts"),
    "dangling-reference": ("dangling reference", "dangling references"),
    "two-part": ("two-part question", "two-part questions"),
    "near-duplicate": ("near-duplicate", "near-duplicates"),
}
"""Rule id -> (singular, plural) as the summary line names them, in report order."""


@dataclass(frozen=True)
class Weak:
    """One weak card."""

    rule: str
    """A key of :data:`RULES`."""
    loc: Location
    """The key point or question the card comes from."""
    message: str
    """What is weak and how to fix it."""

    def json(self) -> dict[str, str | int]:
        """For ``check --json``: ``{"rule", "file", "line", "message"}``."""
        return {
            "rule": self.rule,
            "file": self.loc.file,
            "line": self.loc.line,
            "message": self.message,
        }

    def diagnostic(self, shown: str) -> Diagnostic:
        """As a ``file:line`` warning; ``shown`` is the source folder as the user typed it."""
        where = f"{shown}/{self.loc.file}" if shown else self.loc.file
        return Diagnostic(where, self.loc.line, f"weak card: {self.message}")


def weak_cards(course: Course) -> tuple[Weak, ...]:
    """Every weak card of the course, in course order (duplicates at their second card),
    as ``cards:`` in course.yaml asks (rules to ignore, thresholds)."""
    settings = course.config.cards
    found: list[Weak] = []
    for unit in course.units:
        for point in unit.key_points:
            found.extend(key_point_findings(point, unit, settings.enumeration_items))
        for question in unit.questions:
            found.extend(question_findings(question))
    if "near-duplicate" not in settings.ignore:
        found.extend(near_duplicates(course, settings.duplicate_similarity))
    found = [w for w in found if w.rule not in settings.ignore]
    order = {loc: i for i, loc in enumerate(_card_locations(course))}
    rules = list(RULES)
    return tuple(sorted(found, key=lambda w: (order.get(w.loc, 0), rules.index(w.rule))))


def summary(weak: Sequence[Weak]) -> str:
    """``cards: 12 weak (3 whole-bullet blanks, 4 enumerations, …)``; weak = distinct cards."""
    cards = len({w.loc for w in weak})
    counts = Counter(w.rule for w in weak)
    parts = [
        f"{counts[rule]} {one if counts[rule] == 1 else many}"
        for rule, (one, many) in RULES.items()
        if counts[rule]
    ]
    return f"cards: {cards} weak" + (f" ({', '.join(parts)})" if parts else "")


def _card_locations(course: Course) -> Iterable[Location]:
    for unit in course.units:
        yield from (p.loc for p in unit.key_points)
        yield from (q.loc for q in unit.questions)


# --------------------------------------------------------------------------
# Key points


def key_point_findings(point: KeyPoint, unit: Unit, items: int = ENUMERATION_ITEMS) -> list[Weak]:
    """The whole-bullet, enumeration and not-a-fact rules for one bullet's cloze."""
    cue, hidden = cloze_view(point.text)
    found = []
    if not _has_words(cue):
        found.append(
            Weak(
                "whole-bullet",
                point.loc,
                "the whole key point is one blank, so the front shows [...] and no cue; "
                "start it with a short term and a colon ('Padding: controls …') so only the "
                "rest is hidden",
            )
        )
    for text in hidden:
        hidden_items = enumeration(text, items)
        if hidden_items:
            shown = ", ".join(hidden_items[:3]) + ", …"
            found.append(
                Weak(
                    "enumeration",
                    point.loc,
                    f"one blank hides {len(hidden_items)} items ({shown}); recalling a set at once "
                    "is hard: give each item its own key point, or ask for one step at a time",
                )
            )
            break
    remark = meta_remark(_plain(point.text), unit)
    if remark:
        found.append(
            Weak(
                "not-a-fact",
                point.loc,
                f"not a fact to remember ({remark}); move it out of the key points "
                "(it stays on the back as context) or delete it",
            )
        )
    return found


def cloze_view(text: str) -> tuple[str, list[str]]:
    """What the bullet's card shows around its blank, and what the blank hides (plain text).

    Uses :func:`deckpress.deck.cards.cloze_point` itself, so it always agrees with the deck.
    """
    from ..render import html_block
    from .cards import cloze_point

    field = str(cloze_point(str(html_block(text)), 1))
    hidden = [_html_text(m.group(2)) for m in CLOZE.finditer(field)]  # without the hint
    return _html_text(CLOZE.sub(" ", field)), hidden


def enumeration(text: str, least: int = ENUMERATION_ITEMS) -> list[str]:
    """The items of a set or chain of ``least`` items or more, else ``[]``.

    ``a, b, c, d`` (also ``… and d``), ``a → b → c → d`` and ``a; b; c; d``;
    parentheses are ignored (``better init (Xavier/He)`` is one item).
    """
    flat = text.strip().rstrip(".")
    while True:
        stripped = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", flat)
        if stripped == flat:
            break
        flat = stripped
    for separator in (r"→|->|⟶|⇒|=>|➔", r";"):
        items = [i.strip() for i in re.split(separator, flat) if i.strip()]
        if len(items) >= least:
            return items
    items = [i.strip() for i in flat.split(",")]
    if len(items) > 1:
        last = re.split(r"\s+(?:and|or|&)\s+", items.pop())
        items.extend(last)
    items = [re.sub(r"^(?:and|or)\s+", "", i) for i in items if i]
    if len(items) >= least and all(len(i.split()) <= ITEM_MAX_WORDS for i in items):
        return items
    return []


_UNIT_WORDS = (
    "video|lecture|lesson|chapter|session|episode|talk|class|module|part|section|course|"
    "unit|day|week|tutorial|notebook"
)
_META = [
    (re.compile(rf"^(?:in\s+)?(?:this|the)\s+(?:{_UNIT_WORDS})\b", re.I), "about the {word}"),
    (
        re.compile(
            r"\b(?:great|good|useful|nice|handy|excellent|recommended)\s+"
            r"(?:reference|resource|overview|read|watch|intro(?:duction)?)\b",
            re.I,
        ),
        "a recommendation",
    ),
    (
        re.compile(r"\b(?:must[- ]watch|worth (?:re)?(?:watching|reading))\b", re.I),
        "a recommendation",
    ),
]


def meta_remark(plain: str, unit: Unit) -> str:
    """Why a bullet is a remark about the course rather than a fact (rules 2 and 20), or ``""``.

    "This video is conceptual history, not just math." and "Great reference for
    'classic CNN pipeline'." say something about the material, not about the subject.
    """
    word = (unit.unit_word or "unit").lower()
    own = re.compile(rf"^(?:in\s+)?this\s+{re.escape(word)}\b", re.I)
    if own.search(plain):
        return f"a remark about this {word}"
    for pattern, why in _META:
        if pattern.search(plain):
            return why.format(word=word)
    return ""


# --------------------------------------------------------------------------
# Questions


_LEAD = {
    "why", "how", "what", "when", "where", "which", "who", "whom", "whose",
    "is", "are", "was", "were", "does", "do", "did", "can", "could", "would", "should",
    "will", "has", "have", "had", "might", "must", "may", "so", "and", "but",
}  # fmt: skip
_PRONOUNS = {"it", "they", "them", "this", "that", "these", "those"}
_DEMONSTRATIVES = {"this", "that", "these", "those"}
_NOT_NOUNS = {
    "is", "are", "was", "were", "be", "been", "does", "do", "did", "has", "have", "had",
    "can", "could", "would", "should", "will", "might", "must", "may", "matter", "matters",
    "work", "works", "help", "helps", "mean", "means", "happen", "happens", "fail", "fails",
    "make", "makes", "cause", "causes", "still", "also", "not", "so", "really", "even",
    "especially", "particularly", "more", "less", "better", "worse", "useful", "important",
    "relevant", "needed", "necessary", "different", "true", "called", "used", "the", "a",
    "an", "in", "on", "for", "to", "of", "at", "by", "with", "from", "over", "about",
}  # fmt: skip


def question_findings(question: Question) -> list[Weak]:
    """The dangling-reference and two-part rules for one question."""
    plain = _plain(question.prompt)
    found = []
    dangling = dangling_reference(plain)
    if dangling:
        found.append(
            Weak(
                "dangling-reference",
                question.loc,
                f"the question starts with {dangling!r}, which refers to nothing on the card "
                "(cards are reviewed alone and shuffled); name what it means",
            )
        )
    second = two_part(plain)
    if second:
        found.append(
            Weak(
                "two-part",
                question.loc,
                f"two questions in one card ({second!r}); split it into two questions so each "
                "is recalled and graded on its own",
            )
        )
    return found


def dangling_reference(plain: str) -> str:
    """The pronoun a question opens with when nothing before it on the card says what it
    is (rules 12 and 16: a card must be understood alone), else ``""``.

    "Why is this especially relevant on GPUs?" leans on the question before it. The
    pronoun counts after at most two opening words (``Why is``); ``this``/``that``
    followed by a noun (``this loss``) is a determiner, not a reference; ``it`` in
    ``Is it possible to …`` / ``… it true that`` is the dummy ``it``.
    """
    words = re.findall(r"[\w']+", plain.lower().replace("’", "'"))
    for i, word in enumerate(words[:3]):
        if word in _PRONOUNS:
            after = words[i + 1 : i + 5]
            if word in _DEMONSTRATIVES and after and after[0] not in _NOT_NOUNS:
                if not after[0].endswith("ly"):
                    return ""  # a determiner: "this loss", "that layer"
            if word == "it" and any(w in ("to", "that") for w in after[1:]):
                return ""  # "is it possible to …", "is it true that …"
            return word
        if word not in _LEAD:
            return ""
    return ""


_SECOND_QUESTION = re.compile(
    r"(?:[,;(]\s*|\s)(?:and|but|or|also)\s+"
    r"(?:what|what's|whats|why|how|when|where|which|who|does|do|is|are|can|should|would)\b"
    r"[^?]*",
    re.I,
)
_AND_A = re.compile(r"\s(?:and|plus)\s+(?:a|an|one|its)\s+\S+(?:\s+\S+)?\s*\?$", re.I)


def two_part(plain: str) -> str:
    """The second question of a two-part question (rule 4, minimum information), else ``""``.

    ``… and what's a downside?``, ``X and why does it matter?``, ``X? And Y?``,
    ``… and a mitigation?``.
    """
    text = plain.replace("’", "'").strip()
    marks = [m.start() for m in re.finditer(r"\?", text)]
    if len(marks) >= 2 and text[marks[0] + 1 : marks[-1]].strip():
        return text[marks[0] + 1 :].strip()
    match = _SECOND_QUESTION.search(text) or _AND_A.search(text)
    if match:
        return "… " + match.group(0).strip(" ,;(").rstrip(")")
    return ""


# --------------------------------------------------------------------------
# Near-duplicates


_STOPWORDS = frozenset(
    """a an the of in on at to for from by with without and or but vs versus is are was were
    be been being do does did can could would should will might must may what whats why how
    when where which who whom whose that this these those it its they them their there here
    than then so as if into over under about more most less very often usually typically
    key main difference between use used using one two you your we our""".split()
)


def content_words(text: str) -> str:
    """Lower-case words without function words and question stems, for similarity."""
    from rapidfuzz import utils

    words = utils.default_process(text.replace("’", "'")).split()
    return " ".join(w for w in words if w not in _STOPWORDS)


def near_duplicates(course: Course, threshold: float = DUPLICATE_SIMILARITY) -> list[Weak]:
    """Cards of different units that ask the same thing (rule 11, combat interference).

    Key points are compared with key points, questions (with their answers) with
    questions, by rapidfuzz's ``token_sort_ratio`` over content words; see
    :data:`DUPLICATE_SIMILARITY`.
    """
    points = [(u, p.loc, p.text) for u in course.units for p in u.key_points]
    questions = [(u, q.loc, f"{q.prompt} {q.answer}") for u in course.units for q in u.questions]
    found = []
    for cards in (points, questions):
        pairs = _most_similar_earlier([(u.number, text) for u, _, text in cards], threshold)
        for b, (a, score) in pairs:
            unit = cards[a][0]
            found.append(
                Weak(
                    "near-duplicate",
                    cards[b][1],
                    f"near-duplicate of {cards[a][1]} ({unit.label or unit.title}, "
                    f"similarity {score:.0f}); similar cards interfere: merge them, or make "
                    "each ask what sets it apart",
                )
            )
    return found


def _most_similar_earlier(
    cards: Sequence[tuple[int, str]], threshold: float
) -> Iterable[tuple[int, tuple[int, float]]]:
    """``(b, (a, score))`` for each card ``b`` (``(unit number, markdown)``) with an earlier
    card ``a`` of another unit scoring at least ``threshold``, the best one.

    ``token_sort_ratio`` is ``ratio`` of the sorted words, so the words are sorted once
    here. Only cards sharing a word are compared, and only through each card's rarer half
    of its words ("prefix filtering": two cards sharing at least half their words share
    one of those), so a large course is not compared pair by pair.
    """
    from rapidfuzz import fuzz, process

    words = [sorted(set(content_words(_plain(text)).split())) for _, text in cards]
    sorted_text = [" ".join(sorted(content_words(_plain(text)).split())) for _, text in cards]
    frequency = Counter(word for ws in words for word in ws)
    index: dict[str, list[int]] = defaultdict(list)
    for b, ws in enumerate(words):
        rare = sorted(ws, key=lambda w: (frequency[w], w))[: len(ws) // 2 + 1]
        candidates = sorted({a for w in rare for a in index[w] if cards[a][0] != cards[b][0]})
        for w in rare:
            index[w].append(b)
        if not candidates:
            continue
        matches = process.extract(
            sorted_text[b],
            [sorted_text[a] for a in candidates],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            limit=None,
        )
        if matches:
            score, i = max((score, -i) for _, score, i in matches)
            yield b, (candidates[-i], score)


# --------------------------------------------------------------------------
# Text helpers


def _html_text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _plain(markdown: str) -> str:
    """Markdown source as plain words (emphasis, code ticks and link targets dropped)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def _has_words(text: str) -> bool:
    return bool(re.search(r"\w", text))
