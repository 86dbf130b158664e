"""bulwark image inspect/files against real images, with `umoci unpack` of
the same image as the ground truth for the merged file system."""
import json
import os
import stat
import subprocess

import pytest

from conftest import run

IMAGES = ["debian-minbase", "debian-multi"]
# Every format make-test-images writes, by explicit transport and bare path.
FORMATS = [
    ("oci", "oci:{d}/{n}.oci:v1"),
    ("oci-bare", "{d}/{n}.oci"),
    ("oci-archive", "oci-archive:{d}/{n}.oci.tar:v1"),
    ("oci-archive-bare", "{d}/{n}.oci.tar"),
    ("docker-archive", "docker-archive:{d}/{n}.docker.tar"),
    ("docker-archive-bare", "{d}/{n}.docker.tar"),
    ("zstd", "oci:{d}/{n}.zstd.oci:v1"),
]


def rootfs_view(root):
    """The unpacked root file system as {path: (type, mode, size, link)}."""
    out = {}
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            rel = "/" + os.path.relpath(p, root)
            m = st.st_mode
            t = ("dir" if stat.S_ISDIR(m) else "symlink" if stat.S_ISLNK(m) else "file" if stat.S_ISREG(m)
                 else "char" if stat.S_ISCHR(m) else "block" if stat.S_ISBLK(m) else "fifo")
            out[rel] = (t, "%04o" % stat.S_IMODE(m), st.st_size if t == "file" else 0,
                        os.readlink(p) if t == "symlink" else None, st.st_uid, st.st_gid)
    return out


def bulwark_view(bulwark, ref, *args):
    p = run(bulwark, "image", "files", "--format", "json", ref, *args, check=0)
    doc = json.loads(p.stdout)
    out = {}
    for f in doc["files"]:
        if f["path"] == "/":
            continue
        assert f["path"] not in out, "duplicate path %s" % f["path"]
        out[f["path"]] = (f["type"], f["mode"], f["size"], f.get("link"), f["uid"], f["gid"])
    assert doc["count"] == len(out) + 1
    return out


@pytest.fixture(scope="module")
def umoci_roots(images, tmp_path_factory):
    roots = {}
    for n in IMAGES:
        d = tmp_path_factory.mktemp("umoci-" + n)
        subprocess.run(["umoci", "unpack", "--image", "%s/%s.oci:v1" % (images, n), str(d / "b")],
                       check=True, capture_output=True)
        roots[n] = rootfs_view(d / "b" / "rootfs")
    return roots


@pytest.mark.parametrize("name", IMAGES)
@pytest.mark.parametrize("fmt", [f[0] for f in FORMATS])
def test_files_equal_umoci_unpack(bulwark, images, umoci_roots, name, fmt):
    ref = dict(FORMATS)[fmt].format(d=images, n=name)
    got = bulwark_view(bulwark, ref)
    want = umoci_roots[name]
    diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    assert not diff, "%d differences, first: %s" % (
        len(diff), [(k, want.get(k), got.get(k)) for k in diff[:5]])
    assert len(got) > 5000


def test_whiteouts_in_debian_multi(bulwark, images):
    got = bulwark_view(bulwark, "oci:%s/debian-multi.oci:v1" % images)
    # Layer 3 deletes these (file and directory whiteouts) ...
    for gone in ["/usr/share/doc", "/opt/legacy", "/etc/motd", "/usr/bin/perlbug"]:
        assert gone not in got
    assert not any(p.startswith("/usr/share/doc/") for p in got)
    # ... and makes /srv/data opaque.
    assert "/srv/data/new.txt" in got
    assert not any(p.startswith("/srv/data/") and p != "/srv/data/new.txt" for p in got)
    site = [p for p in got if p.startswith("/opt/venv/lib/") and p.endswith("/site-packages")]
    assert len(site) == 1
    assert site[0] + "/pip" in got
    assert not any(p.startswith(site[0] + "/setuptools") for p in got)


def test_inspect_json(bulwark, images):
    info = dict(l.split("=", 1) for l in (images / "debian-multi.info.txt").read_text().split("\n") if "=" in l)
    p = run(bulwark, "image", "inspect", "--format", "json", "oci:%s/debian-multi.oci:v1" % images, check=0)
    doc = json.loads(p.stdout)
    assert doc["manifest_digest"] == info["oci_manifest_digest"]
    assert len(doc["layers"]) == int(info["layers"])
    assert doc["platform"] == "linux/amd64"
    assert sum(l["size"] for l in doc["layers"]) == int(info["compressed_bytes_gzip"])
    assert all(l["diff_id"].startswith("sha256:") for l in doc["layers"])
    assert doc["config"]["Cmd"] == ["/bin/bash"]
    assert "LANG=C.UTF-8" in doc["config"]["Env"]
    assert doc["config"]["Labels"]["org.opencontainers.image.title"] == "debian-multi"
    assert len(doc["history"]) == 5
    # The same image from the docker archive: same config, layers known by diff_id.
    p = run(bulwark, "image", "inspect", "--format", "json", "%s/debian-multi.docker.tar" % images, check=0)
    d2 = json.loads(p.stdout)
    assert d2["transport"] == "docker-archive"
    assert [l["diff_id"] for l in d2["layers"]] == [l["diff_id"] for l in doc["layers"]]


def test_inspect_table(bulwark, images):
    p = run(bulwark, "image", "inspect", "oci:%s/debian-minbase.oci:v1" % images, check=0)
    assert "Platform      linux/amd64" in p.stdout
    assert "Layers (1," in p.stdout
    assert "debootstrap --variant=minbase" in p.stdout
    assert "\033[" not in p.stdout  # not a TTY: no colour


def test_files_paths_resolve_symlinks_inside_image(bulwark, images):
    ref = "oci:%s/debian-minbase.oci:v1" % images
    # /bin is a symlink to usr/bin in Debian 12 (merged /usr).
    p = run(bulwark, "image", "files", ref, "/bin/ls", check=0)
    line = p.stdout.strip()
    assert line.endswith(" /usr/bin/ls"), line
    assert line.startswith("-rwxr-xr-x")
    p = run(bulwark, "image", "files", ref, "/etc/nope")
    assert p.returncode == 3
    assert "`/etc/nope`: no such file or directory" in p.stderr


def test_dir_source(bulwark, umoci_roots, images, tmp_path):
    subprocess.run(["umoci", "unpack", "--image", "%s/debian-minbase.oci:v1" % images, str(tmp_path / "b")],
                   check=True, capture_output=True)
    got = bulwark_view(bulwark, "dir:%s" % (tmp_path / "b" / "rootfs"))
    want = umoci_roots["debian-minbase"]
    # dir: sees hard links as the regular files they are.
    diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
    assert not diff, diff[:5]
    p = run(bulwark, "image", "inspect", "--format", "json", "dir:%s" % (tmp_path / "b" / "rootfs"), check=0)
    assert json.loads(p.stdout)["transport"] == "dir"


def test_platform_mismatch_on_single_image_is_not_silent(bulwark, images):
    # A single-platform layout has no index to choose from: the tag wins.
    p = run(bulwark, "image", "inspect", "--format", "json", "--platform", "linux/amd64",
            "oci:%s/debian-minbase.oci:v1" % images, check=0)
    assert json.loads(p.stdout)["platform"] == "linux/amd64"


def test_missing_tag_and_missing_file(bulwark, images):
    p = run(bulwark, "image", "inspect", "oci:%s/debian-minbase.oci:v9" % images)
    assert p.returncode == 3
    assert "no image tagged `v9`" in p.stderr
    p = run(bulwark, "image", "inspect", "docker-archive:/nonexistent.tar")
    assert p.returncode == 3
    assert "/nonexistent.tar" in p.stderr
    p = run(bulwark, "image", "inspect", "docker-archive:%s/debian-multi.docker.tar:other:tag" % images)
    assert p.returncode == 3
    assert "archive has no image `other:tag`" in p.stderr
    assert "localhost/test-images/debian-multi:v1" in p.stderr


def test_platform_mismatch_is_an_error(bulwark, images):
    p = run(bulwark, "image", "inspect", "--platform", "linux/arm64", "oci:%s/debian-minbase.oci:v1" % images)
    assert p.returncode == 3
    assert "image is for linux/amd64, not for the requested platform linux/arm64" in p.stderr
