"""Judge the Velero objects of gen_velero_cases.py as the API server does, with Velero's real CRDs, and write the
verdicts to tests/oracle/vectors/velero_hooks.jsonl (and what they came from to velero_hooks.meta.json).

Usage::

    python tests/oracle/regenerate_velero.py --velero-git /path/to/velero.git   # copy the CRDs of v1.18.1 first
    python tests/oracle/regenerate_velero.py            # judge with the committed CRDs (tests/oracle/velero/crds)
    python tests/oracle/regenerate_velero.py --check    # exit 1 if a committed file differs

The judge reads each CRD's openAPIV3Schema and applies the API server's steps to the whole object, written after
apiextensions-apiserver (customresource_handler.go `unstructuredSchemaCoercer.apply`, pruning/algorithm.go
`prune`/`skipPrune`, defaulting/prunenulls.go, then the validation of the structural schema):

1. prune unknown fields: a field neither in `properties` nor covered by `additionalProperties` is removed and
   recorded, except under `x-kubernetes-preserve-unknown-fields`; a mapping where the schema has no object is
   emptied; at the root, apiVersion, kind and metadata are left alone (the embedded-resource rule);
2. drop nulls of fields whose schema is neither nullable nor defaulted; nulls in lists stay;
3. validate what remains against the openAPIV3Schema converted to JSON Schema (`nullable` becomes a "null" type,
   x-kubernetes-* extensions and descriptions go, `format` is an annotation as it is for the hook fields, which
   have none), with jsonschema. Any error refuses the object; an unknown field refuses it under strict field
   validation (kubectl's default) only.

Beside the API server's verdict, each case records what Velero's own code does with values the API server
accepts (the facts vmlint reports on purpose where the API server is silent): a duration Go's time.ParseDuration
rejects (asked of Go itself, with the gostd oracle of regenerate.py), a negative one, an empty program name, an
empty resource name on a resource with exec hooks. Regenerating needs `go`; the suite only reads the results.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import yaml

ORACLE_DIR = Path(__file__).resolve().parent
CRD_DIR = ORACLE_DIR / "velero" / "crds"
VECTORS = ORACLE_DIR / "vectors" / "velero_hooks.jsonl"
META = ORACLE_DIR / "vectors" / "velero_hooks.meta.json"
VELERO_TAG = "v1.18.1"
CRD_PATH = "config/crd/v1/bases/velero.io_{plural}.yaml"
PLURALS = {"Backup": "backups", "Schedule": "schedules", "Restore": "restores"}
APIEXTENSIONS = "kubernetes/apiextensions-apiserver 1aa2717a552ee6ca1e2a18f1f8ffccde981db923"
META_FIELDS = ("apiVersion", "kind", "metadata")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ORACLE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return sys.modules[name]


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# --- the CRD ---------------------------------------------------------------------------------------------------


def crd_schema(kind: str, crd_dir: Path = CRD_DIR) -> dict[str, Any]:
    """The openAPIV3Schema of the served v1 version of the kind's CRD."""
    document = yaml.safe_load((crd_dir / f"velero.io_{PLURALS[kind]}.yaml").read_text(encoding="utf-8"))
    assert document["spec"]["names"]["kind"] == kind
    (version,) = [v for v in document["spec"]["versions"] if v["name"] == "v1" and v["served"]]
    assert not document["spec"].get("preserveUnknownFields"), "a v1 CRD prunes"
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def to_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A structural schema as a JSON Schema (draft 2020-12) that accepts what kube-openapi's validator accepts."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("description", "nullable", "format", "default") or key.startswith("x-kubernetes-"):
            continue
        if key == "type":
            out["type"] = [value, "null"] if schema.get("nullable") else value
        elif key == "properties":
            out["properties"] = {name: to_json_schema(child) for name, child in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = to_json_schema(value) if isinstance(value, dict) else value
        elif key in ("required", "enum", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
                     "pattern", "minProperties", "maxProperties"):
            out[key] = value
        else:
            raise ValueError(f"the judge does not know the schema keyword {key!r}")
    if "enum" in out and schema.get("nullable"):
        out["enum"] = [*out["enum"], None]
    return out


# --- the API server's steps ---------------------------------------------------------------------------------


def prune(
    value: Any, schema: dict[str, Any] | None, path: list[Any], unknown: list[list[Any]], root: bool = False
) -> None:
    """pruning/algorithm.go `prune`, in place; unknown field paths appended."""
    if schema is not None and schema.get("x-kubernetes-preserve-unknown-fields"):
        skip_prune(value, schema, path, unknown)
        return
    if isinstance(value, dict):
        if schema is None:
            for key in list(value):
                unknown.append([*path, key])
                del value[key]
            return
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key in list(value):
            if root and key in META_FIELDS:
                continue
            if key in properties:
                prune(value[key], properties[key], [*path, key], unknown)
            elif isinstance(extra, dict):
                prune(value[key], extra, [*path, key], unknown)
            else:
                unknown.append([*path, key])
                del value[key]
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for index, item in enumerate(value):
            prune(item, items, [*path, index], unknown)


def skip_prune(value: Any, schema: dict[str, Any] | None, path: list[Any], unknown: list[list[Any]]) -> None:
    """pruning/algorithm.go `skipPrune`: unknown fields are kept, known ones are pruned below."""
    if schema is None:
        return
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key in list(value):
            if key in properties:
                prune(value[key], properties[key], [*path, key], unknown)
            elif isinstance(extra, dict):
                prune(value[key], extra, [*path, key], unknown)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            skip_prune(item, schema.get("items"), [*path, index], unknown)


def _field_schema(key: str, schema: dict[str, Any] | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    if key in schema.get("properties", {}):
        return schema["properties"][key]  # type: ignore[no-any-return]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def prune_nulls(value: Any, schema: dict[str, Any] | None, path: list[Any], dropped: list[list[Any]]) -> None:
    """defaulting/prunenulls.go `PruneNonNullableNullsWithoutDefaults`, in place."""
    if isinstance(value, dict):
        for key in list(value):
            child = _field_schema(key, schema)
            if value[key] is None and child is not None and not child.get("nullable") and "default" not in child:
                dropped.append([*path, key])
                del value[key]
            else:
                prune_nulls(value[key], child, [*path, key], dropped)
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for index, item in enumerate(value):
            prune_nulls(item, items, [*path, index], dropped)


def judge(kind: str, value: Any, schema: dict[str, Any], validator: Any) -> dict[str, Any]:
    kept = json.loads(json.dumps(value))
    unknown: list[list[Any]] = []
    dropped: list[list[Any]] = []
    prune(kept, schema, [], unknown, root=True)
    prune_nulls(kept, schema, [], dropped)
    errors = []
    for error in validator.iter_errors(kept):
        entry = {"path": list(error.absolute_path), "keyword": error.validator}
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            for name in missing:
                if {**entry, "field": name} not in errors:
                    errors.append({**entry, "field": name})
            continue
        if entry not in errors:
            errors.append(entry)
    errors.sort(key=lambda e: json.dumps(e, sort_keys=True))
    unknown.sort(key=json.dumps)
    dropped.sort(key=json.dumps)
    return {
        "accepted": {"strict": not errors and not unknown, "default": not errors},
        "errors": errors,
        "unknown": unknown,
        "dropped": dropped,
        "kept": kept,
    }


# --- what Velero does with what the API server accepts --------------------------------------------------------


def _hooks_of(kind: str, kept: Any) -> tuple[list[Any], Any]:
    spec = kept.get("spec") if isinstance(kept, dict) else None
    if kind == "Schedule":
        spec = spec.get("template") if isinstance(spec, dict) else None
        return ["spec", "template", "hooks"], spec.get("hooks") if isinstance(spec, dict) else None
    return ["spec", "hooks"], spec.get("hooks") if isinstance(spec, dict) else None


def _durations_and_commands(kind: str, kept: Any) -> list[tuple[list[Any], str, Any]]:
    """(path, what, value) of every duration string, command and resource name Velero will read."""
    base, hooks = _hooks_of(kind, kept)
    found: list[tuple[list[Any], str, Any]] = []
    resources = hooks.get("resources") if isinstance(hooks, dict) else None
    for r, resource in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(resource, dict):
            continue
        rpath = [*base, "resources", r]
        runs_exec = False
        phases = ("postHooks",) if kind == "Restore" else ("pre", "post")
        for phase in phases:
            hooks_list = resource.get(phase)
            for h, hook in enumerate(hooks_list if isinstance(hooks_list, list) else []):
                if kind != "Restore":
                    runs_exec = True
                if not isinstance(hook, dict):
                    continue
                hpath = [*rpath, phase, h]
                exec_ = hook.get("exec")
                if kind == "Restore" and "exec" in hook:
                    runs_exec = True
                if isinstance(exec_, dict):
                    fields = {"timeout": "exec"}
                    if kind == "Restore":
                        fields = {"execTimeout": "exec", "waitTimeout": "wait"}
                    for field, use in fields.items():
                        if isinstance(exec_.get(field), str):
                            found.append(([*hpath, "exec", field], f"duration-{use}", exec_[field]))
                    command = exec_.get("command")
                    if isinstance(command, list) and command and isinstance(command[0], str):
                        found.append(([*hpath, "exec", "command", 0], "program", command[0]))
                init = hook.get("init")
                if kind == "Restore" and isinstance(init, dict) and isinstance(init.get("timeout"), str):
                    found.append(([*hpath, "init", "timeout"], "duration-unused", init["timeout"]))
        if runs_exec and resource.get("name") == "":
            found.append(([*rpath, "name"], "name", ""))
    return found


def velero_facts(kind: str, kept: Any, durations: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    facts = []
    for path, what, value in _durations_and_commands(kind, kept):
        if what.startswith("duration-"):
            answer = durations[value]
            if answer["error"] is not None:
                facts.append({"path": path, "fact": "duration-unparseable", "go": answer["error"]})
            elif answer["nanoseconds"] < 0 and what != "duration-unused":
                facts.append({"path": path, "fact": "duration-negative", "go": answer["nanoseconds"]})
        elif what == "program" and not value.strip():
            facts.append({"path": path, "fact": "empty-program"})
        elif what == "name":
            facts.append({"path": path, "fact": "empty-hook-name"})
    return facts


# --- the vectors -----------------------------------------------------------------------------------------------


def judgements(cases: list[dict[str, Any]], crd_dir: Path = CRD_DIR) -> list[dict[str, Any]]:
    """The API server's verdict on every case (no Velero facts)."""
    schemas = {kind: crd_schema(kind, crd_dir) for kind in PLURALS}
    validators = {kind: jsonschema.Draft202012Validator(to_json_schema(schema)) for kind, schema in schemas.items()}
    return [judge(case["kind"], case["value"], schemas[case["kind"]], validators[case["kind"]]) for case in cases]


def go_durations(texts: list[str]) -> tuple[dict[str, dict[str, Any]], str]:
    regenerate = _load("regenerate")
    with tempfile.TemporaryDirectory(prefix="vmlint-velero-") as scratch:
        binary, env = regenerate.build_oracle(Path(scratch))
        answers = regenerate.run_oracle(binary, env, "duration", texts)
        return {answer["input"]: answer for answer in answers}, regenerate.go_version(env)


def render(cases: list[dict[str, Any]], verdicts: list[dict[str, Any]], durations: dict[str, dict[str, Any]]) -> str:
    lines = []
    for case, verdict in zip(cases, verdicts):
        record = {
            "id": case["id"], "kind": case["kind"], "dims": case["dims"], "yaml": case["yaml"],
            "accepted": verdict["accepted"], "errors": verdict["errors"], "unknown": verdict["unknown"],
            "dropped": verdict["dropped"], "velero": velero_facts(case["kind"], verdict["kept"], durations),
        }
        lines.append(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n")
    return "".join(lines)


def read_vectors() -> list[dict[str, Any]]:
    with VECTORS.open(encoding="ascii") as handle:
        return [json.loads(line) for line in handle]


def copy_crds(velero_git: Path) -> str:
    commit = subprocess.run(["git", "--git-dir", str(velero_git), "rev-parse", f"{VELERO_TAG}^{{commit}}"],
                            check=True, capture_output=True, text=True).stdout.strip()
    for plural in PLURALS.values():
        where = f"{commit}:{CRD_PATH.format(plural=plural)}"
        data = subprocess.run(["git", "--git-dir", str(velero_git), "show", where],
                              check=True, capture_output=True).stdout
        (CRD_DIR / f"velero.io_{plural}.yaml").write_bytes(data)
    return commit


def meta(commit: str, go_version: str, count: int, counts: dict[str, int]) -> str:
    crds = {}
    for plural in PLURALS.values():
        data = (CRD_DIR / f"velero.io_{plural}.yaml").read_bytes()
        crds[CRD_PATH.format(plural=plural)] = {
            "blob": git_blob_id(data), "file": f"velero/crds/velero.io_{plural}.yaml",
        }
    return json.dumps({
        "velero": {"repository": "github.com/vmware-tanzu/velero (velero-io/velero)", "tag": VELERO_TAG,
                   "commit": commit, "crds": crds},
        "semantics": APIEXTENSIONS, "go": go_version, "generator": "tests/oracle/gen_velero_cases.py",
        "seed": _load("gen_velero_cases").CANONICAL_SEED, "cases": count, "by_kind": counts,
    }, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--velero-git", type=Path, help=f"a Velero git directory: copy its {VELERO_TAG} CRDs first")
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    if args.velero_git is not None:
        commit = copy_crds(args.velero_git)
    else:
        commit = json.loads(META.read_text(encoding="utf-8"))["velero"]["commit"]
    cases = _load("gen_velero_cases").cases()
    verdicts = judgements(cases)
    texts = sorted({value for case, verdict in zip(cases, verdicts)
                    for _, what, value in _durations_and_commands(case["kind"], verdict["kept"])
                    if what.startswith("duration-")})
    durations, go_version = go_durations(texts)
    rendered = render(cases, verdicts, durations)
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["kind"]] = counts.get(case["kind"], 0) + 1
    described = meta(commit, go_version, len(cases), counts)
    if args.check:
        stale = [path for path, text in ((VECTORS, rendered), (META, described))
                 if not path.exists() or path.read_text(encoding="ascii") != text]
        for path in stale:
            print(f"{path.name} DIFFERS", file=sys.stderr)
        return 1 if stale else 0
    VECTORS.write_text(rendered, encoding="ascii", newline="\n")
    META.write_text(described, encoding="ascii", newline="\n")
    rejected = sum(1 for line in rendered.splitlines() if '"strict": false' in line)
    print(f"wrote {VECTORS.name}: {len(cases)} cases ({counts}), {rejected} refused by kubectl; Velero {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
