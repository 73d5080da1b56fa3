"""``deckpress sync``: bring the running Anki to the state of the notes, through AnkiConnect.

Importing a package can only add notes and update them; sync also moves cards,
retags and deletes removed notes, and cleans up renamed subdecks. The route,
chosen so every step is what Anki itself would do:

1. **build** the deck if it is out of date (this also updates the lock);
2. **look**: export the course's deck from Anki (AnkiConnect shows no GUIDs,
   an exported package does) and compare it with the lock and the built deck;
3. **update** notes whose content changed since Anki last saw them, field by
   field (``updateNote``): deckpress's own tags are replaced, tags the user
   added are kept, and a note type the user gave extra fields still gets the
   fields deckpress knows (a package import would refuse it);
4. **import** the built ``.apkg`` (``importPackage``): new notes, note types
   and pictures, exactly as File › Import does — notes already up to date are
   left alone because Anki updates only strictly newer notes;
5. **move** cards whose topic changed to the topic's subdeck, **tag** notes
   removed from the notes ``<tag>::removed`` (and delete them with
   ``--delete-removed``; only GUIDs from this course's lock, never anything
   deckpress did not create), delete subdecks of the course left empty by a
   renamed topic.

Scheduling and review history are never touched: no step resets, reschedules
or recreates a card. Every step looks before it acts, so a sync interrupted
half-way finishes the job when it is run again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..build.output import atomic_path
from ..errors import SyncError
from ..notes.model import Course
from . import cards, lockfile
from .ankiconnect import AnkiConnect, AnkiNote, package_media, read_package, snapshot, store_media
from .notetypes import NOTE_TYPES, SOURCE_FIELD, load_look

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One note sync touches, for the report."""

    guid: str
    where: str
    """``part1.md:62`` or, for a removed note, its topic."""
    text: str
    """The start of the note's text."""


@dataclass
class Plan:
    """What sync does (or, with ``--dry-run``, would do)."""

    added: list[Item] = field(default_factory=list)
    updated: list[Item] = field(default_factory=list)
    moved: dict[str, list[Item]] = field(default_factory=dict)
    """Target subdeck -> notes whose cards go there."""
    removed: list[Item] = field(default_factory=list)
    """Removed from the notes and not yet tagged (or, with ``--delete-removed``, present)."""
    empty_decks: list[str] = field(default_factory=list)
    """Subdecks of the course that no topic uses and that hold no card after the moves."""
    kept_decks: list[str] = field(default_factory=list)
    """Such subdecks that still hold cards deckpress did not make."""
    extra_fields: dict[str, list[str]] = field(default_factory=dict)
    """Note type -> fields the user added in Anki (updated field by field)."""


@dataclass(frozen=True)
class SyncOptions:
    url: str
    api_key: str | None = None
    dry_run: bool = False
    delete_removed: bool = False


def sync(course: Course, source: Path, apkg: Path, options: SyncOptions) -> list[str]:
    """Sync the built deck ``apkg`` of ``course`` into Anki; return the report lines.

    Raises :class:`SyncError` (one line, exit 1) when Anki cannot be reached, refuses
    the API key, or has no such deck although the lock says it was synced before.
    """
    client = AnkiConnect(options.url, options.api_key)
    client.check()
    config = course.config
    state_path = source / lockfile.STATE_NAME
    state = lockfile.load_state(state_path)
    before = snapshot(client, config.deck)
    if before is None and state.synced:
        raise SyncError(
            f"the open Anki profile has no deck {config.deck!r}, but this course was synced "
            "before (source/deckpress.lock says so): open the profile you synced to; to start "
            f"over in this one, import {apkg} once with File › Import, then sync"
        )
    built = read_package(apkg)
    plan = make_plan(course, state, built, before or {}, options.delete_removed)
    plan.extra_fields = _extra_fields(client)
    if options.dry_run:
        return report(plan, options, dry_run=True)
    apply(client, course, state, built, before or {}, apkg, plan, options)
    if not state.synced:
        _mark_synced(state_path, state)
    return report(plan, options, dry_run=False)


def make_plan(
    course: Course,
    state: lockfile.State,
    built: dict[str, AnkiNote],
    have: dict[str, AnkiNote],
    delete_removed: bool,
) -> Plan:
    """Compare the lock and the built deck with what Anki has (``have``, by GUID)."""
    config = course.config
    plan = Plan()
    where = _locations(course, state)
    targets = {}
    for record in state.notes:
        item = Item(record.guid, where.get(record.guid, record.topic), _start(record.parts[0]))
        target = f"{config.deck}::{record.topic}"
        targets[record.guid] = target
        note = have.get(record.guid)
        if note is None:
            plan.added.append(item)
            continue
        ours = built.get(record.guid)
        if record.changed > note.mod or (
            # changed in the very second Anki last saved it: the content decides
            record.changed == note.mod and ours is not None and _content(ours) != _content(note)
        ):
            plan.updated.append(item)
        if any(deck != target for _, deck in note.cards):
            plan.moved.setdefault(target, []).append(item)
    tag = cards.removed_tag(config.tag)
    for record in state.removed:
        note = have.get(record.guid)
        if note is not None and (delete_removed or tag not in note.tags):
            plan.removed.append(Item(record.guid, record.topic, _start(record.parts[0])))
    # subdecks of the course that no topic uses any more (a renamed or removed topic)
    used = set(targets.values()) | {config.deck}
    holding: dict[str, int] = defaultdict(int)
    deleted = {i.guid for i in plan.removed} if delete_removed else set()
    for guid, note in have.items():
        gone = guid in deleted
        for _, deck in note.cards:
            after = targets.get(guid, deck)
            if not gone:
                holding[after] += 1
    for deck in sorted({d for n in have.values() for _, d in n.cards} - used):
        if deck.startswith(f"{config.deck}::"):
            (plan.kept_decks if holding.get(deck) else plan.empty_decks).append(deck)
    return plan


def apply(
    client: AnkiConnect,
    course: Course,
    state: lockfile.State,
    built: dict[str, AnkiNote],
    have: dict[str, AnkiNote],
    apkg: Path,
    plan: Plan,
    options: SyncOptions,
) -> None:
    """Carry out ``plan``; each step checks Anki's state first, so re-running is safe."""
    config = course.config
    namespace = f"{config.tag}::"
    media = package_media(apkg)
    # 1. changed notes, field by field: the user's own tags and fields stay
    for item in plan.updated:
        ours, theirs = built[item.guid], have[item.guid]
        names = _field_names(ours.model)
        theirs_names = set(client.field_names(theirs.model))  # a field the user removed
        fields = {k: v for k, v in zip(names, ours.fields, strict=True) if k in theirs_names}
        tags = sorted({t for t in theirs.tags if not t.startswith(namespace)} | set(ours.tags))
        for name, data in media.items():
            if any(name in value for value in fields.values()):
                store_media(client, name, data)
        client.call("updateNote", note={"id": theirs.id, "fields": fields, "tags": tags})
    # 2. new notes, note types and pictures: the package, as File › Import reads it
    client.call("importPackage", path=str(apkg.resolve()))
    after = snapshot(client, config.deck) or {}
    _restyle(client, config.templates)
    # 3. cards whose topic changed go to their topic's subdeck
    for target, items in plan.moved.items():
        ids = [
            cid
            for i in items
            if i.guid in after
            for cid, deck in after[i.guid].cards
            if deck != target
        ]
        if ids:
            client.call("changeDeck", cards=ids, deck=target)
    # 4. notes removed from the notes: tagged, or deleted when asked (this course's only)
    ids = [after[i.guid].id for i in plan.removed if i.guid in after]
    if ids and options.delete_removed:
        client.call("deleteNotes", notes=ids)
    elif ids:
        client.call("addTags", notes=ids, tags=cards.removed_tag(config.tag))
    # 5. subdecks a renamed topic left empty: checked again after the moves, because Anki
    # deletes a deck only with its cards (and its child decks)
    if plan.empty_decks:
        final = snapshot(client, config.deck) or {}
        held = {deck for note in final.values() for _, deck in note.cards}
        empty = [
            d for d in plan.empty_decks if not any(h == d or h.startswith(f"{d}::") for h in held)
        ]
        plan.kept_decks += [d for d in plan.empty_decks if d not in empty]
        plan.empty_decks = empty
        if empty:
            client.call("deleteDecks", decks=empty, cardsToo=True)


_FIELDS = {t.name: t.fields for t in NOTE_TYPES.values()}
"""Note type name -> the fields deckpress writes."""


def _content(note: AnkiNote) -> tuple[str, ...]:
    """A note's fields without ``Source``: a line number that moved is not a change."""
    names = _FIELDS.get(note.model, ())
    return tuple(v for n, v in zip(names, note.fields, strict=False) if n != SOURCE_FIELD)


def _field_names(model: str) -> tuple[str, ...]:
    if model not in _FIELDS:
        raise SyncError(f"the built deck has a note type deckpress does not know: {model!r}")
    return _FIELDS[model]


def _extra_fields(client: AnkiConnect) -> dict[str, list[str]]:
    have = set(client.call("modelNames"))
    extra = {}
    for note_type in NOTE_TYPES.values():
        if note_type.name in have:
            fields = client.field_names(note_type.name)
            added = [f for f in fields if f not in note_type.fields]
            if added:
                extra[note_type.name] = added
    return extra


def _restyle(client: AnkiConnect, templates: Path | None) -> None:
    """Give the note types the built deck's templates and CSS (an import keeps a note type
    whose schema the user changed as it is)."""
    for note_type in NOTE_TYPES.values():
        look = load_look(note_type, templates)
        current = client.call("modelTemplates", modelName=note_type.name)
        want = {note_type.template.name: {"Front": look.front, "Back": look.back}}
        if current != want:
            client.call("updateModelTemplates", model={"name": note_type.name, "templates": want})
        styling = client.call("modelStyling", modelName=note_type.name)
        if styling.get("css") != look.css:
            client.call("updateModelStyling", model={"name": note_type.name, "css": look.css})


def _mark_synced(path: Path, state: lockfile.State) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(lockfile.dump_state(dataclasses.replace(state, synced=True)))


def _locations(course: Course, state: lockfile.State) -> dict[str, str]:
    """GUID -> ``file:line`` of the notes of this build (the lock keeps course order)."""
    notes = cards.collect(course)
    if len(notes) != len(state.notes):
        return {}
    return {r.guid: str(n.locs[0]) for r, n in zip(state.notes, notes, strict=True)}


def _start(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def report(plan: Plan, options: SyncOptions, dry_run: bool) -> list[str]:
    """``3 added, 1 updated, 2 moved to '05 Loss…', 1 removed (tagged; …)``, then details."""
    parts = []
    if plan.added:
        parts.append(f"{len(plan.added)} added")
    if plan.updated:
        parts.append(f"{len(plan.updated)} updated")
    for target, items in sorted(plan.moved.items()):
        parts.append(f"{len(items)} moved to {target.split('::')[-1]!r}")
    if plan.removed:
        if options.delete_removed:
            parts.append(f"{len(plan.removed)} removed (deleted)")
        else:
            parts.append(
                f"{len(plan.removed)} removed (tagged; run with --delete-removed to delete)"
            )
    if plan.empty_decks:
        parts.append(f"{len(plan.empty_decks)} empty subdeck(s) deleted")
    head = ", ".join(parts) if parts else "nothing to change: Anki already has these notes"
    lines = [f"sync (dry run, nothing changed): {head}" if dry_run else f"sync: {head}"]
    detail = dry_run or len(plan.added) + len(plan.updated) + len(plan.removed) <= 20
    if detail:
        for what, items in (("added", plan.added), ("updated", plan.updated)):
            lines += [f"  {what}: {i.where}: {i.text}" for i in items]
        for target, items in sorted(plan.moved.items()):
            lines += [f"  moved to {target}: {i.where}: {i.text}" for i in items]
        lines += [f"  removed: {i.where}: {i.text}" for i in plan.removed]
        lines += [f"  subdeck deleted (empty): {d}" for d in plan.empty_decks]
    lines += [
        f"  kept subdeck {d!r}: no topic uses it, but it holds cards deckpress did not make"
        for d in plan.kept_decks
    ]
    for model, added in plan.extra_fields.items():
        lines.append(
            f"warning: your note type {model!r} has fields deckpress does not know "
            f"({', '.join(added)}): sync updates the fields it knows; a .apkg import would "
            "refuse every update (see README, 'Sync with Anki')"
        )
    return lines
