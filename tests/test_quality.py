"""Weak cards: the rules of deckpress.deck.quality, and `deckpress check` / `--strict`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckpress.cli import main
from deckpress.deck.quality import (
    RULES,
    cloze_view,
    dangling_reference,
    enumeration,
    meta_remark,
    summary,
    two_part,
    weak_cards,
)
from deckpress.notes.config import CARD_RULES
from deckpress.notes.load import load_course
from deckpress.notes.model import Location, Unit

SHAPES = Path(__file__).parent / "fixtures" / "cards-shapes" / "source"
VIDEO = Unit(1, "Title", (), (), Location("a.md", 1))


@pytest.mark.parametrize(
    "bullet, cue, hidden",
    [
        ("Padding controls spatial size.", "Padding controls", ["spatial size."]),
        ("Padding: controls spatial size.", "Padding:", ["controls spatial size."]),
        ("Perceptron = linear classifier", "Perceptron =", ["linear classifier"]),
        ("Optimizers:\n  - SGD\n  - Adam", "Optimizers:", ["SGD Adam"]),
    ],
)
def test_cloze_view_agrees_with_the_deck(bullet, cue, hidden):
    assert cloze_view(bullet) == (cue, hidden)


@pytest.mark.parametrize(
    "text, items",
    [
        ("ReLU-family, better initialization (Xavier/He), normalization, residuals", 4),
        ("ANN → CNN → RNN/LSTM/GRU → Transformers.", 4),
        ("a; b; c; d", 4),
        ("flips, crops, color jitter and rotation", 4),
        ("forget, input, output.", 0),  # three is not yet a burden
        ("BCE/CE; regression: MSE/MAE/Huber.", 0),
        # commas of a sentence are not a list
        (
            "if misclassified, w moves toward the point, b follows, and the loop repeats until all are right",
            0,
        ),
    ],
)
def test_enumerations_of_four_or_more(text, items):
    assert len(enumeration(text)) == items


@pytest.mark.parametrize(
    "prompt, word",
    [
        ("Why is this especially relevant on GPUs?", "this"),
        ("Does it converge?", "it"),
        ("Why do they saturate?", "they"),
        ("What does that mean in practice?", "that"),
        ("Why is this loss convex?", ""),  # "this loss" names its subject
        ("Is it possible to train without labels?", ""),  # dummy "it"
        ("Why does dropout help?", ""),
        ("What is the hidden state of an RNN, and is it shared?", ""),  # not at the start
    ],
)
def test_dangling_references(prompt, word):
    assert dangling_reference(prompt) == word


@pytest.mark.parametrize(
    "prompt, two",
    [
        ("Greedy vs Beam Search: when does beam search help, and what’s a downside?", True),
        ("What is KV caching and why does it speed up decoding?", True),
        ("What is dropout? And when is it harmful?", True),
        ("What’s a common failure mode of deep RNN stacks and a mitigation?", True),
        ("Where do you place BatchNorm (and why)?", True),
        ("What is the difference between convolution and cross-correlation?", False),
        ("Why is zero init a problem in an MLP but not in linear regression?", False),
        ("Why is tanh preferred over sigmoid?", False),
    ],
)
def test_two_part_questions(prompt, two):
    assert bool(two_part(prompt)) is two


@pytest.mark.parametrize(
    "bullet, meta",
    [
        ("This video is conceptual history, not just math.", True),
        ("This video is mostly a recap of earlier material.", True),
        ("Great reference for “classic CNN pipeline”.", True),
        ("In this lecture we derive backprop.", True),
        ("Padding controls spatial size.", False),
        ("Video frames are sequences of images.", False),
    ],
)
def test_remarks_about_the_course_are_not_facts(bullet, meta):
    assert bool(meta_remark(bullet, VIDEO)) is meta


def test_card_shapes_fixture():
    weak = weak_cards(load_course(SHAPES).course)
    found = {(w.rule, w.loc.line) for w in weak}
    # the clozes keep a cue (deckpress.deck.clozes): no bullet is one whole blank any more, and
    # the chain "ANN → CNN → RNN → Transformers" keeps its first step, 3 in the blank
    assert found == {
        ("enumeration", 7),  # Fixes: five items, one blank with a count hint
        ("two-part", 12),  # KV caching and why …
        ("dangling-reference", 15),  # Why is this especially relevant on GPUs?
        ("not-a-fact", 29),  # This video is mostly a recap …
        ("two-part", 32),  # Adam: what, and when …
    }
    assert summary(weak) == (
        "cards: 5 weak (1 enumeration, 1 not a fact, 1 dangling reference, 2 two-part questions)"
    )


def test_summary_of_nothing():
    assert summary(()) == "cards: 0 weak"


# --------------------------------------------------------------------------
# The real notes


@pytest.fixture(scope="module")
def real_check():
    return CliRunner().invoke(main, ["check"])


def test_check_lists_weak_cards_of_the_real_notes_as_warnings(real_check):
    assert real_check.exit_code == 0, real_check.output
    err = real_check.stderr
    # Video 18's second question leans on the first
    assert "warning: source/part1.md:279: weak card: the question starts with 'this'" in err
    for line in (413, 46, 73, 421):
        assert any(
            f":{line}: weak card: two questions in one card" in w for w in err.splitlines()
        ), line
    assert "source/part3.md:421: weak card: two questions in one card" in err
    # near-duplicates name the other card
    assert (
        "warning: source/part3.md:293: weak card: near-duplicate of part3.md:233 (Video 72" in err
    )
    assert "source/part2.md:163: weak card: near-duplicate of part1.md:338" in err
    assert "source/part3.md:160: weak card: not a fact to remember" in err
    assert (
        "cards: 33 weak (12 enumerations, 2 not facts, "
        "1 dangling reference, 11 two-part questions, 7 near-duplicates)"
    ) in real_check.stdout


def test_check_strict_makes_weak_cards_errors(real_check):
    strict = CliRunner().invoke(main, ["check", "--strict"])
    assert strict.exit_code == 1
    assert "source/part1.md:279: weak card: the question starts with 'this'" in strict.stderr
    assert "warning: source/part1.md:279" not in strict.stderr
    assert "cards: 33 weak" in strict.stdout


def test_check_strict_passes_clean_notes(make_source):
    notes = """\
## Video 1 — Padding
**What to remember**
- Padding: keeps the spatial size.

**Interview Questions (with answers)**
**Q1. Why pad a convolution?**
To keep border pixels in play.
"""
    config = "title: T\ntopics:\n  - title: All\n    videos: 1\n"
    result = CliRunner().invoke(
        main, ["check", "--strict", "--source", str(make_source({"a.md": notes}, config))]
    )
    assert result.exit_code == 0, result.output
    assert "cards: 0 weak" in result.stdout


# --------------------------------------------------------------------------
# cards: in course.yaml


def test_rules_are_the_ones_course_yaml_names():
    assert tuple(RULES) == CARD_RULES


def test_course_yaml_ignores_rules_and_sets_thresholds(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SHAPES, source)
    config = source / "course.yaml"
    config.write_text(
        config.read_text("utf-8")
        + "cards:\n  ignore: [whole-bullet, two-part]\n  enumeration_items: 3\n",
        "utf-8",
    )
    weak = weak_cards(load_course(source).course)
    rules = {w.rule for w in weak}
    assert "whole-bullet" not in rules and "two-part" not in rules
    # three items are now an enumeration: the chain's "CNN → RNN → Transformers"
    assert ("enumeration", 20) in {(w.rule, w.loc.line) for w in weak}


def test_course_yaml_unknown_rule_is_an_error(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(SHAPES, source)
    config = source / "course.yaml"
    config.write_text(config.read_text("utf-8") + "cards:\n  ignore: [whole-bulet]\n", "utf-8")
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 1
    assert (
        "course.yaml:8: cards.ignore: unknown rule 'whole-bulet'; did you mean 'whole-bullet'?"
        in (result.output)
    )


def test_check_json_lists_weak_cards():
    result = CliRunner().invoke(main, ["check", "--source", str(SHAPES), "--json"])
    assert result.exit_code == 0, result.output
    weak = json.loads(result.stdout)["weak_cards"]
    assert {"rule": "dangling-reference", "file": "notes.md", "line": 15} == {
        k: v for k, v in weak[2].items() if k != "message"
    }
    assert len(weak) == 5
    strict = CliRunner().invoke(main, ["check", "--source", str(SHAPES), "--json", "--strict"])
    assert strict.exit_code == 1 and json.loads(strict.stdout)["weak_cards"] == weak


def test_the_count_hint_is_not_part_of_the_hidden_text():
    cue, hidden = cloze_view("Fixes: ReLU, better init, normalization, residuals, clipping.")
    assert cue == "Fixes:" and hidden == ["ReLU, better init, normalization, residuals, clipping."]
