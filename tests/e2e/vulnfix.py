# SPDX-License-Identifier: Apache-2.0
"""An advisory database for the report, VEX and SBOM-scan tests, built once
per test session from the OSV zips in ../shared/vulndata (Debian, Go, npm,
PyPI: the ecosystems of debian-multi's packages), and the JSON report of a
direct scan of debian-multi against it."""
import json

import pytest

from conftest import run

ECOSYSTEMS = ("Debian", "Go", "npm", "PyPI")
_cache = {}


def advisory_db(bulwark, shared, tmp_path_factory):
    if "db" not in _cache:
        zips = [shared / "vulndata" / "osv" / e / "all.zip" for e in ECOSYSTEMS]
        if not all(z.exists() for z in zips):
            pytest.skip("no shared vulndata")
        db = tmp_path_factory.mktemp("advdb") / "adv.db"
        run(bulwark, "db", "import", "--db", db, *zips, check=0)
        _cache["db"] = db
    return _cache["db"]


def image_ref(images):
    return f"oci:{images}/debian-multi.oci:v1"


def direct_scan(bulwark, db, images):
    """bulwark image --scanners vuln -f json of debian-multi, parsed."""
    if "scan" not in _cache:
        p = run(bulwark, "image", "--scanners", "vuln", "--db", db, "-f", "json", image_ref(images),
                check=0)
        _cache["scan"] = json.loads(p.stdout)
    return _cache["scan"]


def keys(findings):
    """What must agree between two scans of the same packages."""
    return {(f["package"], f["installed_version"], f["id"], f["fixed_version"], f["status"])
            for f in findings}
