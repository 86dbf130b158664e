"""Rule-language features, end to end through `bulwark replay`: every case of
tests/data/rules/lang.jsonl names the rules that must match it (and so every
other rule must not), and bad uses of join()/concat()/pmatch are errors with
file, line and rule."""
import json
import re

from conftest import run, ROOT

DATA = ROOT / "tests/data/rules"


def cases():
    expect, out = None, []
    for line in (DATA / "lang.jsonl").read_text().splitlines():
        m = re.match(r"# expect: (.*)", line)
        if m:
            expect = set() if m.group(1).strip() == "-" else {
                r.strip() for r in m.group(1).split(",")}
        elif line and not line.startswith("#"):
            out.append((json.loads(line)["ts"], expect))
            expect = None
    return out


def test_every_case_matches_exactly_its_rules(bulwark):
    p = run(bulwark, "replay", "--json", "--all-matches", "-r", DATA / "lang.yaml",
            DATA / "lang.jsonl")
    assert p.returncode == 0, p.stderr
    got = {}
    for line in p.stdout.splitlines():
        a = json.loads(line)
        ns = int(a["time"][-10:-1])
        got.setdefault(ns, set()).add(a["rule"])
    cs = cases()
    assert len(cs) > 45
    for ts, expect in cs:
        assert expect is not None, f"case ts={ts} has no expect line"
        assert got.get(ts, set()) == expect, f"ts={ts}"
    # Every rule of the file has a case that matches it.
    rules = {r for _, e in cs for r in e}
    names = set(re.findall(r"^- rule: (\S+)", (DATA / "lang.yaml").read_text(), re.M))
    assert names == rules


def test_override_and_append(bulwark):
    p = run(bulwark, "replay", "-r", DATA / "lang.yaml", DATA / "lang.jsonl")
    assert "overridden b" in p.stdout


def bad_rule(tmp_path, cond):
    f = tmp_path / "bad.yaml"
    f.write_text("- rule: bad one\n  desc: d\n  condition: " + cond +
                 "\n  output: o\n  priority: INFO\n")
    return f


def test_bad_multivalue_transformers(bulwark, tmp_path):
    for cond, msg in [
        ('join("-") = a', "join() requires exactly 2 arguments"),
        ('join(("a", "b"), ("a")) = a', "separator) must be a single value"),
        ('join(fd.types, ("a")) = a', "separator) must be a single value"),
        ('join("-", "a") = a', "second argument must be a list"),
        ('concat("a") = a', "concat() requires at least 2 arguments"),
        ('concat(fd.types, "a") = a', "concat() arguments must be single values"),
        ('join("-", (fd.name, nosuch.field)) = a', None),
        ('fd.name pmatch (/var/[a-)', "invalid glob pattern"),
    ]:
        f = bad_rule(tmp_path, cond)
        p = run(bulwark, "rules", "validate", f)
        if msg is None:
            # An unknown field inside join() skips the rule, by name.
            assert "skipped: bad one (field `nosuch.field`" in p.stdout, (cond, p.stdout)
            continue
        assert p.returncode == 3, (cond, p.stdout, p.stderr)
        assert f"{f}:3:" in p.stderr and "rule `bad one`" in p.stderr, (cond, p.stderr)
        assert msg in p.stderr, (cond, p.stderr)
