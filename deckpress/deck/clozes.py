"""Where the blanks go in a key point: one card per bullet, a cue on every card.

The rules follow Wozniak's "20 rules of formulating knowledge" (SuperMemo,
1999): *minimum information* (one statement per blank), *avoid sets and
enumerations* (an enumeration becomes one blank with a count hint) and *use
context cues* (a visible stem on every card). In order:

1. **The author decides**: parts marked ``==like this==`` are the blanks (all
   of one bullet's marks are blanks of its one card).
2. ``term: definition`` / ``term = definition`` / ``term — definition``:
   the term stays, the definition is hidden. A condition (``If …:``,
   ``When …:``) is not a term: it stays visible and the rule after it is
   clozed. A term followed by a nested list or code hides the list or code.
3. A bullet of several ``;``-separated statements gets one blank per statement.
4. An enumeration (``a, b, c``) after a term is one blank with a count hint
   (``[5 items]``); a chain (``a → b → c``) keeps its first step as the cue.
5. A sentence keeps its subject and verb (or at least its first words) and
   hides the rest: ``Padding controls [...]``.

Every bullet keeps exactly one card (cloze number ``n``), so changing these
rules never moves a card's review history to another card.

Everything works on the bullet's HTML as rendered for the card; formulas
(``\\(…\\)``, ``\\[…\\]``, ``$…$``), code and other elements are never split.
"""

from __future__ import annotations

import functools
import html
import math
import re

from markupsafe import Markup

TERM_MAX_CHARS = 80
"""A ``term: definition`` bullet keeps its term visible when the term is at most this long."""
MIN_VISIBLE_WORDS = 2
"""A sentence keeps at least this many words visible (never the whole bullet hidden)."""
SENTENCE_VISIBLE = 0.45
"""A sentence shows at least this share of its words (its subject, verb and some context)."""
ENUMERATION_MIN_ITEMS = 3
"""From this many comma-separated items, a definition is an enumeration (count hint)."""

CONDITIONS = ("if", "when", "whenever", "unless", "while", "for each", "given", "once")
# Verbs that end the stem of a sentence ("Padding controls …", "BN normalizes …").
VERBS = frozenset(
    """is are was were be been being has have had does do did can could may might must
    should would will shall means mean controls control uses use helps help reduces reduce
    increases increase improves improve makes make gives give needs need keeps keep
    prevents prevent causes cause allows allow enables enable requires require learns learn
    maps map computes compute normalizes normalize speeds speed works work acts act adds add
    removes remove splits split stores store returns return takes take applies apply
    converges converge depends depend captures capture avoids avoid provides provide
    produces produce measures measure represents represent scales scale becomes become
    replaces replace combines combine shares share trains train predicts predict fails fail
    wins win shines shine handles handle affects affect stabilizes stabilize receives
    receive routes route reshapes reshape motivates motivate ignores ignore distinguishes
    distinguish accumulates accumulate saturates saturate explodes explode vanishes vanish
    matters matter dominates dominate generalizes generalize overfits overfit underfits
    underfit multiplies multiply encodes encode decodes decode attends attend""".split()
)

_ATOM = re.compile(
    r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$|(?<![\\\w])\$[^$\s](?:[^$]*?[^$\s])?\$"
    r"|\([^()]*\)|“[^”]*”|&quot;.*?&quot;|‘[^’]*’"
    r"|<(code|span|a|em|strong|mark|sub|sup|kbd|b|i|math|svg)\b[^>]*>.*?</\1>"
    r"|<[^>]+>|&[#\w]+;",
    re.DOTALL,
)
_PARAGRAPH = re.compile(r"<p>((?:(?!<p>).)*)</p>", re.DOTALL)
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def anki_safe(text: str, cloze: bool = False) -> Markup:
    """Hide ``{ } [`` (and ``:`` inside a cloze) from Anki's parsers; browsers show them as-is."""
    text = str(text).replace("{", "&#123;").replace("}", "&#125;").replace("[", "&#91;")
    if cloze:
        text = text.replace(":", "&#58;")
    return Markup(text)


def safe(text: str) -> str:
    return str(anki_safe(text))


def blank(text: str, n: int, hint: str = "") -> str:
    """``{{cN::text}}`` (or ``{{cN::text::hint}}``), Anki's syntax hidden inside."""
    if not text.strip():
        return safe(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    body = anki_safe(text.strip(), cloze=True)
    hint_part = f"::{anki_safe(hint, cloze=True)}" if hint else ""
    return f"{lead}{{{{c{n}::{body}{hint_part}}}}}{trail}"


@functools.lru_cache(maxsize=8192)
def cloze_bullet(text_html: str, n: int) -> Markup:
    """The bullet's HTML with its blanks, all numbered ``n``, Anki's syntax hidden.

    Cached (a pure function of its arguments): the deck and the weak-card checks both
    ask for every bullet, and inside ``watch`` every build asks again."""
    marks = _MARK.findall(text_html)
    if marks:
        whole = _PARAGRAPH.fullmatch(text_html.strip())
        text_html = whole.group(1) if whole else text_html
        # even pieces are the user's text, odd pieces the marked parts: never decide by
        # content, or text written as "{{c2::…}}" after a mark would become a cloze
        pieces = _MARK.split(text_html)
        return Markup("".join(blank(p, n) if i % 2 else safe(p) for i, p in enumerate(pieces)))
    whole = _PARAGRAPH.fullmatch(text_html.strip())
    if whole:
        return Markup(_inline(whole.group(1), n))
    first = _PARAGRAPH.match(text_html.strip())
    if first:  # a paragraph, then a nested list or code block
        rest = text_html.strip()[first.end() :]
        lead = first.group(1)
        if _plain(lead).rstrip().endswith(":"):
            return Markup(f"<p>{safe(lead)}</p>{blank(rest, n)}")
        return Markup(f"<p>{_inline(lead, n)}</p>{blank(rest, n)}")
    return Markup(blank(text_html, n))


def _inline(text: str, n: int) -> str:
    """One paragraph's inline HTML with its blanks."""
    statements = _split_top(text, ";")
    if len(statements) > 1:
        out = []
        for i, statement in enumerate(statements):
            sep = ";" if i < len(statements) - 1 else ""
            out.append(_statement(statement, n) + safe(sep))
        return "".join(out)
    return _statement(text, n)


def _statement(text: str, n: int) -> str:
    term = split_term(text)
    if term is not None:
        label, separator, rest = term
        if _is_condition(label):
            return safe(label + separator) + _rules(rest, n)
        return safe(label + separator) + _definition(rest, n)
    return _sentence(text, n)


def _definition(text: str, n: int) -> str:
    chain = _split_top(text, "→") if "→" in _plain(text) else []
    if len(chain) >= ENUMERATION_MIN_ITEMS:
        first, rest = chain[0], "→".join(chain[1:])
        steps = len(chain) - 1
        lead = first + "→"
        return safe(lead) + blank(rest, n, f"{steps} more steps")
    items = _split_top(text, ",")
    if len(items) >= ENUMERATION_MIN_ITEMS and all(len(_plain(i).split()) <= 6 for i in items):
        return blank(text, n, f"{len(items)} items")
    return blank(text, n)


def _rules(text: str, n: int) -> str:
    """``when misclassified, w ← w + yx, b ← b + y``: each assignment's right side."""
    pieces = _split_top(text, ",")
    assigns = [_split_assignment(p) for p in pieces]
    if not any(assigns):
        return _sentence(text, n)
    out = []
    for i, (piece, assign) in enumerate(zip(pieces, assigns, strict=True)):
        sep = "," if i < len(pieces) - 1 else ""
        if assign is None:
            out.append(safe(piece + sep))
        else:
            left, op, right = assign
            out.append(safe(left + op) + blank(right, n) + safe(sep))
    return "".join(out)


def _split_assignment(text: str) -> tuple[str, str, str] | None:
    for op in ("←", ":=", "="):
        parts = _split_top(text, op, limit=1)
        if len(parts) == 2 and _plain(parts[0]).strip() and _plain(parts[1]).strip():
            return parts[0], op, parts[1]
    return None


def _sentence(text: str, n: int) -> str:
    """Keep the subject and verb visible: ``Padding controls [...]``."""
    pieces = _words(text)
    words = [i for i, p in enumerate(pieces) if _plain(p).strip()]
    if len(words) < 2:
        return blank(text, n)
    cut = None
    limit = max(MIN_VISIBLE_WORDS, round(len(words) * 0.6))
    for rank, index in enumerate(words[:limit]):
        word = _plain(pieces[index]).strip().strip(".,;:!?()").lower()
        if rank >= 1 and word in VERBS:
            cut = rank + 1
            break
    if cut is None:  # no verb to stop at: show a good part of the sentence as its cue
        cut = max(MIN_VISIBLE_WORDS, math.ceil(len(words) * SENTENCE_VISIBLE))
    cut = min(cut, len(words) - 1)
    end = words[cut - 1] + 1
    visible, hidden = "".join(pieces[:end]), "".join(pieces[end:])
    return safe(visible) + blank(hidden, n)


def _words(text: str) -> list[str]:
    """Words and whitespace of inline HTML; formulas, code and elements stay whole."""
    out: list[str] = []
    pos = 0
    for m in _ATOM.finditer(text):
        out += re.split(r"(\s+)", text[pos : m.start()])
        if out and out[-1] and not out[-1].isspace():
            out[-1] += m.group(0)  # glued to the word before it: "f(x)" stays one word
        else:
            out.append(m.group(0))
        pos = m.end()
    rest = re.split(r"(\s+)", text[pos:])
    if rest and out and rest[0] and not out[-1].isspace():
        out[-1] += rest.pop(0)
    out += rest
    return [p for p in out if p]


def _split_top(text: str, sep: str, limit: int = 0) -> list[str]:
    """Split at ``sep`` outside formulas, code and elements (``limit``: at most that many)."""
    parts, start, pos = [], 0, 0
    atoms = [(m.start(), m.end()) for m in _ATOM.finditer(text)]
    i = 0
    while True:
        k = text.find(sep, pos)
        if k < 0:
            break
        while i < len(atoms) and atoms[i][1] <= k:
            i += 1
        if i < len(atoms) and atoms[i][0] <= k < atoms[i][1]:
            pos = atoms[i][1]
            continue
        parts.append(text[start:k])
        start = pos = k + len(sep)
        if limit and len(parts) == limit:
            break
    parts.append(text[start:])
    return parts


_TERM_SEPARATORS = re.compile(r":\s+|\s=\s|\s[—–]\s")


def split_term(text: str) -> tuple[str, str, str] | None:
    """``term: definition`` -> ``(term, separator, definition)``, outside formulas and code."""
    atoms = [(m.start(), m.end()) for m in _ATOM.finditer(text)]
    for m in _TERM_SEPARATORS.finditer(text):
        if any(a <= m.start() < b for a, b in atoms):
            continue
        term, rest = text[: m.start()], text[m.end() :]
        plain = _plain(term).strip()
        if plain and len(plain) <= TERM_MAX_CHARS and rest.strip():
            return term, m.group(0), rest
        return None
    return None


def _is_condition(term: str) -> bool:
    plain = _plain(term).strip().lower()
    return any(plain == c or plain.startswith(c + " ") for c in CONDITIONS)


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))
