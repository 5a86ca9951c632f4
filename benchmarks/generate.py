#!/usr/bin/env python3
"""Generate a realistic GitOps repository of a Harvester / KubeVirt platform team, for benchmarking.

    python benchmarks/generate.py OUT_DIR --files N --seed S [--profile platform|vm-dense]

The repository has exactly N files and is the same, byte for byte, for the same N, seed and GENERATOR_VERSION:
clusters/, apps/ (base and overlays), infrastructure/, platform/ and charts/ directories, a kustomization.yaml
in every non-chart directory (with `resources:` and `namespace:`), Helm charts (Chart.yaml, values.yaml,
templates/*.yaml with `{{ }}`, _helpers.tpl), cloud-init Secrets (`userdata` base64 in `data`, some installing
qemu-guest-agent, some not), KubeVirt VirtualMachines with correct hooks (the shape KubeVirt injects:
virt-freezer on spec.template.metadata.annotations, container compute) and with every broken shape the issue
lists, VMs whose cloud-init is a Secret (`cloudInitNoCloud: {secretRef: ...}`), Deployments, Services,
ConfigMaps, Ingresses, CRDs, StatefulSets, CronJobs, RBAC, Velero Schedules and Backups, multi-document files,
`kind: List` files, a few huge files (several MB) and a few malformed ones.

Profile `platform` (the default): about 25% of the non-chart files contain a VirtualMachine and there are about
three Deployments per VM. Profile `vm-dense`: exactly a quarter of all files (rounded) contain a VirtualMachine,
as in the issue's reference corpus (500 VMs and 1,500 Deployments per 2,000 files), with everything else planned
as in `platform`. A Helm chart's VM template is not counted: it is no VM until rendered.

A summary (counts per kind and per hook variant, the list of files that contain a VM) is written next to the
files as OUT_DIR/.bench-manifest.json: a hidden JSON file, which no tool benchmarked here lints as YAML.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
MANIFEST = ".bench-manifest.json"

# --------------------------------------------------------------------------------------------------------------
# A minimal block-style YAML emitter (kubectl's style: list items at the indentation of their key).


class Raw(str):
    """A scalar emitted verbatim: a hand-quoted value such as a single-quoted JSON hook command."""


class Block(str):
    """A string emitted as a literal block scalar (`|`)."""


_PLAIN = re.compile(r"[A-Za-z_/.][A-Za-z0-9_ ./=@+-]*(?::[A-Za-z0-9_./-]+)*")
_RESERVED = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "", "<<",
}
_NUMBERISH = re.compile(r"[-+]?(?:\.?[0-9][0-9_.:eE+-]*|\.inf|\.nan|0x[0-9a-fA-F]+|0o[0-7]+)")


def scalar(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if (
        _PLAIN.fullmatch(text)
        and text.lower() not in _RESERVED
        and not _NUMBERISH.fullmatch(text)
        and not text.endswith(" ")
        and " #" not in text
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return scalar(value)


def _literal(value: str, indent: int, out: list[str], head: str) -> None:
    body = value
    chomp = "-"
    if body.endswith("\n"):
        body = body[:-1]
        chomp = "+" if body.endswith("\n") else ""
    out.append(f"{head} |{chomp}")
    pad = " " * indent
    for line in body.split("\n"):
        out.append(pad + line if line else "")


def _block(value: object, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, dict) and item:
                out.append(head)
                _block(item, indent + 2, out)
            elif isinstance(item, list) and item:
                out.append(head)
                _block(item, indent, out)
            elif isinstance(item, Block):
                _literal(item, indent + 2, out, head)
            else:
                out.append(f"{head} {_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _block(item, indent + 2, sub)
                out.append(f"{pad}- {sub[0][indent + 2:]}")
                out.extend(sub[1:])
            elif isinstance(item, list) and item:
                out.append(f"{pad}- {_inline(item)}")
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(pad + _inline(value))


def dump(obj: dict) -> str:
    out: list[str] = []
    _block(obj, 0, out)
    return "\n".join(out) + "\n"


def dump_all(objs: list[dict], leading: bool = False) -> str:
    text = "---\n".join(dump(o) for o in objs)
    return ("---\n" + text) if leading else text


# --------------------------------------------------------------------------------------------------------------
# Vocabulary.

CLUSTERS = ["prod-eu-1", "prod-eu-2", "prod-us-1", "staging", "dev", "edge-fra", "edge-ams", "lab"]
ENVS = ["dev", "staging", "prod"]
TEAMS = [
    "platform", "payments", "search", "data", "ml", "identity", "observability", "erp", "vdi", "ci", "storage",
    "network", "security", "billing", "analytics", "crm", "media", "iot",
]
APPS = [
    "api", "web", "worker", "gateway", "auth", "cart", "checkout", "catalog", "inventory", "notifier", "scheduler",
    "reporter", "ingest", "indexer", "frontend", "backend", "exporter", "proxy", "cache", "queue", "mailer",
    "uploader", "resizer", "ledger", "audit", "portal", "admin", "metrics", "collector", "router",
]
OSES = [
    ("ubuntu", "22.04"), ("ubuntu", "24.04"), ("rocky", "9"), ("debian", "12"), ("sles", "15-sp5"),
    ("opensuse", "leap-15.6"), ("windows", "2022"), ("almalinux", "9"),
]
ROLES = ["db", "app", "build", "jump", "vdi", "gw", "dns", "ldap", "backup", "proxy", "runner", "sql", "kafka"]
IMAGES = [
    "nginx:1.27", "ghcr.io/acme/{app}:{ver}", "registry.example.com/{team}/{app}:{ver}", "redis:7.2",
    "postgres:16", "quay.io/prometheus/node-exporter:v1.8.1", "bitnami/kafka:3.7",
]

# --------------------------------------------------------------------------------------------------------------
# Objects.


def _freezer(flag: str, name: str, namespace: str, order: int) -> str:
    if order == 0:
        args = [flag, "--name", name, "--namespace", namespace]
    else:
        args = [flag, "--namespace", namespace, "--name", name]
    return json.dumps(["/usr/bin/virt-freezer", *args], separators=(", ", ": "))


def _sq(text: str) -> Raw:
    """Single-quoted YAML, as the KubeVirt/Harvester recipes write hook commands."""
    return Raw("'" + text.replace("'", "''") + "'")


HOOK_VARIANTS = [
    # (name, weight): "none" relies on KubeVirt's own injection, "correct" writes the injected shape by hand.
    ("none", 30),
    ("correct", 42),
    ("missing-bracket", 4),
    ("stray-quote", 4),
    ("placeholder", 4),
    ("wrong-namespace", 4),
    ("on-error-fail", 4),
    ("timeout-no-unit", 4),
    ("on-vm-metadata", 4),
]


def hook_annotations(variant: str, name: str, ns: str, rng: random.Random) -> dict:
    order = rng.randrange(2)
    pre = _freezer("--freeze", name, ns, order)
    post = _freezer("--unfreeze", name, ns, order)
    ann: dict = {}
    if variant in ("correct", "on-vm-metadata", "on-error-fail", "timeout-no-unit"):
        pass
    elif variant == "missing-bracket":
        pre = pre[:-1]  # Harvester's first published recipe: the JSON array lost its `]`
    elif variant == "stray-quote":
        ann["pre.hook.backup.velero.io/container"] = "compute"
        ann["pre.hook.backup.velero.io/command"] = Raw("'" + pre[:-1] + "']'")  # the published recipe: invalid YAML
        ann["post.hook.backup.velero.io/container"] = "compute"
        ann["post.hook.backup.velero.io/command"] = _sq(post)
        return ann
    elif variant == "placeholder":
        pre = _freezer("--freeze", "<VM Name>", "<VM Namespace>", order)
        post = _freezer("--unfreeze", "<VM Name>", "<VM Namespace>", order)
    elif variant == "wrong-namespace":
        other = rng.choice([t for t in ("default", "harvester-public", "vms", "kube-system") if t != ns])
        pre = _freezer("--freeze", name, other, order)
        post = _freezer("--unfreeze", name, other, order)
    ann["pre.hook.backup.velero.io/container"] = "compute"
    ann["pre.hook.backup.velero.io/command"] = _sq(pre)
    if variant == "on-error-fail":
        ann["pre.hook.backup.velero.io/on-error"] = "fail"
    elif rng.random() < 0.3:
        ann["pre.hook.backup.velero.io/on-error"] = "Continue"
    if variant == "timeout-no-unit":
        ann["pre.hook.backup.velero.io/timeout"] = Raw('"30"')
    elif rng.random() < 0.4:
        ann["pre.hook.backup.velero.io/timeout"] = rng.choice(["60s", "2m", "90s"])
    ann["post.hook.backup.velero.io/container"] = "compute"
    ann["post.hook.backup.velero.io/command"] = _sq(post)
    return ann


def cloud_config(name: str, agent: bool, rng: random.Random) -> str:
    lines = ["#cloud-config", f"hostname: {name}", "ssh_pwauth: false", "users:", "  - name: ops",
             "    sudo: ALL=(ALL) NOPASSWD:ALL", "    ssh_authorized_keys:",
             f"      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rng.getrandbits(128):032x} ops@{name}"]
    packages = ["curl", "jq"] + (["qemu-guest-agent"] if agent else []) + rng.sample(["htop", "vim", "nfs-common", "chrony"], 2)
    lines += ["package_update: true", "packages:"] + [f"  - {p}" for p in packages]
    runcmd = ["timedatectl set-timezone UTC"]
    if agent:
        runcmd.insert(0, "systemctl enable --now qemu-guest-agent.service")
    lines += ["runcmd:"] + [f"  - - sh\n    - -c\n    - {json.dumps(c)}" for c in runcmd]
    return "\n".join(lines) + "\n"


def network_config() -> str:
    return "version: 2\nethernets:\n  enp1s0:\n    dhcp4: true\n"


def secret(name: str, ns: str, vm: str, rng: random.Random, agent: bool) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"harvesterhci.io/cloud-init-template": "harvester", "app.kubernetes.io/managed-by": "flux"},
            "annotations": {"harvesterhci.io/vm-name": vm},
        },
        "type": "secret",
        "data": {
            "userdata": base64.b64encode(cloud_config(vm, agent, rng).encode()).decode(),
            "networkdata": base64.b64encode(network_config().encode()).decode(),
        },
    }


@dataclass
class VMSpec:
    name: str
    namespace: str
    variant: str
    cloud_init: str  # "secret-file", "secret-same-file", "inline", "none"
    secret_name: str | None = None
    agent: bool = True


def virtual_machine(spec: VMSpec, team: str, rng: random.Random) -> dict:
    name, ns = spec.name, spec.namespace
    os_name, os_ver = rng.choice(OSES)
    cpu = rng.choice([1, 2, 2, 4, 4, 8, 16])
    mem = rng.choice(["2Gi", "4Gi", "8Gi", "16Gi", "32Gi"])
    disk_suffix = f"{rng.getrandbits(20):05x}"
    image = f"image-{rng.getrandbits(20):05x}"
    vm_annotations: dict = {
        "harvesterhci.io/volumeClaimTemplates": json.dumps([{
            "metadata": {"name": f"{name}-disk-0-{disk_suffix}",
                         "annotations": {"harvesterhci.io/imageId": f"default/{image}"}},
            "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": f"{rng.choice([20, 40, 80, 200])}Gi"}},
                     "volumeMode": "Block", "storageClassName": f"longhorn-{image}"},
        }], separators=(",", ":")),
        "network.harvesterhci.io/ips": "[]",
    }
    template_annotations: dict = {"harvesterhci.io/sshNames": json.dumps([f"{ns}/ops-key"])}
    hooks = hook_annotations(spec.variant, name, ns, rng) if spec.variant != "none" else {}
    if spec.variant == "on-vm-metadata":
        vm_annotations.update(hooks)
    else:
        template_annotations.update(hooks)
    volumes: list = [{"name": "rootdisk", "persistentVolumeClaim": {"claimName": f"{name}-disk-0-{disk_suffix}"}}]
    disks: list = [{"name": "rootdisk", "bootOrder": 1, "disk": {"bus": "virtio"}}]
    if spec.cloud_init in ("secret-file", "secret-same-file"):
        volumes.append({"name": "cloudinitdisk", "cloudInitNoCloud": {
            "secretRef": {"name": spec.secret_name}, "networkDataSecretRef": {"name": spec.secret_name}}})
        disks.append({"name": "cloudinitdisk", "disk": {"bus": "virtio"}})
    elif spec.cloud_init == "inline":
        volumes.append({"name": "cloudinitdisk", "cloudInitNoCloud": {
            "userData": Block(cloud_config(name, spec.agent, rng)), "networkData": Block(network_config())}})
        disks.append({"name": "cloudinitdisk", "disk": {"bus": "virtio"}})
    network = rng.choice([{"pod": {}}, {"multus": {"networkName": f"default/vlan{rng.randint(10, 400)}"}}])
    iface: dict = {"name": "default", "model": "virtio"}
    iface.update({"masquerade": {}} if "pod" in network else {"bridge": {}})
    metadata: dict = {
        "name": name,
        "namespace": ns,
        "labels": {"harvesterhci.io/creator": "harvester", "harvesterhci.io/os": os_name,
                   "app.kubernetes.io/part-of": team},
        "annotations": vm_annotations,
    }
    vm: dict = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": metadata,
        "spec": {
            "runStrategy": rng.choice(["RerunOnFailure", "Always", "Manual"]),
            "template": {
                "metadata": {"labels": {"harvesterhci.io/vmName": name, "os": f"{os_name}-{os_ver}"},
                             "annotations": template_annotations},
                "spec": {
                    "domain": {
                        "cpu": {"cores": cpu, "sockets": 1, "threads": 1},
                        "resources": {"limits": {"cpu": str(cpu), "memory": mem}},
                        "devices": {"disks": disks, "interfaces": [iface], "inputs": [
                            {"name": "tablet", "type": "tablet", "bus": "usb"}]},
                        "features": {"acpi": {"enabled": True}},
                        "machine": {"type": "q35"},
                    },
                    "evictionStrategy": "LiveMigrate",
                    "terminationGracePeriodSeconds": 120,
                    "networks": [dict({"name": "default"}, **network)],
                    "volumes": volumes,
                },
            },
        },
    }
    if rng.random() < 0.15:  # exported with kubectl get -o yaml: status and bookkeeping included
        metadata["uid"] = f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
        metadata["resourceVersion"] = str(rng.randint(10**6, 10**8))
        metadata["generation"] = rng.randint(1, 30)
        metadata["creationTimestamp"] = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z"
        vm["status"] = {
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": "2024-06-01T12:00:00Z"} for t in ("Ready", "AgentConnected", "LiveMigratable")
            ],
            "printableStatus": "Running",
            "ready": True,
            "volumeSnapshotStatuses": [{"name": "rootdisk", "enabled": True}, {"name": "cloudinitdisk", "enabled": False,
                                        "reason": "Snapshot is not supported for this volumeSource type [cloudinitdisk]"}],
        }
    return vm


def deployment(app: str, team: str, ns: str, rng: random.Random, patch: bool = False) -> dict:
    ver = f"v{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    image = rng.choice(IMAGES).format(app=app, team=team, ver=ver)
    if patch:  # an overlay's strategic-merge patch
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app},
                "spec": {"replicas": rng.randint(2, 12), "template": {"spec": {"containers": [
                    {"name": app, "resources": {"limits": {"memory": rng.choice(["512Mi", "1Gi", "2Gi"])}}}]}}}}
    container: dict = {
        "name": app,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": rng.choice([8080, 8000, 3000, 9090]), "protocol": "TCP"}],
        "env": [{"name": k, "value": v} for k, v in rng.sample([
            ("LOG_LEVEL", "info"), ("TZ", "UTC"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4317"),
            ("FEATURE_FLAGS", "a,b,c"), ("GOMAXPROCS", "2"), ("JAVA_OPTS", "-Xmx512m -XX:+UseG1GC")], 3)]
        + [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}}}],
        "resources": {"requests": {"cpu": rng.choice(["50m", "100m", "250m"]), "memory": rng.choice(["64Mi", "128Mi", "256Mi"])},
                      "limits": {"memory": rng.choice(["256Mi", "512Mi", "1Gi"])}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/livez", "port": "http"}, "initialDelaySeconds": 15},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}
    if rng.random() < 0.05:  # application hooks on a pod: Velero's other, non-KubeVirt use of the annotations
        pod_annotations["pre.hook.backup.velero.io/command"] = _sq('["/bin/sh", "-c", "pg_dump -Fc app > /backup/app.dump"]')
        pod_annotations["pre.hook.backup.velero.io/container"] = app
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": ns, "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": team}},
        "spec": {
            "replicas": rng.randint(1, 6),
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": team},
                             "annotations": pod_annotations},
                "spec": {
                    "serviceAccountName": app,
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}, {"name": "tmp", "emptyDir": {}}],
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}],
                },
            },
        },
    }


def service(app: str, ns: str, rng: random.Random) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns, "labels": {"app.kubernetes.io/name": app}},
            "spec": {"type": rng.choice(["ClusterIP", "ClusterIP", "LoadBalancer"]), "selector": {"app.kubernetes.io/name": app},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def configmap(name: str, ns: str, rng: random.Random) -> dict:
    conf = "\n".join(f"{k} = {rng.randint(1, 1000)}" for k in rng.sample(
        ["workers", "timeout", "retries", "pool_size", "batch", "ttl", "port", "max_conn", "buffer"], 5)) + "\n"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": {"app.conf": Block(conf), "LOG_FORMAT": "json", "REGION": rng.choice(["eu-west-1", "us-east-1"])}}


def ingress(app: str, ns: str, team: str) -> dict:
    host = f"{app}.{team}.example.com"
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": app, "namespace": ns, "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}},
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": f"{app}-tls"}],
                     "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                         "service": {"name": app, "port": {"name": "http"}}}}]}}]}}


def hpa(app: str, ns: str, rng: random.Random) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": app, "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                     "minReplicas": 2, "maxReplicas": rng.randint(4, 20),
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}


def rbac(app: str, ns: str) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": app, "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": app, "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": app, "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app},
         "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]},
    ]


def statefulset(app: str, ns: str, rng: random.Random) -> dict:
    dep = deployment(app, "data", ns, rng)
    dep["kind"] = "StatefulSet"
    spec = dep["spec"]
    spec.pop("strategy")
    spec["serviceName"] = app
    spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                     "storageClassName": "longhorn", "resources": {"requests": {"storage": "20Gi"}}}}]
    return dep


def cronjob(app: str, ns: str, rng: random.Random) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": f"{app}-nightly", "namespace": ns},
            "spec": {"schedule": f"{rng.randint(0, 59)} {rng.randint(0, 5)} * * *", "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                         {"name": "job", "image": "busybox:1.36", "command": ["/bin/sh", "-c", "echo run && sleep 5"]}]}}}}}}


def network_policy(app: str, ns: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": f"{app}-allow", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}}


def pvc_or_datavolume(name: str, ns: str, rng: random.Random) -> dict:
    if rng.random() < 0.5:
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": ns},
                "spec": {"accessModes": ["ReadWriteMany"], "volumeMode": "Block", "storageClassName": "longhorn",
                         "resources": {"requests": {"storage": f"{rng.choice([10, 50, 100])}Gi"}}}}
    return {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": {"name": name, "namespace": ns},
            "spec": {"source": {"http": {"url": f"https://images.example.com/{name}.qcow2"}},
                     "storage": {"resources": {"requests": {"storage": "30Gi"}}}}}


def velero_object(name: str, ns: str, rng: random.Random) -> dict:
    spec = {"includedNamespaces": [ns], "snapshotMoveData": True, "ttl": "720h0m0s",
            "hooks": {"resources": [{"name": "freeze-vms", "includedNamespaces": [ns],
                                     "labelSelector": {"matchLabels": {"kubevirt.io": "virt-launcher"}}}]}}
    if rng.random() < 0.5:
        return {"apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": {"name": name, "namespace": "velero"},
                "spec": {"schedule": "0 2 * * *", "template": spec}}
    return {"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": name, "namespace": "velero"}, "spec": spec}


def crd(group: str, kind: str, rng: random.Random, fields: int = 25, depth: int = 3) -> dict:
    def props(level: int) -> dict:
        out: dict = {}
        for i in range(fields if level == 0 else max(3, fields // (3 * level))):
            key = f"{rng.choice(['spec', 'config', 'target', 'policy', 'limit', 'rule', 'source'])}{i}"
            if level < depth and rng.random() < 0.3:
                out[key] = {"type": "object", "description": f"{key} settings of the {kind}.", "properties": props(level + 1)}
            else:
                out[key] = {"type": rng.choice(["string", "integer", "boolean"]),
                            "description": f"{key} of the {kind}; see the operator documentation for defaults."}
        return out

    plural = kind.lower() + "s"
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}", "annotations": {"controller-gen.kubebuilder.io/version": "v0.14.0"}},
            "spec": {"group": group, "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                     "scope": "Namespaced",
                     "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                       "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                       "metadata": {"type": "object"},
                                       "spec": {"type": "object", "properties": props(0)},
                                       "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}


def namespace_obj(ns: str, team: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": team}}}


def helm_release(app: str, ns: str) -> dict:
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": app, "namespace": ns},
            "spec": {"interval": "10m", "chart": {"spec": {"chart": f"./charts/{app}", "sourceRef": {"kind": "GitRepository", "name": "platform", "namespace": "flux-system"}}},
                     "values": {"replicaCount": 2, "image": {"tag": "stable"}}}}


# --------------------------------------------------------------------------------------------------------------
# Files.


@dataclass
class Stats:
    kinds: Counter = field(default_factory=Counter)
    variants: Counter = field(default_factory=Counter)
    cloud_init: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    vm_files: list[str] = field(default_factory=list)
    small_vm_file: str | None = None
    huge_files: list[str] = field(default_factory=list)
    malformed_files: list[str] = field(default_factory=list)

    def count(self, objs: list[dict]) -> None:
        for obj in objs:
            self.kinds[obj["kind"]] += 1
            for item in obj.get("items", ()):
                self.kinds[item["kind"]] += 1


def _vm_files_text(specs: list[VMSpec], team: str, rng: random.Random, stats: Stats) -> tuple[str, list[tuple[str, str]]]:
    """One VM file (a VM, maybe its Secret in the same file), plus any Secret file of its own."""
    spec = specs[0]
    objs = [virtual_machine(spec, team, rng)]
    extra: list[tuple[str, str]] = []
    if spec.cloud_init == "secret-same-file":
        objs.append(secret(spec.secret_name, spec.namespace, spec.name, rng, spec.agent))
    elif spec.cloud_init == "secret-file":
        sec = secret(spec.secret_name, spec.namespace, spec.name, rng, spec.agent)
        stats.count([sec])
        extra.append((f"{spec.secret_name}.yaml", dump(sec)))
    stats.count(objs)
    return dump_all(objs, leading=rng.random() < 0.2), extra


def _vm_list_text(specs: list[VMSpec], team: str, rng: random.Random, stats: Stats) -> str:
    items = [virtual_machine(s, team, rng) for s in specs]
    obj = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
    stats.count([obj])
    return dump(obj)


def _app_text(app: str, team: str, ns: str, rng: random.Random, stats: Stats) -> str:
    objs = [deployment(app, team, ns, rng)]
    roll = rng.random()
    if roll < 0.55:
        objs.append(service(app, ns, rng))
    if rng.random() < 0.6:
        objs.append(deployment(f"{app}-worker", team, ns, rng))
    if rng.random() < 0.35:
        objs.append(deployment(f"{app}-{rng.choice(['cron', 'sidecar', 'migrator', 'consumer'])}", team, ns, rng))
    if rng.random() < 0.3:
        objs.append(hpa(app, ns, rng))
    if rng.random() < 0.2:
        objs.append(configmap(f"{app}-config", ns, rng))
    stats.count(objs)
    return dump_all(objs, leading=rng.random() < 0.3)


def _misc_text(kind: str, app: str, team: str, ns: str, rng: random.Random, stats: Stats) -> str:
    if kind == "configmap":
        objs = [configmap(f"{app}-config", ns, rng)]
    elif kind == "ingress":
        objs = [ingress(app, ns, team)]
    elif kind == "rbac":
        objs = rbac(app, ns)
    elif kind == "statefulset":
        objs = [statefulset(app, ns, rng), service(app, ns, rng)]
    elif kind == "cronjob":
        objs = [cronjob(app, ns, rng)]
    elif kind == "netpol":
        objs = [network_policy(app, ns)]
    elif kind == "storage":
        objs = [pvc_or_datavolume(f"{app}-{i}", ns, rng) for i in range(rng.randint(1, 3))]
    elif kind == "namespace":
        objs = [namespace_obj(ns, team)]
    elif kind == "helmrelease":
        objs = [helm_release(app, ns)]
    elif kind == "patch":
        objs = [deployment(app, team, ns, rng, patch=True)]
    elif kind == "list":
        obj = {"apiVersion": "v1", "kind": "List", "items": [service(f"{app}-{i}", ns, rng) for i in range(2)]
               + [configmap(f"{app}-{i}", ns, rng) for i in range(2)]}
        stats.count([obj])
        return dump(obj)
    elif kind == "crd":
        objs = [crd(f"{team}.example.com", app.capitalize() + rng.choice(["Policy", "Config", "Pool", "Target"]), rng)]
    elif kind == "velero":
        objs = [velero_object(f"{team}-{app}-daily", ns, rng)]
    else:  # pragma: no cover
        raise ValueError(kind)
    stats.count(objs)
    return dump_all(objs)


MISC_WEIGHTS = [
    ("configmap", 20), ("ingress", 12), ("rbac", 12), ("statefulset", 6), ("cronjob", 8), ("netpol", 8),
    ("storage", 8), ("namespace", 4), ("helmrelease", 6), ("patch", 10), ("list", 3), ("crd", 2), ("velero", 1),
]


def _huge_text(index: int, size: int, rng: random.Random, stats: Stats) -> tuple[str, str, bool]:
    """A several-MB file: (file name, text, contains a VM)."""
    shape = index % 3
    chunks: list[str] = []
    total = 0
    if shape == 0:  # an operator's CRD bundle
        i = 0
        while total < size:
            text = dump(crd("operator.example.com", f"Resource{i}", rng, fields=60, depth=4))
            chunks.append(text)
            total += len(text)
            i += 1
        stats.kinds["CustomResourceDefinition"] += i
        return f"crds-bundle-{index}.yaml", "---\n".join(chunks), False
    if shape == 1:  # Grafana dashboards in one ConfigMap (each value well under 1 MB)
        data: dict = {}
        i = 0
        while total < size:
            panels = [{"id": p, "type": "timeseries", "title": f"Panel {p}",
                       "targets": [{"expr": f'sum(rate(http_requests_total{{job="svc-{p}"}}[5m])) by (code)', "refId": "A"}],
                       "gridPos": {"h": 8, "w": 12, "x": (p % 2) * 12, "y": p * 8}} for p in range(120)]
            text = json.dumps({"title": f"Dashboard {i}", "panels": panels}, indent=2) + "\n"
            data[f"dashboard-{i}.json"] = Block(text)
            total += len(text)
            i += 1
        stats.kinds["ConfigMap"] += 1
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"dashboards-{index}", "namespace": "observability",
               "labels": {"grafana_dashboard": "1"}}, "data": data}
        return f"grafana-dashboards-{index}.yaml", dump(obj), False
    if shape == 2:  # a cluster dump: kind: List of Deployments
        items = []
        while total < size:
            dep = deployment(f"{rng.choice(APPS)}-{len(items)}", rng.choice(TEAMS), rng.choice(TEAMS), rng)
            items.append(dep)
            total += 2200
        stats.count([{"kind": "List", "items": items}])
        return f"cluster-dump-{index}.yaml", dump({"apiVersion": "v1", "kind": "List", "items": items}), False
    raise AssertionError(shape)  # pragma: no cover


def _malformed_text(index: int, rng: random.Random) -> tuple[str, bytes]:
    shape = index % 7
    dep = dump(deployment(rng.choice(APPS), rng.choice(TEAMS), rng.choice(TEAMS), rng))
    if shape == 0:  # tabs for indentation
        return f"broken-tabs-{index}.yaml", dep.replace("    ", "\t").encode()
    if shape == 1:  # an unclosed flow sequence
        return f"broken-flow-{index}.yaml", (dep + "extra: [a, b, {c: d\n").encode()
    if shape == 2:  # merge conflict markers
        lines = dep.splitlines()
        mid = len(lines) // 2
        text = "\n".join(lines[:mid] + ["<<<<<<< HEAD", "  replicas: 3", "=======", "  replicas: 5", ">>>>>>> feature/scale"] + lines[mid:])
        return f"conflict-{index}.yaml", (text + "\n").encode()
    if shape == 3:  # not UTF-8
        return f"latin1-{index}.yaml", ("# Konfiguration für Büro\n" + dep).encode("latin-1")
    if shape == 4:  # empty
        return f"empty-{index}.yaml", b""
    if shape == 5:  # a truncated document
        return f"truncated-{index}.yaml", dep[: len(dep) // 3].rstrip("\n").encode() + b' "unterminated\n'
    return f"dupkeys-{index}.yaml", (dep + "metadata:\n  name: again\n").encode()  # a repeated top-level key


# --------------------------------------------------------------------------------------------------------------
# Helm charts.


def _chart_files(name: str, rng: random.Random, templates: int) -> list[tuple[str, str]]:
    files = [
        ("Chart.yaml", dump({"apiVersion": "v2", "name": name, "description": f"A Helm chart for {name}", "type": "application",
                              "version": f"0.{rng.randint(1, 30)}.{rng.randint(0, 9)}", "appVersion": f"{rng.randint(1, 5)}.{rng.randint(0, 9)}.0"})),
        ("values.yaml", dump({"replicaCount": rng.randint(1, 3), "image": {"repository": f"ghcr.io/acme/{name}", "tag": "", "pullPolicy": "IfNotPresent"},
                               "service": {"type": "ClusterIP", "port": 80}, "resources": {}, "nodeSelector": {}, "tolerations": [],
                               "vm": {"enabled": False, "namespace": "default", "name": f"{name}-vm"}})),
    ]
    helpers = (
        '{{- define "%s.fullname" -}}\n{{- printf "%%s-%%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}\n{{- end }}\n'
        '{{- define "%s.labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- end }}\n'
    ) % (name, name)
    bodies = {
        "deployment.yaml": (
            f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ include "{name}.fullname" . }}}}\n'
            f'  labels:\n    {{{{- include "{name}.labels" . | nindent 4 }}}}\nspec:\n  replicas: {{{{ .Values.replicaCount }}}}\n'
            f'  selector:\n    matchLabels:\n      {{{{- include "{name}.labels" . | nindent 6 }}}}\n  template:\n    metadata:\n'
            f'      labels:\n        {{{{- include "{name}.labels" . | nindent 8 }}}}\n    spec:\n      containers:\n'
            f'        - name: {{{{ .Chart.Name }}}}\n          image: "{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag | default .Chart.AppVersion }}}}"\n'
            f'          resources:\n            {{{{- toYaml .Values.resources | nindent 12 }}}}\n'
            f'      {{{{- with .Values.nodeSelector }}}}\n      nodeSelector:\n        {{{{- toYaml . | nindent 8 }}}}\n      {{{{- end }}}}\n'
        ),
        "service.yaml": (
            f'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{{{ include "{name}.fullname" . }}}}\nspec:\n'
            f'  type: {{{{ .Values.service.type }}}}\n  ports:\n    - port: {{{{ .Values.service.port }}}}\n      targetPort: http\n'
            f'  selector:\n    {{{{- include "{name}.labels" . | nindent 4 }}}}\n'
        ),
        "configmap.yaml": (
            f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ include "{name}.fullname" . }}}}-config\ndata:\n'
            f'  release: {{{{ .Release.Name | quote }}}}\n  settings.json: |\n    {{{{- .Values.settings | toJson | nindent 4 }}}}\n'
        ),
        "serviceaccount.yaml": (
            f'{{{{- if .Values.serviceAccount.create -}}}}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n'
            f'  name: {{{{ include "{name}.fullname" . }}}}\n{{{{- end }}}}\n'
        ),
        "ingress.yaml": (
            f'{{{{- if .Values.ingress.enabled -}}}}\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n'
            f'  name: {{{{ include "{name}.fullname" . }}}}\nspec:\n  rules:\n  {{{{- range .Values.ingress.hosts }}}}\n'
            f'    - host: {{{{ .host | quote }}}}\n  {{{{- end }}}}\n{{{{- end }}}}\n'
        ),
        "hpa.yaml": (
            f'{{{{- if .Values.autoscaling.enabled }}}}\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n'
            f'  name: {{{{ include "{name}.fullname" . }}}}\nspec:\n  maxReplicas: {{{{ .Values.autoscaling.maxReplicas }}}}\n{{{{- end }}}}\n'
        ),
        "vm.yaml": (
            '{{- if .Values.vm.enabled }}\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n'
            '  name: {{ .Values.vm.name }}\n  namespace: {{ .Values.vm.namespace }}\nspec:\n  runStrategy: Always\n'
            '  template:\n    metadata:\n      annotations:\n'
            '        pre.hook.backup.velero.io/container: compute\n'
            '        pre.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer", "--freeze", "--name", "{{ .Values.vm.name }}", "--namespace", "{{ .Values.vm.namespace }}"]\'\n'
            '        post.hook.backup.velero.io/container: compute\n'
            '        post.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer", "--unfreeze", "--name", "{{ .Values.vm.name }}", "--namespace", "{{ .Values.vm.namespace }}"]\'\n'
            '    spec:\n      domain:\n        devices: {}\n        resources:\n          requests:\n            memory: {{ .Values.vm.memory | default "2Gi" }}\n'
            '{{- end }}\n'
        ),
    }
    names = list(bodies)
    chosen = ["deployment.yaml"] + rng.sample(names[1:], min(len(names) - 1, max(0, templates - 2)))
    chosen = chosen[: max(0, templates - 1)]
    if templates >= 1:
        files.append(("templates/_helpers.tpl", helpers))
    files += [(f"templates/{t}", bodies[t]) for t in chosen]
    return files


# --------------------------------------------------------------------------------------------------------------
# The repository.


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


PROFILES = ("platform", "vm-dense")


def plan_counts(files: int, profile: str = "platform") -> dict[str, int]:
    """How many files of each category a repository of `files` files gets (exact, deterministic).

    `platform`: a quarter of the non-chart files hold a VM. `vm-dense`: a quarter of all files do (the issue's
    reference corpus: 500 VMs per 2,000 files); everything else is planned the same way (Helm charts, one
    kustomization per ~11 files, cloud-init Secret files for 30% of the VMs, huge and malformed files), and the
    Deployments fill what is left."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: choose from {', '.join(PROFILES)}")
    chart_files = round(files * 0.08) if files >= 50 else 0
    rest = files - chart_files
    dirs = max(1, round(rest / 11))  # one kustomization.yaml per directory, ~10 manifests each
    items = rest - dirs
    huge = 0 if files < 1000 else max(1, round(files / 2500))
    malformed = max(1 if files >= 100 else 0, round(rest * 0.004))
    vm = round(rest * 0.25) if profile == "platform" else round(files * 0.25)
    secrets = round(vm * 0.3)
    misc = round(items * 0.18)
    apps = items - vm - secrets - misc - huge - malformed
    if apps < 0:
        raise SystemExit(f"--files {files} is too small for a realistic repository (at least 30)")
    return {"chart": chart_files, "kustomization": dirs, "vm": vm, "secret": secrets, "misc": misc, "app": apps,
            "huge": huge, "malformed": malformed}


def generate(out: Path, files: int, seed: int, huge_mb: float = 4.0, profile: str = "platform") -> dict:
    rng = random.Random(seed)
    counts = plan_counts(files, profile)
    stats = Stats()
    written: dict[str, bytes] = {}  # relative path -> bytes; insertion order is deterministic

    # Charts: exactly counts["chart"] files.
    chart_budget = counts["chart"]
    chart_index = 0
    while chart_budget > 0:
        name = f"{rng.choice(APPS)}-{rng.choice(TEAMS)}-{chart_index}"
        size = min(chart_budget, rng.randint(5, 9))
        templates = max(0, size - 2)
        for rel, text in _chart_files(name, rng, templates)[:size]:
            written[f"charts/{name}/{rel}"] = text.encode()
        chart_budget -= size
        chart_index += 1
    stats.categories["chart"] = counts["chart"]

    # Non-chart items, grouped into directories by category.
    units: dict[str, list] = {"vm": [], "app": [], "misc": []}
    vm_index = 0
    vm_units = counts["vm"]
    secret_left = counts["secret"]
    while vm_units > 0:
        team = rng.choice(TEAMS)
        ns = f"{team}-vms" if rng.random() < 0.7 else team
        name = f"{rng.choice(ROLES)}-{team}-{vm_index:05d}"
        variant = _pick(rng, HOOK_VARIANTS)
        agent = rng.random() < 0.7
        as_list = rng.random() < 0.03
        if secret_left > 0 and rng.random() < 0.45:
            mode = "secret-file"
            secret_left -= 1
        else:
            mode = rng.choices(["secret-same-file", "inline", "none"], weights=[25, 35, 40])[0]
        specs = [VMSpec(name, ns, variant, mode if not as_list else "none", f"{name}-cloudinit", agent)]
        if as_list:
            specs[0].cloud_init = "none"
            for j in range(1, rng.randint(2, 5)):
                specs.append(VMSpec(f"{name}-{j}", ns, _pick(rng, HOOK_VARIANTS), "none"))
            if mode == "secret-file":
                secret_left += 1
        for s in specs:
            stats.variants[s.variant] += 1
            stats.cloud_init[s.cloud_init] += 1
        units["vm"].append((team, ns, specs, as_list))
        vm_index += 1
        vm_units -= 1
    while secret_left > 0:  # keep the file count exact: orphan Secrets whose VM lives elsewhere
        team = rng.choice(TEAMS)
        units["misc"].append(("secret", f"orphan-{vm_index:05d}", team, f"{team}-vms"))
        vm_index += 1
        secret_left -= 1
    for i in range(counts["app"]):
        team = rng.choice(TEAMS)
        units["app"].append((f"{rng.choice(APPS)}", team, f"{team}-{rng.choice(ENVS)}"))
    for i in range(counts["misc"]):
        team = rng.choice(TEAMS)
        units["misc"].append((_pick(rng, MISC_WEIGHTS), f"{rng.choice(APPS)}", team, f"{team}-{rng.choice(ENVS)}"))
    for i in range(counts["huge"]):
        units["misc"].append(("huge", i))
    for i in range(counts["malformed"]):
        units["misc"].append(("malformed", i))
    rng.shuffle(units["misc"])
    units["vm"].sort(key=lambda unit: unit[1])  # a directory holds the VMs of one namespace (stable: deterministic)
    units["app"].sort(key=lambda unit: unit[2])

    # Files per unit: a VM unit with a separate Secret is two files.
    def unit_files(cat: str, unit) -> int:
        if cat == "vm":
            return 2 if unit[2][0].cloud_init == "secret-file" else 1
        return 1

    item_total = sum(unit_files(c, u) for c in units for u in units[c])
    dirs_total = counts["kustomization"]
    dir_share = {c: max(1, round(dirs_total * sum(unit_files(c, u) for u in units[c]) / item_total)) if units[c] else 0
                 for c in units}
    largest = max(dir_share, key=lambda c: dir_share[c])
    dir_share[largest] += dirs_total - sum(dir_share.values())

    used_dirs: set[str] = set()
    dir_counter = 0

    def directory(cat: str, team: str) -> str:
        nonlocal dir_counter
        dir_counter += 1
        if cat == "vm":
            base = f"clusters/{rng.choice(CLUSTERS)}/vms/{team}"
        elif cat == "app":
            base = rng.choice([f"apps/base/{team}", f"apps/overlays/{rng.choice(ENVS)}/{team}",
                               f"clusters/{rng.choice(CLUSTERS)}/apps/{team}"])
        else:
            base = rng.choice([f"infrastructure/{rng.choice(['controllers', 'configs', 'crds', 'monitoring'])}/{team}",
                               f"platform/{team}", f"clusters/{rng.choice(CLUSTERS)}/platform/{team}"])
        path = f"{base}/{rng.choice(['group', 'set', 'batch', 'part'])}-{dir_counter:04d}"
        used_dirs.add(path)
        return path

    for cat in ("vm", "app", "misc"):
        items = units[cat]
        ndirs = dir_share[cat]
        if not items:
            continue
        per = [len(items) // ndirs + (1 if i < len(items) % ndirs else 0) for i in range(ndirs)]
        pos = 0
        for size in per:
            chunk = items[pos: pos + size]
            pos += size
            team = chunk[0][0] if cat == "vm" else (chunk[0][1] if cat == "app" else rng.choice(TEAMS)) if chunk else rng.choice(TEAMS)
            d = directory(cat, team)
            names: list[str] = []
            ns = None
            for unit in chunk:
                for rel, data, is_vm in _render(cat, unit, rng, stats, huge_mb):
                    path = f"{d}/{rel}"
                    while path in written:
                        path = path.replace(".yaml", "-x.yaml")
                    written[path] = data
                    names.append(path.rsplit("/", 1)[1])
                    if cat == "misc" and unit[0] == "huge":
                        stats.huge_files.append(path)
                    elif cat == "misc" and unit[0] == "malformed":
                        stats.malformed_files.append(path)
                    if is_vm:
                        stats.vm_files.append(path)
                        if (cat == "vm" and stats.small_vm_file is None and len(data) < 6000
                                and unit[2][0].variant == "correct"):
                            stats.small_vm_file = path
                ns = ns or (unit[1] if cat == "vm" else unit[2] if cat == "app" else unit[3] if len(unit) == 4 else None)
            kust = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
            if ns and rng.random() < 0.8:
                kust["namespace"] = ns
            kust["resources"] = names
            if cat == "app" and rng.random() < 0.3:
                kust["commonLabels"] = {"app.kubernetes.io/managed-by": "flux"}
            written[f"{d}/kustomization.yaml"] = dump(kust).encode()
            stats.kinds["Kustomization"] += 1
        stats.categories[cat] = sum(unit_files(cat, u) for u in items)

    if len(written) != files:  # pragma: no cover - a planning bug
        raise AssertionError(f"planned {files} files, produced {len(written)}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    total_bytes = 0
    for rel, data in written.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total_bytes += len(data)
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "profile": profile,
        "files": files,
        "seed": seed,
        "bytes": total_bytes,
        "directories": len({rel.rsplit("/", 1)[0] for rel in written}),
        "plan": counts,
        "non_chart_files": files - counts["chart"],
        "files_with_vm": len(stats.vm_files),
        "vm_file_share_of_non_chart": round(len(stats.vm_files) / max(1, files - counts["chart"]), 4),
        "vm_file_share": round(len(stats.vm_files) / files, 4),
        "vm_documents": stats.kinds.get("VirtualMachine", 0),
        "kinds": dict(sorted(stats.kinds.items())),
        "hook_variants": dict(sorted(stats.variants.items())),
        "cloud_init": dict(sorted(stats.cloud_init.items())),
        "small_vm_file": stats.small_vm_file,
        "huge_files": stats.huge_files,
        "malformed_files": stats.malformed_files,
        "vm_files": stats.vm_files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _render(cat: str, unit, rng: random.Random, stats: Stats, huge_mb: float):
    """(relative file name, bytes, contains a VM) for one unit."""
    if cat == "vm":
        team, ns, specs, as_list = unit
        if as_list:
            yield f"{specs[0].name}-list.yaml", _vm_list_text(specs, team, rng, stats).encode(), True
            return
        text, extra = _vm_files_text(specs, team, rng, stats)
        yield f"{specs[0].name}.yaml", text.encode(), True
        for rel, body in extra:
            yield rel, body.encode(), False
        return
    if cat == "app":
        app, team, ns = unit
        yield f"{app}.yaml", _app_text(app, team, ns, rng, stats).encode(), False
        return
    kind = unit[0]
    if kind == "huge":
        size = int(huge_mb * 1024 * 1024 * rng.uniform(0.6, 1.5))
        name, text, has_vm = _huge_text(unit[1], size, rng, stats)
        yield name, text.encode(), has_vm
        return
    if kind == "malformed":
        name, data = _malformed_text(unit[1], rng)
        yield name, data, False
        return
    if kind == "secret":
        _, name, team, ns = unit
        sec = secret(f"{name}-cloudinit", ns, name, rng, rng.random() < 0.7)
        stats.count([sec])
        yield f"{name}-cloudinit.yaml", dump(sec).encode(), False
        return
    _, app, team, ns = unit
    yield f"{app}-{kind}.yaml", _misc_text(kind, app, team, ns, rng, stats).encode(), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="directory to create (replaced if it exists)")
    parser.add_argument("--files", type=int, default=2000, help="number of files (default: 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--profile", choices=PROFILES, default="platform",
                        help="platform: a quarter of the non-chart files hold a VM (the default, unchanged); "
                             "vm-dense: a quarter of all files do")
    parser.add_argument("--huge-mb", type=float, default=4.0, help="typical size of a huge file in MB (default: 4)")
    args = parser.parse_args(argv)
    if args.files < 30:
        parser.error("--files must be at least 30")
    manifest = generate(args.out_dir, args.files, args.seed, args.huge_mb, args.profile)
    summary = {k: manifest[k] for k in ("profile", "files", "seed", "bytes", "files_with_vm", "vm_file_share",
                                        "vm_file_share_of_non_chart", "vm_documents")}
    summary["VirtualMachine"] = manifest["kinds"].get("VirtualMachine", 0)
    summary["Deployment"] = manifest["kinds"].get("Deployment", 0)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
