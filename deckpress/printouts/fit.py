"""Type-size search: the largest font size whose layout stays within a page budget.

Knows nothing of HTML or PDF: it calls ``render(size)`` and reads the result's
page count and *demand* (how much the content fills, in pages: the sum of the
page fills). Demand grows smoothly, roughly with the square of the size, so a
render predicts the size that fills the budget; a safeguarded secant on
``log demand`` against ``log size`` then narrows the bracket between the largest
size that fits and the smallest that does not, to :data:`STEP_PT`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

STEP_PT = 0.1
"""Precision: the search stops when fitting and overflowing sizes are this close."""
GRID_PT = 0.05
"""Sizes tried are the floor plus multiples of this (same input, same sizes)."""
AIM = 0.94
"""Predictions aim to fill the last page this much (unsplittable blocks waste a little)."""
OVERFLOW_BACKOFF = 0.97
"""Having overflowed with less than the aim, the next try aims this much lower."""
EXPONENT = 1.75
"""How demand grows with size until two renders measure it (area ~ size², short lines less)."""
TUNING = (STEP_PT, GRID_PT, AIM, OVERFLOW_BACKOFF, EXPONENT)
"""Everything above: a change may change the sizes chosen (part of each PDF's fingerprint)."""


class Layout(Protocol):
    font_pt: float
    fills: Sequence[float]

    @property
    def pages(self) -> int: ...

    @property
    def demand(self) -> float: ...


L = TypeVar("L", bound=Layout)


class NoFit(Exception):
    """Even the smallest allowed size needs more pages than the budget."""

    def __init__(self, at_floor: Layout, budget: int):
        super().__init__(f"{at_floor.pages} pages at {at_floor.font_pt:g} pt; budget {budget}")
        self.at_floor = at_floor
        self.budget = budget


def fit(
    render: Callable[[float], L],
    floor: float,
    ceiling: float,
    budget: int | None = None,
    enough: float | None = None,
    start: float | None = None,
) -> L:
    """The layout at the largest size in ``[floor, ceiling]`` within ``budget`` pages.

    ``budget=None`` allows the fewest pages the floor needs (the search then
    starts at the floor). With ``enough``, the search stops at the first fitting
    layout whose last page is at least that full. ``start`` is the first size
    tried (default: the floor); a good guess, such as last build's size, saves
    renders. Raises :class:`NoFit` when the floor needs more than ``budget`` pages.
    """
    size = floor
    if start is not None and budget is not None:
        size = floor + GRID_PT * round((max(start, floor) - floor) / GRID_PT)
        # so close to the ceiling that it is the better first try
        size = ceiling if size > ceiling - 2 * STEP_PT else round(size, 3)
    best: L | None = None
    over: L | None = None
    previous: L | None = None
    exponent, renders, streak = EXPONENT, 0, 0
    while True:
        tried = render(size)
        renders += 1
        budget = tried.pages if budget is None else budget
        if previous is not None:
            exponent = _exponent(previous, tried) or exponent
            same_side = (tried.pages <= budget) == (previous.pages <= budget)
            streak = streak + 1 if same_side else 0
        previous = tried
        if tried.pages <= budget:
            best = tried
        else:
            over = tried
        if best is None and over is not None and over.font_pt <= floor:
            raise NoFit(over, budget)
        if best is not None and _done(best, over, ceiling, enough):
            break
        size = _next_size(best, over, budget, exponent, streak, floor, ceiling)
    log.debug(
        "fitted %g pt in %d renders: %d page(s), fills %s",
        best.font_pt,
        renders,
        best.pages,
        ", ".join(f"{f:.2f}" for f in best.fills),
    )
    return best


def settled(layout: Layout, ceiling: float, enough: float | None) -> bool:
    """Whether :func:`fit` stops at ``layout`` when it is the first that fits, as the
    floor's is when the budget is ``None`` (so a layout kept from the last build can
    tell whether a whole search would end there too)."""
    return _done(layout, None, ceiling, enough)


def _done(best: Layout, over: Layout | None, ceiling: float, enough: float | None) -> bool:
    if best.font_pt >= ceiling - GRID_PT / 2:
        return True
    if enough is not None and best.fills[-1] >= enough:
        return True
    return over is not None and over.font_pt - best.font_pt < STEP_PT + GRID_PT / 2


def _next_size(
    best: Layout | None,
    over: Layout | None,
    budget: int,
    exponent: float,
    streak: int,
    floor: float,
    ceiling: float,
) -> float:
    """The next size to try: predicted to fill the budget, on the grid, inside the bracket.

    ``streak`` counts the last tries that landed on the same side of the edge as
    the one before: the more, the less the prediction is trusted.
    """
    reference = best if best is not None else over
    assert reference is not None
    # Full pages hold what full pages held so far; the last page should reach AIM.
    full_pages = reference.fills[:-1] if reference.pages == budget else ()
    full = sum(full_pages) / len(full_pages) if full_pages else AIM
    target = (budget - 1) * full + AIM
    if best is None:
        assert over is not None
        # It overflowed with less than the target: the edge is a little below.
        target = min(target, over.demand * OVERFLOW_BACKOFF)
    predicted = reference.font_pt * (target / max(reference.demand, 1e-6)) ** (1 / exponent)
    # Move by at least a step, doubled for each try that landed on the same side of
    # the edge, but never past the middle of the bracket.
    step = STEP_PT * 2**streak
    if best is not None and over is not None:
        step = min(step, (over.font_pt - best.font_pt) / 2)
    if best is not None:
        predicted = max(predicted, best.font_pt + step)
    if over is not None:
        predicted = min(predicted, over.font_pt - step)
    size = floor + GRID_PT * round((predicted - floor) / GRID_PT)
    if best is not None:
        size = max(size, best.font_pt + GRID_PT)
    if over is not None:
        size = min(size, over.font_pt - GRID_PT)
    return round(min(max(size, floor), ceiling), 3)


def _exponent(a: Layout, b: Layout) -> float | None:
    """How demand scales with size between two layouts (``demand ~ size**k``), if sane."""
    if abs(a.font_pt - b.font_pt) < 1e-9 or a.demand <= 0 or b.demand <= 0:
        return None
    k = math.log(b.demand / a.demand) / math.log(b.font_pt / a.font_pt)
    return k if 1.0 <= k <= 3.0 else None
