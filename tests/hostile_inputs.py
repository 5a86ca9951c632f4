"""Hostile and broken inputs, generated at test time (nothing large is committed).

Shared by tests/test_hostile.py (behaviour) and benchmarks/hostile.py (worst time and memory per class).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator

VM = (
    "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
    "spec:\n  template:\n    metadata:\n      annotations:\n"
    "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", "
    "\"--namespace\", \"prod\"]'\n"
)


def _bomb(width: int = 10, depth: int = 9) -> str:
    lines = ["apiVersion: kubevirt.io/v1", "kind: VirtualMachine", 'l0: &l0 ["lol"]']
    for level in range(1, depth + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _merge_bomb(levels: int = 10) -> str:
    lines = ["apiVersion: kubevirt.io/v1", "kind: VirtualMachine", "m0: &m0 {k0: v}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}, *m{level - 1}], k{level}: v}}")
    lines.append(f"metadata: {{<<: *m{levels - 1}, name: web}}")
    return "\n".join(lines) + "\n"


def _wrong_types() -> Iterator[tuple[str, bytes]]:
    """A VM with each node the model reads replaced by every other YAML type."""
    paths = ["metadata", "metadata.annotations", "metadata.name", "spec", "spec.template", "spec.template.metadata",
             "spec.template.metadata.annotations", "spec.template.spec", "kind", "apiVersion"]
    replacements = {"list": "[1, 2]", "int": "7", "null": "", "string": "x", "map": "{a: b}", "bool": "true"}
    for path in paths:
        for name, value in replacements.items():
            yield f"wrong-type {path}={name}", _replace_path(path, value).encode()


def _replace_path(path: str, value: str) -> str:
    tree = {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
        "metadata": {"name": "web", "namespace": "prod", "annotations": {"a": "'b'"}},
        "spec": {"template": {"metadata": {"annotations": {"pre.hook.backup.velero.io/command": "'[\"a\",]'"}},
                              "spec": {"domain": "{}"}}},
    }  # fmt: skip
    target = tree
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return _dump(tree)


def _dump(tree: object, indent: int = 0) -> str:
    out = []
    for key, value in tree.items():  # type: ignore[attr-defined]
        if isinstance(value, dict):
            out.append(" " * indent + f"{key}:\n" + _dump(value, indent + 2))
        else:
            out.append(" " * indent + f"{key}: {value}\n")
    return "".join(out)


def hostile_inputs(large: bool = True) -> dict[str, Callable[[], bytes]]:
    """Class name -> a maker of its file bytes (made only when asked); `large` adds the slow giants."""
    rng = random.Random(8)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    made: dict[str, Callable[[], bytes]] = {}
    made["empty"] = lambda: b""
    made["only comments"] = lambda: b"# nothing\n# here\n"
    made["only document markers"] = lambda: b"---\n---\n...\n---\n"
    made["binary with NUL"] = lambda: bytes(range(256)) * 64
    made["random bytes"] = lambda: noise
    made["invalid UTF-8"] = lambda: VM.encode() + b"  x: \xff\xfe\xc3\x28\n"
    made["UTF-16 with BOM"] = lambda: b"\xff\xfe" + VM.encode("utf-16-le")
    made["UTF-32 with BOM"] = lambda: b"\xff\xfe\x00\x00" + VM.encode("utf-32-le")
    made["control characters"] = lambda: VM.replace("web", "w\x1b[31meb\x07").encode()
    made["nesting 10,000 flow"] = lambda: ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\na: " + "[" * 10_000 + "]" * 10_000 + "\n").encode()
    made["nesting 100,000 flow"] = lambda: ("kind: VirtualMachine\nspec: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n").encode()
    made["nesting 5,000 block"] = lambda: ("apiVersion: kubevirt.io/v1\n" + "".join(" " * i + "k:\n" for i in range(5000))).encode()
    made["unclosed nesting"] = lambda: ("kubevirt.io: " + "[" * 50_000 + "\n").encode()
    made["alias bomb"] = lambda: _bomb().encode()
    made["merge-key bomb"] = lambda: _merge_bomb().encode()
    made["recursive alias"] = lambda: b"apiVersion: kubevirt.io/v1\na: &a [*a]\n"
    made["undefined alias"] = lambda: b"apiVersion: kubevirt.io/v1\na: *nowhere\n"
    made["duplicate anchors"] = lambda: b"apiVersion: kubevirt.io/v1\na: &x 1\nb: &x 2\nc: *x\n"
    made["tabs for indentation"] = lambda: b"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n\tname: web\n"
    made["python object tag"] = lambda: b"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\na: !!python/object/apply:os.system ['touch /tmp/vmlint-pwned']\nb: !!python/name:os.system\n"
    made["unknown tags"] = lambda: b"apiVersion: kubevirt.io/v1\nkind: !Custom VirtualMachine\nmetadata: !!map {name: !!binary aGk=}\n"
    made["scalar document"] = lambda: b"kubevirt.io\n"
    made["list document"] = lambda: b"- kubevirt.io\n- [1, 2]\n"
    made["helm template"] = lambda: b"{{- range .Values.vms }}\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {{ .name }}\n{{- end }}\n"
    made["jinja template"] = lambda: b"{% for vm in vms %}\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\n{% endfor %}\n"
    made["long line"] = lambda: ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: " + "x" * 2_000_000 + "\n").encode()
    made["cloud-init bomb"] = lambda: (VM + "  userData: " + base64.b64encode(b"#cloud-config\n" + b"a: " * 100).decode() + "\n").encode()
    made.update({name: (lambda data=data: data) for name, data in _wrong_types()})
    if large:
        made["50 MB manifest"] = lambda: ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
                                 + "".join(f"  k{i}: \"{'v' * 100}\"\n" for i in range(450_000))).encode()
        made["100,000 documents"] = lambda: "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"
                                           for i in range(100_000)).encode()
        made["2,000 VMs in one file"] = lambda: "".join(f"---\n{VM.replace('web', f'vm{i}')}" for i in range(2_000)).encode()
    return made
