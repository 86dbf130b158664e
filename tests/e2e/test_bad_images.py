"""Hostile and broken images: each gives a clear error naming the image,
layer and entry, a distinct non-zero exit, bounded memory, and no crash."""
import json
import os
import resource
import subprocess
import zlib

import pytest

from conftest import run
from imgcraft import compress, docker_archive, oci_layout, sha, tar_bytes, ustar_header

BASE = [("etc", "dir", None), ("etc/hostname", "file", "crafted\n")]


def files(bulwark, ref, check=0):
    p = run(bulwark, "image", "files", "--format", "json", ref, check=check)
    return {f["path"]: f for f in json.loads(p.stdout)["files"]}


def fails(bulwark, ref, *needles, code=3):
    p = run(bulwark, "image", "files", ref, timeout=120)
    assert p.returncode == code, (p.returncode, p.stderr)
    assert p.stderr.count("error:") == 1
    for n in needles:
        assert n in p.stderr, p.stderr
    assert "Sanitizer" not in p.stderr and "Segmentation" not in p.stderr
    return p.stderr


def test_path_traversal(bulwark, tmp_path):
    layer = tar_bytes(BASE + [("../../etc/cron.d/evil", "file", "x")])
    ref = oci_layout(tmp_path / "img", [layer])
    d = sha(compress(layer, "gzip"))
    fails(bulwark, ref, "layer 1 (%s)" % d, "`../../etc/cron.d/evil`", "path traversal")
    assert not os.path.exists("/etc/cron.d/evil")


def test_absolute_name(bulwark, tmp_path):
    raw = ustar_header("/etc/passwd-evil", 1) + b"x" + b"\0" * 511 + b"\0" * 1024
    fails(bulwark, oci_layout(tmp_path / "img", [raw]), "absolute path `/etc/passwd-evil`", "layer 1")


def test_symlink_escape_stays_inside(bulwark, tmp_path):
    # A symlink that points far above the root, then a file written through
    # it: the file lands inside the image, never on the host.
    target = "/tmp/bulwark-escape-%d" % os.getpid()
    l1 = tar_bytes(BASE + [("escape", "symlink", "../../../../.." + os.path.dirname(target))])
    l2 = tar_bytes([("escape/" + os.path.basename(target), "file", "pwned")])
    got = files(bulwark, oci_layout(tmp_path / "img", [l1, l2]))
    assert got[target]["size"] == 5 and got[target]["layer"] == 2
    assert got["/escape"]["type"] == "symlink"
    assert not os.path.exists(target)


def test_symlink_loop(bulwark, tmp_path):
    l1 = tar_bytes(BASE + [("a", "symlink", "b"), ("b", "symlink", "/a")])
    l2 = tar_bytes([("a/x", "file", "x")])
    fails(bulwark, oci_layout(tmp_path / "img", [l1, l2]), "layer 2", "`a/x`",
          "too many levels of symbolic links")
    # Listing through the loop fails the same way; the image itself reads.
    ref = oci_layout(tmp_path / "img2", [l1])
    p = run(bulwark, "image", "files", ref, "/a/x")
    assert p.returncode == 3 and "too many levels of symbolic links" in p.stderr


def test_duplicate_entries_last_wins(bulwark, tmp_path):
    layer = tar_bytes(BASE + [("etc/hostname", "file", "second version\n")])
    got = files(bulwark, oci_layout(tmp_path / "img", [layer]))
    assert got["/etc/hostname"]["size"] == len("second version\n")


def test_hardlink_to_nothing(bulwark, tmp_path):
    layer = tar_bytes(BASE + [("etc/link", "hardlink", "etc/missing")])
    fails(bulwark, oci_layout(tmp_path / "img", [layer]), "hard link `etc/link`", "etc/missing")


@pytest.mark.parametrize("how", ["gzip", "zstd"])
def test_truncated_stream(bulwark, tmp_path, how):
    layer = tar_bytes(BASE + [("big", "file", os.urandom(200000))])

    def cut(parts):
        d = parts["manifest"]["layers"][0]["digest"]
        b = parts["blobs"].pop(d)[:-5000]
        nd = sha(b)
        parts["blobs"][nd] = b
        parts["manifest"]["layers"][0].update(digest=nd, size=len(b))
        mb = json.dumps(parts["manifest"]).encode()
        parts["manifest_bytes"] = mb
        parts["index"]["manifests"][0].update(digest=sha(mb), size=len(mb))
    fails(bulwark, oci_layout(tmp_path / "img", [layer], how=how, tamper=cut), "truncated", how)


def rewrite_layer(fn):
    """A tamper hook that replaces layer 1's blob by fn(blob), keeping the
    manifest honest about the new digest and size."""
    def tamper(parts):
        d = parts["manifest"]["layers"][0]["digest"]
        b = fn(parts["blobs"].pop(d))
        parts["blobs"][sha(b)] = b
        parts["manifest"]["layers"][0].update(digest=sha(b), size=len(b))
        mb = json.dumps(parts["manifest"]).encode()
        parts["manifest_bytes"] = mb
        parts["index"]["manifests"][0].update(digest=sha(mb), size=len(mb))
    return tamper


def test_corrupt_gzip(bulwark, tmp_path):
    layer = tar_bytes(BASE + [("big", "file", os.urandom(100000))])

    def flip(b):
        b = bytearray(b)
        for i in range(len(b) // 2, len(b) // 2 + 64):
            b[i] ^= 0xA5
        return bytes(b)
    fails(bulwark, oci_layout(tmp_path / "img", [layer], tamper=rewrite_layer(flip)), "corrupt gzip", "layer 1")


def test_corrupt_zstd(bulwark, tmp_path):
    layer = tar_bytes(BASE + [("big", "file", os.urandom(100000))])

    def flip(b):
        b = bytearray(b)
        b[10:30] = b"\xff" * 20
        return bytes(b)
    fails(bulwark, oci_layout(tmp_path / "img", [layer], how="zstd", tamper=rewrite_layer(flip)),
          "zstd", "layer 1")


def test_tar_header_lies_about_size(bulwark, tmp_path):
    # Declares 1 MiB, carries 10 bytes: the stream ends inside the entry.
    raw = ustar_header("liar", 1 << 20) + b"0123456789"
    fails(bulwark, oci_layout(tmp_path / "img", [raw]), "`liar` is missing", "layer 1")
    # Declares fewer bytes than it has: the rest is read as a header.
    raw = ustar_header("short", 3) + b"abcdefghij" * 100 + b"\0" * 1024
    fails(bulwark, oci_layout(tmp_path / "img2", [raw], how="none"), "checksum", "layer 1")


def test_decompression_bomb(bulwark, tmp_path):
    # 2 GiB of zeros in one entry, zstd-compressed to a few hundred KiB.
    size = 2 << 30
    zero = b"\0" * (1 << 20)
    proc = subprocess.Popen(["zstd", "-q", "-c", "-1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.read()))
    t.start()
    proc.stdin.write(ustar_header("bomb", size))
    for _ in range(size // len(zero)):
        proc.stdin.write(zero)
    proc.stdin.close()
    t.join()
    proc.wait()
    blob = out[0]
    assert len(blob) < (4 << 20)

    def put(b):
        return blob
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    err = fails(bulwark, oci_layout(tmp_path / "img", [b"x"], how="none", diff_ids=[sha(b"x")],
                                    tamper=rewrite_layer(put)), "bomb", "layer 1")
    assert "expands more than" in err
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert max(before, after) < 512 * 1024  # KiB: far less than the 2 GiB it would expand to


def test_manifest_not_json(bulwark, tmp_path):
    def garbage(parts):
        parts["manifest_raw"] = b"{this is not json"
        parts["index"]["manifests"][0].update(digest=sha(b"{this is not json"), size=17)
    fails(bulwark, oci_layout(tmp_path / "img", [tar_bytes(BASE)], tamper=garbage), "not a JSON object")


def test_index_not_json(bulwark, tmp_path):
    ref = oci_layout(tmp_path / "img", [tar_bytes(BASE)])
    (tmp_path / "img" / "index.json").write_text("[[[")
    fails(bulwark, ref, "index.json is not valid JSON")


def test_descriptor_lies_about_size(bulwark, tmp_path):
    def shrink(parts):
        parts["manifest"]["layers"][0]["size"] -= 100
        mb = json.dumps(parts["manifest"]).encode()
        parts["manifest_bytes"] = mb
        parts["index"]["manifests"][0].update(digest=sha(mb), size=len(mb))
    fails(bulwark, oci_layout(tmp_path / "img", [tar_bytes(BASE)], tamper=shrink), "larger than the",
          "bytes its descriptor declares")


def test_missing_blob(bulwark, tmp_path):
    layer = tar_bytes(BASE)
    ref = oci_layout(tmp_path / "img", [layer])
    d = sha(compress(layer, "gzip"))
    os.unlink(tmp_path / "img" / "blobs" / "sha256" / d[7:])
    fails(bulwark, ref, "blob missing", d[7:])


def test_digest_mismatch(bulwark, tmp_path):
    # Same size, valid tar, one byte of file data changed.
    layer = tar_bytes(BASE)
    ref = oci_layout(tmp_path / "img", [layer], how="none")
    d = sha(layer)
    p = tmp_path / "img" / "blobs" / "sha256" / d[7:]
    p.write_bytes(layer.replace(b"crafted\n", b"crafteD\n"))
    fails(bulwark, ref, d, "corrupt or tampered")


def test_manifest_digest_mismatch(bulwark, tmp_path):
    ref = oci_layout(tmp_path / "img", [tar_bytes(BASE)])
    idx = json.loads((tmp_path / "img" / "index.json").read_text())
    m = tmp_path / "img" / "blobs" / "sha256" / idx["manifests"][0]["digest"][7:]
    m.write_bytes(m.read_bytes().replace(b'"schemaVersion": 2', b'"schemaVersion":  2'))
    fails(bulwark, ref, "manifest %s: content has digest" % idx["manifests"][0]["digest"])


def test_docker_archive_diff_id_mismatch(bulwark, tmp_path):
    good = tar_bytes(BASE)
    ref = docker_archive(tmp_path / "a.tar", [good])
    assert files(bulwark, ref)["/etc/hostname"]["size"] == 8
    # Same layer name, other content: the config's diff_id no longer matches.
    import tarfile
    import io
    evil = tar_bytes(BASE + [("evil", "file", "x")])
    with tarfile.open(tmp_path / "a.tar") as tf:
        members = [(m, tf.extractfile(m).read()) for m in tf.getmembers()]
    with tarfile.open(tmp_path / "b.tar", "w") as tf:
        for m, b in members:
            if m.name.endswith("layer.tar"):
                b = evil
                m.size = len(b)
            tf.addfile(m, io.BytesIO(b))
    fails(bulwark, "docker-archive:%s" % (tmp_path / "b.tar"), "uncompressed content has digest", "layer 1")


def test_millions_of_tiny_entries(bulwark, tmp_path):
    # One million empty files in one zstd layer: read in bounded memory.
    n = 1000000
    proc = subprocess.Popen(["zstd", "-q", "-c", "-1", "-T2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.read()))
    t.start()
    proc.stdin.write(ustar_header("d/", 0, b"5", 0o755))
    chunk = []
    for i in range(n):
        chunk.append(ustar_header("d/%07d" % i, 0))
        if len(chunk) == 10000:
            proc.stdin.write(b"".join(chunk))
            chunk = []
    proc.stdin.write(b"".join(chunk) + b"\0" * 1024)
    proc.stdin.close()
    t.join()
    proc.wait()
    blob = out[0]

    def put(b):
        return blob
    ref = oci_layout(tmp_path / "img", [b"x"], how="none", diff_ids=[sha(b"x")], tamper=rewrite_layer(put))
    p = subprocess.run(["/usr/bin/time", "-f", "%M", bulwark, "image", "files", "--format", "json", ref],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["count"] == n + 2
    peak_kib = int(p.stderr.strip().splitlines()[-1])
    # The index costs about a hundred bytes a file: far below a naive
    # path-per-entry design, and bounded by BW_MAX_LAYER_ENTRIES.
    assert peak_kib < 400 * 1024, peak_kib


def test_index_lies_about_manifest_size(bulwark, tmp_path):
    def lie(parts):
        parts["index"]["manifests"][0]["size"] += 7
    fails(bulwark, oci_layout(tmp_path / "img", [tar_bytes(BASE)], tamper=lie), "its descriptor declares")


def test_manifest_lies_about_config_size(bulwark, tmp_path):
    def lie(parts):
        parts["manifest"]["config"]["size"] += 1
        mb = json.dumps(parts["manifest"]).encode()
        parts["manifest_bytes"] = mb
        parts["index"]["manifests"][0].update(digest=sha(mb), size=len(mb))
    fails(bulwark, oci_layout(tmp_path / "img", [tar_bytes(BASE)], tamper=lie), "the manifest declares")
