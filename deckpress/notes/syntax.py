"""What a line of notes *is*: unit headings, section labels, question and answer labels.

These recognisers work on one heading or one source line at a time and know
nothing of the token stream; :mod:`deckpress.notes.parse` decides where they apply.
The built-in words and labels come from the notes people publish (see
``README.md``, "Writing notes"); ``course.yaml`` adds its own
(:class:`~deckpress.notes.config.NotesSyntax`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .config import NotesSyntax

UNIT_WORDS = (
    "Video",
    "Lecture",
    "Lesson",
    "Chapter",
    "Day",
    "Week",
    "Session",
    "Episode",
    "Module",
    "Part",
    "Unit",
    "Class",
    "Talk",
)
"""Words that start a unit heading (``## Lecture 3: …``), matched case-insensitively."""

KEY_POINT_LABELS = (
    "What to remember",
    "Key points",
    "Key point",
    "Key takeaways",
    "Key takeaway",
    "Takeaways",
    "Key ideas",
    "Key concepts",
    "Summary",
    "TL;DR",
    "TLDR",
    "Remember",
)
"""Labels of a key-points list, matched case-insensitively, with or without a colon."""

QUESTION_LABELS = (
    "Interview Questions",
    "Interview Q&A",
    "Questions",
    "Q&A",
    "Quiz",
    "Practice",
    "Practice questions",
    "Review questions",
    "Self-test",
    "Check yourself",
    "Test yourself",
    "Exercises",
    "Flashcards",
)
"""Labels of a question section, matched case-insensitively, with or without a colon."""

_ROMAN = r"(?:[IVXLC]{1,6})"
_SEP = r"(?:--|[—–\-:|.)])"


def strip_decoration(text: str) -> str:
    """``📘 ✅ Summary`` -> ``Summary``: leading emoji, symbols and spaces removed."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace() or ch in "\ufe0f\u200d" or unicodedata.category(ch)[0] in "SPC":
            if ch in "*_#\\`$[<(":
                break
            i += 1
            continue
        break
    return text[i:]


@dataclass(frozen=True)
class UnitHeading:
    """A heading recognised as a unit: ``## 📘 Day 5 - Title``."""

    word: str | None
    """The unit word as written, or ``None`` (``## 12. Title`` or heading-level units)."""
    number: int | None
    """The number in the heading, or ``None``."""
    title: str
    """The markdown source after word, number and separator."""


class Recogniser:
    """Every line-level rule, configured once per course."""

    def __init__(self, syntax: NotesSyntax | None = None):
        syntax = syntax or NotesSyntax()
        words = list(UNIT_WORDS)
        if syntax.unit_word:
            words.insert(0, syntax.unit_word)
        self.unit_words = tuple(words)
        self.unit_word_configured = bool(syntax.unit_word)
        self.unit_heading = syntax.unit_heading
        self.key_point_labels = _label_pattern(syntax.key_point_labels + KEY_POINT_LABELS)
        self.question_labels = _label_pattern(syntax.question_labels + QUESTION_LABELS)
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._word_unit = re.compile(
            rf"^(?P<word>{alternatives})\s*:?\s*#?(?P<num>\d+)(?![\d\w])(?:\*\*|__)?\s*"
            rf"(?:{_SEP}\s*)?(?P<title>.*)$",
            re.IGNORECASE | re.DOTALL,
        )

    # -- units ---------------------------------------------------------------

    def word_unit(self, source: str) -> UnitHeading | None:
        """``Lecture 3: Title``, ``📘 Day 5 - Title``, ``IV. Chapter 4 — Title``."""
        text, wrapped = _unwrap_bold(strip_decoration(source.strip()))
        if not wrapped and text[:2] in ("**", "__"):
            text = text[2:]  # "**Video 1** — Title"
        text = re.sub(rf"^{_ROMAN}\s*[.):]?\s+(?:[—–\-|:]\s*)?(?=\w)", "", text)
        m = self._word_unit.match(text)
        if not m:
            return None
        title = m.group("title").strip()
        if re.match(r"^[.\-–]\d", text[m.end("num") :]):
            return None  # "Lecture 3.5", "Lecture 1-2": not a unit number (see fractional_unit)
        return UnitHeading(m.group("word"), int(m.group("num")), title)

    def fractional_unit(self, source: str) -> str | None:
        """``Lecture 3.5`` / ``Lecture 1-2`` as written, for a clear error; else ``None``."""
        text, _ = _unwrap_bold(strip_decoration(source.strip()))
        m = self._word_unit.match(text.lstrip("*_"))
        if m and re.match(r"^[.\-–]\d", text.lstrip("*_")[m.end("num") :]):
            number = re.match(r"^[\d.\-–]+", text.lstrip("*_")[m.start("num") :])
            return f"{m.group('word')} {number.group(0) if number else m.group('num')}"
        return None

    def numbered_unit(self, source: str) -> UnitHeading | None:
        """``12. Title`` or ``12) Title`` with no unit word (never ``2-3 trees``)."""
        text, _ = _unwrap_bold(strip_decoration(source.strip()))
        m = re.match(r"^#?(\d{1,4})[.)]\s+(\S.*)$", text, re.DOTALL)
        if not m or text.rstrip().endswith("?"):
            return None
        return UnitHeading(None, int(m.group(1)), m.group(2).strip())

    # -- section labels ------------------------------------------------------

    def section(self, plain: str) -> str | None:
        """``points`` / ``questions`` when the whole line is a section label, else ``None``."""
        text = _label_text(plain)
        if self.key_point_labels.fullmatch(text):
            return "points"
        if self.question_labels.fullmatch(text):
            return "questions"
        return None


def _label_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(_fold(x)) for x in sorted(set(labels), key=len, reverse=True))
    # "Interview Questions (with answers)", "Key points:" and "TL;DR —" are labels too.
    return re.compile(
        rf"(?:{words})(?:\s*(?:&|and|\+|with)\s+answers?)?\s*(?:\([^)]*\))?\s*[:：.—–-]?",
        re.IGNORECASE,
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("’", "'").casefold()


def _label_text(plain: str) -> str:
    text = strip_decoration(plain.strip())
    text = re.sub(rf"^{_ROMAN}[.)]\s+", "", text)
    # emoji after the words are decoration too ("Key Takeaways 🔑", "Summary 👇")
    while text and (
        unicodedata.category(text[-1]) in ("So", "Sk", "Mn", "Cf") or text[-1].isspace()
    ):
        text = text[:-1]
    return _fold(text.strip(" \t*_").strip())


def _unwrap_bold(text: str) -> tuple[str, bool]:
    """``**Video 1 — T**`` -> ``Video 1 — T``, True."""
    for marker in ("**", "__"):
        if text.startswith(marker) and text.endswith(marker) and len(text) > 4:
            inner = text[2:-2]
            if marker not in inner:
                return inner.strip(), True
    return text, False


# --------------------------------------------------------------------------
# Questions and answers


@dataclass(frozen=True)
class QuestionLine:
    """A line that starts a question, split into its parts."""

    label: str
    """``Q1``, ``Q``, ``Question``, ``1`` or ``""``."""
    prompt: str
    """The question text without label and bold markers (may span lines)."""
    tail: str
    """Text after the closing bold marker on the same line: a same-line answer."""
    decoration: str = ""
    """Difficulty marks or tags after the question (``🔥``, ``#hard``), kept with the prompt."""


_Q_LABEL = re.compile(
    r"^(?P<open>\*\*|__)?[ \t]*(?P<label>Question(?:[ \t]*\d+)?|Q[ \t]*\d+|Q)"
    r"[ \t]*(?P<close1>\*\*|__)?[ \t]*(?P<punct>[.):—–]|-(?=\s))?[ \t]*(?P<close2>\*\*|__)?",
    re.IGNORECASE,
)
_NUM_LABEL = re.compile(r"^(?P<open>\*\*|__)[ \t]*(?P<label>\d{1,3})[.)][ \t]+(?=\S)")
_A_LABEL = re.compile(
    r"^(?:\*\*|__)?[ \t]*(?:A|Ans|Answer)[ \t]*(?:\*\*|__)?[ \t]*[.:)][ \t]*(?:\*\*|__)?[ \t]*",
    re.IGNORECASE,
)
# What may follow a question's closing bold without being an answer: emoji, symbols,
# tags and difficulty words.
_DECORATION = re.compile(
    r"^(?:[\s\W_]|#[\w-]+|\[[^\]\n]{0,20}\]|\((?:easy|medium|hard)\)|\b(?:easy|medium|hard)\b)*$",
    re.IGNORECASE,
)


def question_line(
    source: str, numbered_bold: bool = False, next_line: str | None = None
) -> QuestionLine | None:
    """Split ``**Q1. Why …?** answer`` and friends; ``None`` when there is no label, or
    no question after it (``- Q.`` is a bullet about Q, not a question)."""
    found = _question_line(source, numbered_bold, next_line)
    return found if found is None or found.prompt else None


def _question_line(
    source: str, numbered_bold: bool = False, next_line: str | None = None
) -> QuestionLine | None:
    """``numbered_bold`` also accepts ``**1. What …?**`` (a quiz numbering) as a label."""
    text = source.strip()
    m = _Q_LABEL.match(text)
    if m and _real_q_label(m):
        label = re.sub(r"[ \t]+", "", m.group("label"))
        label = label[0].upper() + label[1:] if label[0] in "qQ" and label[1:].isdigit() else label
        if label.lower() == "q":
            label = "Q"
        elif label.lower().startswith("question"):
            label = "Question" + label[8:]
        opener = m.group("open")
        closer = m.group("close1") or m.group("close2")
        rest = text[m.end() :]
        if opener and not closer:
            return _split_bold(label, rest, opener)
        # "Q: What port? A: 80." on one line
        same_line = re.match(
            r"^(?P<q>.*?\?)\s+(?:\*\*|__)?A(?:nswer)?(?:\*\*|__)?\s*:\s*(?P<a>\S.*)$", rest
        )
        if same_line:
            return QuestionLine(label, same_line.group("q").strip(), same_line.group("a").strip())
        if not opener and label == "Q" and next_line is not None and "?" not in rest:
            # plain "Q: the source charge" in a list of symbols: a question only when
            # an answer label follows
            if strip_answer_label(next_line.strip()) is None:
                return None
        return QuestionLine(label, rest.strip(), "")
    m = _NUM_LABEL.match(text) if numbered_bold else None
    if m:
        return _split_bold(m.group("label"), text[m.end() :], m.group("open"))
    return None


def _real_q_label(m: re.Match[str]) -> bool:
    """``Q1. …`` and ``Q: …`` are labels; ``Quick …`` or ``Question everything`` are not."""
    label = m.group("label")
    has_punct = bool(m.group("punct"))
    bold_label = bool(m.group("open") and (m.group("close1") or m.group("close2")))
    if re.fullmatch(r"(?i)q[ \t]*\d+", label):
        # "Q1 Why …" was accepted before labels had punctuation; keep it.
        return True
    return has_punct or bold_label


def _split_bold(label: str, rest: str, marker: str) -> QuestionLine:
    """``Why …?** tail`` -> prompt ``Why …?``, tail."""
    end = rest.find(marker)
    if end < 0:
        return QuestionLine(label, rest.strip(), "")
    prompt, tail = rest[:end].strip(), rest[end + len(marker) :].strip()
    if tail and _DECORATION.match(tail):
        return QuestionLine(label, prompt, "", tail)
    return QuestionLine(label, prompt, tail)


def bold_question(source: str) -> QuestionLine | None:
    """A whole-bold line ending in ``?`` with no label: ``**What is X?** 🔥``."""
    text = source.strip()
    for marker in ("**", "__"):
        if not text.startswith(marker):
            continue
        end = text.find(marker, 2)
        if end < 0:
            return None
        prompt, tail = text[2:end].strip(), text[end + 2 :].strip()
        if not prompt.endswith("?") or marker in prompt:
            return None
        if tail and not _DECORATION.match(tail):
            return QuestionLine("", prompt, tail)
        return QuestionLine("", prompt, "", tail)
    return None


def strip_answer_label(text: str) -> str | None:
    """``**A:** Because …`` -> ``Because …``; ``None`` when the line has no answer label."""
    m = _A_LABEL.match(text)
    return text[m.end() :] if m else None


def heading_question(source: str) -> QuestionLine | None:
    """``Q1) Why …?``, ``12) What …?`` or ``What is X?`` as a heading's text."""
    text = strip_decoration(source.strip())
    q = question_line(text)
    if q is not None:
        return q
    m = re.match(r"^(\d{1,3})[.)]\s+(\S.*)$", text, re.DOTALL)
    if m and m.group(2).rstrip().endswith("?"):
        return QuestionLine(m.group(1), m.group(2).strip(), "")
    if text.rstrip().endswith("?"):
        return QuestionLine("", _unwrap_bold(text)[0], "")
    return None
