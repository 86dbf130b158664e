# SPDX-License-Identifier: Apache-2.0
"""Bad input to the advisory store: schema violations, unknown ecosystems,
versions no scheme parses, corrupt snapshots, files that are not our
database, and a database locked by another process."""
import json
import sqlite3
import subprocess

from conftest import run

GOOD = {"id": "DEB-OK-1", "modified": "2025-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.3-1"}]}]}]}


def write(d, name, obj):
    p = d / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


def bad_records():
    return {
        "no-id.json": {"affected": GOOD["affected"]},
        "unknown-eco.json": {"id": "X-1", "affected": [{"package": {"ecosystem": "Foo", "name": "x"},
                                                          "versions": ["1"]}]},
        "bad-range.json": {"id": "X-2", "affected": [{"package": {"ecosystem": "npm", "name": "x"},
                                                        "ranges": [{"type": "WEIRD", "events": [{"introduced": "0"}]}]}]},
        "two-keys.json": {"id": "X-3", "affected": [{"package": {"ecosystem": "npm", "name": "x"},
                                                       "ranges": [{"type": "SEMVER",
                                                                   "events": [{"introduced": "0", "fixed": "1.0.0"}]}]}]},
        "not-json.json": "{\"id\": ",
    }


def test_each_bad_record_alone_fails_cleanly(bulwark, tmp_path):
    db = tmp_path / "x.db"
    for name, rec in bad_records().items():
        p = write(tmp_path, name, rec)
        r = run(bulwark, "db", "import", "--db", db, p)
        assert r.returncode == 3, (name, r.stderr)
        assert name in r.stderr, r.stderr
        assert not db.exists()
        assert not [q for q in tmp_path.iterdir() if ".new-" in q.name]
    r = run(bulwark, "db", "import", "--db", db, write(tmp_path, "u.json", bad_records()["unknown-eco.json"]))
    assert "unknown ecosystem `Foo`" in r.stderr
    r = run(bulwark, "db", "import", "--db", db, write(tmp_path, "w.json", bad_records()["bad-range.json"]))
    assert "unknown range type `WEIRD`" in r.stderr


def test_bad_records_among_good_ones_are_named_and_skipped(bulwark, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write(src, "good.json", GOOD)
    for name, rec in bad_records().items():
        write(src, name, rec)
    r = run(bulwark, "db", "import", "--db", tmp_path / "x.db", src, check=0)
    assert "imported 1 advisories" in r.stdout and "5 rejected" in r.stdout
    for name in bad_records():
        assert name in r.stderr
    assert "`X-1`" in r.stderr and "`X-3`" in r.stderr


def test_unparsable_version_is_named(bulwark, tmp_path):
    rec = json.loads(json.dumps(GOOD))
    rec["affected"][0]["ranges"][0]["events"][1]["fixed"] = "!!not a version!!"
    r = run(bulwark, "db", "import", "--db", tmp_path / "x.db", write(tmp_path, "v.json", rec), check=0)
    assert "`DEB-OK-1`" in r.stderr and "`!!not a version!!`" in r.stderr and "v.json" in r.stderr
    assert "1 with versions that do not parse" in r.stdout


def test_corrupt_snapshot(bulwark, tmp_path):
    lines = (json.dumps(GOOD) + "\n").encode() * 3
    z = subprocess.run(["zstd", "-q", "-c"], input=lines, capture_output=True, check=True).stdout
    (tmp_path / "s.jsonl.zst").write_bytes(z)
    run(bulwark, "db", "import", "--db", tmp_path / "x.db", tmp_path / "s.jsonl.zst", check=0)
    before = (tmp_path / "x.db").read_bytes()
    (tmp_path / "t.jsonl.zst").write_bytes(z[: len(z) - 6])
    r = run(bulwark, "db", "import", "--db", tmp_path / "x.db", tmp_path / "t.jsonl.zst")
    assert r.returncode == 3 and "t.jsonl.zst" in r.stderr and "zstd" in r.stderr
    (tmp_path / "b.jsonl").write_text(json.dumps(GOOD) + "\n{broken\n")
    r = run(bulwark, "db", "import", "--db", tmp_path / "y.db", tmp_path / "b.jsonl", check=0)
    assert "b.jsonl: line 2" in r.stderr
    assert (tmp_path / "x.db").read_bytes() == before


def test_not_a_database(bulwark, tmp_path, images):
    db = tmp_path / "x.db"
    db.write_bytes(b"SQLite format 2 or rather not at all" * 100)
    for args in (["db", "info", "--db", db], ["vuln", "--db", db, f"oci:{images}/debian-minbase.oci:v1"]):
        r = run(bulwark, *args)
        assert r.returncode == 3, r.stderr
        assert "not a bulwark advisory database" in r.stderr and str(db) in r.stderr
    # Some other SQLite database.
    db2 = tmp_path / "other.db"
    c = sqlite3.connect(db2)
    c.execute("CREATE TABLE t(x)")
    c.commit()
    c.close()
    r = run(bulwark, "db", "info", "--db", db2)
    assert r.returncode == 3 and "not a bulwark advisory database" in r.stderr


def test_older_schema(bulwark, tmp_path):
    db = tmp_path / "old.db"
    run(bulwark, "db", "import", "--db", db, write(tmp_path, "g.json", GOOD), check=0)
    c = sqlite3.connect(db)
    c.execute("UPDATE meta SET value='1' WHERE key='schema'")
    c.commit()
    c.close()
    r = run(bulwark, "db", "info", "--db", db)
    assert r.returncode == 3 and "another version of bulwark" in r.stderr and "db update" in r.stderr


def test_locked_database(bulwark, tmp_path, images):
    db = tmp_path / "x.db"
    run(bulwark, "db", "import", "--db", db, write(tmp_path, "g.json", GOOD), check=0)
    before = db.read_bytes()
    holder = sqlite3.connect(db, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO meta VALUES('held', 'by test')")
    try:
        for args in (["db", "info", "--db", db], ["vuln", "--db", db, f"oci:{images}/debian-minbase.oci:v1"]):
            r = run(bulwark, *args, timeout=60)
            assert r.returncode == 3, r.stderr
            assert "locked by another process" in r.stderr and str(db) in r.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert db.read_bytes() == before
    run(bulwark, "db", "info", "--db", db, check=0)
