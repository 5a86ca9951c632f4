"""Custom rule files (`rules-dirs` in the configuration): read, validated, and added to the built-in catalogue.

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
      bad: [...]                            # each a manifest, or {manifest: ..., kubevirt-version: "1.5.0"} to
      good: [...]                           #   lint it at a version (also velero-version, harvester-version)

Every custom rule runs through one registered check, `policy` (lint.checks.parameterised), which dispatches
on `params["check"]`; VM902 is the `require-freeze` check applied to every workload.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from lint.core.catalogue import Catalogue, CatalogueError, Rule, builtin_catalogue, read_examples
from lint.core.findings import Severity
from lint.golang.duration import parse_duration

CUSTOM_CODE = re.compile(r"[A-Z]+[0-9]+")
POLICY_CHECK = "policy"
PARAMETERISED_CHECKS = (  # lint.checks.parameterised implements each
    "required-annotation", "forbidden-annotation", "annotation-matches", "max-duration", "require-freeze",
    "json-schema",
)
_KNOWN_KEYS = {
    "code", "name", "severity", "summary", "message", "rationale", "documentation", "check", "params", "match",
    "path", "schema", "hint", "enabled", "fix", "examples", "references", "missing",
}  # fmt: skip



# --------------------------------------------------------------------------------------------------------------
# Loading


def load_rules_dir(directory: Path, builtin_checks: Collection[str] = ()) -> list[Rule]:
    """The rules of every `*.yaml`/`*.yml` file of a directory, sorted by code.

    `builtin_checks` (the names of lint.checks' registry) also accepts vmlint's own format, a `check` of
    those and VM codes: what `vmlint test-rules rules/` needs.
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


def rule_from_data(data: Any, path: Path, builtin_checks: Collection[str] = ()) -> Rule:
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
    bad, good, versions = read_examples(data["examples"], path)
    if not bad or not good:
        raise fail("a rule needs at least one bad and one good example (examples: {bad: [...], good: [...]}, "
                   "each a YAML document as a string)")
    check = str(data.get("check") or "json-schema")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise fail("params must be a mapping")
    if check in PARAMETERISED_CHECKS:
        if fix != "none":
            raise fail("custom rules have no automatic fix: leave out `fix` or write fix: none")
        params = {**params, "check": check}
        for key in ("match", "path", "schema", "message", "missing"):
            if key in data:
                params[key] = data[key]
        _validate_params(params, fail)
        check = POLICY_CHECK
    elif check not in builtin_checks:
        raise fail(f"unknown check {check!r} (valid checks: {', '.join(PARAMETERISED_CHECKS)}; or give a `schema`)")
    summary = str(data.get("summary") or data.get("message")).strip()
    return Rule(
        code=code,
        name=data["name"],
        severity=severity,
        summary=summary,
        rationale=str(data.get("rationale") or data.get("documentation")).strip(),
        check=check,
        fix=fix,
        examples_bad=bad,
        examples_good=good,
        params=params,
        hint=str(data["hint"]).strip() if data.get("hint") else None,
        default_enabled=bool(data.get("enabled", True)),
        references=tuple(str(ref) for ref in data.get("references") or ()),
        path=str(path),
        example_versions=versions,
    )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


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



def catalogue_with(directories: "list[Path] | tuple[Path, ...]") -> Catalogue:
    """The built-in rules and the custom rules of `directories` (`rules-dirs`).

    A custom code is capital letters then digits and must not start with VM (vmlint's own), nor repeat a
    code of another custom rule: either is a CatalogueError (exit 2).
    """
    builtin = builtin_catalogue()
    if not directories:
        return builtin
    rules, origin = list(builtin.rules), {rule.code: rule.path for rule in builtin.rules}
    for directory in directories:
        for rule in load_rules_dir(Path(directory)):
            if rule.code in builtin._by_code:  # type: ignore[attr-defined]
                raise CatalogueError(f"{rule.path}: rule code {rule.code} collides with the built-in rule "
                                     f"{rule.code} ({builtin.get(rule.code).name}): give custom rules a code of "  # type: ignore[union-attr]
                                     "your own, such as ORG001")
            if rule.code.startswith("VM"):
                raise CatalogueError(f"{rule.path}: rule code {rule.code} starts with VM, which is reserved for "
                                     "vmlint's built-in rules: use a prefix of your own, such as ORG001")
            if rule.code in origin:
                raise CatalogueError(f"{rule.path}: rule code {rule.code} is already defined in {origin[rule.code]}")
            origin[rule.code] = rule.path
            rules.append(rule)
    return Catalogue(tuple(sorted(rules, key=lambda rule: rule.code)))
