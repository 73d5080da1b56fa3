"""The identity cases of ``fixtures/identity`` through the official ``anki`` library.

The procedure of ``fixtures/identity/README.md``: build v1, import it into a
fresh collection with the desktop defaults, answer every card, edit the notes
(the lock of the first build stays), rebuild, re-import the deck and any
clean-up package; then check that no reviewed card lost anything and nothing
unrelated was touched.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from anki.collection import Collection
from anki.scheduler.v3 import CardAnswer
from click.testing import CliRunner

from deckpress.cli import main
from deckpress.deck.identity import STATE_NAME, load_state
from deckpress.notes.config import slugify
from deckpress.notes.load import load_course

from .conftest import SOURCE
from .test_deck_anki import build, import_apkg, note_rows, open_collection, text_of

CASES = Path(__file__).parent / "fixtures" / "identity"
FORMAT1_LOCK = Path(__file__).parent / "fixtures" / "identity" / "real-format1.lock"
"""source/deckpress.lock as the first user committed it, before lock format 2."""
T0 = int(time.time()) - 30 * 86_400


class Trip:
    """One course going through builds and imports into a collection."""

    def __init__(self, root: Path, v1: Path, col: Collection | None = None):
        self.source, self.out = root / "source", root / "dist"
        shutil.copytree(v1, self.source)
        self.col = col or open_collection(root / "anki")
        self.now = T0
        self.slug = slugify(load_course(self.source).course.config.deck)
        self.result = None

    def build(self, notes: Path | None = None):
        """Rebuild, after copying a next version's ``notes.md`` over the source."""
        if notes is not None:
            shutil.copy(notes, self.source / "notes.md")
        self.now += 3600  # more than a second later
        self.result = build(self.source, self.out, self.now)
        return self.result

    def import_deck(self):
        return import_apkg(self.col, self.out / f"{self.slug}.apkg")

    def import_cleanup(self):
        (package,) = [p for p in self.result.paths if "-removed-" in p.name]
        return import_apkg(self.col, package)

    def guids(self) -> set[str]:
        state = load_state(self.source / STATE_NAME)
        return {r.guid for r in state.notes}


def study_everything(col: Collection) -> int:
    """Answer every card not answered yet, once (Easy: it leaves the learning queue)."""
    answered = 0
    for cid in col.find_cards("introduced:36500 OR is:new"):
        card = col.get_card(cid)
        if card.reps:
            continue
        card.start_timer()
        states = col._backend.get_scheduling_states(cid)
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=CardAnswer.EASY)
        )
        answered += 1
    return answered


def history(col: Collection) -> tuple[dict[int, tuple], list]:
    """Every card's scheduling (by card id) and the whole review log."""
    cards = {
        row[0]: tuple(row[1:])
        for row in col.db.all(
            "select id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses from cards"
        )
    }
    return cards, col.db.all("select * from revlog order by id")


def hidden(col: Collection, cid: int) -> str:
    """What a card asks: a question's prompt, or the bullet its cloze is in (cloze
    markup removed; a bullet may have several blanks of its one card)."""
    card = col.get_card(cid)
    note = card.note()
    if "Question" in note:
        return note["Question"]
    for item in re.findall(r"<li>(.*?)</li>", note["Text"], re.DOTALL):
        if f"{{{{c{card.ord + 1}::" in item:
            return re.sub(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", r"\1", item, flags=re.DOTALL)
    return ""


def asks(col: Collection) -> dict[int, str]:
    return {cid: hidden(col, cid) for cid in col.find_cards("")}


def assert_history_kept(col: Collection, before: tuple[dict, list]) -> None:
    """Every card that existed is still there, with its scheduling; the review log is intact."""
    cards, revlog = history(col)
    assert {cid: cards.get(cid) for cid in before[0]} == before[0]
    assert revlog == before[1] and revlog


def first_round(trip: Trip) -> tuple[tuple[dict, list], dict[int, str], dict]:
    """Build v1, import, answer every card: what must hold after the edit."""
    trip.build()
    trip.import_deck()
    assert study_everything(trip.col) == trip.col.card_count()
    return history(trip.col), asks(trip.col), note_rows(trip.col)


@pytest.fixture
def case(tmp_path):
    trips = []

    def start(name: str) -> Trip:
        trip = Trip(tmp_path / name, CASES / name / "v1")
        trips.append(trip)
        return trip

    yield start
    for trip in trips:
        trip.col.close()


def counts(log) -> tuple[int, int, int]:
    return len(log.new), len(log.updated), len(log.conflicting)


# --------------------------------------------------------------------------
# Key points


def test_reordered_bullets_keep_their_cards(case):
    trip = case("reorder-bullets")
    before, asked, _ = first_round(trip)
    result = trip.build(CASES / "reorder-bullets" / "v2" / "notes.md")
    assert "changes since the last build: 1 updated" in result.report
    assert not any("removed" in line or "emptied" in line for line in result.report)
    assert counts(trip.import_deck()) == (0, 1, 0)
    assert_history_kept(trip.col, before)
    assert asks(trip.col) == asked  # each card still hides the bullet it hid
    assert trip.col.note_count() == 1


def test_grown_unit_keeps_the_unchanged_bullet_and_adds_cards(case):
    trip = case("grow-bullets")
    before, asked, rows = first_round(trip)
    result = trip.build(CASES / "grow-bullets" / "v2" / "notes.md")
    assert "changes since the last build: 1 updated" in result.report
    assert counts(trip.import_deck()) == (0, 1, 0)
    assert_history_kept(trip.col, before)
    now = asks(trip.col)
    assert {cid: now[cid] for cid in asked} == asked
    assert len(now) == len(asked) + 3
    assert trip.col.note_count() == len(rows)  # no new note: the same key-points note grew
    questions = [g for g, (_, flds, _) in note_rows(trip.col).items() if "Why does" in flds]
    assert note_rows(trip.col)[questions[0]] == rows[questions[0]]  # the question: untouched


def test_shrunk_unit_keeps_the_unchanged_bullet_and_reports_the_rest(case):
    trip = case("shrink-bullets")
    before, asked, _ = first_round(trip)
    result = trip.build(CASES / "shrink-bullets" / "v2" / "notes.md")
    assert "changes since the last build: 1 updated" in result.report
    (emptied,) = [line for line in result.report if line.startswith("  emptied ")]
    assert "c2, c3, c4" in emptied
    assert counts(trip.import_deck()) == (0, 1, 0)
    assert_history_kept(trip.col, before)
    now = asks(trip.col)
    kept = [cid for cid, text in now.items() if text]
    assert len(kept) == 1 and now[kept[0]] == asked[kept[0]]
    assert "Dropout randomly zeroes" in now[kept[0]]
    assert len(trip.col.get_empty_cards().notes[0].card_ids) == 3


def test_restored_bullet_gets_its_old_card_back(case):
    trip = case("restore-bullet")
    before, asked, _ = first_round(trip)
    trip.build(CASES / "restore-bullet" / "v2" / "notes.md")
    trip.import_deck()
    result = trip.build(CASES / "restore-bullet" / "v3" / "notes.md")
    assert "changes since the last build: 1 updated" in result.report
    assert counts(trip.import_deck()) == (0, 1, 0)
    assert_history_kept(trip.col, before)
    assert asks(trip.col) == asked  # the same three cards, each asking what it asked
    assert not trip.col.get_empty_cards().notes


def test_reworded_definition_keeps_the_terms_card(case):
    trip = case("definition-reworded")
    before, asked, _ = first_round(trip)
    result = trip.build(CASES / "definition-reworded" / "v2" / "notes.md")
    assert "changes since the last build: 2 updated" in result.report
    assert not any("removed" in line or "emptied" in line for line in result.report)
    assert counts(trip.import_deck()) == (0, 2, 0)
    assert_history_kept(trip.col, before)
    now = asks(trip.col)
    assert set(now) == set(asked)  # no new card, none emptied
    (dropout,) = [cid for cid, text in asked.items() if "randomly zeroes activations" in text]
    assert "drops each unit with probability p" in now[dropout]
    assert "Dropout: [...]" in text_of(trip.col.get_card(dropout).question())
    assert {c: t for c, t in now.items() if c != dropout} == {
        c: t for c, t in asked.items() if c != dropout
    }


# --------------------------------------------------------------------------
# Questions


def test_identical_question_deleted_in_one_unit_retires_that_copy(case):
    trip = case("identical-questions")
    before, asked, rows = first_round(trip)
    state = load_state(trip.source / STATE_NAME)
    copies = [r.guid for r in state.notes if r.parts[0] == "What is overfitting?"]
    assert len(copies) == 2
    result = trip.build(CASES / "identical-questions" / "v2" / "notes.md")
    assert "changes since the last build: 1 removed" in result.report
    after = load_state(trip.source / STATE_NAME)
    assert [r.guid for r in after.removed] == [copies[0]]  # video 1's copy
    assert [r.video for r in after.notes if r.guid == copies[1]] == [2]
    assert counts(trip.import_deck()) == (0, 0, 0)  # the kept copy did not change
    assert counts(trip.import_cleanup()) == (0, 1, 0)
    assert_history_kept(trip.col, before)
    assert asks(trip.col) == asked
    tagged = trip.col.find_notes("tag:mini::removed")
    assert [trip.col.get_note(n).guid for n in tagged] == [copies[0]]
    untouched = {g: r for g, r in note_rows(trip.col).items() if g != copies[0]}
    assert untouched == {g: r for g, r in rows.items() if g != copies[0]}


# --------------------------------------------------------------------------
# Clean-up packages


def test_successive_cleanups_never_bring_back_a_deleted_note(case):
    trip = case("two-cleanups")
    before, _, _ = first_round(trip)
    state = load_state(trip.source / STATE_NAME)
    guid = {r.parts[0]: r.guid for r in state.notes}
    for version, gone in (("v2", "Question A?"), ("v3", "Question B?")):
        trip.build(CASES / "two-cleanups" / version / "notes.md")
        trip.import_deck()
        count = trip.col.note_count()
        assert counts(trip.import_cleanup()) == (0, 1, 0)
        assert trip.col.note_count() == count  # nothing added: A stays deleted
        tagged = trip.col.find_notes("tag:mini::removed")
        assert [trip.col.get_note(n).guid for n in tagged] == [guid[gone]]
        trip.col.remove_notes(tagged)
    assert [trip.col.get_note(n).guid for n in trip.col.find_notes("")] == [guid["Question C?"]]
    (cid,) = trip.col.find_cards("")
    assert history(trip.col)[0][cid] == before[0][cid]
    # each build's package is in dist/, dated; the older one holds only A
    packages = sorted(trip.out.glob("mini-course-removed-*.apkg"))
    assert len(packages) == 2


# --------------------------------------------------------------------------
# Courses


def test_courses_whose_titles_slug_alike_share_no_note(tmp_path):
    root = tmp_path / "anki"
    col = open_collection(root)
    trips, guids, seen = [], [], {}
    for name in ("course-a", "course-b", "course-c", "course-d"):
        trip = Trip(tmp_path / name, CASES / "two-courses" / name, col)
        trip.build()
        log = trip.import_deck()
        assert counts(log) == (len(trip.guids()), 0, 0)  # all new: nothing overwritten
        study_everything(col)
        for guid, row in note_rows(col).items():
            assert seen.setdefault(guid, row) == row  # earlier courses' notes untouched
        trips.append(trip)
        guids.append(trip.guids())
    assert col.note_count() == sum(len(g) for g in guids) == len(set().union(*guids))
    # "C++ Basics" and "C# Basics" share a slug; the CJK titles keep theirs (they were
    # both "untitled" before slugs kept Unicode letters)
    assert {t.slug for t in trips[:2]} == {"c-basics"}
    assert len({t.slug for t in trips[2:]}) == 2
    before = history(col)
    for trip in trips:  # importing any of them again changes nothing
        assert counts(trip.import_deck()) == (0, 0, 0)
    assert_history_kept(col, before)
    col.close()


@pytest.mark.parametrize(
    "change",
    [
        ('title: "Mini course"', 'title: "Mini course, second edition"'),  # same notes
        ("- Dropout randomly", "- Dropout, in short, randomly"),  # same title and tag
    ],
)
def test_two_courses_from_the_same_notes_or_title_are_disjoint(tmp_path, change):
    col = open_collection(tmp_path / "anki")
    first = Trip(tmp_path / "first", CASES / "grow-bullets" / "v1", col)
    second = Trip(tmp_path / "second", CASES / "grow-bullets" / "v1", col)
    for path in (second.source / "course.yaml", second.source / "notes.md"):
        path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    first.build()
    first.import_deck()
    study_everything(col)
    before, rows = history(col), note_rows(col)
    second.build()
    assert counts(second.import_deck()) == (2, 0, 0)
    assert not first.guids() & second.guids()
    assert_history_kept(col, before)
    assert {g: r for g, r in note_rows(col).items() if g in rows} == rows
    col.close()


# --------------------------------------------------------------------------
# The real notes


def reverse_bullets(folder: Path) -> int:
    """Reverse every "What to remember" list; returns how many lists changed."""
    changed = 0

    def flip(m: re.Match[str]) -> str:
        nonlocal changed
        bullets = m.group(2).splitlines(keepends=True)
        changed += len(bullets) > 1
        return m.group(1) + "".join(reversed(bullets))

    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(\*\*What to remember\*\*\n)((?:- .*\n)+)", flip, text)
        path.write_text(text, encoding="utf-8")
    return changed


def test_real_notes_reversed_bullets_keep_every_card(tmp_path):
    """With the lock of the first user's last build before lock format 2 (format 1):
    0 new, 0 removed, every card as it was."""
    trip = Trip(tmp_path, SOURCE)
    shutil.copy(FORMAT1_LOCK, trip.source / STATE_NAME)
    kept_guids = {r.guid for r in load_state(FORMAT1_LOCK).notes}
    result = trip.build()
    # the old lock keeps every GUID: no note is new or removed (key points may be updated:
    # their clozes keep a cue since the lock was written)
    (changes,) = [line for line in result.report if "since the last build" in line]
    assert " new" not in changes and "removed" not in changes
    assert trip.guids() == kept_guids
    assert counts(trip.import_deck()) == (252, 0, 0)
    before, asked = None, None
    assert study_everything(trip.col) == trip.col.card_count() == 419
    before, asked = history(trip.col), asks(trip.col)
    assert reverse_bullets(trip.source) >= 70
    result = trip.build()
    summary = [line for line in result.report if line.startswith("changes since")]
    assert re.fullmatch(r"changes since the last build: \d+ updated", summary[0]), summary
    assert not any(line.startswith(("  removed", "  emptied", "  new")) for line in result.report)
    log = trip.import_deck()
    assert len(log.new) == 0 and len(log.conflicting) == 0 and len(log.updated) >= 70
    assert trip.col.note_count() == 252 and trip.guids() == kept_guids
    assert_history_kept(trip.col, before)
    assert asks(trip.col) == asked  # every card still hides the bullet it hid


def test_real_lock_rebuilt_updates_no_unchanged_note(tmp_path):
    """A format-1 lock, built by this deckpress and imported over a deck built with
    the same lock: Anki updates nothing."""
    trip = Trip(tmp_path, SOURCE)
    shutil.copy(FORMAT1_LOCK, trip.source / STATE_NAME)
    trip.build()
    trip.import_deck()
    rows = note_rows(trip.col)
    trip.build()  # now a format-2 lock
    assert load_state(trip.source / STATE_NAME).course == "tag:deep-learning"
    assert counts(trip.import_deck()) == (0, 0, 0)
    assert note_rows(trip.col) == rows


# --------------------------------------------------------------------------
# Locks that do not fit


def test_lock_of_another_course_stops_the_build(tmp_path):
    first = Trip(tmp_path / "a", CASES / "two-courses" / "course-a")
    second = Trip(tmp_path / "b", CASES / "two-courses" / "course-b")
    first.build()
    first.col.close()
    second.col.close()
    shutil.copy(first.source / STATE_NAME, second.source / STATE_NAME)
    lock = (second.source / STATE_NAME).read_bytes()
    result = CliRunner().invoke(
        main, ["build", "--source", str(second.source), "--out", str(second.out)]
    )
    assert result.exit_code == 1
    message = result.output.strip().splitlines()[0]
    assert message.startswith(f"{second.source}/{STATE_NAME}: none of the 1 notes")
    assert "delete it" in message
    assert not second.out.exists() or not list(second.out.glob("*.apkg"))
    assert (second.source / STATE_NAME).read_bytes() == lock


def test_missing_lock_with_an_earlier_deck_warns_before_the_import(tmp_path):
    trip = Trip(tmp_path, CASES / "grow-bullets" / "v1")
    first = trip.build()
    guids = trip.guids()
    assert first.report[-1].startswith("first build of this course: importing")
    assert "adds all 2 notes as new cards" in first.report[-1]
    (trip.source / STATE_NAME).unlink()
    result = trip.build(CASES / "grow-bullets" / "v2" / "notes.md")
    warning = result.report[-1]
    assert warning.startswith(f"warning: {trip.source / STATE_NAME} is missing")
    assert "adds 2 of the 2 notes a second time" in warning and "git checkout" in warning
    # the last build kept a copy of the lock: restoring it brings every identity back
    (copy,) = re.findall(r"copy of it, (\S+), to", warning)
    shutil.copy(copy, trip.source / STATE_NAME)
    assert "changes since the last build: 1 updated" in trip.build().report
    assert trip.guids() == guids
    trip.col.close()


def test_lock_built_for_another_deck_name_warns_once(tmp_path):
    trip = Trip(tmp_path, CASES / "two-courses" / "course-a")
    trip.build()
    assert load_state(trip.source / STATE_NAME).deck == "C++ Basics"
    # a copy of the course, lock included, under a new name
    config = trip.source / "course.yaml"
    config.write_text(config.read_text().replace('deck: "C++ Basics"', 'deck: "C++ Advanced"'))
    warning = trip.build().report[-1]
    assert warning.startswith(
        f"warning: {trip.source / STATE_NAME} was last built for the deck 'C++ Basics'"
    )
    assert "delete the lock and build again before importing" in warning
    assert not trip.build().report[-1].startswith("warning")
    trip.col.close()


MOVED = """# Mini

### Video 1 — A
**What to remember**
- Sigmoid squashes inputs into (0, 1).
{a}
---

### Video 2 — B
**What to remember**
- ReLU is max(0, x).
{b}
---
"""
BULLET = "- Tanh is zero-centred.\n"


def test_bullet_moved_to_another_video_keeps_its_history_on_the_old_card(tmp_path):
    """What Anki can carry over: the old card keeps its history (empty while the bullet
    is elsewhere, back when it returns); the new card in the other note starts fresh."""
    (tmp_path / "v1").mkdir()
    shutil.copy(CASES / "two-cleanups" / "v1" / "course.yaml", tmp_path / "v1")
    config = tmp_path / "v1" / "course.yaml"
    config.write_text(config.read_text().replace("videos: 1", "videos: 1-2"))
    (tmp_path / "v1" / "notes.md").write_text(MOVED.format(a=BULLET, b=""))
    trip = Trip(tmp_path / "trip", tmp_path / "v1")
    before, asked, _ = first_round(trip)
    (tanh,) = [cid for cid, text in asked.items() if "Tanh" in text]
    (tmp_path / "v2.md").write_text(MOVED.format(a="", b=BULLET))
    result = trip.build(tmp_path / "v2.md")
    assert any(line.startswith("  moved ") and "Tanh" in line for line in result.report)
    assert counts(trip.import_deck()) == (0, 2, 0)
    assert_history_kept(trip.col, before)
    now = asks(trip.col)
    assert now[tanh] == ""  # empty, with its history
    (fresh,) = [c for c, text in now.items() if "Tanh" in text]
    assert trip.col.get_card(fresh).reps == 0
    (tmp_path / "v3.md").write_text(MOVED.format(a=BULLET, b=""))
    trip.build(tmp_path / "v3.md")
    trip.import_deck()
    assert_history_kept(trip.col, before)
    assert asks(trip.col)[tanh] == asked[tanh]  # moved back: the old card asks it again
    trip.col.close()
