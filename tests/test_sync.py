"""``deckpress sync`` against a real Anki desktop with AnkiConnect (see tests/anki_desktop.py).

Every test starts its own headless Anki with an empty profile, syncs the real
course, studies cards through AnkiConnect, edits the notes, syncs again, and
reads the collection back through AnkiConnect and an exported package.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckpress.cli import main
from deckpress.deck.ankiconnect import AnkiConnect, snapshot
from deckpress.errors import SyncError

from .anki_desktop import AnkiDesktop, unavailable
from .conftest import SOURCE
from .test_deck_anki import REWORDED, Q, edit, edit_notes

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))

DECK = "100 Days of Deep Learning"


@pytest.fixture
def anki(tmp_path):
    with AnkiDesktop(tmp_path / "anki") as desktop:
        yield desktop


@pytest.fixture
def course(tmp_path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(SOURCE, src)
    return src


def run_sync(anki: AnkiDesktop, src: Path, *args: str, code: int = 0) -> str:
    out = src.parent / "dist"
    result = CliRunner().invoke(
        main, ["sync", "--source", str(src), "--out", str(out), "--url", anki.url, *args]
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def notes(anki: AnkiDesktop) -> dict:
    return snapshot(AnkiConnect(anki.url), DECK) or {}


def scheduling(anki: AnkiDesktop) -> dict[int, tuple]:
    """Card id -> (interval, due, reps, lapses, type, queue, revlog ids)."""
    cids = anki.call("findCards", query=f'"deck:{DECK}"')
    reviews = anki.call("getReviewsOfCards", cards=[str(c) for c in cids])
    out = {}
    for info in anki.call("cardsInfo", cards=cids):
        revlog = tuple(r["id"] for r in reviews.get(str(info["cardId"]), []))
        out[info["cardId"]] = (
            info["interval"],
            info["due"],
            info["reps"],
            info["lapses"],
            info["type"],
            info["queue"],
            revlog,
        )
    return out


def study(anki: AnkiDesktop, count: int) -> list[int]:
    cids = sorted(anki.call("findCards", query=f'"deck:{DECK}"'))[:count]
    assert all(anki.call("answerCards", answers=[{"cardId": c, "ease": 3} for c in cids]))
    return cids


def guid_of(anki_notes: dict, prompt: str) -> str:
    (guid,) = [g for g, n in anki_notes.items() if html.unescape(n.fields[0]) == prompt]
    return guid


def test_first_sync_then_nothing_to_touch(anki, course):
    output = run_sync(anki, course)
    assert "252 added" in output
    have = notes(anki)
    assert len(have) == 252
    assert sum(len(n.cards) for n in have.values()) == 419
    subdecks = {d for n in have.values() for _, d in n.cards}
    assert len(subdecks) == 15 and all(d.startswith(f"{DECK}::") for d in subdecks)
    assert (course / "deckpress.lock").read_text("utf-8").count('"synced": true') == 1
    mods = {g: n.mod for g, n in have.items()}
    output = run_sync(anki, course)
    assert "nothing to change" in output
    assert {g: n.mod for g, n in notes(anki).items()} == mods


def test_round_trip_edits_move_tag_and_keep_every_review(anki, course):
    run_sync(anki, course)
    studied = study(anki, 40)
    have = notes(anki)
    guids = {key: guid_of(have, prompt) for key, prompt in Q.items()}
    # the user edits an untouched note inside Anki, and tags it
    mine = have[guids["untouched"]]
    anki.call(
        "updateNote",
        note={
            "id": mine.id,
            "fields": {"Answer": mine.fields[1] + "<p>My own mnemonic.</p>"},
            "tags": [*mine.tags, "my-tag"],
        },
    )
    typo_note = have[guids["typo"]]
    anki.call("addTags", notes=[typo_note.id], tags="my-typo-tag")
    before = scheduling(anki)
    assert sum(1 for s in before.values() if s[6]) == len(studied)
    mods = {g: n.mod for g, n in notes(anki).items()}

    # typo fix, reworded question, inserted, deleted, swapped, moved to another video
    # and topic (edit_notes), and the bullets of video 3 reversed
    edit_notes(course / "part1.md")
    edit(
        course / "part1.md",
        "- ANN/MLP: general-purpose function approximators.\n"
        "- CNN: locality + translation invariance for grid-like data.\n",
        "- CNN: locality + translation invariance for grid-like data.\n"
        "- ANN/MLP: general-purpose function approximators.\n",
    )
    output = run_sync(anki, course)
    assert "1 added" in output and "moved to '03 MLP & forward propagation'" in output
    assert "1 removed (tagged; run with --delete-removed to delete)" in output

    after = notes(anki)
    assert len(after) == 253  # one added, none duplicated, the removed one still there
    assert "downstream predictions easier" in after[guids["typo"]].fields[1]
    assert "my-typo-tag" in after[guids["typo"]].tags  # the user's tag survives an update
    assert html.unescape(after[guids["reword"]].fields[0]) == REWORDED
    moved = after[guids["moved"]]
    assert {deck for _, deck in moved.cards} == {f"{DECK}::03 MLP & forward propagation"}
    assert "deep-learning::removed" in after[guids["deleted"]].tags
    kept = after[guids["untouched"]]
    assert "My own mnemonic." in kept.fields[1] and "my-tag" in kept.tags
    # unrelated notes were not touched
    changed = {guids[k] for k in ("typo", "reword", "moved", "deleted")}
    new = set(after) - set(mods)
    swapped_or_reordered = (
        {g for g in set(mods) & set(after) if after[g].mod != mods[g]}
        - changed
        - {guids["untouched"]}
    )
    assert len(new) == 1
    # only video 3's key points (reordered bullets); the swapped questions kept their text
    assert [after[g].model for g in swapped_or_reordered] == ["deckpress Key points"]
    # every review survived: same cards, same scheduling, same revlog
    now = scheduling(anki)
    for cid, state in before.items():
        assert now.get(cid) == state, cid

    # deleting the removed note on request, and nothing else: a note of the user's own
    # in the course's deck stays
    own = anki.call(
        "addNote",
        note={
            "deckName": f"{DECK}::01 Foundations",
            "modelName": "Basic",
            "fields": {"Front": "my own card", "Back": "mine"},
            "tags": ["deep-learning::removed"],
        },
    )
    # (this AnkiConnect files a new card in Default whatever deckName says)
    own_cards = anki.call("notesInfo", notes=[own])[0]["cards"]
    anki.call("changeDeck", cards=own_cards, deck=f"{DECK}::01 Foundations")
    output = run_sync(anki, course, "--delete-removed")
    assert "1 removed (deleted)" in output
    final = notes(anki)
    assert guids["deleted"] not in final and len(final) == 253  # 252 + the user's own
    assert any(n.fields[0] == "my own card" for n in final.values())
    assert run_sync(anki, course).count("nothing to change") == 1


def test_renamed_topic_leaves_no_card_behind(anki, course):
    run_sync(anki, course)
    study(anki, 30)
    before = scheduling(anki)
    config = course / "course.yaml"
    text = config.read_text("utf-8")
    assert "title: Perceptron\n" in text
    config.write_text(text.replace("title: Perceptron\n", "title: The perceptron\n", 1), "utf-8")
    output = run_sync(anki, course)
    assert "moved to '02 The perceptron'" in output
    assert "1 empty subdeck(s) deleted" in output
    decks = anki.call("deckNames")
    assert f"{DECK}::02 Perceptron" not in decks
    assert f"{DECK}::02 The perceptron" in decks
    assert not anki.call("findCards", query=f'"deck:{DECK}::02 Perceptron"')
    assert scheduling(anki) == before  # every card still there, with its history


def test_dry_run_changes_nothing(anki, course):
    run_sync(anki, course)
    edit_notes(course / "part1.md")
    before = notes(anki), scheduling(anki), anki.call("deckNames")
    output = run_sync(anki, course, "--dry-run")
    assert output.startswith("sync (dry run, nothing changed): 1 added, ")
    assert "part1.md:" in output  # every item with its file:line
    assert (notes(anki), scheduling(anki), anki.call("deckNames")) == before


def test_unreachable_anki_or_wrong_key_is_one_line(tmp_path, course):
    with AnkiDesktop(tmp_path / "keyed", api_key="s3cret") as keyed:
        output = run_sync(keyed, course, code=1)
        assert output.count("\n") == 1 and "API key" in output
        output = run_sync(keyed, course, "--api-key", "wrong", code=1)
        assert output.count("\n") == 1 and "API key" in output
        assert "252 added" in run_sync(keyed, course, "--api-key", "s3cret")
        url = keyed.url
    result = CliRunner().invoke(
        main, ["sync", "--source", str(course), "--out", str(tmp_path / "d"), "--url", url]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "cannot reach Anki" in result.output


def test_synced_course_in_another_profile_stops(anki, course, tmp_path):
    run_sync(anki, course)
    with AnkiDesktop(tmp_path / "other") as other:
        output = run_sync(other, course, code=1)
    assert "has no deck" in output and "synced before" in output


def test_interrupted_sync_finishes_when_run_again(anki, course, monkeypatch):
    run_sync(anki, course)
    study(anki, 20)
    before = scheduling(anki)
    edit_notes(course / "part1.md")

    real_call = AnkiConnect.call

    def stop_after_import(self, action, **params):
        if action == "changeDeck":
            raise SyncError("killed half-way")
        return real_call(self, action, **params)

    monkeypatch.setattr(AnkiConnect, "call", stop_after_import)
    output = run_sync(anki, course, code=1)
    assert "killed half-way" in output
    monkeypatch.setattr(AnkiConnect, "call", real_call)
    output = run_sync(anki, course)
    assert "moved to '03 MLP & forward propagation'" in output
    assert "1 added" not in output  # the import already happened
    have = notes(anki)
    assert len(have) == 253
    moved = [n for n in have.values() if "deep-learning::topic::03-mlp" in " ".join(n.tags)]
    assert all(d.endswith("03 MLP & forward propagation") for n in moved for _, d in n.cards)
    assert "nothing to change" in run_sync(anki, course)
    now = scheduling(anki)
    assert all(now[c] == s for c, s in before.items() if c in now)


def test_note_type_with_a_field_of_the_users_still_gets_updates(anki, course):
    run_sync(anki, course)
    anki.call("modelFieldAdd", modelName="deckpress Interview Q&A", fieldName="Mnemonic")
    have = notes(anki)
    guids = {key: guid_of(have, prompt) for key, prompt in Q.items()}
    typo = have[guids["typo"]]
    anki.call("updateNoteFields", note={"id": typo.id, "fields": {"Mnemonic": "my hook"}})
    edit_notes(course / "part1.md")
    output = run_sync(anki, course)
    assert "fields deckpress does not know (Mnemonic)" in output
    after = notes(anki)
    updated = after[guids["typo"]]
    assert "downstream predictions easier" in updated.fields[1]
    assert updated.fields[-1] == "my hook"
    assert html.unescape(after[guids["reword"]].fields[0]) == REWORDED
    models = anki.call("modelNames")
    assert len(after) == 253 and not any(m.endswith("+") for m in models), models


def test_a_renamed_topics_subdeck_with_cards_of_the_users_is_kept(anki, course):
    run_sync(anki, course)
    own = anki.call(
        "addNote",
        note={
            "deckName": "Default",
            "modelName": "Basic",
            "fields": {"Front": "mine", "Back": "x"},
        },
    )
    cards = anki.call("notesInfo", notes=[own])[0]["cards"]
    anki.call("changeDeck", cards=cards, deck=f"{DECK}::02 Perceptron")
    config = course / "course.yaml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("title: Perceptron\n", "title: The perceptron\n", 1), "utf-8")
    output = run_sync(anki, course)
    assert "kept subdeck" in output and "deleted" not in output.split("\n")[0]
    assert anki.call("findCards", query=f'"deck:{DECK}::02 Perceptron"') == cards


def test_an_address_that_is_no_url_is_one_line(course, tmp_path):
    result = CliRunner().invoke(
        main, ["sync", "--source", str(course), "--out", str(tmp_path / "d"), "--url", "notaurl"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'notaurl' is not an address" in result.output


def test_a_server_that_breaks_the_http_exchange_is_one_line(course, tmp_path):
    """Not AnkiConnect at all: a server that answers garbage instead of HTTP."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_garbage():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"not http at all\r\n\r\n")
        conn.close()

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    result = CliRunner().invoke(
        main, ["sync", "--source", str(course), "--out", str(tmp_path / "d"), "--url", url]
    )
    server.close()
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.output.count("\n") == 1
