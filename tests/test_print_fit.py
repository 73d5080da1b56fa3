"""The type-size search (deckpress.printouts.fit), against fake layouts: fast and exact."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckpress.printouts import fit


@dataclass
class Fake:
    """A layout whose content is ``volume * size**k`` page-units, packed with some waste."""

    font_pt: float
    fills: tuple[float, ...]

    @property
    def pages(self) -> int:
        return len(self.fills)

    @property
    def demand(self) -> float:
        return sum(self.fills)


class Renderer:
    """``render(size)`` for a fake document; records every size asked for."""

    def __init__(self, volume: float, k: float = 1.9, full: float = 0.93):
        self.volume, self.k, self.full = volume, k, full
        self.sizes: list[float] = []

    def need(self, size: float) -> float:
        return self.volume * size**self.k

    def pages_at(self, size: float) -> int:
        # a page holds `full` of content: unsplittable blocks waste the rest
        return max(1, math.ceil(self.need(size) / self.full - 1e-12))

    def __call__(self, size: float) -> Fake:
        self.sizes.append(size)
        need, pages = self.need(size), self.pages_at(size)
        fills = [self.full] * (pages - 1) + [need - self.full * (pages - 1)]
        return Fake(size, tuple(fills))


def at_floor(pages: int, last: float, full: float = 0.93) -> float:
    """The volume whose layout at 7 pt has ``pages`` pages, the last ``last`` full."""
    return ((pages - 1) * full + last) / 7.0**1.9


def largest_fitting(render: Renderer, budget: int, floor: float, ceiling: float) -> float:
    """The exact edge, by brute force on a fine grid."""
    best, size = floor, floor
    while size <= ceiling + 1e-9:
        if render.pages_at(size) <= budget:
            best = size
        size += 0.001
    return best


@pytest.mark.parametrize("volume", [0.004, 0.006, 0.009, 0.012])
def test_one_page_budget_finds_the_edge_within_a_step(volume):
    render = Renderer(volume)
    best = fit.fit(render, 7.0, 12.0, budget=1, start=9.0)
    edge = largest_fitting(Renderer(volume), 1, 7.0, 12.0)
    assert best.pages == 1
    assert best.font_pt <= edge + 1e-9
    assert edge - best.font_pt <= fit.STEP_PT + 1e-9 or best.font_pt == 12.0
    assert len(render.sizes) == len(set(render.sizes)), "a size was typeset twice"
    assert len(render.sizes) <= 7


def test_small_content_stops_at_the_ceiling_after_one_render():
    render = Renderer(0.001)
    best = fit.fit(render, 7.0, 12.0, budget=1, start=12.0)
    assert best.font_pt == 12.0
    assert render.sizes == [12.0]


def test_too_much_for_the_budget_at_the_floor_raises_nofit():
    render = Renderer(0.05)
    with pytest.raises(fit.NoFit) as failed:
        fit.fit(render, 7.0, 12.0, budget=1, start=10.0)
    assert failed.value.at_floor.font_pt == 7.0
    assert failed.value.at_floor.pages > 1
    assert render.sizes[-1] == 7.0


def test_no_budget_keeps_the_fewest_pages_of_the_floor():
    volume = at_floor(4, 0.64)
    render = Renderer(volume)
    best = fit.fit(render, 7.0, 12.0)
    assert best.pages == 4
    assert best.font_pt > 7.0
    assert largest_fitting(Renderer(volume), 4, 7, 12) - best.font_pt <= fit.STEP_PT


def test_enough_accepts_the_floor_when_its_last_page_is_full_enough():
    render = Renderer(at_floor(4, 0.64))
    best = fit.fit(render, 7.0, 12.0, enough=0.6)
    assert best.font_pt == 7.0
    assert render.sizes == [7.0]


def test_enough_grows_a_nearly_empty_last_page():
    render = Renderer(at_floor(3, 0.05))
    best = fit.fit(render, 7.0, 12.0, enough=0.6)
    assert best.pages == 3
    assert best.fills[-1] >= 0.6
    assert best.font_pt > 7.0


def test_sizes_are_on_the_grid_from_the_floor():
    render = Renderer(0.008)
    fit.fit(render, 6.5, 11.0, budget=1, start=8.13)
    for size in render.sizes:
        steps = (size - 6.5) / fit.GRID_PT
        assert abs(steps - round(steps)) < 1e-6 or size == 11.0


@settings(max_examples=60, deadline=None)
@given(
    volume=st.floats(0.0005, 0.03),
    k=st.floats(1.3, 2.4),
    full=st.floats(0.8, 1.0),
    start=st.floats(5, 20),
    budget=st.integers(1, 3),
)
def test_any_monotone_layout_gives_a_fitting_size_near_the_edge(volume, k, full, start, budget):
    render = Renderer(volume, k, full)
    floor, ceiling = 7.0, 12.0
    try:
        best = fit.fit(render, floor, ceiling, budget=budget, start=start)
    except fit.NoFit:
        assert render.pages_at(floor) > budget
        return
    assert best.pages <= budget
    edge = largest_fitting(Renderer(volume, k, full), budget, floor, ceiling)
    assert best.font_pt <= edge + 1e-9
    assert edge - best.font_pt <= fit.STEP_PT + 1e-6 or best.font_pt == ceiling
    assert len(render.sizes) <= 12
