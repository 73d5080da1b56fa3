"""Model -> ``dist/<deck-slug>.apkg``: the only module that talks to genanki.

One subdeck per topic (``Deck::01 Foundations``), two note types (see
:mod:`deckpress.deck.notetypes`), GUIDs and modification times from the state file
(see :mod:`deckpress.deck.identity`). Notes a build removes from the source go into
that build's small clean-up package, ``dist/<deck-slug>-removed-<date>.apkg``,
that re-tags them ``<tag>::removed`` in a collection that has them; the main
deck never contains them. A copy of the lock is kept in ``dist/.deckpress/``.

Reproducible: fixed note type and deck ids, explicit per-note times, ids
counted from those times, and zip entries with fixed dates, so the same notes
and state file give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import logging
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genanki

from ..build.incremental import STATE_DIR, fingerprint, tree_hashes
from ..build.output import atomic_path
from ..build.pipeline import ArtifactResult, BuildOptions
from ..notes.model import Course
from . import cards, identity
from . import report as deckreport
from .notetypes import NOTE_TYPES, Look, NoteType, load_look

log = logging.getLogger(__name__)

REMOVED_SUFFIX = "-removed"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Packed:
    """A note as it goes into a package."""

    rendered: cards.Rendered
    guid: str
    deck: str
    """Full deck name (``Deck::01 Foundations``)."""
    due: int
    """New-card position (course order)."""
    mod: int
    """Modification time (Unix seconds)."""


def build(course: Course, options: BuildOptions, *, now: int | None = None) -> ArtifactResult:
    """Write the deck (and the clean-up package) and update the state file.

    ``now`` (Unix seconds) is the build's clock; tests pass it explicitly.
    Nothing is written if anything fails.
    """
    now = int(time.time()) if now is None else int(now)
    config = course.config
    state_path = options.source / identity.STATE_NAME
    backup_dir = options.out / STATE_DIR
    deck_path = options.out / f"{config.deck_slug}.apkg"
    looks = {t.id: load_look(t, config.templates) for t in NOTE_TYPES.values()}
    # up to date: same notes, same card templates, same state file as the last build
    context = options.context
    key = _key(course, looks, state_path)
    if context.fresh(deck_path, key):
        return ArtifactResult(report=[f"deck: up to date ({deck_path})"])
    # the notes, matched against what the last build left behind, and rendered
    built = cards.build_notes(course, options)
    state, notes, course_id = built.state, built.notes, built.course_id
    assignments, rendered, renderer = built.assignments, built.rendered, built.renderer
    # modification times: only what changed moves forward
    after, changes = identity.advance(
        state,
        notes,
        assignments,
        [r.fingerprint for r in rendered],
        {i: look.hash for i, look in looks.items()},
        now,
        course_id,
        config.deck,
    )
    times = {t.id: t.changed for t in after.notetypes}
    styles = {t: (looks[t.id], times[t.id]) for t in NOTE_TYPES.values()}
    # the deck, and the clean-up package for notes removed from the source
    packed = [
        Packed(r, rec.guid, f"{config.deck}::{n.topic}", n.due, rec.changed)
        for n, r, rec in zip(notes, rendered, after.notes, strict=True)
    ]
    # the state file first: should a later rename fail, the next build still knows every
    # GUID the deck on disk may carry
    files = [
        (state_path, identity.dump_state(after)),
        (deck_path, package(config.deck, packed, styles, description=config.title)),
    ]
    cleanup_path = None
    if changes.removed:
        # only the notes this build removed (see cleanup_name); in the parent deck, which a
        # collection that has these notes already has
        cleanup_path = options.out / cleanup_name(config.deck_slug, changes.removed[0].removed)
        gone = [
            Packed(renderer.removed(r), r.guid, config.deck, 0, r.removed) for r in changes.removed
        ]
        files.append((cleanup_path, package(config.deck, gone, styles)))
    earlier = _earlier_build(options, deck_path) if state.empty else None
    copy = _last_copy(backup_dir, config.deck_slug) if earlier else None
    known = {r.guid for r in identity.load_state(copy).notes} if copy else set()
    unknown = sum(a.guid not in known for a in assignments) if copy else None
    # a copy of the lock next to the build output, one per course identity, so a lost
    # lock can be restored (and a fresh start never overwrites the copy of the old one)
    backup = backup_dir / f"{config.deck_slug}-{_short_hash(course_id)}.lock"
    written = write_all([*files, (backup, files[0][1])])
    _drop_stale_cleanups(options.out, config.deck_slug, after.removed)
    locations = {rec.guid: n.locs[0] for n, rec in zip(notes, after.notes, strict=True)}
    report = deckreport.lines(
        config,
        notes,
        changes,
        locations,
        deckreport.Paths(deck_path, cleanup_path, state_path, earlier, copy, unknown),
        renamed_from=state.deck if state.deck not in ("", config.deck) else None,
    )
    # the artifact's files (written or already identical), plus the state file if it moved on
    paths = [p for p, _ in files if p != state_path] + [p for p in written if p == state_path]
    key = _key(course, looks, state_path)  # the state file has moved on
    for path in paths:
        if path != state_path:
            (context.wrote if path in written else context.kept)(path, key)
    return ArtifactResult(paths=paths, report=report)


def cleanup_name(deck_slug: str, removed: int) -> str:
    """``<deck-slug>-removed-YYYYMMDD-HHMMSS.apkg``, dated by the build that removed the notes.

    Each clean-up package carries only the notes its build removed, so importing
    each one once, in date order, never brings back a note already deleted in Anki.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(removed))
    return f"{deck_slug}{REMOVED_SUFFIX}-{stamp}.apkg"


def _drop_stale_cleanups(out: Path, deck_slug: str, tombstones: Sequence[identity.NoteRecord]):
    """Delete clean-up packages whose notes all came back, and the undated one of older
    deckpress versions (it carried every note ever removed, so importing it again
    brought back notes already deleted in Anki)."""
    wanted = {cleanup_name(deck_slug, r.removed) for r in tombstones}
    stale = [out / f"{deck_slug}{REMOVED_SUFFIX}.apkg"] + [
        p for p in out.glob(f"{deck_slug}{REMOVED_SUFFIX}-*.apkg") if p.name not in wanted
    ]
    for path in stale:
        if path.is_file():
            path.unlink()
            log.debug("deleted %s", path)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _last_copy(folder: Path, deck_slug: str) -> Path | None:
    """The copy of the lock the last build of this deck left (the newest one)."""
    copies = list(folder.glob(f"{deck_slug}-*.lock"))
    return max(copies, key=lambda p: (p.stat().st_mtime_ns, p.name)) if copies else None


def _earlier_build(options: BuildOptions, deck_path: Path) -> Path | None:
    """A deck (or clean-up package) an earlier build left in ``--out``, if any."""
    if deck_path.is_file():
        return deck_path
    pattern = deck_path.stem + REMOVED_SUFFIX + "*.apkg"
    return next(iter(sorted(options.out.glob(pattern))), None)


def _key(course: Course, looks: dict[int, Look], state_path: Path) -> str:
    """Everything the deck shows: the model, the card looks, and every file of the source
    folder (the state file, and the images packed as media)."""
    files = tree_hashes([state_path.parent])
    return fingerprint(course, sorted((i, look.hash) for i, look in looks.items()), files)


# --------------------------------------------------------------------------
# genanki, with explicit times


class _Model(genanki.Model):
    """A genanki model whose modification time is ours, not the build's clock."""

    def __init__(self, note_type: NoteType, look: Look, mod: int):
        super().__init__(
            model_id=note_type.id,
            name=look.name,
            fields=[{"name": name} for name in note_type.fields],
            templates=[{"name": note_type.template.name, "qfmt": look.front, "afmt": look.back}],
            css=look.css,
            model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
        )
        self.mod = mod

    def to_json(self, timestamp, deck_id):  # type: ignore[no-untyped-def]
        data = super().to_json(timestamp, deck_id)
        data["mod"] = self.mod
        data["did"] = None  # not tied to whichever subdeck happened to be written last
        return data


class _Note(genanki.Note):
    """A genanki note (and its cards) stamped with the note's own modification time."""

    def __init__(self, note: Packed, model: _Model):
        super().__init__(
            model=model,
            fields=list(note.rendered.fields),
            tags=list(note.rendered.tags),
            guid=note.guid,
            due=note.due,
        )
        self.mod = note.mod

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[no-untyped-def]
        super().write_to_db(cursor, self.mod, deck_id, id_gen)


def deck_id(name: str) -> int:
    """A fixed id per deck name (Anki matches decks by name; the id only has to be stable)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return (1 << 40) + int.from_bytes(digest[:5], "big")


def package(
    deck_name: str,
    notes: Sequence[Packed],
    styles: dict[NoteType, tuple[Look, int]],
    description: str = "",
) -> bytes:
    """The ``.apkg`` bytes for ``notes`` (in order), grouped into their subdecks."""
    models = {t.id: _Model(t, look, mod) for t, (look, mod) in styles.items()}
    decks = {deck_name: genanki.Deck(deck_id(deck_name), deck_name, description)}
    for note in notes:
        if note.deck not in decks:
            decks[note.deck] = genanki.Deck(deck_id(note.deck), note.deck)
        decks[note.deck].add_note(_Note(note, models[note.rendered.note_type.id]))
    for deck in decks.values():
        for model in models.values():
            deck.add_model(model)
    media = sorted(
        {m.name: m for n in notes for m in n.rendered.media}.values(), key=lambda m: m.name
    )
    stamp = max([n.mod for n in notes] + [mod for _, mod in styles.values()])
    with tempfile.TemporaryDirectory(prefix="deckpress-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        connection = sqlite3.connect(db_path)
        try:
            # note and card ids count up from the newest change: stable, and "added" dates
            # of new cards in Anki are about right
            write_collection(
                connection.cursor(), list(decks.values()), stamp, itertools.count(stamp * 1000)
            )
            connection.commit()
        finally:
            connection.close()
        database = db_path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_entry(archive, "collection.anki2", database)
        names = {str(i): m.name for i, m in enumerate(media)}
        _zip_entry(archive, "media", json.dumps(names, ensure_ascii=False).encode("utf-8"))
        for i, m in enumerate(media):
            _zip_entry(archive, str(i), m.path.read_bytes())
    return buffer.getvalue()


def write_collection(cursor: Any, decks: Sequence[genanki.Deck], stamp: int, ids: Any) -> None:
    """What ``genanki.Package(decks).write_to_db`` writes, with the collection's deck and
    note type lists written once instead of once per deck.

    genanki's ``Deck.write_to_db`` reads, parses, extends and rewrites the whole
    ``decks`` and ``models`` JSON of the collection for every deck: quadratic in the
    number of subdecks (a 5,000-unit course in 1,432 topics spent ~1 s there). The
    same decks and note types are written here in one go (each note type names the
    last deck that uses it, as after genanki's last rewrite), then every deck's notes
    in the same order, so notes and cards get the same ids.
    """
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    cursor.executescript(APKG_SCHEMA)
    cursor.executescript(APKG_COL)
    (decks_json,) = cursor.execute("SELECT decks FROM col").fetchone()
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    deck_list, model_list = json.loads(decks_json), json.loads(models_json)
    for deck in decks:
        deck_list[str(deck.deck_id)] = deck.to_json()
        for note in deck.notes:
            deck.add_model(note.model)
        for model in deck.models.values():
            model_list[str(model.model_id)] = model.to_json(stamp, deck.deck_id)
    cursor.execute("UPDATE col SET decks = ?", (json.dumps(deck_list),))
    cursor.execute("UPDATE col SET models = ?", (json.dumps(model_list),))
    for deck in decks:
        for note in deck.notes:
            note.write_to_db(cursor, stamp, deck.deck_id, ids)


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def write_all(files: Sequence[tuple[Path, bytes]]) -> list[Path]:
    """Write every changed file, renaming them into place only once all are written.

    A file whose bytes are already on disk is left untouched (no new mtime).
    """
    changed = [(p, data) for p, data in files if not (p.is_file() and p.read_bytes() == data)]
    with ExitStack() as stack:
        # entered in reverse so the renames happen in list order (the state file first)
        temps = {p: stack.enter_context(atomic_path(p)) for p, _ in reversed(changed)}
        for path, data in changed:
            temps[path].write_bytes(data)
    for path, _ in changed:
        log.debug("wrote %s", path)
    return [p for p, _ in changed]
