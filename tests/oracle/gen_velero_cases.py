"""Velero Backups, Schedules and Restores whose hooks vary over what the API server and Velero judge.

Each case is a JSON value (what sigs.k8s.io/yaml makes of the YAML) and the YAML text written for it. The
dimensions: the hook resource's name type; exec present, absent, null or of the wrong type; command shapes;
onError values; timeout strings and numbers; container types; includedResources; labelSelector shapes;
unknown fields (typos of real ones); and the YAML style (block, or flow mappings at several depths, where spans are
easiest to get wrong). Each dimension is varied alone first, then in seeded random combinations.

`Raw(text, value)` writes `text` as it is, standing for `value`: an unquoted `1`, `true`, `yes` or `~`. Every other
string is written plain when YAML 1.1 (go-yaml v2, as kubectl reads it) keeps it a string, double-quoted otherwise.
`cases()` checks that PyYAML, a YAML 1.1 reader, reads each text back as its value.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

import yaml

CANONICAL_SEED = 21
RANDOM_CASES = {"Backup": 1600, "Schedule": 1200, "Restore": 500}  # distinct random combinations
MISSING = object()


@dataclass(frozen=True)
class Raw:
    text: str
    value: Any


@dataclass(frozen=True)
class Flow:
    """A mapping or list written in flow style, with everything inside it."""

    value: Any


# --- dimensions: (label, value); the first of each is the valid default -------------------------------------

NAME = [("str", "freeze"), ("empty", ""), ("int", Raw("123", 123)), ("bool", Raw("true", True)), ("null", None),
        ("missing", MISSING), ("list", ["freeze"]), ("map", {"a": "b"}), ("float", Raw("1.5", 1.5)),
        ("blank", " ")]
EXEC = ["mapping", "missing", "null", "string", "list", "empty-mapping"]
COMMAND = [
    ("argv", ["/bin/sh", "-c", "sync"]), ("string", "/bin/sh -c sync"), ("empty", []), ("empty-program", [""]),
    ("blank-program", [" "]), ("int-item", ["/bin/sh", Raw("1", 1)]), ("null-item", ["/bin/sh", None]),
    ("bool-item", ["/bin/sh", Raw("true", True)]), ("nested", [["/bin/sh"]]), ("null", None), ("missing", MISSING),
    ("map", {"a": "b"}), ("int", Raw("5", 5)), ("json-string", '["/bin/sh", "-c", "sync"]'),
    ("flow-argv", Flow(["/usr/bin/virt-freezer", "--freeze"])), ("map-item", ["/bin/sh", {"a": "b"}]),
]
ON_ERROR = [("missing", MISSING), ("Continue", "Continue"), ("Fail", "Fail"), ("fail", "fail"),
            ("trailing-space", "Continue "), ("null", None), ("int", Raw("1", 1)), ("bool", Raw("true", True)),
            ("empty", ""), ("list", ["Fail"]), ("CONTINUE", "CONTINUE")]
TIMEOUT = [("missing", MISSING), ("30s", "30s"), ("no-unit", "30"), ("days", "1d"), ("negative", "-5s"),
           ("zero", "0"), ("zero-s", "0s"), ("compound", "1h30m"), ("int", Raw("30", 30)),
           ("float", Raw("1.5", 1.5)), ("null", None), ("leading-space", " 60s"), ("upper", "60S"), ("empty", ""),
           ("negative-m", "-1m"), ("space", "5 s"), ("micro", "1µs"), ("bool", Raw("true", True)),
           ("list", ["30s"]), ("fraction", ".5s"), ("plus", "+10s")]
CONTAINER = [("missing", MISSING), ("str", "compute"), ("empty", ""), ("int", Raw("123", 123)),
             ("bool", Raw("true", True)), ("null", None), ("list", ["compute"]), ("yes", Raw("yes", True))]
INCLUDED_RESOURCES = [("missing", MISSING), ("pods", ["pods"]), ("empty", []), ("null", None), ("string", "pods"),
                      ("int-item", [Raw("1", 1)]), ("null-item", ["pods", None]), ("map", {"a": "b"})]
LABEL_SELECTOR = [
    ("missing", MISSING), ("null", None), ("labels", {"matchLabels": {"app": "web"}}),
    ("int-value", {"matchLabels": {"replica": Raw("1", 1)}}),
    ("bool-value", {"matchLabels": {"backup": Raw("true", True)}}),
    ("yes-value", {"matchLabels": {"backup": Raw("yes", True)}}),
    ("null-value", {"matchLabels": {"app": "web", "tier": None}}), ("null-labels", {"matchLabels": None}),
    ("list-labels", {"matchLabels": ["app"]}),
    ("expression", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
    ("no-operator", {"matchExpressions": [{"key": "app"}]}),
    ("no-key", {"matchExpressions": [{"operator": "Exists"}]}),
    ("int-operator", {"matchExpressions": [{"key": "app", "operator": Raw("1", 1)}]}),
    ("string-values", {"matchExpressions": [{"key": "app", "operator": "In", "values": "web"}]}),
    ("null-expressions", {"matchExpressions": None}), ("null-expression", {"matchExpressions": [None]}),
    ("string", "app=web"), ("flow-no-operator", Flow({"matchExpressions": [{"key": "app"}]})),
    ("float-value", {"matchLabels": {"version": Raw("1.0", 1.0)}}),
]
UNKNOWN = ["none", "preHooks", "onerror", "timeOut", "includeNamespaces", "hooks.resource", "Exec",
           "matchlabels", "args", "command-outside-exec", "container-outside-exec", "name-in-exec"]
PHASE = ["pre", "post", "both"]
STYLE = ["block", "flow-exec", "flow-hook", "flow-resource"]

RESTORE_EXEC_FIELDS = {
    "execTimeout": TIMEOUT,
    "waitTimeout": TIMEOUT,
    "waitForReady": [("missing", MISSING), ("true", Raw("true", True)), ("false", Raw("false", False)),
                     ("null", None), ("string", "true"), ("int", Raw("1", 1)), ("yes", Raw("yes", True))],
}
RESTORE_POST_HOOK = ["exec", "init", "both", "neither", "null", "string"]
INIT_CONTAINERS = [
    ("container", [{"name": "restore", "image": "alpine:3", "command": ["/bin/ash", "-c", "date"]}]),
    ("empty", []), ("null-item", [None]), ("string-item", ["alpine"]), ("string", "alpine"), ("null", None),
    ("any-fields", [{"name": "r", "image": "alpine", "command": ["date"], "volumeMounts": [{"name": "d"}],
                     "whatever": {"deep": [1, 2]}}]),
    ("map", {"name": "r"}),
]
INIT_TIMEOUT = [("missing", MISSING), ("30s", "30s"), ("no-unit", "30"), ("negative", "-5s"), ("int", Raw("3", 3))]
RESTORE_UNKNOWN = ["none", "post", "timeout", "initContainer", "wait-for-ready", "preHooks"]


def _pick(options: list[Any], rng: random.Random, vary: float) -> Any:
    return rng.choice(options[1:]) if rng.random() < vary else options[0]


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not MISSING:
        target[key] = value


def backup_hooks(dims: dict[str, str]) -> Any:
    """The `hooks` value of a Backup (or a Schedule's template) for one choice per dimension."""
    exec_: dict[str, Any] = {}
    _set(exec_, "container", dict(CONTAINER)[dims["container"]])
    _set(exec_, "command", dict(COMMAND)[dims["command"]])
    _set(exec_, "onError", dict(ON_ERROR)[dims["onError"]])
    _set(exec_, "timeout", dict(TIMEOUT)[dims["timeout"]])
    unknown = dims["unknown"]
    if unknown == "onerror":
        exec_["onerror"] = "Fail"
    elif unknown == "timeOut":
        exec_["timeOut"] = "30s"
    elif unknown == "args":
        exec_["args"] = ["--verbose"]
    elif unknown == "name-in-exec":
        exec_["name"] = "flush"
    hook: dict[str, Any] = {}
    shape = dims["exec"]
    if shape == "mapping":
        hook["exec"] = exec_
    elif shape == "null":
        hook["exec"] = None
    elif shape == "string":
        hook["exec"] = "/bin/sh -c sync"
    elif shape == "list":
        hook["exec"] = [exec_]
    elif shape == "empty-mapping":
        hook["exec"] = {}
    if unknown == "Exec":
        hook["Exec"] = {"command": ["/bin/true"]}
    elif unknown == "command-outside-exec":
        hook["command"] = ["/bin/true"]
    elif unknown == "container-outside-exec":
        hook["container"] = "compute"
    if dims["style"] == "flow-exec" and isinstance(hook.get("exec"), dict):
        hook["exec"] = Flow(hook["exec"])
    if dims["style"] == "flow-hook":
        hook = Flow(hook)  # type: ignore[assignment]
    resource: dict[str, Any] = {}
    _set(resource, "name", dict(NAME)[dims["name"]])
    _set(resource, "includedResources", dict(INCLUDED_RESOURCES)[dims["includedResources"]])
    _set(resource, "labelSelector", dict(LABEL_SELECTOR)[dims["labelSelector"]])
    if unknown == "matchlabels":
        resource["labelSelector"] = {"matchlabels": {"app": "web"}}
    if unknown == "includeNamespaces":
        resource["includeNamespaces"] = ["prod"]
    phases = ["pre", "post"] if dims["phase"] == "both" else [dims["phase"]]
    for phase in phases:
        resource["preHooks" if unknown == "preHooks" and phase == "pre" else phase] = [hook]
    if dims["style"] == "flow-resource":
        resource = Flow(resource)  # type: ignore[assignment]
    resources = [resource]
    if dims.get("second") == "yes":
        resources.append({"name": "second", "post": [{"exec": {"command": ["/bin/true"]}}]})
    return {"resource": resources} if unknown == "hooks.resource" else {"resources": resources}


def restore_hooks(dims: dict[str, str]) -> Any:
    exec_: dict[str, Any] = {}
    _set(exec_, "container", dict(CONTAINER)[dims["container"]])
    _set(exec_, "command", dict(COMMAND)[dims["command"]])
    _set(exec_, "onError", dict(ON_ERROR)[dims["onError"]])
    for field, options in RESTORE_EXEC_FIELDS.items():
        _set(exec_, field, dict(options)[dims[field]])
    unknown = dims["unknown"]
    if unknown == "timeout":
        exec_["timeout"] = "30s"
    elif unknown == "wait-for-ready":
        exec_["wait-for-ready"] = "true"
    init: dict[str, Any] = {}
    _set(init, "initContainers", dict(INIT_CONTAINERS)[dims["initContainers"]])
    _set(init, "timeout", dict(INIT_TIMEOUT)[dims["initTimeout"]])
    if unknown == "initContainer":
        init["initContainer"] = init.pop("initContainers", [])
    shape = dims["postHook"]
    hook: Any = {}
    if shape in ("exec", "both"):
        hook["exec"] = Flow(exec_) if dims["style"] == "flow-exec" else exec_
    if shape in ("init", "both"):
        hook["init"] = init
    if shape == "null":
        hook = None
    elif shape == "string":
        hook = "exec"
    elif dims["style"] == "flow-hook":
        hook = Flow(hook)
    resource: dict[str, Any] = {}
    _set(resource, "name", dict(NAME)[dims["name"]])
    _set(resource, "labelSelector", dict(LABEL_SELECTOR)[dims["labelSelector"]])
    key = {"post": "post", "preHooks": "preHooks"}.get(unknown, "postHooks")
    resource[key] = [hook]
    if dims["style"] == "flow-resource":
        resource = Flow(resource)  # type: ignore[assignment]
    return {"resources": [resource]}


def _dimensions(kind: str) -> dict[str, list[str]]:
    common = {
        "name": [label for label, _ in NAME], "command": [label for label, _ in COMMAND],
        "onError": [label for label, _ in ON_ERROR], "container": [label for label, _ in CONTAINER],
        "labelSelector": [label for label, _ in LABEL_SELECTOR], "style": STYLE,
    }
    if kind == "Restore":
        return {
            **common, "postHook": RESTORE_POST_HOOK, "unknown": RESTORE_UNKNOWN,
            **{field: [label for label, _ in options] for field, options in RESTORE_EXEC_FIELDS.items()},
            "initContainers": [label for label, _ in INIT_CONTAINERS],
            "initTimeout": [label for label, _ in INIT_TIMEOUT],
        }
    return {
        **common, "exec": EXEC, "timeout": [label for label, _ in TIMEOUT],
        "includedResources": [label for label, _ in INCLUDED_RESOURCES], "unknown": UNKNOWN, "phase": PHASE,
        "second": ["no", "yes"],
    }


def _object(kind: str, number: int, hooks: Any) -> dict[str, Any]:
    metadata = {"name": f"case-{number}", "namespace": "velero"}
    if kind == "Backup":
        spec: dict[str, Any] = {"includedNamespaces": ["prod"], "hooks": hooks}
    elif kind == "Schedule":
        spec = {"schedule": "0 1 * * *", "template": {"includedNamespaces": ["prod"], "hooks": hooks}}
    else:
        spec = {"backupName": "nightly", "hooks": hooks}
    return {"apiVersion": "velero.io/v1", "kind": kind, "metadata": metadata, "spec": spec}


# --- YAML --------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./=-]*")
_YAML11_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _YAML11_SPECIAL:
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def _flow(value: Any) -> str:
    if isinstance(value, Flow):
        value = value.value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return _scalar(value)


def _block(value: Any, indent: int) -> list[str]:
    """Lines of a mapping's or list's block form at `indent` spaces."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_block(item, indent + 2))
            else:
                lines.append(f"{pad}{key}: {_flow(item)}")
        return lines
    for item in value:
        if isinstance(item, (dict, list)) and item:
            inner = _block(item, indent + 2)
            lines.append(f"{pad}- {inner[0].lstrip()}")
            lines.extend(inner[1:])
        else:
            lines.append(f"{pad}- {_flow(item)}")
    return lines


def to_yaml(value: Any) -> str:
    return "\n".join(_block(value, 0)) + "\n"


def plain(value: Any) -> Any:
    """The JSON value a written value stands for."""
    if isinstance(value, Flow):
        return plain(value.value)
    if isinstance(value, Raw):
        return value.value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _case(kind: str, number: int, dims: dict[str, str]) -> dict[str, Any]:
    hooks = restore_hooks(dims) if kind == "Restore" else backup_hooks(dims)
    written = _object(kind, number, hooks)
    text = to_yaml(written)
    value = plain(written)
    read = yaml.safe_load(text)
    if read != value or json.dumps(read, sort_keys=True) != json.dumps(value, sort_keys=True):
        raise AssertionError(f"case {number} does not read back as its value:\n{text}\n{read}\n{value}")
    return {"id": number, "kind": kind, "dims": dims, "yaml": text, "value": value}


def cases(seed: int = CANONICAL_SEED) -> list[dict[str, Any]]:
    """Every case: each value of each dimension alone (in block style and in a flow-style resource), then
    distinct seeded random combinations in which each dimension leaves its valid default now and then."""
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(kind: str, dims: dict[str, str]) -> bool:
        key = json.dumps([kind, dims], sort_keys=True)
        if key in seen:
            return False
        seen.add(key)
        found.append(_case(kind, len(found), dims))
        return True

    for kind in ("Backup", "Schedule", "Restore"):
        dimensions = _dimensions(kind)
        default = {name: values[0] for name, values in dimensions.items()}
        for style in ("block", "flow-resource"):
            for name, values in dimensions.items():
                for choice in values:
                    add(kind, {**default, "style": style, name: choice})
        added = 0
        for _ in range(RANDOM_CASES[kind] * 20):
            vary = rng.choice((0.01, 0.03, 0.06, 0.15))
            added += add(kind, {name: _pick(values, rng, vary) for name, values in dimensions.items()})
            if added == RANDOM_CASES[kind]:
                break
    return found
