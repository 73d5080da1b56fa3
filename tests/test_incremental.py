"""Incremental builds, safe outputs and watch mode (issue: regenerate in a blink)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deckpress.build import output
from deckpress.build.incremental import STATE_DIR
from deckpress.build.pipeline import BuildOptions, run

from .conftest import ROOT, video
from .conftest import cli_build as build

EDIT_FILE = "part2.md"
EDIT_OLD = "For RGB, a filter is (k×k×3)."  # video 42 Q1, topic 09 (not a focus topic)


def snapshot(out: Path) -> dict[str, tuple[str, int]]:
    """``{relative path: (sha256, mtime_ns)}`` of every artifact in ``out``."""
    return {
        p.relative_to(out).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(out.rglob("*"))
        if p.is_file() and STATE_DIR not in p.parts
    }


def changed(before: dict, after: dict) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One full build of a private copy of the real notes (shared: PDFs are slow)."""
    import shutil

    base = tmp_path_factory.mktemp("inc")
    src = base / "source"
    shutil.copytree(ROOT / "source", src)
    out = base / "dist"
    build(src, out)
    return src, out


def test_noop_touches_nothing(built):
    src, out = built
    before = snapshot(out)
    lock = (src / "deckpress.lock").read_bytes()
    output_text = build(src, out)
    assert "up to date" in output_text
    assert snapshot(out) == before
    assert (src / "deckpress.lock").read_bytes() == lock


def test_noop_never_imports_weasyprint_or_parses(built):
    src, out = built
    code = (
        "import sys; from deckpress.cli import main\n"
        f"sys.argv = ['deckpress', 'build', '--source', {str(src)!r}, '--out', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = {'weasyprint', 'markdown_it', 'yaml', 'genanki', 'jinja2'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_one_answer_edit_rebuilds_only_what_shows_it(built):
    src, out = built
    before = snapshot(out)
    notes = src / EDIT_FILE
    text = notes.read_text(encoding="utf-8")
    assert EDIT_OLD in text
    # an edit after the answer's first sentence: the short-answer cheat sheet does not show it
    notes.write_text(
        text.replace(EDIT_OLD, "For RGB, a filter is (k×k×3), one slice per channel."),
        encoding="utf-8",
    )
    build(src, out)
    assert changed(before, snapshot(out)) == {
        "100-days-of-deep-learning.apkg",
        "cards.html",
        "handouts/09-cnn-fundamentals.pdf",
        "handouts.pdf",
    }
    # an edit of the first sentence also changes the full cheat sheet, not the focus one
    before = snapshot(out)
    text = notes.read_text(encoding="utf-8")
    notes.write_text(
        text.replace("Because it must combine", "Because it has to combine"), encoding="utf-8"
    )
    build(src, out)
    assert changed(before, snapshot(out)) == {
        "100-days-of-deep-learning.apkg",
        "cards.html",
        "handouts/09-cnn-fundamentals.pdf",
        "handouts.pdf",
        "cheatsheet.pdf",
    }


def test_force_rebuilds_everything(built):
    src, out = built
    before = snapshot(out)
    build(src, out, "--force")
    after = snapshot(out)
    assert set(after) == set(before)
    # same bytes (reproducible), new files
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert all(after[k][1] != before[k][1] for k in after if not k.endswith(".apkg"))


def test_deleted_artifact_is_rebuilt(built):
    src, out = built
    target = out / "handouts" / "01-foundations.pdf"
    expected = target.read_bytes()
    target.unlink()
    build(src, out)
    assert target.read_bytes() == expected


def test_crash_mid_write_leaves_previous_artifact(real_source, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    run(BuildOptions(real_source, out, only=("deck",)))
    deck = out / "100-days-of-deep-learning.apkg"
    previous_deck = deck.read_bytes()
    previous_lock = (real_source / "deckpress.lock").read_bytes()
    notes = real_source / EDIT_FILE
    notes.write_text(
        notes.read_text(encoding="utf-8").replace(EDIT_OLD, "Edited."), encoding="utf-8"
    )

    real_write = Path.write_bytes

    def crash(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])  # half the file, then the disk "fails"
        raise OSError("simulated crash mid-write")

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(OSError, match="simulated crash"):
        run(BuildOptions(real_source, out, only=("deck",)))
    monkeypatch.undo()
    assert deck.read_bytes() == previous_deck
    assert (real_source / "deckpress.lock").read_bytes() == previous_lock
    leftovers = [p for p in [*out.rglob("*"), *real_source.rglob("*")] if p.name.endswith(".tmp")]
    assert leftovers == []


def test_atomic_path_keeps_target_on_error(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), output.atomic_path(target) as tmp:
        tmp.write_text("new, half")
        raise RuntimeError
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_concurrent_builds_do_not_corrupt(real_source, tmp_path):
    out = tmp_path / "dist"
    cmd = [
        sys.executable,
        str(ROOT / "build.py"),
        "build",
        "-q",
        "--only",
        "deck",
        "--source",
        str(real_source),
        "--out",
        str(out),
    ]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs), [p.stderr.read() for p in procs]
    single = tmp_path / "single"
    run(BuildOptions(real_source, single, only=("deck",)))
    assert (out / "100-days-of-deep-learning.apkg").read_bytes() == (
        single / "100-days-of-deep-learning.apkg"
    ).read_bytes()


def test_watch_rebuilds_on_save_and_survives_errors(real_source, tmp_path):
    from deckpress.build.watch import watch

    out = tmp_path / "dist"
    options = BuildOptions(real_source, out, only=("deck",))
    messages: list[str] = []
    builds: list[object] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(options, "src", messages.append, builds.append, stop, 50), daemon=True
    )
    thread.start()
    deck = out / "100-days-of-deep-learning.apkg"

    def wait_for(predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    try:
        assert wait_for(lambda: len(builds) == 1 and any("watching" in m for m in messages))
        first = deck.read_bytes()
        notes = real_source / EDIT_FILE
        good = notes.read_text(encoding="utf-8")
        # a broken edit: errors are reported, the last good deck stays
        notes.write_text(good + "\n## Video 42 — Duplicate\n- x\n", encoding="utf-8")
        assert wait_for(lambda: any("duplicate video number 42" in m for m in messages))
        assert deck.read_bytes() == first
        # the fix is picked up
        notes.write_text(good.replace(EDIT_OLD, "Watched edit."), encoding="utf-8")
        assert wait_for(lambda: len(builds) == 2)
        assert deck.read_bytes() != first
        assert any(f"changed: {EDIT_FILE}" in m for m in messages)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_other_source_into_same_out_is_refused_unless_forced(real_source, tmp_path):
    """One output folder, one course: another course built into it would delete the
    first one's deck and handouts (a newcomer did exactly this after make build)."""
    from click.testing import CliRunner

    from deckpress.cli import main

    out = tmp_path / "dist"
    build(real_source, out, "--only", "deck")
    other = tmp_path / "other"
    import shutil

    shutil.copytree(real_source, other)
    config = other / "course.yaml"
    config.write_text(config.read_text().replace("deck: 100 Days", "deck: Other 100 Days"))
    args = ["build", "--source", str(other), "--out", str(out), "--only", "deck"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "holds the build of another notes folder" in refused.output
    assert (out / "100-days-of-deep-learning.apkg").is_file()
    output = build(other, out, "--only", "deck", "--force")
    assert "up to date" not in output
    assert (out / "other-100-days-of-deep-learning.apkg").is_file()


def test_new_override_template_is_picked_up_in_the_same_process(make_source, tmp_path):
    from .conftest import MINIMAL_CONFIG, video

    src = make_source({"a.md": video(1) + video(2)}, MINIMAL_CONFIG + "templates: mine\n")
    (src / "mine").mkdir()
    out = tmp_path / "dist"
    options = BuildOptions(src, out, only=("handouts",))
    run(options)
    before = (out / "handouts.pdf").read_bytes()
    css = (ROOT / "templates" / "print.css").read_text(encoding="utf-8")
    (src / "mine" / "print.css").write_text(css.replace("DejaVu Sans", "DejaVu Serif"))
    run(options)  # as watch does: same process, cached environments must not hide the file
    assert (out / "handouts.pdf").read_bytes() != before
    from pypdf import PdfReader

    page = PdfReader(out / "handouts" / "01-everything.pdf").pages[0]
    fonts = {str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert any("DejaVu-Serif" in f for f in fonts), fonts


def test_changed_image_rebuilds_the_deck(make_source, tmp_path):
    from .conftest import MINIMAL_CONFIG, video

    text = video(1).replace("- Point 1a.", "- Point 1a ![fig](fig.png)") + video(2)
    src = make_source({"a.md": text, "fig.png": b"\x89PNG one"}, MINIMAL_CONFIG)
    out = tmp_path / "dist"
    build(src, out, "--only", "deck")
    first = (out / "tiny-course.apkg").read_bytes()
    (src / "fig.png").write_bytes(b"\x89PNG two")
    assert "up to date" not in build(src, out, "--only", "deck")
    assert (out / "tiny-course.apkg").read_bytes() != first


def test_the_same_out_typed_two_ways_rebuilds_nothing(make_source, tmp_path, monkeypatch):
    from .conftest import video

    src = make_source({"a.md": video(1) + video(2)})
    monkeypatch.chdir(tmp_path)
    build(Path("src"), Path("out"))  # as typed: relative
    before = snapshot(tmp_path / "out")
    assert "handouts/01-everything.pdf" in before
    # the full pipeline (not the no-op shortcut), with both folders typed another way
    outcome = run(BuildOptions(src.resolve(), tmp_path.resolve() / "out"))
    assert outcome.rebuilt == []
    assert snapshot(tmp_path / "out") == before
    # and back, through a symlink to the same folder
    (tmp_path / "link").symlink_to(tmp_path / "out")
    assert run(BuildOptions(Path("src"), Path("link"))).rebuilt == []


def _descendants(pid: int) -> set[int]:
    """Running processes started by ``pid``, its children's children included (from /proc:
    the PDF workers after the first are forked by the first)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, new = set(), {pid}
    while new:
        new = {child for child, parent in parents.items() if parent in new} - found
        found |= new
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_watch_stopped_by_a_signal_ends_its_workers(make_source, tmp_path, signal_name):
    import os
    import signal

    from .conftest import running, video

    src = make_source({"a.md": video(1) + video(2)})
    env = {**os.environ, "DECKPRESS_WORKERS": "2"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "deckpress", "watch", "--source", str(src)]
        + ["--out", str(tmp_path / "out"), "--only", "handouts"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in watcher.stderr:  # the first build is done when it starts watching
            if "watching" in line:
                break
        workers = _descendants(watcher.pid)
        assert len(workers) == 2, "the PDF workers should be running"
        watcher.send_signal(getattr(signal, signal_name))
        watcher.wait(timeout=30)
        said = watcher.stderr.read()
        assert "stopped watching" in said and "KeyboardInterrupt" not in said, said
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(running(pid) for pid in workers):
            time.sleep(0.1)
        left = {pid for pid in workers if running(pid)}
        assert not left, f"worker processes left behind: {left}"
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        for pid in workers if "workers" in locals() else ():
            if running(pid):  # failed: do not leave them behind either
                os.kill(pid, signal.SIGKILL)


def test_cold_incremental_and_watch_builds_give_the_same_pdfs(make_source, tmp_path):
    from .conftest import video

    config = """\
title: Tiny course
topics:
  - title: First
    videos: 1-2
    focus: true
  - title: Second
    videos: 3-4
"""
    src = make_source({"a.md": "".join(video(n) for n in range(1, 5))}, config)
    out = tmp_path / "dist"
    options = BuildOptions(src, out)
    run(options)  # cold, then an edit rebuilt in the same process (as watch does)
    notes = src / "a.md"
    notes.write_text(notes.read_text().replace("Answer 1.", "Answer one."), encoding="utf-8")
    assert {p.name for p in run(options).rebuilt} >= {"cheatsheet.pdf", "01-first.pdf"}
    # a fresh process builds the edited notes from nothing
    cold = tmp_path / "cold"
    subprocess.run(
        [sys.executable, "-m", "deckpress", "build", "-q", "--source", str(src)]
        + ["--out", str(cold)],
        check=True,
    )
    pdfs = sorted(p.relative_to(cold) for p in cold.rglob("*.pdf"))
    assert len(pdfs) == 5  # 2 cheat sheets, 2 handouts, handouts.pdf
    for name in pdfs:
        assert (out / name).read_bytes() == (cold / name).read_bytes(), name


def test_a_manifest_of_an_older_deckpress_with_a_relative_source_is_the_same_course(
    make_source, tmp_path, monkeypatch
):
    """Manifests before resolved paths recorded the source as typed (``source``)."""
    import json

    from click.testing import CliRunner

    from deckpress.cli import main

    from .conftest import video

    src = make_source({"a.md": video(1) + video(2)})
    monkeypatch.chdir(src.parent)
    args = ["build", "--source", src.name, "--out", "dist", "--only", "deck", "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    manifest = src.parent / "dist" / ".deckpress" / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data["folders"][0] = src.name  # as an older deckpress wrote it
    manifest.write_text(json.dumps(data), "utf-8")
    (src / "a.md").write_text((video(1) + video(2)).replace("Answer 2.", "Answer two."), "utf-8")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def test_a_changed_picture_reaches_the_handout_in_the_same_process(make_source, tmp_path):
    """As in watch: one process, two builds, the picture file replaced between them."""
    import shutil

    from deckpress.build.pipeline import BuildOptions, run

    from .conftest import FIXTURES, video

    notes = video(1).replace("**What to remember**", "![plot](fig.png)\n\n**What to remember**")
    src = make_source({"a.md": notes + video(2)})
    shutil.copy(FIXTURES / "deck" / "tricky" / "img" / "dot.png", src / "fig.png")
    out = tmp_path / "dist"
    run(BuildOptions(src, out, ("handouts",)))
    other = FIXTURES / "styles" / "07-prose-heavy-lecture" / "notes" / "images" / "loss curve.png"
    shutil.copy(other, src / "fig.png")
    outcome = run(BuildOptions(src, out, ("handouts",)))
    assert any(p.name == "01-everything.pdf" for p in outcome.rebuilt), outcome.rebuilt


def test_one_process_sees_a_template_added_edited_or_removed_between_builds(make_source, tmp_path):
    """Templates compiled once are kept across builds of one process (``watch``); a file
    added to the templates folder, which may shadow a built-in one, is seen at once."""
    from deckpress import templating

    from .conftest import MINIMAL_CONFIG, video

    src = make_source({"a.md": video(1) + video(2)}, MINIMAL_CONFIG + "templates: templates\n")
    (src / "templates").mkdir()
    options = BuildOptions(src, tmp_path / "dist", only=("cards",))
    page = tmp_path / "dist" / "cards.html"
    run(options)
    assert "MARK" not in page.read_text("utf-8")
    env = templating.shared_env(src.resolve() / "templates")
    run(options)
    assert templating.shared_env(src.resolve() / "templates") is env  # kept: nothing changed

    own = src / "templates" / "preview.html"
    own.write_text("MARK one {{ course.title }}", encoding="utf-8")
    run(options)
    assert page.read_text("utf-8") == "MARK one Tiny course"
    time.sleep(0.01)  # a later modification time, as a later save has
    own.write_text("MARK two {{ course.title }}", encoding="utf-8")
    run(options)
    assert page.read_text("utf-8") == "MARK two Tiny course"
    own.unlink()
    run(options)
    assert "MARK" not in page.read_text("utf-8")


def test_one_process_sees_an_edited_macro_file_the_card_fields_import(make_source, tmp_path):
    """Inside watch, a file imported by the user's card_fields.html is read again."""
    from deckpress.deck import cards

    from .conftest import MINIMAL_CONFIG, video

    src = make_source({"a.md": video(1) + video(2)}, MINIMAL_CONFIG + "templates: templates\n")
    (src / "templates").mkdir()
    builtin = (Path(cards.__file__).parents[2] / "templates" / "card_fields.html").read_text(
        "utf-8"
    )
    fields = builtin.replace(
        "{% macro points(items) %}<ul>",
        '{% import "mine.html" as mine %}{% macro points(items) %}{{ mine.mark() }}<ul>',
    )
    assert fields != builtin
    (src / "templates" / "card_fields.html").write_text(fields, "utf-8")
    mine = src / "templates" / "mine.html"
    mine.write_text("{% macro mark() %}MARK-ONE{% endmacro %}", "utf-8")
    options = BuildOptions(src, tmp_path / "dist", only=("cards",))
    run(options)
    page = tmp_path / "dist" / "cards.html"
    assert "MARK-ONE" in page.read_text("utf-8")
    time.sleep(0.01)
    mine.write_text("{% macro mark() %}MARK-TWO{% endmacro %}", "utf-8")
    run(options)
    assert "MARK-TWO" in page.read_text("utf-8")


def test_artifacts_are_written_in_build_order(make_source, tmp_path, monkeypatch):
    """The build process writes the deck first, the card preview after the cheat sheets
    and the handouts last (BUILD_ORDER: its own work where a CPU is free), and reports
    them in the usual order."""
    import importlib

    from deckpress.build.artifacts import ARTIFACTS, BUILD_ORDER

    assert sorted(BUILD_ORDER) == sorted(ARTIFACTS)
    assert BUILD_ORDER.index("deck") < BUILD_ORDER.index("cards")  # cloze numbers in the lock
    written = []
    for name, module in ARTIFACTS.items():
        artifact = importlib.import_module(module)
        original = artifact.build

        def recording(course, options, name=name, original=original):
            written.append(name)
            return original(course, options)

        monkeypatch.setattr(artifact, "build", recording)
    src = make_source({"notes.md": "".join(video(n) for n in (1, 2))})
    outcome = run(BuildOptions(src, tmp_path / "dist"))
    assert written == ["deck", "cheatsheet", "cards", "handouts"]
    assert list(outcome.results) == list(ARTIFACTS)
