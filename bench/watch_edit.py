"""Edits inside one long-lived process, as ``deckpress watch`` rebuilds them:
``python bench/watch_edit.py SOURCE OUT EDITS``.

Builds once, then makes ``EDITS`` one-word edits (see :mod:`run`'s ``EDIT_*``), each
followed by the same :func:`deckpress.build.pipeline.run` call ``watch`` makes after a
save (file notification and debounce left out: they are the user's setting), and
prints each rebuild's wall time in seconds, one a line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import edited  # noqa: E402

from deckpress.build.pipeline import BuildOptions, run  # noqa: E402
from deckpress.notes.parse import keep_tokens  # noqa: E402
from deckpress.printouts import printing  # noqa: E402

WARM_SECONDS = 1.0


def main() -> None:
    source, out, edits = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    options = BuildOptions(source, out)
    keep_tokens()  # as watch does
    run(options, "source")
    # A user's first save comes seconds after watch starts, when its worker processes
    # have long imported WeasyPrint; here the first build finds everything up to date
    # at once, so give them that time before the first edit.
    time.sleep(WARM_SECONDS)
    try:
        for _ in range(edits):
            edited(source)
            start = time.perf_counter()
            run(options, "source")
            print(f"{time.perf_counter() - start:.4f}", flush=True)
    finally:
        printing.stop_workers()


if __name__ == "__main__":
    main()
