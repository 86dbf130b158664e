"""Builds small OCI layouts and docker archives by hand, including broken
ones, for the end-to-end tests. Layers are given as raw tar bytes (make them
with tar_bytes or by hand) and compressed here."""
import gzip
import hashlib
import io
import json
import os
import pathlib
import subprocess
import tarfile


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: list of (name, kind, payload) with kind in file/dir/symlink/
    hardlink/raw-header; payload is the content or the link target."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as tf:
        for name, kind, payload in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else payload
                ti.size = len(data)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = payload
                ti.mode = 0o777
                tf.addfile(ti)
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = payload
                tf.addfile(ti)
    return bio.getvalue()


def ustar_header(name, size, typeflag=b"0", mode=0o644, linkname=b""):
    """A raw ustar header block, with a valid checksum, that may lie."""
    h = bytearray(512)
    n = name.encode() if isinstance(name, str) else name
    h[0:len(n)] = n
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1700000000
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:265] = b"ustar\x0000"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, compresslevel=1, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, capture_output=True, check=True).stdout
    return raw


MT = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
      "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
      "none": "application/vnd.oci.image.layer.v1.tar"}


def oci_layout(dest, layers, how="gzip", tag="v1", diff_ids=None, tamper=None):
    """Writes an OCI layout with one image made of `layers` (raw tars).
    tamper: optional function(dict of parts) to break things after the
    honest parts are made; parts are 'blobs' (digest -> bytes), 'manifest',
    'config', 'index' (dicts) and may be edited in place."""
    dest = pathlib.Path(dest)
    blobs = {}
    descs = []
    ids = []
    for raw in layers:
        b = compress(raw, how)
        d = sha(b)
        blobs[d] = b
        descs.append({"mediaType": MT[how], "digest": d, "size": len(b)})
        ids.append(sha(raw))
    config = {"architecture": "amd64", "os": "linux", "created": "2025-01-01T00:00:00Z",
              "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"], "User": "1000",
                         "ExposedPorts": {"8080/tcp": {}}, "Labels": {"a": "b"}},
              "rootfs": {"type": "layers", "diff_ids": diff_ids if diff_ids is not None else ids},
              "history": [{"created": "2025-01-01T00:00:00Z", "created_by": "crafted"}]}
    parts = {"blobs": blobs, "config": config, "manifest": None, "index": None}

    def finish_manifest():
        cb = json.dumps(parts["config"]).encode()
        cd = sha(cb)
        parts["blobs"][cd] = cb
        return {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd,
                           "size": len(cb)}, "layers": descs}

    parts["manifest"] = finish_manifest()
    mb = json.dumps(parts["manifest"]).encode()
    parts["index"] = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(mb), "size": len(mb),
         "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    parts["manifest_bytes"] = mb
    if tamper:
        tamper(parts)
    (dest / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    for d, b in parts["blobs"].items():
        (dest / "blobs" / "sha256" / d[7:]).write_bytes(b)
    mb = parts["manifest_bytes"]
    if parts.get("manifest_raw") is not None:
        mb = parts["manifest_raw"]
    (dest / "blobs" / "sha256" / parts["index"]["manifests"][0]["digest"][7:]).write_bytes(mb)
    (dest / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (dest / "index.json").write_text(json.dumps(parts["index"]))
    return "oci:%s:%s" % (dest, tag)


def docker_archive(dest, layers):
    """A `docker save` style archive with legacy <id>/layer.tar names."""
    ids = [sha(raw) for raw in layers]
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": ids}}
    cb = json.dumps(config).encode()
    members = {cb and sha(cb)[7:] + ".json": cb}
    names = []
    for i, raw in enumerate(layers):
        n = "%064x/layer.tar" % (i + 1)
        members[n] = raw
        names.append(n)
    members["manifest.json"] = json.dumps([{"Config": sha(cb)[7:] + ".json",
                                            "RepoTags": ["crafted:latest"], "Layers": names}]).encode()
    with tarfile.open(dest, "w") as tf:
        for n, b in members.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(b)
            tf.addfile(ti, io.BytesIO(b))
    return "docker-archive:%s" % dest
