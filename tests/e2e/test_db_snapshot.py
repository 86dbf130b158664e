# SPDX-License-Identifier: Apache-2.0
"""The offline snapshot (data/osv-snapshot.jsonl.zst): rebuilt byte for byte
by scripts/make-snapshot, facts only, and used by a scan when no database
exists yet, giving the findings the full Debian data gives."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import run

ROOT = pathlib.Path(__file__).resolve().parents[2]
SNAP = ROOT / "data" / "osv-snapshot.jsonl.zst"


def test_snapshot_is_reproducible(shared, tmp_path):
    if not (shared / "vulndata" / "osv" / "Debian" / "all.zip").exists():
        pytest.skip("no shared vulndata")
    out = tmp_path / "snap.zst"
    subprocess.run([str(ROOT / "scripts" / "make-snapshot"), "--vulndata", str(shared / "vulndata"),
                    "-o", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == SNAP.read_bytes()


def test_snapshot_holds_facts_only():
    assert SNAP.stat().st_size < 4 << 20
    text = subprocess.run(["zstd", "-dc", str(SNAP)], capture_output=True, check=True).stdout
    ids = set()
    for line in text.splitlines():
        rec = json.loads(line)
        assert not {"summary", "details", "references", "credits"} & set(rec)
        assert {a["package"]["ecosystem"] for a in rec["affected"]} == {"Debian:12"}
        ids.add(rec["id"])
    # Records with a Debian:12 entry, as ../shared/vulndata/README.md counts them.
    assert len(ids) == 31332


def scan(bulwark, ref, env, *extra):
    r = subprocess.run([bulwark, "vuln", "-f", "json", *extra, ref], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r, sorted((f["package"], f["id"], f["fixed_version"] or "", f["severity"])
                     for f in json.loads(r.stdout)["findings"])


def test_scan_without_database_uses_snapshot(bulwark, images, shared, tmp_path):
    ref = f"oci:{images}/debian-minbase.oci:v1"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("BULWARK_SNAPSHOT", None)
    r, got = scan(bulwark, ref, env)
    assert "offline snapshot" in r.stderr
    assert (tmp_path / "cache" / "bulwark" / "db" / "bulwark.db").exists()
    assert len(got) > 20
    # A second scan uses the database the first one built.
    r2, again = scan(bulwark, ref, env)
    assert "offline snapshot" not in r2.stderr and again == got
    # The same findings as the full Debian data.
    full = shared / "vulndata" / "osv" / "Debian" / "all.zip"
    if full.exists():
        run(bulwark, "db", "import", "--db", tmp_path / "full.db", full, check=0)
        _, want = scan(bulwark, ref, env, "--db", str(tmp_path / "full.db"))
        assert got == want


def test_no_snapshot_no_database(bulwark, images, tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), BULWARK_SNAPSHOT=str(tmp_path / "none"))
    r = subprocess.run([bulwark, "vuln", f"oci:{images}/debian-minbase.oci:v1"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 3 and "no advisory database" in r.stderr and "db update" in r.stderr
