"""Custom rules as data (`rules-dirs` in the configuration) and the parameterised policy checks.

A custom rule file has the format of vmlint's own `rules/*.yaml`, with a code of the organisation's own
(capital letters then digits, not starting with VM: `ORG001`), and instead of a check of vmlint's code either a
JSON Schema applied to a selected part of an object or one of the parameterised checks below:

    code: ORG001
    name: prod-explicit-on-error
    severity: error
    summary: Every VM in a prod-* namespace sets its pre hook's on-error.
    rationale: |
      Velero's default (Fail) should be a decision, not an accident.
    match:                                  # optional: which objects the rule looks at
      kinds: [VirtualMachine]               #   default: every kind (KubeVirt workloads for annotation checks)
      namespaces: ["prod-*"]                #   globs on metadata.namespace (or --namespace)
      labels: {tier: db}                    #   a label selector: matchLabels, matchExpressions, or a plain map
    check: required-annotation             # or `schema:` (a JSON Schema) with `path:`
    params:
      keys: [pre.hook.backup.velero.io/on-error]
    message: "{detail}"                     # optional template: {detail} {key} {value} {path} {kind} {name} {namespace}
    examples:
      bad: [...]
      good: [...]

Every custom rule runs through one registered check, `policy` (lint.checks), which dispatches on
`params["check"]`; VM902 is the `require-freeze` check applied to every workload.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from lint.catalogue import CatalogueError, Rule
from lint.findings import Hit, Severity
from lint.go_duration import parse_duration
from lint.k8s_yaml import scalar_type
from lint.interest import EVERYTHING, Interest, any_of
from lint.model import WORKLOAD_INTEREST, KubeObject, Workload
from lint.yamldoc import Mapping, Node, Scalar, Sequence as SeqNode, Span

CUSTOM_CODE = re.compile(r"[A-Z]+[0-9]+")
POLICY_CHECK = "policy"
TIMEOUT_KEYS = ("pre.hook.backup.velero.io/timeout", "post.hook.backup.velero.io/timeout")
ON_ERROR_KEYS = ("pre.hook.backup.velero.io/on-error", "post.hook.backup.velero.io/on-error")
_KNOWN_KEYS = {
    "code", "name", "severity", "summary", "message", "rationale", "documentation", "check", "params", "match",
    "path", "schema", "hint", "enabled", "fix", "examples", "references", "missing",
}  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# Loading


def load_rules_dir(directory: Path, builtin_checks: bool = False) -> list[Rule]:
    """The rules of every `*.yaml`/`*.yml` file of a directory, sorted by code.

    `builtin_checks` also accepts vmlint's own format (a `check` of lint.checks and VM codes): what
    `vmlint test-rules rules/` needs.
    """
    from ruamel.yaml import YAML

    if not directory.is_dir():
        raise CatalogueError(f"{directory}: no such rules directory")
    yaml = YAML(typ="safe")
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        if path.name.startswith("."):
            continue  # .vmlint.yaml next to the rules
        try:
            data = yaml.load(path.read_text(encoding="utf-8"))
        except Exception as err:  # any YAML or I/O error in a rule file is a usage error
            raise CatalogueError(f"{path}: cannot read rule: {_one_line(err)}") from None
        rule = rule_from_data(data, path, builtin_checks)
        if rule.code in seen:
            raise CatalogueError(f"{path}: rule code {rule.code} is already defined in {seen[rule.code]}")
        seen[rule.code] = str(path)
        rules.append(rule)
    return sorted(rules, key=lambda rule: rule.code)


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def rule_from_data(data: Any, path: Path, builtin_checks: bool = False) -> Rule:
    def fail(message: str) -> CatalogueError:
        return CatalogueError(f"{path}: {message}")

    if not isinstance(data, dict):
        raise fail("a rule file must be a mapping")
    unknown = sorted(set(map(str, data)) - _KNOWN_KEYS)
    if unknown:
        raise fail(f"unknown key {', '.join(unknown)} (valid keys: {', '.join(sorted(_KNOWN_KEYS))})")
    missing = [key for key in ("code", "name", "severity", "examples") if key not in data]
    if "summary" not in data and "message" not in data:
        missing.append("summary (or message)")
    if "rationale" not in data and "documentation" not in data:
        missing.append("rationale (or documentation)")
    if "check" not in data and "schema" not in data:
        missing.append("check (or schema)")
    if missing:
        raise fail(f"missing {', '.join(missing)}")
    code = str(data["code"])
    if not CUSTOM_CODE.fullmatch(code):
        raise fail(f"code {code!r} is not a rule code: capital letters then digits, for example ORG001")
    if not isinstance(data["name"], str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", data["name"]):
        raise fail(f"name {data['name']!r} must be lower-case words joined by hyphens")
    try:
        severity = Severity.parse(str(data["severity"]))
    except KeyError:
        raise fail(f"severity must be error, warning or info, not {data['severity']!r}") from None
    fix = data.get("fix", "none")
    examples = data["examples"] if isinstance(data["examples"], dict) else {}
    bad, good = examples.get("bad") or (), examples.get("good") or ()
    if not bad or not good or not all(isinstance(e, str) for e in (*bad, *good)):
        raise fail("a rule needs at least one bad and one good example (examples: {bad: [...], good: [...]}, "
                   "each a YAML document as a string)")
    check = str(data.get("check") or "json-schema")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise fail("params must be a mapping")
    from lint.checks import registry

    if check in PARAMETERISED:
        if fix != "none":
            raise fail("custom rules have no automatic fix: leave out `fix` or write fix: none")
        params = {**params, "check": check}
        for key in ("match", "path", "schema", "message", "missing"):
            if key in data:
                params[key] = data[key]
        _validate_params(params, fail)
        check = POLICY_CHECK
    elif not (builtin_checks and check in registry()):
        raise fail(f"unknown check {check!r} (valid checks: {', '.join(PARAMETERISED)}; or give a `schema`)")
    summary = str(data.get("summary") or data.get("message")).strip()
    return Rule(
        code=code,
        name=data["name"],
        severity=severity,
        summary=summary,
        rationale=str(data.get("rationale") or data.get("documentation")).strip(),
        check=check,
        fix=fix,
        examples_bad=tuple(bad),
        examples_good=tuple(good),
        params=params,
        hint=str(data["hint"]).strip() if data.get("hint") else None,
        default_enabled=bool(data.get("enabled", True)),
        references=tuple(str(ref) for ref in data.get("references") or ()),
        path=str(path),
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _keys(params: dict[str, Any], default: Sequence[str] = ()) -> tuple[str, ...]:
    keys = params.get("keys", params.get("key", default))
    return (keys,) if isinstance(keys, str) else tuple(keys)


def _validate_params(params: dict[str, Any], fail: Callable[[str], CatalogueError]) -> None:
    check = params["check"]
    match = params.get("match") or {}
    if not isinstance(match, dict) or set(match) - {"kinds", "namespaces", "labels"}:
        raise fail("match takes kinds, namespaces and labels")
    for key in ("kinds", "namespaces"):
        if key in match and not _strings(match[key]):
            raise fail(f"match.{key} must be a list of strings")
    if "labels" in match:
        _validate_selector(match["labels"], fail)
    if "path" in params and not (isinstance(params["path"], str) and params["path"].strip(".")):
        raise fail("path must be a dotted path such as spec.template.metadata.labels")
    if "message" in params and not isinstance(params["message"], str):
        raise fail("message must be a string")
    if check in ("required-annotation", "forbidden-annotation", "annotation-matches"):
        keys = params.get("keys", params.get("key"))
        if not (isinstance(keys, str) or (_strings(keys) and keys)):
            raise fail(f"{check} needs params.key (or params.keys, a list)")
    if check == "forbidden-annotation" and "unless" in params and not _strings(params["unless"]):
        raise fail("params.unless must be a list of annotation keys")
    if check == "annotation-matches":
        if "pattern" not in params and "values" not in params:
            raise fail("annotation-matches needs params.pattern (a regular expression) or params.values (a list)")
        if "pattern" in params:
            try:
                re.compile(str(params["pattern"]))
            except re.error as err:
                raise fail(f"params.pattern is not a regular expression: {err}") from None
        if "values" in params and not _strings(params["values"]):
            raise fail("params.values must be a list of strings")
    if check == "max-duration":
        if "max" not in params:
            raise fail("max-duration needs params.max, a Go duration such as 120s")
        parsed = parse_duration(str(params["max"]))
        if parsed.error:
            raise fail(f"params.max: {parsed.error}")
        if "keys" in params or "key" in params:
            if not (isinstance(params.get("keys", params.get("key")), str) or _strings(params.get("keys"))):
                raise fail("params.keys must be a list of annotation keys")
    if check == "json-schema":
        if "schema" not in params or not isinstance(params["schema"], (dict, bool)):
            raise fail("a JSON Schema rule needs `schema`, a mapping")
        if "path" not in params:
            raise fail("a JSON Schema rule needs `path`, the part of the object it applies to (e.g. metadata.labels)")
        if params.get("missing", "report") not in ("report", "skip"):
            raise fail("missing must be report or skip")
        import jsonschema  # only for rule packs with schemas

        try:
            jsonschema.Draft202012Validator.check_schema(params["schema"])
        except jsonschema.SchemaError as err:
            where = ".".join(str(step) for step in err.path)
            raise fail(f"schema{'.' + where if where else ''} is not a valid JSON Schema: {err.message}") from None


def _validate_selector(selector: Any, fail: Callable[[str], CatalogueError]) -> None:
    if not isinstance(selector, dict):
        raise fail("match.labels must be a label selector (matchLabels, matchExpressions) or a map of labels")
    if set(selector) & {"matchLabels", "matchExpressions"}:
        if set(selector) - {"matchLabels", "matchExpressions"}:
            raise fail("match.labels: a selector takes only matchLabels and matchExpressions")
        for expression in selector.get("matchExpressions") or ():
            if not isinstance(expression, dict) or "key" not in expression:
                raise fail("match.labels.matchExpressions: each needs a key and an operator")
            if expression.get("operator") not in ("In", "NotIn", "Exists", "DoesNotExist"):
                raise fail(f"match.labels.matchExpressions: operator {expression.get('operator')!r} is not one of "
                           "In, NotIn, Exists, DoesNotExist")


# --------------------------------------------------------------------------------------------------------------
# Selecting objects and nodes


def _labels(obj: KubeObject) -> dict[str, str]:
    metadata = obj.metadata
    labels = metadata.get("labels") if metadata else None
    if not isinstance(labels, Mapping):
        return {}
    return {key.value: value.value for key, value in labels.entries() if isinstance(value, Scalar)}


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (or a plain map, read as matchLabels) against an object's labels."""
    if not set(selector) & {"matchLabels", "matchExpressions"}:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or ():
        key, operator = str(expression["key"]), expression["operator"]
        values = [str(value) for value in expression.get("values") or ()]
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def matches(obj: KubeObject, match: dict[str, Any], default_namespace: str | None) -> bool:
    if "kinds" in match and obj.kind not in match["kinds"]:
        return False
    if "namespaces" in match:
        namespace = obj.namespace or default_namespace
        if namespace is None or not any(fnmatchcase(namespace, glob) for glob in match["namespaces"]):
            return False
    return "labels" not in match or selector_matches(match["labels"], _labels(obj))


@dataclass(frozen=True)
class Selected:
    """The node at a dotted path of an object, its key, and where to point when it is missing."""

    path: tuple[str, ...]
    node: Node | None
    key: Scalar | None  # the node's key in its parent mapping
    anchor: Span  # the key of the deepest part of the path that exists

    @property
    def span(self) -> Span:
        return self.key.span if self.key is not None else self.anchor

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def select(root: Mapping, path: Sequence[str]) -> Selected:
    node: Node = root
    key: Scalar | None = None
    kind = root.entry("kind")
    anchor = kind[0].span if kind else root.span
    for i, step in enumerate(path):
        entry = node.entry(step) if isinstance(node, Mapping) else None
        if entry is None:
            return Selected(tuple(path), None, None, key.span if key is not None else anchor)
        key, node = entry
    return Selected(tuple(path), node, key, key.span if key is not None else anchor)


def _path(text: str) -> tuple[str, ...]:
    return tuple(step for step in text.split(".") if step)


# --------------------------------------------------------------------------------------------------------------
# The checks


@dataclass(frozen=True)
class Target:
    obj: KubeObject
    workload: Workload | None
    params: dict[str, Any]
    settings: Any
    ctx: Any

    def message(self, detail: str, **fields: str) -> str:
        template = self.params.get("message")
        if not template:
            return detail
        values = {"detail": detail, "kind": self.obj.kind, "name": self.obj.name or "",
                  "namespace": self.obj.namespace or "", "key": "", "value": "", "path": "", **fields}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)

    def subject(self) -> str:
        return f"{self.obj.kind} {self.obj.name}" if self.obj.name else f"this {self.obj.kind}"


def _annotations(target: Target) -> Selected | None:
    """The annotations a check reads: `path`, else the pod-bound annotations of a KubeVirt workload."""
    if "path" in target.params:
        return select(target.obj.node, _path(target.params["path"]))
    if target.workload is None:
        return None
    return select(target.obj.node, target.workload.spec.pod_metadata + ("annotations",))


def _entries(selected: Selected) -> dict[str, tuple[Scalar, Node]]:
    if not isinstance(selected.node, Mapping):
        return {}
    return {key.value: (key, value) for key, value in selected.node.entries()}


def required_annotation(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    for key in _keys(target.params):
        if key not in present:
            where = f"{selected.dotted}" if selected.node is not None else f"{selected.dotted} (absent)"
            yield Hit(selected.span, target.message(f"{target.subject()} has no {key} in {where}", key=key,
                                                    path=selected.dotted),
                      hint=f"add {key} to {selected.dotted}")


def forbidden_annotation(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    excused = [key for key in target.params.get("unless") or () if key in present]
    if excused:
        return
    unless = target.params.get("unless") or ()
    for name, (key, value) in present.items():
        if any(fnmatchcase(name, pattern) for pattern in _keys(target.params)):
            text = value.value if isinstance(value, Scalar) else ""
            detail = f"{selected.dotted} must not set {name}"
            if unless:
                detail += f" without {' or '.join(unless)}"
            yield Hit(key.span, target.message(detail, key=name, value=text, path=selected.dotted),
                      hint=f"remove {name}" + (f", or add {unless[0]}" if unless else ""))


def annotation_matches(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    pattern = target.params.get("pattern")
    allowed = target.params.get("values")
    wanted = " or ".join(filter(None, (
        f"one of {', '.join(allowed)}" if allowed else None,
        f"a match of /{pattern}/" if pattern is not None else None,
    )))
    for key in _keys(target.params):
        entry = present.get(key)
        if entry is None:
            if target.params.get("required"):
                yield Hit(selected.span, target.message(f"{target.subject()} has no {key}: it must be {wanted}",
                                                        key=key, path=selected.dotted))
            continue
        value = entry[1]
        if not isinstance(value, Scalar):
            yield Hit(value.span, target.message(f"{key} is not a string: it must be {wanted}", key=key,
                                                 path=selected.dotted))
            continue
        ok = (allowed is None or value.value in allowed) and (
            pattern is None or re.fullmatch(str(pattern), value.value) is not None)
        if not ok:
            yield Hit(value.span, target.message(f"{key} is {value.value!r}: it must be {wanted}", key=key,
                                                 value=value.value, path=selected.dotted))


def _format_seconds(nanoseconds: int) -> str:
    seconds = nanoseconds / 1e9
    return f"{seconds:g}s"


def max_duration(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    limit_text = str(target.params["max"])
    limit = parse_duration(limit_text).nanoseconds or 0
    for key in _keys(target.params, TIMEOUT_KEYS):
        entry = present.get(key)
        if entry is None or not isinstance(entry[1], Scalar):
            continue
        value = entry[1]
        parsed = parse_duration(value.value).nanoseconds
        if parsed is None:
            continue  # not a duration at all: VM105 says so
        if parsed < 0:
            detail = f"{key} is {value.value}: a negative timeout means Velero waits for ever (at most {limit_text})"
        elif parsed > limit:
            detail = f"{key} is {value.value} ({_format_seconds(parsed)}), longer than the allowed {limit_text}"
        else:
            continue
        yield Hit(value.span, target.message(detail, key=key, value=value.value, path=selected.dotted),
                  hint=f"set {key} to at most {limit_text}")


def require_freeze(target: Target) -> Iterator[Hit]:
    """Freezing is not disabled, and the guest agent that virt-freezer needs is there (VM902)."""
    workload = target.workload
    if workload is None:
        return
    from lint.checks.agent import evidence, freeze_source
    from lint.checks.commands import hook_commands
    from lint.effective import SKIP_HOOKS_KEY, hook_state

    ctx = target.ctx
    state = hook_state(workload, ctx.settings)
    own = [hook for hook in hook_commands(workload, ctx) if hook.pod_bound]
    own_pre = [hook for hook in own if hook.phase == "pre"]
    subject = target.subject()
    if state.skip.skips and not own_pre:
        span = state.skip.value.span if state.skip.value else state.skip.key.span  # type: ignore[union-attr]
        yield Hit(span, target.message(
            f"{SKIP_HOOKS_KEY} is true and no pre hook of {subject}'s own replaces KubeVirt's: freezing is "
            "disabled, so its backups are only crash-consistent", key=SKIP_HOOKS_KEY),
            hint=f"remove {SKIP_HOOKS_KEY}, or add pre and post hooks that run virt-freezer")
        return
    if not state.kubevirt.injects_hooks and not own:
        where = select(workload.obj.node, workload.spec.pod_metadata + ("annotations",))
        yield Hit(where.span, target.message(
            f"{state.kubevirt} injects no freeze hooks (from 0.45 it does) and {subject} has no hooks of its own: "
            "nothing freezes the guest"),
            hint="add pre and post hooks running virt-freezer --freeze / --unfreeze, or upgrade KubeVirt")
        return
    if not target.params.get("agent", True) or freeze_source(workload, ctx) is None:
        return
    found = evidence(workload, ctx)
    if found.verdict == "present":
        return
    reason = found.reasons[0] if found.reasons else None
    span = reason.span if reason else (workload.name.span if workload.name else workload.obj.node.span)
    because = f": {reason.text}" if reason else ""
    what = "has no guest agent" if found.verdict == "absent" else "may have no guest agent"
    yield Hit(span, target.message(
        f"{subject} {what}{because}; the policy requires evidence of qemu-guest-agent, without which the freeze "
        "does nothing"),
        hint=reason.hint if reason and reason.hint else "install qemu-guest-agent through cloud-init, or annotate "
        "the VM with vmlint.io/guest-agent: \"installed\"")


# JSON Schema ---------------------------------------------------------------------------------------------------


def to_data(node: Node, where: tuple[Any, ...] = (), nodes: dict | None = None) -> tuple[Any, dict]:
    """A node as plain data (with Kubernetes' scalar types) and a map from JSON paths to (key, node)."""
    nodes = {} if nodes is None else nodes
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.entries():
            nodes[where + (key.value,)] = (key, value)
            out[key.value], _ = to_data(value, where + (key.value,), nodes)
        return out, nodes
    if isinstance(node, SeqNode):
        items = []
        for i, item in enumerate(node.items):
            nodes[where + (i,)] = (None, item)
            items.append(to_data(item, where + (i,), nodes)[0])
        return items, nodes
    kind = scalar_type(node)
    if kind == "null":
        return None, nodes
    if kind == "bool":
        return node.value.lower() in ("true", "yes", "on", "y"), nodes
    if kind in ("int", "float"):
        try:
            return (int(node.value.replace("_", ""), 0) if kind == "int" else float(node.value)), nodes
        except ValueError:
            return node.value, nodes
    return node.value, nodes


def _object_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "required" in schema or "properties" in schema)


def json_schema(target: Target) -> Iterator[Hit]:
    import jsonschema

    params = target.params
    selected = select(target.obj.node, _path(params["path"]))
    schema = params["schema"]
    if selected.node is None:
        if params.get("missing", "report") == "skip":
            return
        instance, nodes = ({} if _object_schema(schema) else None), {}
    else:
        instance, nodes = to_data(selected.node)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        steps = tuple(error.absolute_path)
        dotted = ".".join(str(step) for step in (*selected.path, *steps))
        span = _error_span(error, steps, nodes, selected)
        detail = f"{dotted}: {error.message}" if selected.node is not None else f"{dotted} is missing: {error.message}"
        yield Hit(span, target.message(detail, path=dotted))


def _error_span(error: Any, steps: tuple[Any, ...], nodes: dict, selected: Selected) -> Span:
    if selected.node is None:
        return selected.anchor
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
        for name in error.instance:
            if name not in declared and not any(re.search(p, name) for p in patterns) and steps + (name,) in nodes:
                return nodes[steps + (name,)][0].span
    if not steps:
        return selected.span if error.validator in ("required", "minProperties", "dependentRequired") \
            else (selected.node.span if isinstance(selected.node, Scalar) else selected.span)
    key, node = nodes.get(steps, (None, None))
    if node is None:
        return selected.span
    if error.validator in ("required", "minProperties", "dependentRequired", "minItems") and key is not None:
        return key.span  # a missing member: the mapping's key
    if isinstance(node, Scalar) or key is None:
        return node.span
    return key.span


PARAMETERISED: dict[str, Callable[[Target], Iterator[Hit]]] = {
    "required-annotation": required_annotation,
    "forbidden-annotation": forbidden_annotation,
    "annotation-matches": annotation_matches,
    "max-duration": max_duration,
    "require-freeze": require_freeze,
    "json-schema": json_schema,
}
_WORKLOADS_ONLY = {"require-freeze"}
_ANNOTATION_CHECKS = {"required-annotation", "forbidden-annotation", "annotation-matches", "max-duration"}


def policy_interest(params: dict[str, Any]) -> Interest:
    """The documents a policy can select (lint.interest): workloads for the checks that only look at them,
    the named kinds (each document of a kind names it), or, for a path on any kind, every document."""
    match = params.get("match") or {}
    if params["check"] in _WORKLOADS_ONLY or (
            params["check"] in _ANNOTATION_CHECKS and "path" not in params and "kinds" not in match):
        return WORKLOAD_INTEREST
    if match.get("kinds"):
        return any_of(*match["kinds"])
    return EVERYTHING


def policy_check(loaded: Any, ctx: Any) -> Iterator[Hit]:
    """The file-scope check every custom rule (and VM902) runs: each object the rule's `match` selects."""
    params = ctx.params
    function = PARAMETERISED[params["check"]]
    match = params.get("match") or {}
    workloads = {id(workload.obj): workload for workload in loaded.workloads}
    for obj in loaded.objects:
        workload = workloads.get(id(obj))
        if workload is None and (params["check"] in _WORKLOADS_ONLY or (
                params["check"] in _ANNOTATION_CHECKS and "path" not in params and "kinds" not in match)):
            continue
        if not matches(obj, match, ctx.settings.namespace):
            continue
        yield from function(Target(obj, workload, params, ctx.settings, ctx))


# --------------------------------------------------------------------------------------------------------------
# vmlint test-rules


@dataclass(frozen=True)
class ExampleOutcome:
    """A rule's examples run on their own: what did not behave as documented."""

    rule: Rule
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(directory: Path) -> list[ExampleOutcome]:
    """Every rule of a directory against its own examples, like `kyverno test`: each bad example must give a
    finding of the rule, each good one none, and neither an internal error."""
    from lint.discovery import InputFile
    from lint.engine import run
    from lint.settings import Settings

    rules = load_rules_dir(directory, builtin_checks=True)
    if not rules:
        raise CatalogueError(f"{directory}: no rule files (*.yaml) in this directory")
    outcomes = []
    for rule in rules:
        failures = []
        for label, examples in (("bad", rule.examples_bad), ("good", rule.examples_good)):
            for number, example in enumerate(examples, start=1):
                name = f"{rule.code}.{label}-{number}.yaml"
                chosen = rules if rule.check == "unused-suppression" else [rule]  # VM090 judges the others' codes
                result = run([InputFile(name, None, example.encode("utf-8"))], chosen, Settings())
                found = [f for f in result.findings if f.code == rule.code]
                if result.errors:
                    failures.append(f"{label} example {number}: {result.errors[0]}")
                elif label == "bad" and not found:
                    failures.append(f"bad example {number} gives no {rule.code} finding")
                elif label == "good" and found:
                    failures.extend(f"good example {number} gives {f.code} at {f.line}:{f.column}: {f.message}"
                                    for f in found)
        outcomes.append(ExampleOutcome(rule, tuple(failures)))
    return outcomes
