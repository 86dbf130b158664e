"""The per-layer cache of `bulwark sbom`: a rescan reads no layer and gives
the same SBOM, an image sharing base layers reads only its own, later
layers' whiteouts still apply to cached layers, a damaged cache is a warning
and a rescan, and concurrent scans share one cache file."""
import json
import re
import sqlite3
import subprocess

import pytest

from conftest import run
from imgcraft import oci_layout, tar_bytes

META = "Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n"


def sbom(bulwark, ref, cache, *extra, fmt="json"):
    """(document, layers read, layers cached, stderr) of one scan."""
    p = run(bulwark, "sbom", "-d", "-f", fmt, "--cache-dir", cache, *extra, ref, check=0)
    m = re.search(r"packages: (\d+) of (\d+) layers read, (\d+) from the layer cache", p.stderr)
    assert m, p.stderr
    return json.loads(p.stdout), int(m.group(1)), int(m.group(3)), p.stderr


def names(doc, typ=None):
    return sorted((p["type"], p["name"], p["version"]) for p in doc["packages"]
                  if typ is None or p["type"] == typ)


def stable(doc):
    """A CycloneDX document without what changes between runs."""
    doc = dict(doc)
    doc.pop("serialNumber", None)
    doc["metadata"] = {k: v for k, v in doc["metadata"].items() if k != "timestamp"}
    return doc


def test_cold_warm_and_shared_base(bulwark, images, tmp_path):
    cache = tmp_path / "c"
    base = f"oci:{images}/debian-minbase.oci:v1"
    multi = f"oci:{images}/debian-multi.oci:v1"
    cold, read, cached, _ = sbom(bulwark, base, cache, fmt="cyclonedx")
    assert (read, cached) == (1, 0)
    assert (cache / "layers.db").exists()
    warm, read, cached, _ = sbom(bulwark, base, cache, fmt="cyclonedx")
    assert (read, cached) == (0, 1)
    assert stable(warm) == stable(cold) and len(cold["components"]) > 80
    # debian-multi is debian-minbase's layer plus four: only those are read.
    first, read, cached, _ = sbom(bulwark, multi, cache)
    assert (read, cached) == (4, 1)
    again, read, cached, _ = sbom(bulwark, multi, cache)
    assert (read, cached) == (0, 5)
    nocache, read, cached, _ = sbom(bulwark, multi, cache, "--no-cache")
    assert (read, cached) == (5, 0)
    assert first == again == nocache


def test_no_cache_writes_nothing(bulwark, images, tmp_path):
    _, read, _, _ = sbom(bulwark, f"oci:{images}/debian-minbase.oci:v1", tmp_path / "c", "--no-cache")
    assert read == 1
    assert not (tmp_path / "c").exists()


def test_default_dir_is_xdg_cache_home(bulwark, images, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    p = run(bulwark, "sbom", "-f", "json", f"oci:{images}/debian-minbase.oci:v1", env=env, check=0)
    assert (tmp_path / "xdg/bulwark/layers.db").exists()
    p = run(bulwark, "clean", env=env, check=0)
    assert "removed" in p.stdout
    assert not (tmp_path / "xdg/bulwark/layers.db").exists()
    p = run(bulwark, "clean", "--cache-dir", tmp_path / "nothing", check=0)
    assert "no layer cache" in p.stdout
    assert run(bulwark, "clean", "--bogus").returncode == 2


def _crafted(tmp_path, name, layers):
    return oci_layout(tmp_path / name, [tar_bytes(l) for l in layers])


BASE = [
    ("usr/lib/python3/dist-packages/keep-1.0.dist-info/METADATA", "file", META.format(n="keep", v="1.0")),
    ("usr/lib/python3/dist-packages/gone-2.0.dist-info/METADATA", "file", META.format(n="gone", v="2.0")),
    ("opt/app/site/wiped-3.0.dist-info/METADATA", "file", META.format(n="wiped", v="3.0")),
    ("opt/app/site/replaced-4.0.dist-info/METADATA", "file", META.format(n="replaced", v="4.0")),
]


def test_later_layers_delete_from_cached_layers(bulwark, tmp_path):
    cache = tmp_path / "c"
    base = _crafted(tmp_path, "base", [BASE])
    doc, read, _, _ = sbom(bulwark, base, cache)
    assert read == 1
    assert names(doc) == [("pypi", n, v) for n, v in
                          [("gone", "2.0"), ("keep", "1.0"), ("replaced", "4.0"), ("wiped", "3.0")]]
    top = [
        ("usr/lib/python3/dist-packages/.wh.gone-2.0.dist-info", "file", ""),
        ("opt/app/site/.wh..wh..opq", "file", ""),
        ("opt/app/site/new-5.0.dist-info/METADATA", "file", META.format(n="new", v="5.0")),
    ]
    # The same base layer (same bytes, same digest) under a new top layer.
    child = _crafted(tmp_path, "child", [BASE, top])
    doc, read, cached, _ = sbom(bulwark, child, cache)
    assert (read, cached) == (1, 1)
    assert names(doc) == [("pypi", "keep", "1.0"), ("pypi", "new", "5.0")]
    # A file replaced by a symlink, and a parent folder replaced by a file.
    top2 = [("usr/lib/python3/dist-packages/keep-1.0.dist-info/METADATA", "symlink", "/dev/null"),
            ("opt/app", "file", "not a folder any more")]
    child2 = _crafted(tmp_path, "child2", [BASE, top2])
    doc, read, cached, _ = sbom(bulwark, child2, cache)
    assert (read, cached) == (1, 1)
    assert names(doc) == [("pypi", "gone", "2.0")]
    warm, read, _, _ = sbom(bulwark, child2, cache)
    assert read == 0 and warm == doc


def test_a_lying_diff_id_cannot_poison_the_cache(bulwark, tmp_path):
    """An image whose config claims the base layer's diff_id for other bytes
    must not plant its results for the real base layer."""
    cache = tmp_path / "c"
    real = tar_bytes(BASE)
    import imgcraft
    liar = oci_layout(tmp_path / "liar", [tar_bytes([("x/y", "file", "nothing")])],
                      diff_ids=[imgcraft.sha(real)])
    doc, read, _, _ = sbom(bulwark, liar, cache)
    assert read == 1 and names(doc) == []
    doc, read, cached, _ = sbom(bulwark, oci_layout(tmp_path / "real", [real]), cache)
    assert (read, cached) == (1, 0)
    assert len(names(doc)) == 4


def test_python_package_of_a_deb_is_listed_once_across_layers(bulwark, tmp_path):
    """dist-info in one layer, the dpkg database that owns it in a later one
    (read from the cache on the second scan): listed as the deb only."""
    cache = tmp_path / "c"
    lower = [("usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA", "file", META.format(n="foo", v="1.0")),
             ("opt/venv/lib/python3.11/site-packages/bar-2.0.dist-info/METADATA", "file",
              META.format(n="bar", v="2.0"))]
    upper = [("var/lib/dpkg/status", "file",
              "Package: python3-foo\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n\n"),
             ("var/lib/dpkg/info/python3-foo.list", "file",
              "/.\n/usr\n/usr/lib/python3/dist-packages/foo-1.0.dist-info\n"
              "/usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA\n")]
    ref = _crafted(tmp_path, "img", [lower, upper])
    for want_read in (2, 0):
        doc, read, _, _ = sbom(bulwark, ref, cache)
        assert read == want_read
        assert names(doc) == [("deb", "python3-foo", "1.0-1"), ("pypi", "bar", "2.0")]


def test_damaged_cache_file_is_a_warning_and_a_rescan(bulwark, images, tmp_path):
    cache = tmp_path / "c"
    ref = f"oci:{images}/debian-minbase.oci:v1"
    good, _, _, _ = sbom(bulwark, ref, cache)
    (cache / "layers.db").write_bytes(b"this is not a database" * 1000)
    for f in ("layers.db-wal", "layers.db-shm"):
        (cache / f).unlink(missing_ok=True)
    doc, read, _, err = sbom(bulwark, ref, cache)
    assert read == 1 and doc == good
    assert "warning" in err and "layers.db" in err
    doc, read, _, _ = sbom(bulwark, ref, cache)
    assert read == 0 and doc == good


def test_damaged_entry_is_a_warning_and_a_rescan(bulwark, images, tmp_path):
    cache = tmp_path / "c"
    ref = f"oci:{images}/debian-minbase.oci:v1"
    good, _, _, _ = sbom(bulwark, ref, cache)
    db = sqlite3.connect(cache / "layers.db")
    blob = bytearray(db.execute("SELECT data FROM layers").fetchone()[0])
    blob[len(blob) // 2] ^= 0xff
    db.execute("UPDATE layers SET data = ?", (bytes(blob),))
    db.commit()
    db.close()
    doc, read, _, err = sbom(bulwark, ref, cache)
    assert read == 1 and doc == good
    assert "damaged" in err
    _, read, _, _ = sbom(bulwark, ref, cache)
    assert read == 0


def test_concurrent_scans_share_the_cache(bulwark, images, tmp_path):
    cache = tmp_path / "c"
    refs = [f"oci:{images}/debian-multi.oci:v1", f"oci:{images}/debian-minbase.oci:v1"] * 2
    procs = [subprocess.Popen([bulwark, "sbom", "-f", "json", "--threads", "1", "--cache-dir", str(cache), r],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in refs]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    assert all("warning" not in o[1] for o in outs), [o[1] for o in outs]
    assert outs[0][0] == outs[2][0] and outs[1][0] == outs[3][0]
    db = sqlite3.connect(cache / "layers.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM layers").fetchone()[0] == 5
    db.close()
    doc, read, _, _ = sbom(bulwark, refs[0], cache)
    assert read == 0 and json.loads(outs[0][0]) == doc


def test_unwritable_cache_dir_is_a_warning(bulwark, images, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    doc, read, _, err = sbom(bulwark, f"oci:{images}/debian-minbase.oci:v1", blocker / "sub")
    assert read == 1 and len(doc["packages"]) > 80
    assert "warning" in err and "going on without it" in err


def test_oversized_file_warns_from_the_cache_too_unless_deleted(bulwark, tmp_path):
    cache = tmp_path / "c"
    big = ("srv/node_modules/huge/package.json", "file", '{"name": "huge", "version": "1.0.0", "x": "'
           + "a" * (9 << 20) + '"}')
    ok = ("srv/node_modules/small/package.json", "file", '{"name": "small", "version": "2.0.0"}')
    ref = _crafted(tmp_path, "img", [[big, ok]])
    for want_read in (1, 0):
        doc, read, _, err = sbom(bulwark, ref, cache)
        assert read == want_read
        assert names(doc) == [("npm", "small", "2.0.0")]
        assert "huge/package.json" in err and "limit" in err and "layer 1" in err
    gone = _crafted(tmp_path, "gone", [[big, ok], [("srv/node_modules/.wh.huge", "file", "")]])
    doc, read, cached, err = sbom(bulwark, gone, cache)
    assert (read, cached) == (1, 1)
    assert names(doc) == [("npm", "small", "2.0.0")]
    assert "huge" not in err
