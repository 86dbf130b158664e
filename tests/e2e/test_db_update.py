# SPDX-License-Identifier: Apache-2.0
"""bulwark db update against a real HTTP server on loopback serving a folder
laid out like OSV's bucket (<Ecosystem>/all.zip): success, network and HTTP
failures, a corrupt zip, a checksum mismatch, and SIGKILL at many moments of
an update, after each of which the old database still answers."""
import base64
import hashlib
import http.server
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import run

ECOS = ["Debian", "Alpine", "PyPI", "Go", "crates.io", "npm", "RubyGems"]


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folder; a file named NAME.slow is sent slowly, a
    NAME.goog-md5 file's content is sent as x-goog-hash, NAME.status makes the
    server answer that status."""

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if os.path.exists(path + ".status"):
            self.send_error(int(open(path + ".status").read()))
            return
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        if os.path.exists(path + ".goog-md5"):
            self.send_header("x-goog-hash", "crc32c=AAAAAA==,md5=" + open(path + ".goog-md5").read())
        self.end_headers()
        slow = os.path.exists(path + ".slow")
        for i in range(0, len(data), 8192):
            try:
                self.wfile.write(data[i:i + 8192])
            except (BrokenPipeError, ConnectionResetError):
                return
            if slow:
                time.sleep(0.02)


@pytest.fixture
def mirror(tmp_path, shared):
    mini = shared / "vulndata" / "mini" / "osv"
    if not mini.exists():
        pytest.skip("no shared vulndata")
    root = tmp_path / "mirror"
    for e in ECOS:
        (root / e).mkdir(parents=True)
        shutil.copy(mini / e / "all.zip", root / e / "all.zip")

    class H(Handler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def info_count(bulwark, db):
    r = run(bulwark, "db", "info", "--db", db, check=0)
    return int(r.stdout.splitlines()[1].split()[1])


def leftovers(d):
    return sorted(p.name for p in d.iterdir() if ".new-" in p.name or ".update-" in p.name)


def test_update_builds_db(bulwark, mirror, tmp_path):
    root, url = mirror
    db = tmp_path / "db" / "bulwark.db"
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url, check=0)
    assert "imported 525 advisories" in r.stdout
    # Progress bars only on a terminal: none here.
    assert "[" not in r.stderr and "MiB" not in r.stderr
    out = run(bulwark, "db", "info", "--db", db, check=0).stdout
    for eco in ("Debian:12", "Alpine:v3.18", "PyPI", "Go", "crates.io", "npm", "RubyGems"):
        assert eco in out
    assert leftovers(db.parent) == []


def test_update_ecosystem_subset_and_unknown(bulwark, mirror, tmp_path):
    root, url = mirror
    db = tmp_path / "b.db"
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Go,npm", check=0)
    out = run(bulwark, "db", "info", "--db", db, check=0).stdout
    assert "Go " in out and "npm" in out and "Debian" not in out
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Foo")
    assert r.returncode == 2 and "unknown ecosystem `Foo`" in r.stderr


def test_network_failures_exit_4(bulwark, mirror, tmp_path):
    root, url = mirror
    db = tmp_path / "c.db"
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, check=0)
    before = db.read_bytes()
    # Nothing listens there.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    dead = f"http://127.0.0.1:{port}"
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", dead)
    assert r.returncode == 4, r.stderr
    assert f"{dead}/Debian/all.zip" in r.stderr
    # The server answers an error.
    (root / "Go" / "all.zip.status").write_text("503")
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url)
    assert r.returncode == 4 and f"{url}/Go/all.zip" in r.stderr and "HTTP 503" in r.stderr
    (root / "Go" / "all.zip.status").unlink()
    # Missing on the mirror.
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Maven")
    assert r.returncode == 4 and "HTTP 404" in r.stderr
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_corrupt_zip_keeps_old_db(bulwark, mirror, tmp_path):
    root, url = mirror
    db = tmp_path / "d.db"
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, check=0)
    before = db.read_bytes()
    z = root / "npm" / "all.zip"
    data = bytearray(z.read_bytes())
    # Flip bytes inside the first member's compressed data: the CRC fails.
    for i in range(60, 90):
        data[i] ^= 0xFF
    z.write_bytes(bytes(data))
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url)
    assert r.returncode == 3, r.stderr
    assert "npm-all.zip" in r.stderr and url in r.stderr and "old database kept" in r.stderr
    assert db.read_bytes() == before
    # Truncated.
    z.write_bytes(bytes(data[: len(data) // 2]))
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url)
    assert r.returncode == 3 and "npm-all.zip" in r.stderr
    assert db.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_checksum_from_server(bulwark, mirror, tmp_path):
    root, url = mirror
    db = tmp_path / "e.db"
    z = root / "Go" / "all.zip"
    good = base64.b64encode(hashlib.md5(z.read_bytes()).digest()).decode()
    (root / "Go" / "all.zip.goog-md5").write_text(good)
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Go", check=0)
    (root / "Go" / "all.zip.goog-md5").write_text(base64.b64encode(b"x" * 16).decode())
    r = run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Go")
    assert r.returncode != 0 and "MD5" in r.stderr and f"{url}/Go/all.zip" in r.stderr


def test_sigkill_at_any_moment_keeps_old_db(bulwark, mirror, tmp_path, images, shared):
    root, url = mirror
    full_alpine = shared / "vulndata" / "osv" / "Alpine" / "all.zip"
    if not full_alpine.exists():
        pytest.skip("no shared vulndata")
    db = tmp_path / "f.db"
    ref = f"oci:{images}/debian-minbase.oci:v1"
    # The old database: Debian only.
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, "--ecosystem", "Debian", check=0)
    old_count = info_count(bulwark, db)
    old_scan = run(bulwark, "vuln", "--db", db, "-f", "json", ref, check=0).stdout
    # The new data downloads slowly (Debian zip) and then imports for a
    # while (the full Alpine zip), so kills land in both phases.
    (root / "Debian" / "all.zip.slow").write_text("")
    shutil.copy(full_alpine, root / "Alpine" / "all.zip")
    for delay in (0.05, 0.2, 0.4, 0.7, 1.0, 1.5, 2.0, 3.0):
        p = subprocess.Popen([bulwark, "db", "update", "--db", str(db), "--db-repository", url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        n = info_count(bulwark, db)
        # Either the old database, or (had the update finished) the new one.
        assert n == old_count or n > 7000, n
        if n == old_count:
            assert run(bulwark, "vuln", "--db", db, "-f", "json", ref, check=0).stdout.replace(
                " ", "") != "" and _ids(run(bulwark, "vuln", "--db", db, "-f", "json", ref).stdout) == _ids(old_scan)
    # A complete update afterwards cleans what the killed ones left.
    run(bulwark, "db", "update", "--db", db, "--db-repository", url, check=0)
    assert info_count(bulwark, db) > old_count
    assert leftovers(tmp_path) == []


def _ids(doc):
    import json
    return sorted((f["package"], f["id"]) for f in json.loads(doc)["findings"])
