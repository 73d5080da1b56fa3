"""Generate a synthetic course in the notes format: ``python bench/gen_course.py N OUT``.

The text is drawn from the real notes (cycled and numbered) so card and page
sizes stay realistic; topics hold 7 videos each, every third one a focus topic.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
VIDEOS_PER_TOPIC = 7
VIDEOS_PER_FILE = 100


def _real_sections() -> list[str]:
    """The body of every real video section (without its heading)."""
    bodies = []
    for path in sorted(SOURCE.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        parts = re.split(r"^#{2,3} Video \d+ — .*$", text, flags=re.MULTILINE)
        bodies.extend(p.strip().removesuffix("---").strip() for p in parts[1:])
    return bodies


def generate(n: int, out: Path) -> Path:
    """Write ``n`` videos and a matching course.yaml into ``out``; return ``out``."""
    bodies = _real_sections()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.md"):
        old.unlink()
    for start in range(1, n + 1, VIDEOS_PER_FILE):
        chunk = []
        for number in range(start, min(n, start + VIDEOS_PER_FILE - 1) + 1):
            body = bodies[(number - 1) % len(bodies)]
            # make every video's text unique, as real notes are
            body = body.replace("**Q1. ", f"**Q1. (v{number}) ").replace("- ", f"- [{number}] ", 1)
            chunk.append(f"## Video {number} — Synthetic video {number}\n{body}\n\n---\n")
        (out / f"part{start // VIDEOS_PER_FILE + 1:03d}.md").write_text(
            "\n".join(chunk), encoding="utf-8"
        )
    lines = [f"title: Synthetic course ({n} videos)", "topics:"]
    for index, first in enumerate(range(1, n + 1, VIDEOS_PER_TOPIC), 1):
        last = min(n, first + VIDEOS_PER_TOPIC - 1)
        lines += [f"  - title: Topic {index}", f"    videos: {first}-{last}"]
        if index % 3 == 0:
            lines.append("    focus: true")
    (out / "course.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("videos", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    generate(args.videos, args.out)


if __name__ == "__main__":
    main()
