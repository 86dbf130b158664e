"""bulwark rules / replay: validation of upstream and bad rule files, and the
hand-written replay stream in tests/data/rules (must / must-not match)."""
import json
import re
import pathlib
import subprocess

from conftest import run, ROOT

DATA = ROOT / "tests/data/rules"
FALCO = "corpus/falco"


def test_validate_upstream(bulwark, shared):
    for f in ["rules/rules/falco_rules.yaml", "rules/rules/falco-incubating_rules.yaml",
              "rules/rules/falco-sandbox_rules.yaml", "plugins/k8saudit/rules/k8s_audit_rules.yaml"]:
        p = run(bulwark, "rules", "validate", shared / FALCO / f)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith(f"{shared / FALCO / f}: Ok")


def test_validate_names_skipped_rules(bulwark, shared):
    p = run(bulwark, "rules", "validate", shared / FALCO / "rules/archive/falco-deprecated_rules.yaml",
            check=0)
    assert "skipped: Disallowed SSH Connection (field `evt.dir`" in p.stdout


def test_validate_errors(bulwark, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- macro: a\n  condition: b\n- macro: b\n  condition: a\n"
                   "- rule: r\n  desc: d\n  condition: a and nosuch\n  output: o\n"
                   "  priority: INFO\n- rule: no output\n  desc: d\n  condition: a\n"
                   "  priority: INFO\n")
    p = run(bulwark, "rules", "validate", bad)
    assert p.returncode == 3
    assert f"{bad}: Invalid" in p.stdout
    assert f"{bad}:10:3: error: rule `no output`: Item has no mapping for key 'output'" in p.stderr


def test_validate_legacy_fixtures(bulwark, shared):
    base = shared / FALCO / "legacy-tests/rules"
    for name, ok in [("single_rule.yaml", True), ("invalid_macro_loop.yaml", False),
                     ("invalid_not_yaml.yaml", False), ("invalid_rule_without_output.yaml", False),
                     ("rule_append_failure.yaml", False), ("invalid_append_macro_dangling.yaml", False)]:
        p = run(bulwark, "rules", "validate", base / name)
        assert (p.returncode == 0) == ok, (name, p.stdout, p.stderr)


def test_list(bulwark, shared):
    p = run(bulwark, "rules", "list", "--json", "-r",
            shared / FALCO / "plugins/k8saudit/rules/k8s_audit_rules.yaml", check=0)
    rules = json.loads(p.stdout)
    assert len(rules) == 48
    assert rules[0]["source"] == "k8s_audit" and rules[0]["state"] == "active"


def test_replay_must_and_must_not(bulwark):
    p = run(bulwark, "replay", "--json", "--all-matches", "-r", DATA / "ops.yaml",
            "--replay", DATA / "events.jsonl", check=0)
    alerts = [json.loads(line) for line in p.stdout.splitlines()]
    assert [a["rule"] for a in alerts] == ["Shell spawned", "Sensitive file read",
                                           "Connect to private net", "Glob and regex",
                                           "Glob and regex"]
    a = alerts[0]
    assert a["output"] == ("Shell spawned (user=root shell=bash parent=nginx "
                           "anc=containerd-shim)")
    assert a["output_fields"]["proc.aname[2]"] == "containerd-shim"
    assert a["priority"] == "Warning" and a["tags"] == ["shell"] and a["source"] == "syscall"
    assert a["time"] == "2023-11-14T22:13:20.000000000Z"
    assert alerts[2]["output_fields"]["fd.sport"] == 8080
    assert "events.jsonl:19: invalid JSON" in p.stderr


def test_replay_text_and_stdin(bulwark):
    data = (DATA / "events.jsonl").read_text()
    p = subprocess.run([bulwark, "replay", "-r", str(DATA / "ops.yaml"), "-"], input=data,
                       capture_output=True, text=True, timeout=60, env={"TZ": "UTC"})
    assert p.returncode == 0
    assert p.stdout.splitlines()[0] == ("22:13:20.000000000: Warning Shell spawned (user=root "
                                        "shell=bash parent=nginx anc=containerd-shim)")


def test_replay_bad_rules(bulwark, tmp_path):
    bad = tmp_path / "r.yaml"
    bad.write_text("- rule: r\n  desc: d\n  condition: fd.name glob \"/a[\"\n  output: o\n"
                   "  priority: INFO\n")
    p = run(bulwark, "replay", "-r", bad, DATA / "events.jsonl")
    assert p.returncode == 3 and "invalid glob pattern" in p.stderr


def test_usage(bulwark):
    assert run(bulwark, "replay").returncode == 2
    assert run(bulwark, "audit", "x").returncode == 2
    assert run(bulwark, "rules").returncode == 2


def test_replay_counts_upstream_rules(bulwark, shared, tmp_path):
    """`bulwark replay` says how many upstream rules load and evaluate, and
    names every rule it skips for a field no source provides."""
    base = shared / FALCO / "rules"
    files = ["rules/falco_rules.yaml", "rules/falco-incubating_rules.yaml",
             "rules/falco-sandbox_rules.yaml", "archive/falco-deprecated_rules.yaml"]
    args = [a for f in files for a in ("-r", base / f)]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    p = run(bulwark, "replay", *args, empty)
    assert p.returncode == 0, p.stderr
    m = re.search(r"Loaded (\d+) syscall rules \((\d+) rules in total, (\d+) skipped\)", p.stderr)
    assert m, p.stderr
    active, total, skipped = map(int, m.groups())
    listed = json.loads(run(bulwark, "rules", "list", "--json", *args).stdout)
    assert total == len(listed)
    assert active == sum(r["state"] == "active" for r in listed) and active > 70
    assert skipped == sum(r["state"] == "skipped" for r in listed) and skipped > 0
    named = re.findall(r"warning: rule `([^`]+)`: field `[^`]+` is not provided", p.stderr)
    assert sorted(named) == sorted(r["rule"] for r in listed if r["state"] == "skipped")


def _alerts(bulwark, path=None, data=None):
    args = [bulwark, "replay", "--json", "--all-matches", "-r", str(DATA / "ops.yaml"),
            str(path) if path else "-"]
    p = subprocess.run(args, input=data, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return ([(a["rule"], a["output"], a["time"]) for a in map(json.loads, p.stdout.splitlines())],
            re.findall(r":(\d+): (invalid JSON[^\n]*)", p.stderr))


def test_replay_compact_lines_same_as_spaced(bulwark, tmp_path):
    """Compact lines (the fast path, as `bulwark watch --events` writes them)
    give the same alerts and errors as the spaced ones (the careful walk),
    from a mapped file, a pipe, with CRLF ends, and at the very end of a file
    whose size is a whole number of pages with no final newline."""
    lines = (DATA / "events.jsonl").read_text().splitlines()
    compact = []
    for line in lines:
        try:
            compact.append(json.dumps(json.loads(line), separators=(",", ":")))
        except ValueError:
            compact.append(line)  # comments and the bad lines stay as they are
    want = _alerts(bulwark, DATA / "events.jsonl")
    assert len(want[0]) == 5 and want[1]
    text = "\n".join(compact) + "\n"
    f = tmp_path / "compact.jsonl"
    f.write_text(text)
    assert _alerts(bulwark, f) == want
    assert _alerts(bulwark, data=text) == want
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    assert _alerts(bulwark, crlf) == want
    # a comment pads the file so that an event without a newline ends its
    # last page: the decoder's vector loads past it must stay in bounds
    last = next(c for c in compact if c.startswith('{"ts"'))
    body = text + last
    k = (-len(body) - 2) % 4096
    edge = tmp_path / "edge.jsonl"
    edge.write_text("#" + "x" * k + "\n" + body)
    assert edge.stat().st_size % 4096 == 0
    got = _alerts(bulwark, edge)
    assert got[0] == want[0] + want[0][:1]
    assert [m for _, m in got[1]] == [m for _, m in want[1]]
