"""Building the deck: files written, reproducibility, failures, clean-up package, report."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckpress.build.pipeline import BuildOptions
from deckpress.cli import main
from deckpress.deck import package as deck
from deckpress.deck.identity import STATE_NAME, load_state
from deckpress.deck.notetypes import KEYPOINTS, QA
from deckpress.errors import ContentError
from deckpress.notes.load import load_course

FIXTURE = Path(__file__).parent / "fixtures" / "deck" / "tricky"
T1 = 1_700_000_000


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(FIXTURE, folder)
    return folder


def run(source: Path, out: Path, now: int) -> deck.ArtifactResult:
    return deck.build(load_course(source).course, BuildOptions(source=source, out=out), now=now)


def collection(apkg: Path) -> sqlite3.Connection:
    """The package's collection, opened read-only in memory."""
    data = zipfile.ZipFile(apkg).read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    return db


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_first_build_writes_deck_and_state(source, tmp_path):
    out = tmp_path / "dist"
    result = run(source, out, T1)
    apkg = out / "tricky.apkg"
    assert result.paths == [apkg, source / STATE_NAME]
    assert sorted(p.name for p in out.iterdir()) == [".deckpress", "tricky.apkg"]
    # with a copy of the lock, to restore it from should it be lost
    ((copy,),) = [list((out / ".deckpress").glob("tricky-*.lock"))]
    assert copy.read_bytes() == (source / STATE_NAME).read_bytes()
    assert any(line.startswith("first build") for line in result.report)
    assert (
        "deck 'Tricky': 11 cards in 2 subdecks (4 Q&A, 7 key points from 2 videos)"
        in (result.report[0])
    )
    assert "  01 Syntax             7 cards" in result.report
    db = collection(apkg)
    assert db.execute("select count(*) from notes").fetchone() == (6,)
    assert db.execute("select count(*) from cards").fetchone() == (11,)
    assert {m for (m,) in db.execute("select distinct mod from notes")} == {T1}
    models = json.loads(db.execute("select models from col").fetchone()[0])
    assert {int(i): m["mod"] for i, m in models.items()} == {QA.id: T1, KEYPOINTS.id: T1}
    assert sorted(m["name"] for m in models.values()) == sorted([KEYPOINTS.name, QA.name])
    decks = json.loads(db.execute("select decks from col").fetchone()[0])
    assert {"Tricky", "Tricky::01 Syntax", "Tricky::02 Images & focus"} <= {
        d["name"] for d in decks.values()
    }
    dues = [
        d
        for (d,) in db.execute(
            "select c.due from cards c join notes n on n.id = c.nid order by n.id, c.ord"
        )
    ]
    # per unit: questions first, then key points (see cards.collect)
    assert dues == [3] * 5 + [1, 2, 5, 5, 4, 6]
    media = zipfile.ZipFile(apkg)
    names = json.loads(media.read("media"))
    assert list(names) == ["0"] and names["0"].startswith("dot-")
    assert media.read("0") == (FIXTURE / "img" / "dot.png").read_bytes()


def test_rebuild_is_byte_identical_and_touches_nothing(source, tmp_path):
    out = tmp_path / "dist"
    run(source, out, T1)
    apkg, state = out / "tricky.apkg", source / STATE_NAME
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (apkg, state)}
    result = run(source, out, T1 + 86_400)  # a day later, same notes
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (apkg, state)} == before
    assert result.paths == [apkg]  # the deck, already up to date; no new state
    assert any(line.startswith("no note changed since the last build") for line in result.report)
    # the same notes and state file elsewhere give the same bytes
    other = tmp_path / "other"
    run(source, other, T1 + 99)
    assert (other / "tricky.apkg").read_bytes() == before[apkg][0]


def test_zip_entries_have_fixed_dates_and_modes(source, tmp_path):
    run(source, tmp_path / "dist", T1)
    infos = zipfile.ZipFile(tmp_path / "dist" / "tricky.apkg").infolist()
    assert [i.filename for i in infos] == ["collection.anki2", "media", "0"]
    assert {(i.date_time, i.external_attr >> 16, i.create_system) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), 0o644, 3)
    }


def test_failed_build_writes_nothing(source, tmp_path):
    out = tmp_path / "dist"
    (source / "img" / "dot.png").unlink()
    with pytest.raises(ContentError) as info:
        run(source, out, T1)
    assert "notes.md:22" in str(info.value) and "notes.md:27" in str(info.value)
    assert not out.exists() or not list(out.iterdir())
    assert not (source / STATE_NAME).exists()


def test_failed_rebuild_keeps_previous_deck_and_state(source, tmp_path):
    out = tmp_path / "dist"
    run(source, out, T1)
    (copy,) = (out / ".deckpress").iterdir()
    before = {p: p.read_bytes() for p in (out / "tricky.apkg", source / STATE_NAME, copy)}
    edit(source / "notes.md", "Yes, it gets only Q&A cards.", "Yes. ![x](missing.png)")
    with pytest.raises(ContentError):
        run(source, out, T1 + 10)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in out.rglob("*")) == [  # no temp files left
        ".deckpress",
        copy.name,
        "tricky.apkg",
    ]


def test_edit_moves_only_that_notes_time(source, tmp_path):
    out = tmp_path / "dist"
    run(source, out, T1)
    edit(source / "notes.md", "Yes, it gets only Q&A cards.", "Yes, it gets Q&A cards only.")
    result = run(source, out, T1 + 60)
    db = collection(out / "tricky.apkg")
    mods = sorted(m for (m,) in db.execute("select mod from notes"))
    assert mods == [T1] * 5 + [T1 + 60]
    assert "changes since the last build: 1 updated" in result.report
    assert any(line.startswith("  updated  notes.md:32 video 3") for line in result.report)


def test_removed_note_goes_to_the_cleanup_package_only(source, tmp_path):
    out = tmp_path / "dist"
    run(source, out, T1)
    guid = load_state(source / STATE_NAME).notes[2].guid  # video 1, Q2
    edit(
        source / "notes.md",
        "**Q2. Is [sound:y.mp3] a sound?**\nNo: it is text, like {{Back}}.\n",
        "",
    )
    result = run(source, out, T1 + 60)
    main_db = collection(out / "tricky.apkg")
    cleanup = out / "tricky-removed-20231114-221420.apkg"  # dated by the build: T1 + 60
    assert guid not in {g for (g,) in main_db.execute("select guid from notes")}
    assert result.paths == [out / "tricky.apkg", cleanup, source / STATE_NAME]
    db = collection(cleanup)
    ((g, tags, mod, fields),) = db.execute("select guid, tags, mod, flds from notes")
    assert g == guid and "tricky::removed" in tags.split() and mod == T1 + 60
    assert "[sound" not in fields and "removed from the notes" in fields
    decks = json.loads(db.execute("select decks from col").fetchone()[0])
    ((did,),) = db.execute("select did from cards")
    assert decks[str(did)]["name"] == "Tricky"  # the parent deck: no new deck in Anki
    assert any("tag:tricky::removed" in line for line in result.report)
    # writing the question again, word for word, brings the note back
    edit(
        source / "notes.md",
        "## Video 2",
        "**Q2. Is [sound:y.mp3] a sound?**\nNo: it is text, like {{Back}}.\n\n## Video 2",
    )
    result = run(source, out, T1 + 120)
    assert not cleanup.exists()  # its only note came back
    assert guid in {g for (g,) in collection(out / "tricky.apkg").execute("select guid from notes")}
    assert "changes since the last build: 1 restored" in result.report


def test_template_override_moves_only_the_note_type_time(source, tmp_path):
    out = tmp_path / "dist"
    run(source, out, T1)
    override = source / "look"
    override.mkdir()
    (override / "card.css").write_text(".card { color: red; }\n")
    edit(source / "course.yaml", "tag: tricky", "tag: tricky\ntemplates: look")
    result = run(source, out, T1 + 60)
    db = collection(out / "tricky.apkg")
    models = json.loads(db.execute("select models from col").fetchone()[0])
    assert {m["mod"] for m in models.values()} == {T1 + 60}
    assert {m["css"] for m in models.values()} == {".card { color: red; }\n"}
    assert {m for (m,) in db.execute("select distinct mod from notes")} == {T1}
    assert any("templates or CSS changed" in line for line in result.report)


def test_cli_builds_only_the_deck(source, tmp_path):
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--only", "deck", "--source", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "deck 'Tricky': 11 cards" in result.output
    assert f"wrote {out / 'tricky.apkg'}" in result.output
    # only the deck (and the build's own bookkeeping folder)
    assert sorted(p.name for p in out.iterdir()) == [".deckpress", "tricky.apkg"]


def test_collection_written_as_genanki_writes_it(tmp_path, monkeypatch):
    """write_collection (deck and note type lists written once) gives the collection
    genanki's Package.write_to_db gives (rewritten once per deck): the same notes and
    cards row for row, the same decks and note types, on the real notes (15 subdecks)."""
    import genanki

    from .conftest import SOURCE

    real = tmp_path / "source"
    shutil.copytree(SOURCE, real)
    course = load_course(real).course
    ours = tmp_path / "ours"
    deck.build(course, BuildOptions(source=real, out=ours), now=T1)
    monkeypatch.setattr(
        deck,
        "write_collection",
        lambda cursor, decks, stamp, ids: genanki.Package(decks).write_to_db(cursor, stamp, ids),
    )
    theirs = tmp_path / "theirs"
    shutil.copy(SOURCE / STATE_NAME, real / STATE_NAME)  # the same lock to start from
    deck.build(load_course(real).course, BuildOptions(source=real, out=theirs), now=T1)
    (a,), (b,) = ours.glob("*.apkg"), theirs.glob("*.apkg")
    ca, cb = collection(a), collection(b)
    for table in ("notes", "cards"):
        rows = f"SELECT * FROM {table} ORDER BY id"
        assert ca.execute(rows).fetchall() == cb.execute(rows).fetchall()
        assert len(ca.execute(rows).fetchall()) > 200
    for field in ("decks", "models", "dconf", "conf"):
        (x,) = ca.execute(f"SELECT {field} FROM col").fetchone()
        (y,) = cb.execute(f"SELECT {field} FROM col").fetchone()
        assert json.loads(x) == json.loads(y), field
    assert len(json.loads(ca.execute("SELECT decks FROM col").fetchone()[0])) > 15
