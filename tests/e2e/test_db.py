# SPDX-License-Identifier: Apache-2.0
"""bulwark db import / info on fixtures and on the shared OSV zips."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("BULWARK_BIN", str(ROOT / "build" / "bulwark"))
DATA = ROOT / "tests" / "data" / "vuln"
OSV = ROOT.parent / "shared" / "vulndata" / "osv"


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


def test_import_folder_and_info(tmp_path):
    db = tmp_path / "x.db"
    r = run("db", "import", "--db", str(db), str(DATA / "osv"))
    assert r.returncode == 0, r.stderr
    assert "imported 2 advisories" in r.stdout
    r = run("db", "info", "--db", str(db))
    assert r.returncode == 0
    assert "Debian:12" in r.stdout and "npm" in r.stdout


def test_corrupt_zip_keeps_old_db(tmp_path):
    db = tmp_path / "x.db"
    assert run("db", "import", "--db", str(db), str(DATA / "osv")).returncode == 0
    before = db.read_bytes()
    r = run("db", "import", "--db", str(db), str(DATA / "corrupt.zip"))
    assert r.returncode != 0
    assert "corrupt.zip" in r.stderr
    assert db.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".new-" in p.name]


def test_truncated_zip(tmp_path):
    src = OSV / "crates.io" / "all.zip"
    if not src.exists():
        pytest.skip("no shared vulndata")
    t = tmp_path / "trunc.zip"
    t.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    r = run("db", "import", "--db", str(tmp_path / "x.db"), str(t))
    assert r.returncode != 0 and "trunc.zip" in r.stderr
    assert not (tmp_path / "x.db").exists()


def test_not_sqlite(tmp_path):
    db = tmp_path / "x.db"
    db.write_text("hello")
    r = run("db", "info", "--db", str(db))
    assert r.returncode != 0 and "not a bulwark advisory database" in r.stderr


def test_import_shared_zips(tmp_path):
    zips = sorted(OSV.glob("*/all.zip"))
    if not zips:
        pytest.skip("no shared vulndata")
    db = tmp_path / "all.db"
    r = run("db", "import", "--db", str(db), *map(str, zips))
    assert r.returncode == 0, r.stderr
    info = run("db", "info", "--db", str(db)).stdout
    counts = {l.split()[0]: int(l.split()[1]) for l in info.splitlines()[6:] if l.strip()}
    # Records per ecosystem as the vulndata README lists them.
    assert counts["Debian:12"] == 31332
    assert counts["Alpine:v3.21"] == 6329
    # crates.io, counted independently: not withdrawn, with ranges or
    # versions, in any zip (npm's GHSA records name other ecosystems too).
    import json
    import zipfile
    ids = set()
    for z in zips:
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                rec = json.loads(zf.read(name))
                if rec.get("withdrawn"):
                    continue
                for a in rec.get("affected", []):
                    if a.get("package", {}).get("ecosystem") == "crates.io" and (
                        any(r.get("type") in ("ECOSYSTEM", "SEMVER") for r in a.get("ranges", []))
                        or a.get("versions")
                    ):
                        ids.add(rec["id"])
    assert counts["crates.io"] == len(ids)
