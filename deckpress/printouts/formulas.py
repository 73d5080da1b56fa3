"""LaTeX -> SVG for the printouts, offline and without a TeX installation.

ziamath lays the formula out with the STIX Two Math font it ships (pure Python,
about 10–20 ms a formula) and draws every glyph as a path, so the PDF shows the
typeset formula whatever fonts the machine has. Each formula becomes an
``<img>`` with a ``data:`` URL sized in ``em`` (it scales with the fitted type
size) and sitting on the text's baseline.

Results are cached by content: in memory, and on disk in the build's
bookkeeping folder (``dist/.deckpress/math/``, see :func:`cache_in`), so a
rebuild after an edit typesets only the formulas it has not seen.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from functools import cache, lru_cache
from html import escape
from pathlib import Path

from markupsafe import Markup

log = logging.getLogger(__name__)

REFERENCE_PT = 10.0
"""Size the formula is laid out at; the ``<img>`` is then sized in em relative to it."""
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
_folder: Path | None = None


def cache_in(folder: Path | None) -> None:
    """Keep typeset formulas in ``folder`` too (``None``: in memory only)."""
    global _folder
    _folder = folder


@lru_cache(maxsize=4096)
def svg(tex: str, display: bool = False) -> Markup:
    """``tex`` typeset as an inline ``<img>`` (display math: centred on its own line).

    LaTeX ziamath cannot read is printed as written (in code type) with a warning.
    """
    if _folder is None:
        return _typeset(tex, display)
    key = hashlib.sha256(f"{_ziamath_version()}\0{display}\0{tex}".encode()).hexdigest()
    path = _folder / key[:2] / f"{key}.html"
    try:
        return Markup(path.read_text(encoding="utf-8"))
    except OSError:
        pass
    html = _typeset(tex, display)
    if 'class="math-source"' not in html:  # failures are not kept: they warn each build
        from ..build.output import write_text

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text(path, str(html))
        except OSError as exc:
            log.debug("cannot cache a formula in %s: %s", path, exc)
    return html


@cache
def _ziamath_version() -> str:
    from importlib.metadata import version

    return version("ziamath")


def _typeset(tex: str, display: bool) -> Markup:
    try:
        import ziamath

        drawing = ziamath.Latex(tex, size=REFERENCE_PT, inline=not display).svg()
    except Exception as exc:  # ziamath raises many kinds on unsupported LaTeX
        log.warning("cannot typeset the formula %r (%s); printed as written", tex, exc)
        return Markup(f'<code class="math-source">{escape(tex)}</code>')
    box = _VIEWBOX.search(drawing)
    if box is None:
        return Markup(f'<code class="math-source">{escape(tex)}</code>')
    _x, y, width, height = (float(v) for v in box.groups())
    below_baseline = y + height
    data = base64.b64encode(drawing.encode("utf-8")).decode("ascii")
    kind = "math display" if display else "math"
    return Markup(
        f'<img class="{kind}" alt="{escape(tex)}" src="data:image/svg+xml;base64,{data}" '
        f'style="width: {width / REFERENCE_PT:.3f}em; '
        f'vertical-align: {-below_baseline / REFERENCE_PT:.3f}em">'
    )
