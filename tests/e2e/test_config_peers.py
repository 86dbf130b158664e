"""Peer fixtures: run `bulwark config` on the fixtures of Polaris, kube-linter,
Trivy, hadolint and the Pod Security Standards (../shared/corpus) and compare
with the peer's verdict, for every check mapped in docs/peer-checks.tsv.

Run directly for a report:  BULWARK_BIN=build/bulwark python3 tests/e2e/test_config_peers.py
"""
import collections
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = pathlib.Path(os.environ.get("BULWARK_SHARED", ROOT.parent / "shared")) / "corpus"

TRIVY_K8S_FILES = {
    "CPU_requests_not_specified": "KSV-0015", "SYS_ADMIN_capability": "KSV-0005",
    "access_to_host_ports": "KSV-0024", "apparmor_policy_disabled": "KSV-0002",
    "can_elevate_its_own_privileges": "KSV-0001", "capabilities_no_drop_all": "KSV-0003",
    "configMap_with_secrets": "KSV-0109", "host_ipc": "KSV-0008", "host_network": "KSV-0009",
    "host_pid": "KSV-0010", "hostpath_volumes_mounted": "KSV-0023",
    "memory_not_limited": "KSV-0018", "memory_requests_not_specified": "KSV-0016",
    "non_core_volume_types": "KSV-0028", "non_default_proc_masks_set": "KSV-0027",
    "privileged": "KSV-0017", "protect_core_components_namespace": "KSV-0037",
    "protecting_pod_service_account_tokens": "KSV-0036", "runs_as_root": "KSV-0012",
    "runs_with_GID_le_10000": "KSV-0021", "runs_with_UID_le_10000": "KSV-0020",
    "runtime_default_seccomp_profile_not_set": "KSV-0030",
    "selinux_custom_options_set": "KSV-0025", "tiller_is_deployed": "KSV-0102",
    "unsafe_sysctl_options_set": "KSV-0026", "insecure_ingress_nginx": "KCV-0093",
}
TRIVY_DF_FILES = {
    "apt_get_missing_yes_flag_to_avoid_manual_input": "DS-0021",
    "copy_from_references_current_from_alias": "DS-0006",
    "copy_with_more_than_two_arguments_not_ending_with_slash": "DS-0011",
    "latest_tag": "DS-0001", "maintainer_is_deprecated": "DS-0022",
    "multiple_cmd_instructions_listed": "DS-0016",
    "multiple_entrypoint_instructions_listed": "DS-0007",
    "multiple_healthcheck_instructions": "DS-0023", "port22": "DS-0004",
    "root_user": "DS-0002", "run_command_cd_instead_of_workdir": "DS-0013",
    "run_using_sudo": "DS-0010", "run_using_wget_and_curl": "DS-0014",
    "same_alias_in_different_froms": "DS-0012", "unix_ports_out_of_range": "DS-0008",
    "update_instruction_alone": "DS-0017", "workdir_path_not_absolute": "DS-0009",
    "yum_clean_all_missing": "DS-0015",
}


def bulwark_bin():
    return os.environ.get("BULWARK_BIN") or str(ROOT / "build" / "bulwark")


def mapping():
    m = collections.defaultdict(dict)
    for line in (ROOT / "docs" / "peer-checks.tsv").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        peer, pid, ours = line.split("\t")
        m[peer][pid] = m[peer][pid] + "," + ours if pid in m[peer] else ours
    return m


def findings(paths, *extra):
    p = subprocess.run([bulwark_bin(), "config", "-f", "json", *extra, *map(str, paths)],
                       capture_output=True, text=True, timeout=120)
    try:
        return json.loads(p.stdout)["findings"]
    except (ValueError, KeyError):
        return None


def count(fs, check):
    """Findings of our check(s) (a comma-separated list: several rows map
    one peer check), -1 when bulwark failed."""
    ids = set(check.split(","))
    return sum(1 for f in fs if f["id"] in ids) if fs is not None else -1


def write(tmp, name, text):
    path = pathlib.Path(tmp) / name
    path.write_text(text)
    return path


def eval_pss(m):
    res = []
    for level in ("baseline", "restricted"):
        for verdict in ("pass", "fail"):
            for f in sorted((CORPUS / "k8s/pss/testdata" / level / "v1.37" / verdict).glob("*.yaml")):
                fs = findings([f], "--pss-level", level)
                n = sum(1 for x in fs if x["id"].startswith("PSS-"))
                res.append((f"{level}/{verdict}/{f.name}", (n == 0) == (verdict == "pass")))
    return res


def eval_polaris(m):
    res = []
    base = CORPUS / "k8s/polaris/test/checks"
    for check, ours in m["polaris"].items():
        d = base / check
        if not d.is_dir() or (d / "check.yaml").exists():
            continue  # a check.yaml replaces the built-in check in that test
        for f in sorted(d.glob("*.yaml")):
            name = f.name
            if name == "check.yaml" or name.startswith("mutated"):
                continue
            fail = name.startswith("failure")
            n = count(findings([f]), ours)
            res.append((f"{check}/{name}", (n > 0) == fail))
    return res


def eval_kube_linter(m):
    res = []
    exp = json.loads((CORPUS / "k8s/kube-linter/expectations.json").read_text())
    for c in exp["cases"]:
        ours = m["kube-linter"].get(c.get("include_check"))
        if not ours or c.get("config"):
            continue
        fs = findings([CORPUS / "k8s/kube-linter" / c["fixture"]])
        n = count(fs, ours)
        want = c.get("expected_report_count")
        msgs = c.get("expected_messages") or []
        if want is not None:
            ok = n == want
        elif c.get("expected_exit_status") is not None:
            ok = (n > 0) == (c.get("expected_exit_status") == 1)
        else:
            ok = n >= max((x.get("report_index", 0) + 1 for x in msgs), default=1)
        res.append((f"{c['test']} ({n} vs {want})", ok))
    return res


def eval_trivy(m, kind):
    import yaml
    res = []
    if kind == "kubernetes":
        d, files, key = CORPUS / "k8s/trivy/examples", TRIVY_K8S_FILES, "kubernetes"
    else:
        d, files, key = CORPUS / "dockerfile/trivy/examples", TRIVY_DF_FILES, "dockerfile"
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(d.glob("*.yaml")):
            pid = files.get(f.stem)
            ours = m["trivy"].get(pid) if pid else None
            if not ours:
                continue
            doc = yaml.safe_load(f.read_text())[key]
            for verdict in ("good", "bad"):
                for i, text in enumerate(doc.get(verdict) or []):
                    name = "Dockerfile" if kind == "dockerfile" else "x.yaml"
                    sub = pathlib.Path(tmp) / f"{f.stem}-{verdict}-{i}"
                    sub.mkdir()
                    p = write(sub, name, text)
                    n = count(findings([p]), ours)
                    res.append((f"{f.stem} {verdict}[{i}]", (n > 0) == (verdict == "bad")))
    return res


def eval_hadolint(m):
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted((CORPUS / "dockerfile/hadolint/cases").glob("DL*.json")):
            rule = f.stem
            ours = m["hadolint"].get(rule)
            if not ours:
                continue
            for i, c in enumerate(json.loads(f.read_text())["cases"]):
                if c.get("config_override_haskell"):
                    continue
                text = c["dockerfile"]
                if c.get("onbuild"):
                    text = "\n".join("ONBUILD " + l if l.startswith("RUN ") else l
                                     for l in text.split("\n"))
                sub = pathlib.Path(tmp) / f"{rule}-{i}"
                sub.mkdir()
                p = write(sub, "Dockerfile", text)
                n = count(findings([p]), ours)
                if c["expect"] == "catches":
                    ok = n == 1 if c.get("onbuild") else n > 0
                else:
                    ok = n == 0
                res.append((f"{rule}[{i}] {c['it']}", ok))
    return res


KS_DIR = CORPUS / "k8s/kubescape"
# Rules of file-scoped controls that judge cloud or host state, not manifests.
KS_NOT_MANIFEST_KINDS = {"ClusterDescribe", "DescribeRepositories", "Node", "ControlPlaneInfo",
                         "APIServerInfo", "KubeletInfo", "CloudProviderInfo"}


def ks_rules():
    """The Kubescape rules of the controls that judge manifests (scanningScope
    `file`), each with the control ids that use it and its test cases."""
    controls = json.loads((KS_DIR / "controls.json").read_text())
    rules = {}
    for c in controls:
        if "file" not in c.get("scanningScope", {}).get("matches", []):
            continue
        for r in c["rulesNames"]:
            p = KS_DIR / "rules" / f"{r}.json"
            if not p.exists():
                continue
            if r not in rules:
                d = json.loads(p.read_text())
                kinds = set()
                for mt in d["metadata"].get("match", []) + d["metadata"].get("dynamicMatch", []):
                    kinds |= set(mt.get("resources", []))
                if not d.get("tests") or not kinds or kinds & KS_NOT_MANIFEST_KINDS:
                    continue
                rules[r] = {"controls": [], "tests": d["tests"]}
            rules[r]["controls"].append(c["controlID"])
    return rules


def ks_ours(m, rule, controls):
    """Our checks for a rule: rows `C-xxxx/rule` first, else `C-xxxx`."""
    km = m["kubescape"]
    for c in controls:
        if f"{c}/{rule}" in km:
            return km[f"{c}/{rule}"]
    for c in controls:
        if c in km:
            return km[c]
    return None


def eval_kubescape(m):
    res = []
    for rule, info in sorted(ks_rules().items()):
        ours = ks_ours(m, rule, info["controls"])
        if not ours:
            continue
        for case, t in sorted(info["tests"].items()):
            with tempfile.TemporaryDirectory() as tmp:
                paths, extra = [], []
                for i, (name, text) in enumerate(sorted(t["inputs"].items())):
                    base = pathlib.Path(name).name
                    if base == "data.json":
                        # the peer's control inputs, given as Kubescape users give them
                        extra = ["--controls-config", str(write(tmp, "controls.json", text))]
                        continue
                    ext = ".json" if text.lstrip().startswith(("{", "[")) else ".yaml"
                    paths.append(write(tmp, f"{i}-{pathlib.Path(base).stem}{ext}", text))
                n = count(findings(paths, *extra), ours)
                want = len(t["expected"]) > 0
                res.append((f"{rule}/{case} ({n} vs {len(t['expected'])})", n >= 0 and (n > 0) == want))
    return res


def kubescape_total():
    return sum(len(i["tests"]) for i in ks_rules().values())


def polaris_total():
    base = CORPUS / "k8s/polaris/test/checks"
    return sum(1 for f in base.glob("*/*.yaml")
               if f.name != "check.yaml" and not f.name.startswith("mutated")
               and not (f.parent / "check.yaml").exists())


def kube_linter_total():
    exp = json.loads((CORPUS / "k8s/kube-linter/expectations.json").read_text())
    return sum(1 for c in exp["cases"] if c.get("include_check") and not c.get("config"))


def hadolint_total():
    return sum(len(json.loads(f.read_text())["cases"])
               for f in (CORPUS / "dockerfile/hadolint/cases").glob("DL*.json"))


# Kubescape fixtures of mapped controls where we do not give Kubescape's
# verdict yet, each with the reason. The test fails on any other
# disagreement, and on any case here that starts agreeing (remove it then).
KS_OPEN = {}


def _all_agree(res, open_cases=None):
    """Every fixture of a mapped check gives the peer's verdict."""
    open_cases = open_cases or {}
    bad = [n for n, g in res if not g and n.split(" (")[0] not in open_cases]
    fixed = [c for c in open_cases if any(n.split(" (")[0] == c and g for n, g in res)]
    assert res and not bad, bad
    assert not fixed, ("now agrees, remove from the open list", fixed)


def _coverage(res, total, floor=0.8):
    """The mapped checks cover at least 80% of the peer's fixtures."""
    assert len(res) >= floor * total, (len(res), total)


def test_pss_every_fixture():
    res = eval_pss(mapping())
    assert len(res) >= 100
    _all_agree(res)


def test_polaris():
    res = eval_polaris(mapping())
    _all_agree(res)
    _coverage(res, polaris_total())


def test_kube_linter():
    res = eval_kube_linter(mapping())
    _all_agree(res)
    _coverage(res, kube_linter_total())


def test_trivy_kubernetes():
    res = eval_trivy(mapping(), "kubernetes")
    _all_agree(res)
    _coverage(res, trivy_total("kubernetes"))


def test_trivy_dockerfile():
    res = eval_trivy(mapping(), "dockerfile")
    _all_agree(res)
    _coverage(res, trivy_total("dockerfile"))


def test_kubescape():
    res = eval_kubescape(mapping())
    _all_agree(res, KS_OPEN)
    _coverage(res, kubescape_total(), 0.85)


def test_hadolint():
    res = eval_hadolint(mapping())
    _all_agree(res)
    _coverage(res, hadolint_total())


def trivy_total(kind):
    """Good and bad examples of every Trivy check with examples."""
    import yaml
    d = CORPUS / ("k8s/trivy/examples" if kind == "kubernetes" else "dockerfile/trivy/examples")
    return sum(len(yaml.safe_load(f.read_text())[kind].get(v) or [])
               for f in d.glob("*.yaml") for v in ("good", "bad"))


if __name__ == "__main__":
    m = mapping()
    for name, fn in (("pss", eval_pss), ("polaris", eval_polaris),
                     ("kube-linter", eval_kube_linter),
                     ("trivy-k8s", lambda mm: eval_trivy(mm, "kubernetes")),
                     ("trivy-df", lambda mm: eval_trivy(mm, "dockerfile")),
                     ("hadolint", eval_hadolint), ("kubescape", eval_kubescape)):
        if len(sys.argv) > 1 and sys.argv[-1] not in ("-v", name):
            continue
        res = fn(m)
        ok = sum(1 for _, g in res if g)
        tot = {"polaris": polaris_total, "kube-linter": kube_linter_total,
               "hadolint": hadolint_total, "kubescape": kubescape_total,
               "trivy-k8s": lambda: trivy_total("kubernetes"),
               "trivy-df": lambda: trivy_total("dockerfile")}.get(name)
        cov = f", coverage {len(res)}/{tot()} ({100 * len(res) // tot()}%)" if tot else ""
        print(f"{name}: {ok}/{len(res)} agree{cov}")
        if "-v" in sys.argv:
            for n, g in res:
                if not g:
                    print("   FAIL", n)
