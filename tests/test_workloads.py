"""Velero hooks on every Kubernetes workload kind (issue #17, item 1): the hook rules judge each kind's pod
template, VM004 its own metadata (and a CronJob's jobTemplate.metadata), the KubeVirt-only rules stay away, and
documents are built only when they mention a hook key."""

from __future__ import annotations

import pytest
from helpers import lint_text, where

from lint.core.catalogue import builtin_catalogue
from lint.kube.loading import load_file
from lint.kube.objects import LAUNCHER_POD, PLAIN_POD
from lint.run.engine import RunOptions, bind, interest_of, select_rules

# kind, apiVersion, path of the pod template (its metadata and spec), and the places that never reach a pod
KINDS = [
    ("Deployment", "apps/v1", ["spec", "template"], [["metadata"]]),
    ("StatefulSet", "apps/v1", ["spec", "template"], [["metadata"]]),
    ("DaemonSet", "apps/v1", ["spec", "template"], [["metadata"]]),
    ("ReplicaSet", "apps/v1", ["spec", "template"], [["metadata"]]),
    ("ReplicationController", "v1", ["spec", "template"], [["metadata"]]),
    ("Job", "batch/v1", ["spec", "template"], [["metadata"]]),
    ("CronJob", "batch/v1", ["spec", "jobTemplate", "spec", "template"],
     [["metadata"], ["spec", "jobTemplate", "metadata"]]),
    ("PodTemplate", "v1", ["template"], [["metadata"]]),
    ("Pod", "v1", [], []),
]
IDS = [k[0] for k in KINDS]


def _nest(path: list[str], body: list[str], indent: int = 0) -> list[str]:
    if not path:
        return [" " * indent + line for line in body]
    return [" " * indent + path[0] + ":"] + _nest(path[1:], body, indent + 2)


def workload(kind: str, api: str, template: list[str], annotations: list[str], containers: list[str] | None = None,
             extra: list[str] | None = None) -> str:
    """A workload named web in prod whose pod template has `annotations` and `containers` (lines)."""
    containers = containers if containers is not None else ["- name: app", "  image: nginx"]
    pod = ["metadata:", "  annotations:", *[f"    {line}" for line in annotations],
           "spec:", "  containers:", *[f"  {line}" for line in containers]]
    lines = [f"apiVersion: {api}", f"kind: {kind}", "metadata:", "  name: web", "  namespace: prod"]
    if template:
        lines += _nest(template, pod)
    else:  # a bare Pod: its own metadata is the pod's
        lines = lines[:-1] + ["  namespace: prod", "  annotations:", *[f"    {line}" for line in annotations],
                              "spec:", "  containers:", *[f"  {line}" for line in containers]]
    return "\n".join(lines + (extra or [])) + "\n"


BROKEN = [
    "pre.hook.backup.velero.io/command: '[\"/sbin/fsfreeze\", \"--freeze\", \"/data\"'",  # VM102
    "pre.hook.backup.velero.io/on-error: fail",  # VM105
    "pre.hook.backup.velero.io/timeout: \"30\"",  # VM106
    "post.hook.backup.velero.io/command: fsfreeze --unfreeze /data",  # VM103
    "post.hook.restore.velero.io/timeout: 30s",  # VM101
    "post.hook.restore.velero.io/wait-for-ready: yes please",  # VM113
    "post.hook.backup.velero.io/container: 7",  # VM003
    "hook.backup.velero.io/command: '[\"/bin/true\"]'",  # VM112: pre.hook.backup.velero.io/command exists
    "init.hook.restore.velero.io/container-image: '<image>'",  # VM201
]
EXPECTED = {"VM003", "VM101", "VM102", "VM103", "VM105", "VM106", "VM112", "VM113", "VM201"}
KUBEVIRT_ONLY = ("VM107", "VM110", "VM111", "VM202", "VM203", "VM204", "VM205", "VM3", "VM4", "VM6", "VM9")


@pytest.mark.parametrize(("kind", "api", "template", "misplaced"), KINDS, ids=IDS)
def test_the_hook_rules_judge_every_kinds_pod_template(kind: str, api: str, template: list[str],
                                                       misplaced: list[list[str]]) -> None:
    findings = lint_text(workload(kind, api, template, BROKEN), select=("ALL",))
    codes = {f.code for f in findings}
    assert EXPECTED <= codes, (kind, sorted(codes))
    assert not [f for f in findings if f.code.startswith(KUBEVIRT_ONLY)], kind
    first = len(template) + 8 if template else 7  # the first annotation's line
    text = workload(kind, api, template, BROKEN)
    column = text.splitlines()[first - 1].rindex("'")  # the value's last character, where the `]` is missing
    vm102 = next(f for f in findings if f.code == "VM102")
    assert (vm102.line, vm102.column, vm102.kind, vm102.name) == (first, column, kind, "web")


@pytest.mark.parametrize(("kind", "api", "template", "misplaced"), [k for k in KINDS if k[3]],
                         ids=[k[0] for k in KINDS if k[3]])
def test_hooks_on_the_workloads_own_metadata_never_reach_a_pod(kind: str, api: str, template: list[str],
                                                               misplaced: list[list[str]]) -> None:
    for place in misplaced:
        text = "\n".join([f"apiVersion: {api}", f"kind: {kind}", "metadata:", "  name: web"]) + "\n"
        body = ["annotations:", "  pre.hook.backup.velero.io/command: '[\"/bin/true\"]'"]
        if place == ["metadata"]:
            text += "\n".join("  " + line for line in body) + "\n"
            line, path = 6, "metadata.annotations"
            why = f"these are the {kind}'s own annotations; only the pod template's are copied to the pods"
        else:
            text += "\n".join(_nest(place, body)) + "\n"
            line, path = 9, "spec.jobTemplate.metadata.annotations"
            why = "these are the Job's annotations, which the Job controller does not copy to its pods"
        findings = lint_text(text, select=("VM004",))
        assert where(findings) == [("VM004", line, 2 * len(place) + 3)], text
        assert findings[0].message == (
            f"pre.hook.backup.velero.io/command on {path} never reaches the {kind}'s pods: Velero reads hooks from "
            f"pods only, and {why}")
        assert findings[0].hint == f"move it to {'.'.join(template + ['metadata', 'annotations'])}"


def test_a_deployment_of_another_api_group_is_left_alone() -> None:
    text = workload("Deployment", "example.com/v1", ["spec", "template"], BROKEN)
    assert lint_text(text, select=("ALL",)) == []
    text = workload("Deployment", "extensions/v1beta1", ["spec", "template"], BROKEN)
    assert lint_text(text, select=("ALL",)) == []


def test_a_plain_pod_is_a_general_workload_and_a_launcher_pod_keeps_its_rules() -> None:
    plain = workload("Pod", "v1", [], ["pre.hook.backup.velero.io/command: '[\"/bin/true\"]'"])
    loaded = load_file("p.yaml", plain.encode())
    assert [w.spec for w in loaded.pod_workloads] == [PLAIN_POD] and loaded.launcher_pods == []
    launcher = plain.replace("  name: web\n", "  name: virt-launcher-web-abcde\n  labels:\n    kubevirt.io: virt-launcher\n"
                             ).replace("  annotations:\n", "  annotations:\n    kubevirt.io/domain: web\n")
    loaded = load_file("p.yaml", launcher.encode())
    assert [w.spec for w in loaded.launcher_pods] == [LAUNCHER_POD] and loaded.pod_workloads == []
    restore = launcher.replace("pre.hook.backup.velero.io/command", "post.hook.restore.velero.io/command")
    assert [f.code for f in lint_text(restore, select=("VM111",))] == ["VM111"]  # launcher semantics kept
    plain_restore = plain.replace("pre.hook.backup.velero.io/command", "post.hook.restore.velero.io/command")
    assert lint_text(plain_restore, select=("VM111",)) == []  # a plain pod's restore hooks do run


def test_kubevirt_injection_is_not_assumed_for_a_deployment() -> None:
    """KubeVirt writes its hooks only onto launcher pods: a Deployment's own command is live, not overwritten."""
    text = workload("Deployment", "apps/v1", ["spec", "template"], ["pre.hook.backup.velero.io/command: '[]'",
                                                                    "pre.hook.backup.velero.io/timeout: 0s"])
    findings = lint_text(text, select=("VM104", "VM106"))
    assert [(f.code, f.message) for f in findings] == [
        ("VM104", 'pre.hook.backup.velero.io/command is an empty array: Velero fails the hook with "command is '
                  'required"'),
        ("VM106", 'pre.hook.backup.velero.io/timeout is "0s": Velero treats a zero timeout as unset and uses its 30s '
                  'default, not "no timeout"'),
    ]
    assert findings[0].hint == 'name the program: ["/path/to/program", …]'


def test_only_deployments_that_mention_a_hook_key_are_built() -> None:
    interest = interest_of(bind(select_rules(builtin_catalogue())), RunOptions())
    plain = workload("Deployment", "apps/v1", ["spec", "template"], ["app.kubernetes.io/name: web"])
    assert load_file("d.yaml", plain.encode(), interest=interest).objects == []
    hooked = workload("Deployment", "apps/v1", ["spec", "template"], ["post.hook.restore.velero.io/command: x"])
    assert [o.kind for o in load_file("d.yaml", hooked.encode(), interest=interest).objects] == ["Deployment"]


SHAPES = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, annotations: {pre.hook.backup.velero.io/command: x}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nspec: {template: [1, 2]}\n",
    "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {metadata: {annotations: {pre.hook.backup.velero.io/command:"
    " '[\"fsfreeze\", \"-f\", \"/d\"]'}}, spec: {containers: {name: app}}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {metadata: {annotations: {pre.hook.backup.velero.io/command:"
    " '[\"fsfreeze\", \"-f\", \"/d\"]', pre.hook.backup.velero.io/container: [a]}}, spec: {containers: [7, {name: [x]},"
    " {name: app, volumeMounts: [{mountPath: 5}, {mountPath: [a]}, 3, {mountPath: null}], securityContext: 3}]}}}\n",
    "apiVersion: batch/v1\nkind: CronJob\nspec: {jobTemplate: {spec: null, metadata: []}}\n",
    "apiVersion: batch/v1\nkind: CronJob\nspec: {jobTemplate: {spec: {template: {metadata: {annotations: "
    "{post.hook.restore.velero.io/command: [a, b], init.hook.restore.velero.io/container-image: x}}}}}}\n",
    "apiVersion: v1\nkind: PodTemplate\ntemplate: x\nmetadata: {annotations: {pre.hook.backup.velero.io/command: 3}}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {annotations: {post.hook.restore.velero.io/wait-for-ready: 'true',"
    " post.hook.restore.velero.io/command: '[\"a\"]', post.hook.restore.velero.io/container: [c]}}\nspec: {containers: 5}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: [annotations]\nspec: {initContainers: [{name: x, restartPolicy: Always}]}\n",
]


@pytest.mark.parametrize("text", SHAPES)
def test_templates_in_every_shape_never_fail(text: str) -> None:
    findings = lint_text(text, select=("ALL",))
    assert not [f for f in findings if f.code == "VM009"], findings
    assert all(f.path == "test.yaml" for f in findings)
