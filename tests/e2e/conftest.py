"""Shared fixtures for the end-to-end tests: they drive the real `bulwark`
binary against real images made by ../shared/tools/make-test-images."""
import os
import pathlib
import queue
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bulwark():
    path = os.environ.get("BULWARK_BIN") or str(ROOT / "build" / "bulwark")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no bulwark binary at {path}: build first (meson compile -C build)")
    return path


@pytest.fixture(scope="session")
def images():
    d = pathlib.Path(os.environ.get("BULWARK_TEST_IMAGES", "/var/tmp/bulwark-test-images"))
    if not (d / "debian-multi.info.txt").exists():
        pytest.fail(f"test images missing in {d}: run scripts/test, which builds them")
    return d


@pytest.fixture(scope="session")
def shared():
    d = pathlib.Path(os.environ.get("BULWARK_SHARED", ROOT.parent / "shared"))
    return d


def run(bulwark, *args, timeout=300, env=None, check=None):
    """Runs bulwark; returns the CompletedProcess (text mode)."""
    p = subprocess.run([bulwark, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=env)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}, stderr: {p.stderr}"
    return p


class Lines:
    """A process's stderr, read by a thread so that waits can time out."""

    def __init__(self, stream):
        self.q = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, text, timeout=60):
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.q.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            if text in line:
                return "".join(seen)
        raise AssertionError("no `%s` on stderr: %s" % (text, "".join(seen)))
