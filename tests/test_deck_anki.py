"""End to end: build decks and import them with the official ``anki`` library.

Imports use the desktop importer's defaults: update notes and note types "if
newer", no note type merging, no scheduling, no deck presets.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER as IF_NEWER
from anki.scheduler.v3 import CardAnswer

from deckpress.build.pipeline import BuildOptions
from deckpress.deck import package as deck
from deckpress.deck.cards import collect, tags_for
from deckpress.deck.identity import STATE_NAME, load_state
from deckpress.deck.notetypes import KEYPOINTS, QA
from deckpress.notes.load import load_course
from deckpress.render import html_block, html_inline

from .conftest import SOURCE

FIXTURE = Path(__file__).parent / "fixtures" / "deck" / "tricky"
DESKTOP_DEFAULTS = ImportAnkiPackageOptions(
    update_notes=IF_NEWER,
    update_notetypes=IF_NEWER,
    merge_notetypes=False,
    with_scheduling=False,
    with_deck_configs=False,
)
DECK = "100 Days of Deep Learning"
APKG = "100-days-of-deep-learning.apkg"
T1 = int(time.time()) - 10 * 86_400  # the first deck was built ten days ago


def build(source: Path, out: Path, now: int) -> deck.ArtifactResult:
    return deck.build(load_course(source).course, BuildOptions(source=source, out=out), now=now)


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col: Collection, path: Path):
    request = ImportAnkiPackageRequest(package_path=str(path), options=DESKTOP_DEFAULTS)
    return col.import_anki_package(request).log


def text_of(card_html: str) -> str:
    """What a reader sees: no CSS, no tags, entities decoded, spaces collapsed."""
    card_html = re.sub(r"<style>.*?</style>", "", card_html, flags=re.DOTALL)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", card_html))
    return unicodedata.normalize("NFC", " ".join(plain.split()))


def plain(markdown_html: str) -> str:
    return text_of(str(markdown_html))


def note_by_guid(col: Collection, guid: str):
    return col.get_note(col.db.scalar("select id from notes where guid = ?", guid))


def note_rows(col: Collection) -> dict[str, tuple]:
    return {
        guid: (mod, flds, tags)
        for guid, mod, flds, tags in col.db.all("select guid, mod, flds, tags from notes")
    }


def scheduling(col: Collection) -> list[tuple]:
    return col.db.all(
        "select id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, left, odue, "
        "odid from cards order by id"
    )


# --------------------------------------------------------------------------
# The real deck in a fresh collection


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real notes built once, imported into a fresh collection."""
    root = tmp_path_factory.mktemp("real")
    source = root / "source"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns(STATE_NAME))
    build(source, root / "dist", T1)
    col = open_collection(root / "anki")
    log = import_apkg(col, root / "dist" / APKG)
    yield col, log, load_course(source).course, load_state(source / STATE_NAME)
    col.close()


def test_real_deck_imports_every_note_once(real):
    col, log, _, _ = real
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (252, 0, 0)
    assert len(col.find_notes(f'"note:{QA.name}"')) == 168
    assert len(col.find_notes(f'"note:{KEYPOINTS.name}"')) == 84
    assert col.card_count() == 168 + 251
    names = {n.name for n in col.models.all_names_and_ids()}
    assert not any(name.endswith("+") for name in names)


def test_one_card_per_bullet_and_subdecks_hold_the_right_cards(real):
    col, _, course, state = real
    for note, record in zip(collect(course), state.notes, strict=True):
        anki_note = note_by_guid(col, record.guid)
        assert len(anki_note.cards()) == (len(note.parts) if note.kind == "keypoints" else 1)
    subdecks = [n for n in col.decks.all_names_and_ids() if n.name.startswith(f"{DECK}::")]
    assert len(subdecks) == 15
    for topic in course.topics:
        did = col.decks.id_for_name(f"{DECK}::{topic.label}")
        expected = sum(len(v.key_points) + len(v.questions) for v in topic.videos)
        assert col.db.scalar("select count() from cards where did = ?", did) == expected


def test_tags_mark_topic_video_kind_and_focus(real):
    col, _, course, state = real
    for note, record in zip(collect(course), state.notes, strict=True):
        expected = tags_for(
            "deep-learning", note.kind, note.video, note.section.slug, note.section.focus
        )
        assert sorted(note_by_guid(col, record.guid).tags) == sorted(expected)
    focus_cards = sum(
        len(v.key_points) + len(v.questions) for t in course.focus_topics for v in t.videos
    )
    assert len(col.find_cards("tag:deep-learning::focus")) == focus_cards > 0
    assert len(col.find_notes("tag:deep-learning::video::014")) == 3
    assert len(col.find_cards("tag:deep-learning::kind::keypoints")) == 251


def test_rendered_cards_show_the_notes_and_nothing_external(real):
    col, _, course, state = real
    for note, record in zip(collect(course), state.notes, strict=True):
        for card in note_by_guid(col, record.guid).cards():
            question, answer = card.question(), card.answer()
            for side in (question, answer):
                assert "<script" not in side.lower() and "http" not in side.lower()
            front, back = text_of(question), text_of(answer)
            assert f"{note.topic} · Video {note.video}" in front
            if note.kind == "qa":
                assert plain(html_inline(note.parts[0])) in front
                assert plain(html_block(note.parts[1])) in back
                assert str(note.locs[0]) in back
            else:
                # one blank (or several of one card), a hint where it counts items
                assert re.search(r"\[(\.\.\.|\d+ (items|more steps))\]", front)

                def tight(text: str) -> str:  # no space before punctuation: blanks are tags
                    return re.sub(r"\s+([;,.:])", r"\1", text)

                for bullet in note.parts:
                    assert tight(plain(html_block(bullet))) in tight(back)


def test_new_cards_are_due_in_course_order(real):
    """Unit by unit in course order; within a unit its questions, then its key points."""
    col, _, course, state = real
    dues, units = [], []
    for note, record in zip(collect(course), state.notes, strict=True):
        dues.append({c.due for c in note_by_guid(col, record.guid).cards()})
        units.append((note.video, note.kind == "keypoints", note.index))
    assert all(len(d) == 1 for d in dues)
    flat = [d.pop() for d in dues]
    assert len(set(flat)) == len(flat)
    assert [u for _, u in sorted(zip(flat, units, strict=True))] == sorted(units)


# --------------------------------------------------------------------------
# Text Anki could misread


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    root = tmp_path_factory.mktemp("tricky")
    source = root / "source"
    shutil.copytree(FIXTURE, source)
    build(source, root / "dist", T1)
    col = open_collection(root / "anki")
    import_apkg(col, root / "dist" / "tricky.apkg")
    yield col, load_state(source / STATE_NAME)
    col.close()


def test_braces_colons_brackets_and_html_render_verbatim_in_clozes(tricky):
    col, state = tricky
    note = note_by_guid(col, state.notes[0].guid)
    cards = sorted(note.cards(), key=lambda c: c.ord)
    assert [c.ord for c in cards] == [0, 1, 2, 3, 4]  # one card per bullet, none from the text
    back = text_of(cards[0].answer())
    for text in (
        'Set literal = {1, 2} and dict {"a": 1}',
        "Template syntax: {{c1::not a cloze}} and {{Front}} stay text",
        "C++ scope: std::vector<int> & friends",
        "Plain bullet with no separator [sound:x.mp3] and a}}b",
        "Bold term: inside bold stays whole",
    ):
        assert text in back
    assert "Set literal = [...]" in text_of(cards[0].question())  # the term stays visible
    assert "Template syntax: [...]" in text_of(cards[1].question())
    assert "[...]" in text_of(cards[3].question()) and "separator" not in text_of(
        cards[3].question()
    )
    assert all(not c.question_av_tags() and not c.answer_av_tags() for c in cards)


def test_braces_colons_and_html_render_verbatim_in_questions(tricky):
    col, state = tricky
    (card,) = note_by_guid(col, state.notes[1].guid).cards()
    assert "<script" not in card.question()
    front, back = text_of(card.question()), text_of(card.answer())
    assert "What does a::b or {{c2::x}} mean in <script>alert(1)</script>?" in front
    assert "Answer with } and }} and {{ and :: and & and <i>raw</i> and code {}" in back
    (card,) = note_by_guid(col, state.notes[2].guid).cards()
    assert "Is [sound:y.mp3] a sound?" in text_of(card.question())
    assert "like {{Back}}" in text_of(card.answer())
    assert not card.question_av_tags() and not card.answer_av_tags()


def test_local_images_are_packed_as_media(tricky):
    col, state = tricky
    (card,) = note_by_guid(col, state.notes[4].guid).cards()
    (name,) = re.findall(r'<img src="([^"]+)"', card.answer())
    media = Path(col.media.dir()) / name
    assert media.read_bytes() == (FIXTURE / "img" / "dot.png").read_bytes()


# --------------------------------------------------------------------------
# Updates


def edit(path: Path, old: str, new: str) -> None:
    os.chmod(path, 0o644)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def study(col: Collection, count: int) -> int:
    """Answer up to ``count`` cards of the course deck through the v3 scheduler."""
    conf = col.decks.get_config(1)
    conf["new"]["perDay"] = 1000
    col.decks.update_config(conf)
    col.decks.select(col.decks.id_for_name(DECK))
    answered = 0
    for i in range(count):
        queued = col.sched.get_queued_cards()
        if not queued.cards:
            break
        top = queued.cards[0]
        card = col.get_card(top.card.id)
        card.start_timer()
        rating = CardAnswer.EASY if i % 2 else CardAnswer.GOOD
        col.sched.answer_card(col.sched.build_answer(card=card, states=top.states, rating=rating))
        answered += 1
    return answered


Q = {
    "typo": "What does “representation learning” mean in deep learning?",
    "reword": "Why did CNNs become dominant for vision compared to plain MLPs?",
    "deleted": "What’s the key assumption behind perceptron convergence guarantees?",
    "moved": "What specifically breaks gradient-based learning in the original perceptron?",
    "untouched": "Why does adding a hidden layer increase expressive power?",
}
REWORDED = "Why did convolutional networks overtake plain MLPs in computer vision?"
INSERTED = "What does the bias term do geometrically?"


def edit_notes(part1: Path) -> None:
    # fix a typo in an answer
    edit(part1, "make downstream prediction easier.", "make downstream predictions easier.")
    # reword a question
    edit(part1, Q["reword"], REWORDED)
    # insert a question (video 4)
    edit(
        part1,
        "so classification depends on which side of the hyperplane the point lies.\n",
        "so classification depends on which side of the hyperplane the point lies.\n\n"
        f"**Q3. {INSERTED}**  \nIt shifts the hyperplane away from the origin.\n",
    )
    # delete a question (video 5)
    edit(
        part1,
        f"**Q2. {Q['deleted']}**  \nLinear separability with a positive margin. If classes "
        "overlap or are noisy, perceptron may oscillate and not converge to a stable "
        "separator.\n\n",
        "",
    )
    # swap two questions (video 6)
    text = part1.read_text(encoding="utf-8")
    q1 = text.index("**Q1. Why is sigmoid + BCE preferred")
    q2 = text.index("**Q2. When does hinge loss behave")
    end = text.index("---", q2)
    first, second = text[q1:q2], text[q2:end]
    part1.write_text(text[:q1] + second.rstrip() + "\n\n" + first.rstrip() + "\n\n" + text[end:])
    # move a question from video 7 (topic 02) to video 8 (topic 03)
    text = part1.read_text(encoding="utf-8")
    start = text.index(f"**Q1. {Q['moved']}**")
    stop = text.index("**Q2. If data is almost linearly separable")
    block = text[start:stop]
    text = text[:start] + text[stop:]
    anchor = text.index("---", text.index("### Video 8"))
    part1.write_text(text[:anchor] + block.replace("**Q1.", "**Q3.") + text[anchor:])


def guid_of(col: Collection, prompt: str) -> str:
    (nid,) = [
        nid
        for nid in col.find_notes(f'"note:{QA.name}"')
        if col.get_note(nid)["Question"] == prompt
    ]
    return col.get_note(nid).guid


def test_round_trip_keeps_history_and_user_edits(real_source, tmp_path):
    out = tmp_path / "dist"
    build(real_source, out, T1)
    col = open_collection(tmp_path / "anki")
    import_apkg(col, out / APKG)
    assert study(col, 30) >= 20
    guids = {key: guid_of(col, prompt) for key, prompt in Q.items()}
    for key in ("typo", "reword", "moved"):
        assert note_by_guid(col, guids[key]).cards()[0].reps > 0  # studied before the edit
    # the user edits a note inside Anki; the notes never change it
    mine = note_by_guid(col, guids["untouched"])
    mine["Answer"] += "<p>My own mnemonic.</p>"
    mine.tags.append("my-tag")
    col.update_note(mine)
    before_notes, before_cards = note_rows(col), scheduling(col)
    before_revlog = col.db.all("select * from revlog order by id")
    assert len(before_revlog) >= 20

    edit_notes(real_source / "part1.md")
    result = build(real_source, out, T1 + 3600)
    assert (
        "changes since the last build: 1 new, 3 updated, 1 moved to another topic, 1 removed"
        in result.report
    )
    assert any(
        "search tag:deep-learning::topic::03-mlp-forward-propagation" in line
        for line in result.report
    )
    log = import_apkg(col, out / APKG)
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (1, 3, 0)
    decks = {d.name for d in col.decks.all_names_and_ids()}
    (package,) = out.glob("100-days-of-deep-learning-removed-*.apkg")
    cleanup = import_apkg(col, package)
    assert (len(cleanup.new), len(cleanup.updated)) == (0, 1)
    assert {d.name for d in col.decks.all_names_and_ids()} == decks  # no clutter

    # edited notes show the new text
    assert "downstream predictions easier" in note_by_guid(col, guids["typo"])["Answer"]
    assert note_by_guid(col, guids["reword"])["Question"] == REWORDED
    moved = note_by_guid(col, guids["moved"])
    assert (
        moved["Video"].startswith("Video 8")
        and html.unescape(moved["Topic"]) == "03 MLP & forward propagation"
    )
    assert "deep-learning::topic::03-mlp-forward-propagation" in moved.tags
    # ... but its card stays where the user studies it (Anki never moves cards on import)
    assert moved.cards()[0].did == col.decks.id_for_name(f"{DECK}::02 Perceptron")
    # the inserted question is a new note; nothing is duplicated
    assert guid_of(col, INSERTED) not in guids.values()
    assert col.note_count() == len(before_notes) + 1
    questions = [col.get_note(n)["Question"] for n in col.find_notes(f'"note:{QA.name}"')]
    assert len(questions) == len(set(questions)) == 169
    # the deleted question is findable with one search
    removed = col.find_notes("tag:deep-learning::removed")
    assert [col.get_note(n).guid for n in removed] == [guids["deleted"]]
    # review history, intervals and due dates of every card are untouched
    assert scheduling(col)[: len(before_cards)] == before_cards
    assert col.db.all("select * from revlog order by id") == before_revlog
    # notes that did not change were not updated: the user's edit survives
    after_notes = note_rows(col)
    changed = {guids[k] for k in ("typo", "reword", "moved", "deleted")}
    assert {g: r for g, r in after_notes.items() if g in before_notes and g not in changed} == {
        g: r for g, r in before_notes.items() if g not in changed
    }
    mine = note_by_guid(col, guids["untouched"])
    assert mine["Answer"].endswith("My own mnemonic.</p>") and "my-tag" in mine.tags

    # a new user importing the new deck never gets the deleted question
    fresh = open_collection(tmp_path / "fresh")
    import_apkg(fresh, out / APKG)
    fresh_questions = [fresh.get_note(n)["Question"] for n in fresh.find_notes(f'"note:{QA.name}"')]
    assert len(fresh_questions) == 168 and Q["deleted"] not in fresh_questions
    assert INSERTED in fresh_questions and REWORDED in fresh_questions
    fresh.close()
    col.close()


def tricky_in_anki(tmp_path: Path) -> tuple[Path, Path, Collection]:
    """A private copy of the tricky notes, built once and imported into a fresh collection."""
    source, out = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(FIXTURE, source)
    build(source, out, T1)
    col = open_collection(tmp_path / "anki")
    import_apkg(col, out / "tricky.apkg")
    return source, out, col


def test_new_look_applies_in_place(tmp_path):
    source, out, col = tricky_in_anki(tmp_path)
    models_before = sorted((m.id, m.name) for m in col.models.all_names_and_ids())
    notes_before = note_rows(col)
    (source / "look").mkdir()
    (source / "look" / "card.css").write_text(".card { color: rebeccapurple; }\n")
    edit(source / "course.yaml", "tag: tricky", "tag: tricky\ntemplates: look")
    build(source, out, T1 + 60)
    log = import_apkg(col, out / "tricky.apkg")
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
    assert sorted((m.id, m.name) for m in col.models.all_names_and_ids()) == models_before
    for note_type in (QA, KEYPOINTS):
        assert col.models.get(note_type.id)["css"] == ".card { color: rebeccapurple; }\n"
    assert note_rows(col) == notes_before
    col.close()


def test_edit_in_the_same_second_still_updates(tmp_path):
    source, out, col = tricky_in_anki(tmp_path)
    edit(source / "notes.md", "Yes, it gets only Q&A cards.", "Yes: only Q&A cards.")
    build(source, out, T1)  # the clock has not moved on
    log = import_apkg(col, out / "tricky.apkg")
    assert len(log.updated) == 1
    col.close()


def test_bullets_keep_their_cards_when_siblings_change(tmp_path):
    source, out, col = tricky_in_anki(tmp_path)
    guid = load_state(source / STATE_NAME).notes[3].guid  # video 2 key points
    before = {c.ord: c.id for c in note_by_guid(col, guid).cards()}
    edit(source / "notes.md", "- Diagram:", "- Fresh: a new first bullet\n- Diagram:")
    edit(source / "notes.md", "- Plain point\n", "")
    result = build(source, out, T1 + 60)
    assert any(line.startswith("  emptied ") and "c2" in line for line in result.report)
    import_apkg(col, out / "tricky.apkg")
    cards = {c.ord: c for c in note_by_guid(col, guid).cards()}
    assert cards[0].id == before[0] and cards[1].id == before[1]  # nothing renumbered
    assert "Diagram: [...]" in text_of(cards[0].question())
    assert "Fresh: [...]" in text_of(cards[2].question())  # the new bullet got c3
    (empty,) = col.get_empty_cards().notes
    assert list(empty.card_ids) == [before[1]]  # the deleted bullet's card, for Empty Cards
    col.close()
