"""Note identity: matching notes to the state file, GUIDs, cloze numbers, times, the file."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pytest

from deckpress.deck.identity import (
    NoteRecord,
    NoteTypeRecord,
    State,
    advance,
    assign,
    check_belongs,
    course_identity,
    dump_state,
    later,
    load_state,
    match,
    match_points,
)
from deckpress.deck.matching import term_of
from deckpress.errors import ContentError

T0 = 1_700_000_000


@dataclass(frozen=True)
class N:
    """A note of a build, as identity sees it."""

    kind: str
    video: int
    index: int
    topic: str
    parts: tuple[str, ...]


def qa(video: int, index: int, prompt: str, answer: str, topic: str = "01 A") -> N:
    return N("qa", video, index, topic, (prompt, answer))


def points(video: int, *bullets: str, topic: str = "01 A") -> N:
    return N("keypoints", video, 0, topic, tuple(bullets))


COURSE = [
    points(1, "Loss = what we minimise", "Backprop: chain rule"),
    qa(
        1,
        0,
        "Why use cross-entropy for classification?",
        "It is the negative log-likelihood of a categorical model, so gradients stay large "
        "when the prediction is confidently wrong.",
    ),
    qa(
        1,
        1,
        "What does the learning rate control?",
        "The step size of each gradient update; too large diverges, too small crawls.",
    ),
    qa(
        2,
        0,
        "What is dropout?",
        "Randomly zeroing activations during training so units cannot co-adapt.",
    ),
    qa(
        2,
        1,
        "Why does batch norm speed up training?",
        "It keeps layer inputs in a well-conditioned range, allowing larger learning rates.",
    ),
]


def build(notes, state=None, now=T0, course="t"):
    """One build: assign identities, then advance the state with content = text."""
    state = state or State()
    assignments = assign(state, notes, course)
    fingerprints = [
        "|".join(n.parts) + n.topic + str(a.ords) for n, a in zip(notes, assignments, strict=True)
    ]
    looks = {1: "look"}
    return (assignments, *advance(state, notes, assignments, fingerprints, looks, now, course))


def guids(assignments):
    return [a.guid for a in assignments]


def test_first_build_gives_deterministic_unique_guids():
    first, state, changes = build(COURSE)
    again, _, _ = build(COURSE)
    assert guids(first) == guids(again)
    assert len(set(guids(first))) == len(COURSE)
    assert changes.first_build and len(changes.new) == len(COURSE)
    assert all(r.changed == T0 for r in state.notes)


def test_guids_depend_on_course_identity():
    assert guids(build(COURSE, course="a")[0]) != guids(build(COURSE, course="b")[0])


def test_unchanged_rebuild_keeps_everything():
    first, state, _ = build(COURSE)
    second, after, changes = build(COURSE, state, now=T0 + 100)
    assert guids(second) == guids(first)
    assert after == state
    assert not (changes.new or changes.updated or changes.removed or changes.first_build)


def test_typo_fix_in_answer_keeps_guid_and_moves_time_forward():
    first, state, _ = build(COURSE)
    edited = list(COURSE)
    edited[2] = qa(1, 1, COURSE[2].parts[0], COURSE[2].parts[1].replace("crawls", "crawl"))
    second, after, changes = build(edited, state, now=T0 + 60)
    assert guids(second) == guids(first)
    assert [r.guid for r in changes.updated] == [first[2].guid]
    assert after.notes[2].changed == T0 + 60
    assert after.notes[1].changed == T0  # untouched note keeps its time


def test_reworded_question_with_same_answer_keeps_guid():
    first, state, _ = build(COURSE)
    edited = list(COURSE)
    edited[3] = qa(
        2,
        0,
        "Explain the regularisation trick of switching units off at random.",
        COURSE[3].parts[1],
    )
    second, _, changes = build(edited, state, now=T0 + 60)
    assert guids(second) == guids(first)
    assert len(changes.updated) == 1 and not changes.new


def test_insert_delete_and_swap_siblings():
    first, state, _ = build(COURSE)
    inserted = qa(1, 0, "What is an epoch?", "One pass over the training set.")
    # insert before the first question, delete the last, swap the two of video 1
    edited = [COURSE[0], inserted, COURSE[2], COURSE[1], COURSE[3]]
    edited = [edited[0], *[qa(n.video, i, *n.parts) for i, n in enumerate(edited[1:4])], edited[4]]
    second, after, changes = build(edited, state, now=T0 + 60)
    by_text = {a.previous.text if a.previous else None: a.guid for a in second}
    assert by_text[COURSE[1].parts[0] + "\n" + COURSE[1].parts[1]] == first[1].guid
    assert by_text[COURSE[2].parts[0] + "\n" + COURSE[2].parts[1]] == first[2].guid
    assert second[1].previous is None and second[1].guid not in guids(first)
    assert [r.guid for r in changes.removed] == [first[4].guid]
    assert [r.guid for r in after.removed] == [first[4].guid]
    assert after.removed[0].removed == T0 + 60
    assert not changes.updated  # swapped notes did not change


def test_move_to_another_video_and_topic_keeps_guid_and_is_reported():
    first, state, _ = build(COURSE)
    moved = qa(2, 2, *COURSE[1].parts, topic="02 B")
    edited = [COURSE[0], COURSE[2], COURSE[3], COURSE[4], moved]
    second, _, changes = build(edited, state, now=T0 + 60)
    assert second[-1].guid == first[1].guid
    assert [(b.topic, a.topic) for b, a in changes.moved] == [("01 A", "02 B")]


def test_unrelated_rewrite_is_a_new_note_not_a_hijack():
    first, state, _ = build(COURSE)
    edited = list(COURSE)
    edited[4] = qa(2, 1, "Name three CNN architectures.", "LeNet, AlexNet, ResNet.")
    second, _, changes = build(edited, state, now=T0 + 60)
    assert second[4].guid not in guids(first)
    assert [r.guid for r in changes.removed] == [first[4].guid]


def test_similarity_prefers_the_closest_of_two_edited_notes():
    first, state, _ = build(COURSE)
    edited = list(COURSE)
    # both questions of video 2 edited slightly and swapped: each keeps its own GUID
    edited[3] = qa(2, 0, COURSE[4].parts[0] + " (really)", COURSE[4].parts[1] + "!")
    edited[4] = qa(2, 1, COURSE[3].parts[0] + " (really)", COURSE[3].parts[1] + "!")
    second, _, _ = build(edited, state, now=T0 + 60)
    assert second[3].guid == first[4].guid and second[4].guid == first[3].guid


def test_deleted_note_restored_word_for_word_gets_its_guid_back():
    first, state, _ = build(COURSE)
    _, state2, _ = build(COURSE[:4], state, now=T0 + 60)
    third, state3, changes = build(COURSE, state2, now=T0 + 120)
    assert third[4].guid == first[4].guid
    assert [r.guid for r in changes.restored] == [first[4].guid]
    assert not state3.removed
    assert state3.notes[4].changed == T0 + 120


def test_new_note_never_reuses_a_removed_guid():
    first, state, _ = build(COURSE)
    _, state2, _ = build(COURSE[:4], state, now=T0 + 60)
    # a different question in the same slot would hash to the same GUID
    other = qa(2, 1, "Completely different?", "Yes, nothing in common at all.")
    third, _, _ = build([*COURSE[:4], other], state2, now=T0 + 120)
    assert third[4].guid != first[4].guid
    assert len(set(guids(third))) == 5


def test_change_within_the_same_second_still_moves_time_forward():
    _, state, _ = build(COURSE, now=T0)
    edited = [*COURSE[:4], qa(2, 1, COURSE[4].parts[0], COURSE[4].parts[1] + " Really.")]
    _, after, _ = build(edited, state, now=T0)
    assert after.notes[4].changed == T0 + 1
    assert later(T0, T0) == T0 + 1 and later(T0, T0 + 5) == T0 + 5


def test_clock_going_backwards_never_moves_time_backwards():
    _, state, _ = build(COURSE, now=T0)
    edited = [*COURSE[:4], qa(2, 1, COURSE[4].parts[0], COURSE[4].parts[1] + " Really.")]
    _, after, _ = build(edited, state, now=T0 - 3600)
    assert after.notes[4].changed == T0 + 1


def test_note_type_time_moves_only_when_its_look_changes():
    notes = COURSE[:1]
    a = assign(State(), notes, "t")  # course identity "t"
    state, _ = advance(State(), notes, a, ["x"], {1: "look-a", 2: "look-b"}, T0)
    same, changes = advance(state, notes, a, ["x"], {1: "look-a", 2: "look-b"}, T0 + 50)
    assert same.notetypes == state.notetypes and not changes.restyled
    restyled, changes = advance(state, notes, a, ["x"], {1: "look-a", 2: "look-c"}, T0 + 50)
    assert [t.changed for t in restyled.notetypes] == [T0, T0 + 50]
    assert changes.restyled == (2,)


# -- cloze numbers ------------------------------------------------------------


def test_bullets_keep_their_cloze_numbers_and_numbers_are_never_reused():
    previous = NoteRecord(
        "g", "keypoints", 1, "01 A", ("alpha one", "beta two", "gamma three"), (1, 2, 3), 3
    )
    # delete beta, reorder, edit gamma a little, add delta
    c = match_points(previous, ("gamma three!", "alpha one", "delta four"))
    assert c.ords == (3, 1, 4) and c.last_ord == 4 and c.emptied == (2,)
    assert c.retired == ((2, "beta two"),)
    # a new bullet gets a new number, never a retired one
    again = NoteRecord(
        "g", "keypoints", 1, "01 A", ("gamma three!", "alpha one", "delta four"), c.ords, 4
    )
    again = replace(again, retired=c.retired)
    c2 = match_points(again, ("gamma three!", "alpha one", "delta four", "epsilon five"))
    assert c2.ords == (3, 1, 4, 5) and c2.last_ord == 5
    # beta written again gets its old number back, and with it its card and history
    c3 = match_points(again, ("gamma three!", "alpha one", "delta four", "beta two"))
    assert c3.ords == (3, 1, 4, 2) and c3.last_ord == 4 and not c3.retired


def test_keypoint_note_is_matched_when_one_bullet_changes():
    first, state, _ = build(COURSE)
    edited = [
        points(1, "Loss = what we minimise during training", "Backprop: chain rule"),
        *COURSE[1:],
    ]
    second, _, changes = build(edited, state, now=T0 + 60)
    assert second[0].guid == first[0].guid and second[0].ords == (1, 2)
    assert len(changes.updated) == 1


def test_removed_bullets_are_reported_as_emptied_cards():
    _, state, _ = build(COURSE)
    edited = [points(1, "Backprop: chain rule"), *COURSE[1:]]
    second, _, changes = build(edited, state, now=T0 + 60)
    assert second[0].ords == (2,)
    assert [ords for _, ords in changes.emptied] == [(1,)]


# -- the state file --------------------------------------------------------------


def test_state_file_round_trips_and_is_stable(tmp_path):
    _, state, _ = build(COURSE)
    _, state, _ = build(COURSE[:4], state, now=T0 + 60)  # with a tombstone
    data = dump_state(state)
    assert data == dump_state(state)
    json.loads(data)
    path = tmp_path / "deckpress.lock"
    path.write_bytes(data)
    assert load_state(path) == state
    assert state.removed and state.notetypes == (NoteTypeRecord(1, "look", T0),)


def test_missing_state_file_is_an_empty_state(tmp_path):
    assert load_state(tmp_path / "deckpress.lock") == State()


@pytest.mark.parametrize(
    "text, line",
    [
        ("{not json", 1),
        ('{"format": 99}', 0),
        ('{"format": 1, "notes": [{}]}', 0),
        ('{"format": 2, "notes": [], "removed": [], "notetypes": []}', 0),
    ],
)
def test_broken_state_file_is_a_located_error(tmp_path, text, line):
    path = tmp_path / "deckpress.lock"
    path.write_text(text)
    with pytest.raises(ContentError) as info:
        load_state(path, "source/deckpress.lock")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.file == "source/deckpress.lock" and diagnostic.line == line
    assert "restore it from version control" in diagnostic.message


def test_match_prefers_exact_text_over_position():
    _, state, _ = build(COURSE)
    reordered = [COURSE[0], COURSE[4], COURSE[3], COURSE[2], COURSE[1]]
    previous = match(state, reordered)
    assert [p.parts for p in previous] == [n.parts for n in reordered]


# -- key points matched bullet by bullet -------------------------------------------


def test_keypoint_notes_are_found_by_their_bullets_in_any_order_and_number():
    first, state, _ = build(COURSE)
    for bullets in (
        ("Backprop: chain rule", "Loss = what we minimise"),  # reordered
        ("Loss = what we minimise", "Backprop: chain rule", "New: one", "New: two"),  # grown
        ("Backprop: chain rule",),  # shrunk
    ):
        second, _, changes = build([points(1, *bullets), *COURSE[1:]], state, now=T0 + 60)
        assert second[0].guid == first[0].guid and not changes.new and not changes.removed
        old = dict(zip(COURSE[0].parts, first[0].ords, strict=True))
        assert all(o == old[b] for b, o in zip(bullets, second[0].ords, strict=True) if b in old)


def test_keypoint_notes_follow_their_bullets_when_videos_are_renumbered():
    a = points(1, "Sigmoid squashes to (0, 1)", "Tanh is zero-centred", "Shared: see notebook")
    b = points(2, "ReLU is max(0, x)", "Leaky ReLU keeps a slope", "Shared: see notebook")
    first, state, _ = build([a, b])
    # a new video 1 pushes both one number down; the shared bullet must not decide
    fresh = points(1, "Softmax turns scores into probabilities", "Shared: see notebook")
    moved = [fresh, replace(a, video=2), replace(b, video=3)]
    second, _, changes = build(moved, state, now=T0 + 60)
    assert [s.guid for s in second[1:]] == guids(first)
    assert second[0].previous is None and len(changes.new) == 1


def test_term_keeps_its_cloze_number_when_only_the_definition_changes():
    previous = NoteRecord(
        "g", "keypoints", 1, "01 A", ("Dropout: zeroes units.", "Weight decay: L2."), (1, 2), 2
    )
    c = match_points(
        previous, ("Dropout: drops each unit with probability p.", "Weight decay: L2.")
    )
    assert c.ords == (1, 2) and not c.emptied


def test_term_of_mirrors_the_cards_term_split():
    assert term_of("Dropout: randomly zeroes activations.") == "Dropout"
    assert term_of("Perceptron = linear classifier: sign(w·x + b).") == "Perceptron"
    assert term_of("`a: b` is code") == ""
    assert term_of("**Bold term:** inside bold stays whole") == ""
    assert term_of("Plain bullet with no separator") == ""
    assert term_of("Trailing colon: ") == ""


def test_identical_bullets_keep_the_number_of_the_same_position():
    previous = NoteRecord("g", "keypoints", 1, "01 A", ("Same.", "Other.", "Same."), (1, 2, 3), 3)
    c = match_points(previous, ("Other.", "Same."))
    assert c.ords == (2, 1) and c.emptied == (3,)


def test_bullet_moved_to_another_video_is_reported():
    a = points(1, "Sigmoid squashes to (0, 1)", "Tanh is zero-centred")
    b = points(2, "ReLU is max(0, x)", "Leaky ReLU keeps a slope")
    first, state, _ = build([a, b])
    second, after, changes = build(
        [points(1, "Sigmoid squashes to (0, 1)"), points(2, *b.parts, "Tanh is zero-centred")],
        state,
        now=T0 + 60,
    )
    assert guids(second) == guids(first)
    assert second[1].ords == (1, 2, 3)  # a new card in video 2: Anki cannot move one
    ((text, before, now),) = changes.moved_points
    assert (text, before.video, now.video) == ("Tanh is zero-centred", 1, 2)
    # moved back, it finds its old card in video 1 again
    third, _, _ = build([a, b], after, now=T0 + 120)
    assert third[0].ords == (1, 2)


# -- course identity and foreign locks -----------------------------------------


def test_course_identity_tells_courses_apart_and_is_kept():
    base = ("C++ Basics", "C++ Basics", "c-basics", COURSE)
    ids = {
        course_identity(State(), *base),
        course_identity(State(), "C# Basics", "C# Basics", "c-basics", COURSE),
        course_identity(State(), *base[:3], COURSE[:4]),
        course_identity(State(), base[0], "Other deck", *base[2:]),
    }
    assert len(ids) == 4 and course_identity(State(), *base) in ids
    assert all(":" not in i and len(i) >= 20 for i in ids)
    _, state, _ = build(COURSE, course="abc")
    assert state.course == "abc"
    assert course_identity(state, "Renamed", "Renamed", "renamed", COURSE[:1]) == "abc"


def test_format_1_lock_keeps_its_guids_and_gets_an_identity_from_its_tag(tmp_path):
    first, state, _ = build(COURSE, course="")
    data = json.loads(dump_state(state))
    data["format"] = 1
    del data["course"]
    path = tmp_path / "deckpress.lock"
    path.write_text(json.dumps(data))
    old = load_state(path)
    assert old.course == "" and [r.guid for r in old.notes] == guids(first)
    course = course_identity(old, "T", "T", "deep-learning", COURSE)
    assert course == "tag:deep-learning"
    again, after, changes = build([*COURSE, qa(3, 0, "New?", "Yes.")], old, T0 + 60, course)
    assert guids(again)[:5] == guids(first) and after.course == course
    assert len(changes.new) == 1 and not changes.updated


def test_lock_of_another_course_is_refused():
    _, state, _ = build(COURSE)
    other = [qa(1, 0, "Something else entirely?", "Nothing shared with the lock at all.")]
    with pytest.raises(ContentError) as info:
        check_belongs(state, assign(state, other, "t"), "source/deckpress.lock")
    assert str(info.value).startswith("source/deckpress.lock: none of the 5 notes")
    check_belongs(state, assign(state, COURSE[:1], "t"), "source/deckpress.lock")  # fine


def test_one_build_removes_its_notes_at_one_time():
    _, state, _ = build(COURSE)
    _, after, changes = build(COURSE[:2], state, now=T0)  # same second as the first build
    assert {r.removed for r in changes.removed} == {T0 + 1}
    assert after.removed == changes.removed
    # the next removal, even in the same second, gets a later time (a package of its own)
    _, _, changes = build(COURSE[:1], after, now=T0)
    assert {r.removed for r in changes.removed} == {T0 + 2}
