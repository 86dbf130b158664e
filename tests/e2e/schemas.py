# SPDX-License-Identifier: Apache-2.0
"""Validation against the official JSON schemas that scripts/fetch-schemas
puts in /var/tmp/bulwark-schemas (or $BULWARK_SCHEMAS): CycloneDX 1.6 with
the SPDX licence and JSF schemas it references, and SARIF 2.1.0; and
against SPDX 2.3, whose official schema no package ships, so the project
keeps a copy in tests/data/schemas (source in its README)."""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIR = pathlib.Path(os.environ.get("BULWARK_SCHEMAS", "/var/tmp/bulwark-schemas"))
CDX = "bom-1.6.SNAPSHOT.schema.json"
CDX_REFS = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
SARIF = "sarif-2.1.0-rtm.5.json"
SPDX = ROOT / "tests" / "data" / "schemas" / "spdx-schema-2.3.json"


def _load(name):
    if isinstance(name, pathlib.Path):
        return json.loads(name.read_text())
    path = DIR / name
    if not path.exists():
        # The project's own script fetches them (npm registry); CI runs
        # install-deps first, so this only helps a bare checkout.
        subprocess.run([str(ROOT / "scripts" / "fetch-schemas"), str(DIR)], check=False)
    if not path.exists():
        pytest.fail(f"schema {path} missing: run scripts/fetch-schemas")
    return json.loads(path.read_text())


def _validator(name, refs=()):
    jsonschema = pytest.importorskip("jsonschema")
    schema = _load(name)
    store = {}
    for r in refs:
        s = _load(r)
        # Relative $refs resolve against the main schema's $id.
        base = (schema.get("$id") or schema["id"]).rsplit("/", 1)[0]
        store[f"{base}/{r}"] = s
        store[s["$id"]] = s
    cls = jsonschema.validators.validator_for(schema)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store, id_of=cls.ID_OF)
    return cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)


def errors(kind, doc):
    """Schema errors of doc as 'path: message' lines (empty when valid)."""
    if kind == "cyclonedx":
        v = _validator(CDX, CDX_REFS)
    elif kind == "sarif":
        v = _validator(SARIF)
    elif kind == "spdx":
        v = _validator(SPDX)
    else:
        raise ValueError(f"no schema for {kind!r}")
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.path)))]


def assert_valid(kind, doc):
    errs = errors(kind, doc)
    assert not errs, f"{kind} output fails its schema:\n" + "\n".join(errs[:20])
