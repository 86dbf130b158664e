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
