"""bulwark config / explain / rbac who-can end to end, on tests/data/config."""
import json
import pathlib
import xml.etree.ElementTree as ET

from conftest import run

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "config"


def ids(out):
    return {f["id"] for f in json.loads(out)["findings"]}


def test_json_marks_and_namespace_level(bulwark):
    p = run(bulwark, "config", "-f", "json", DATA / "app.yaml", check=0)
    d = json.loads(p.stdout)
    priv = [f for f in d["findings"] if f["id"] == "PSS-PRIVILEGED"]
    assert priv and priv[0]["line"] == 24 and priv[0]["column"] == 23
    assert priv[0]["kind"] == "Deployment" and priv[0]["namespace"] == "shop"
    assert priv[0]["container"] == "app"
    # the Namespace asks for baseline: no restricted-only controls
    assert "PSS-RUN-AS-NON-ROOT" not in ids(p.stdout)
    # ignored by annotation on the pod template
    assert "K8S-PRIORITY-CLASS" not in ids(p.stdout)


def test_pss_level_flag_overrides(bulwark):
    p = run(bulwark, "config", "-f", "json", "--pss-level", "restricted", DATA / "app.yaml")
    assert "PSS-RUN-AS-NON-ROOT" in ids(p.stdout)


def test_exit_code_and_severity(bulwark):
    run(bulwark, "config", "--exit-code", "5", DATA / "app.yaml", check=5)
    p = run(bulwark, "config", "-f", "json", "--severity", "CRITICAL", "--exit-code", "5",
            DATA / "Dockerfile", check=0)
    assert json.loads(p.stdout)["findings"] == []


def test_dockerfile(bulwark):
    p = run(bulwark, "config", "-f", "json", DATA / "Dockerfile", check=0)
    assert {"DF-DL3006", "DF-DL3008", "DF-DL3014", "DF-DL3002"} <= ids(p.stdout)


def test_sarif_and_junit(bulwark):
    p = run(bulwark, "config", "-f", "sarif", DATA, check=3)  # bad/tabs.yaml is an input error
    s = json.loads(p.stdout)
    assert s["version"] == "2.1.0"
    res = s["runs"][0]["results"]
    rules = s["runs"][0]["tool"]["driver"]["rules"]
    assert res and all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in res)
    assert any(r["locations"][0]["physicalLocation"].get("region", {}).get("startLine", 0) >= 1
               for r in res)
    p = run(bulwark, "config", "-f", "junit", DATA / "app.yaml", check=0)
    root = ET.fromstring(p.stdout)
    assert root.tag == "testsuites" and int(root.get("failures")) > 0


def test_bad_yaml_reports_line_and_goes_on(bulwark):
    p = run(bulwark, "config", "-f", "json", DATA, check=3)
    assert "tabs.yaml:3:" in p.stderr
    assert "PSS-PRIVILEGED" in ids(p.stdout)


def test_billion_laughs_is_bounded(bulwark, tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    f = tmp_path / "lol.yaml"
    f.write_text("\n".join(lines) + "\n")
    p = run(bulwark, "config", f, check=3, timeout=30)
    assert "alias" in p.stderr


def test_explain(bulwark):
    p = run(bulwark, "explain", "PSS-PRIVILEGED", check=0)
    assert "Why it matters" in p.stdout and "How to fix" in p.stdout
    run(bulwark, "explain", "NOPE-1", check=3)
    p = run(bulwark, "explain", "--list", check=0)
    assert "RBAC-CLUSTER-ADMIN" in p.stdout and "DF-DL3008" in p.stdout


def test_usage(bulwark):
    run(bulwark, "config", check=2)
    run(bulwark, "config", "--pss-level", "strict", DATA, check=2)
    run(bulwark, "config", "-f", "xml", DATA, check=2)


GOOD_POD = """apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: app}
spec:
  containers:
  - name: c
    image: nginx:1.27
    securityContext: {privileged: true}
"""

BAD_INPUTS = {
    # name: (file name, text, what stderr must say besides file:line)
    "tabs": ("tabs.yaml", "a: 1\nb:\n\t- c\n", ":3:"),
    "indentation": ("indent.yaml", "a:\n  b: 1\n c: 2\n", ":3:"),
    "undefined-alias": ("alias.yaml", "a: 1\nb: *nowhere\n", ":2:"),
    "deep-nesting": ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", ":1:"),
    # 2.4 MB of joined continuation lines, over the 1 MiB instruction cap
    "runaway-continuation": ("Dockerfile", "FROM debian:12\nRUN echo \\\n"
                             + ("x" * 60 + " \\\n") * 40000, ":2:"),
}


def test_bad_inputs_are_reported_with_line_and_others_checked(bulwark, tmp_path):
    for name, (fname, text, where) in BAD_INPUTS.items():
        d = tmp_path / name
        d.mkdir()
        (d / fname).write_text(text)
        (d / "good.yaml").write_text(GOOD_POD)
        p = run(bulwark, "config", "-f", "json", d, check=3, timeout=60)
        assert f"{fname}{where}" in p.stderr, (name, p.stderr)
        assert "PSS-PRIVILEGED" in ids(p.stdout), name


def test_huge_file_is_refused_and_others_checked(bulwark, tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w") as f:
        f.write("items:\n")
        line = "- " + "x" * 1000 + "\n"
        for _ in range(70 * 1024):  # 70 MiB, over the 64 MiB cap
            f.write(line)
    (tmp_path / "good.yaml").write_text(GOOD_POD)
    p = run(bulwark, "config", "-f", "json", tmp_path, check=3, timeout=60)
    assert "big.yaml" in p.stderr
    assert "PSS-PRIVILEGED" in ids(p.stdout)


def test_unknown_kinds_are_skipped_quietly(bulwark, tmp_path):
    (tmp_path / "crd.yaml").write_text("apiVersion: example.com/v1\nkind: Frobnicator\n"
                                       "metadata: {name: x}\nspec: {containers: 3}\n")
    (tmp_path / "good.yaml").write_text(GOOD_POD)
    p = run(bulwark, "config", "-f", "json", tmp_path, check=0)
    assert "PSS-PRIVILEGED" in ids(p.stdout)
    assert not p.stderr.strip()


def test_controls_config(bulwark, tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n"
                   "  containers:\n  - name: c\n    image: reg/app:nightly\n"
                   "    resources: {limits: {cpu: 1500m}}\n")
    good = tmp_path / "controls.json"
    good.write_text(json.dumps({"settings": {"postureControlInputs": {
        "floatingImageTags": ["nightly"], "cpu_limit_max": ["1"]}}}))
    p = run(bulwark, "config", "-f", "json", pod, check=0)
    assert not {"K8S-IMAGE-TAG", "K8S-RESOURCE-BOUNDS"} & ids(p.stdout)
    p = run(bulwark, "config", "-f", "json", "--controls-config", good, pod, check=0)
    assert {"K8S-IMAGE-TAG", "K8S-RESOURCE-BOUNDS"} <= ids(p.stdout)
    # a bad file names itself and the key, and nothing is checked
    bad = tmp_path / "bad.yaml"
    bad.write_text("postureControlInputs:\n  cpu_limit_max: [lots]\n")
    p = run(bulwark, "config", "--controls-config", bad, pod)
    assert p.returncode != 0 and "bad.yaml:2:" in p.stderr and "cpu_limit_max" in p.stderr
    p = run(bulwark, "config", "--controls-config", tmp_path / "missing.json", pod)
    assert p.returncode != 0 and "missing.json" in p.stderr
