"""A real Anki desktop with the AnkiConnect add-on, headless, for the sync tests.

The recipe (and its traps) is ``shared/anki-desktop.md``: Anki lives in its own
virtualenv (``.anki-desktop/``, installed by ``make test``), gets a throwaway
base folder with a seeded profile, AnkiConnect on a free port, and is stopped
with SIGTERM. The add-on is a test asset under its own licence
(``shared/vendor/anki-connect``); it is copied into the throwaway base folder
only, never into the package.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANKI_VENV = Path(os.environ.get("DECKPRESS_ANKI_DESKTOP", ROOT / ".anki-desktop"))
ANKI = ANKI_VENV / "bin" / "anki"
ADDON_ID = "2055492159"
VENDOR_CANDIDATES = (
    ROOT / ".." / "shared" / "vendor" / "anki-connect" / "plugin",
    ROOT / "tests" / "vendor" / "anki-connect" / "plugin",
)

_SEED = """
import sys
from aqt.profiles import ProfileManager, VideoDriver
base = sys.argv[1]
pm = ProfileManager(ProfileManager.get_created_base_folder(base))
pm.setupMeta()
pm.create("test")
pm.load("test")
pm.meta["firstRun"] = False
pm.meta["defaultLang"] = "en_US"
pm.meta["check_for_updates"] = False
pm.meta["check_for_addon_updates"] = False
pm.save()
pm.set_video_driver(VideoDriver.Software)
pm.db.close()
"""


def addon_source() -> Path | None:
    for candidate in VENDOR_CANDIDATES:
        if (candidate / "__init__.py").is_file():
            return candidate.resolve()
    return None


def unavailable() -> str | None:
    """Why no Anki desktop can be started here, or ``None``."""
    if not ANKI.is_file():
        return f"Anki desktop is not installed at {ANKI_VENV} (make test installs it)"
    if addon_source() is None:
        return "the AnkiConnect add-on (shared/vendor/anki-connect) is not available"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AnkiDesktop:
    """One running Anki; ``url`` is its AnkiConnect endpoint."""

    def __init__(self, folder: Path, api_key: str | None = None):
        self.folder = folder
        self.base = folder / "base"
        self.home = folder / "home"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.process: subprocess.Popen | None = None

    def prepare(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        python = ANKI_VENV / "bin" / "python"
        subprocess.run([str(python), "-c", _SEED, str(self.base)], check=True, timeout=120)
        addon = self.base / "addons21" / ADDON_ID
        shutil.copytree(addon_source(), addon)
        config = json.loads((addon / "config.json").read_text())
        config.update(webBindAddress="127.0.0.1", webBindPort=self.port, apiKey=self.api_key)
        (addon / "config.json").write_text(json.dumps(config))

    def start(self, timeout: float = 90) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        env.update(
            QT_QPA_PLATFORM="offscreen",
            QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu",
            ANKI_SINGLE_INSTANCE_KEY=f"deckpress-test-{self.port}",
            HOME=str(self.home),
        )
        log = (self.folder / "anki.log").open("wb")
        self.process = subprocess.Popen(
            [str(ANKI), "-b", str(self.base), "-p", "test"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Anki exited with {self.process.returncode}: {self.log()}")
            try:
                if self.call("getProfiles") == ["test"]:
                    return
            except (OSError, urllib.error.URLError, RuntimeError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Anki did not answer within {timeout} s: {self.log()}")

    def log(self) -> str:
        path = self.folder / "anki.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def call(self, action: str, **params):
        body = {"action": action, "version": 6, "params": params}
        if self.api_key:
            body["key"] = self.api_key
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            reply = json.loads(response.read())
        if reply.get("error"):
            raise RuntimeError(reply["error"])
        return reply["result"]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def __enter__(self) -> AnkiDesktop:
        self.prepare()
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
