"""A per-file cache of lint outcomes, so that a second run over an unchanged repository is nearly free.

An entry is keyed on the file's bytes and name and on everything else its findings depend on: vmlint's
version, the enabled rules and their parameters, the target versions and namespace, the limits, the per-file
ignores, and a digest of every Secret in the run (a VM's cloud-init may live in another file). Change any of
them and the key changes. Entries are JSON, never pickle: a cache directory committed by a stranger can at
worst hide findings from the one who trusts it, not run code; a malformed entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lint import __version__
from lint.findings import Finding, Severity
from lint.fixes import Edit, Fix
from lint.index import Launcher, RunIndex
from lint.suppressions import Directive
from lint.yamldoc import Span

FORMAT = 1


@dataclass(frozen=True)
class Cache:
    directory: Path
    run_key: str  # the digest of everything but the file itself

    def key(self, name: str, data: bytes, extra: str = "") -> str:
        digest = hashlib.sha256()
        for part in (self.run_key.encode(), name.encode("utf-8", "surrogatepass"), extra.encode(), data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("format") == FORMAT else None

    def store(self, key: str, entry: dict[str, Any]) -> None:
        """Write atomically; a cache that cannot be written is a slower run, not an error."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"format": FORMAT, **entry}, stream)
            os.replace(temporary, path)
        except OSError:
            return


def run_key(rules: list[Any], settings: Any, options: Any, index: RunIndex) -> str:
    """The digest of what every file's outcome depends on besides the file itself."""
    secrets = sorted((str(k), sorted(v.values.items()), v.undecodable) for k, v in index.secrets.items())
    material = {
        "vmlint": __version__,
        "format": FORMAT,
        "rules": [(rule.code, rule.check, str(rule.severity), json.dumps(rule.params, sort_keys=True, default=str)) for rule in rules],
        "settings": [settings.namespace, str(settings.kubevirt.version), str(settings.velero.version),
                     list(settings.guest_agent_images)],
        "limits": asdict(options.limits),
        "suppressions": options.inline_suppressions,
        "secrets": secrets,
        "kustomize": index.kustomize.fingerprint(),  # namespaces that kustomizations give files
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


# --- the outcome as JSON ------------------------------------------------------------------------------------------


def _span(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column, span.start, span.end]


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {"description": fix.description, "safety": fix.safety, "edits": [[e.start, e.end, e.text] for e in fix.edits]}


def _unfix(data: dict[str, Any] | None) -> Fix | None:
    if data is None:
        return None
    return Fix(data["description"], tuple(Edit(*edit) for edit in data["edits"]), data["safety"])


def dump_finding(f: Finding) -> dict[str, Any]:
    return {**{k: v for k, v in asdict(f).items() if k not in ("severity", "fix")}, "severity": int(f.severity),
            "fix": _fix(f.fix)}


def load_finding(data: dict[str, Any]) -> Finding:
    return Finding(**{**data, "severity": Severity(data["severity"]), "fix": _unfix(data["fix"])})


def dump_directive(d: Directive) -> dict[str, Any]:
    return {"kind": d.kind, "codes": list(d.codes), "span": _span(d.span), "lines": list(d.lines), "reason": d.reason,
            "source_line": d.source_line}


def load_directive(data: dict[str, Any]) -> Directive:
    return Directive(data["kind"], tuple(data["codes"]), Span(*data["span"]), tuple(data["lines"]),  # type: ignore[arg-type]
                     data["reason"], data["source_line"])


def dump_launcher(launcher: Launcher) -> dict[str, Any]:
    return {"kind": launcher.kind, "name": launcher.name, "namespace": launcher.namespace, "labels": launcher.labels,
            "hook_phases": sorted(launcher.hook_phases)}


def load_launcher(data: dict[str, Any]) -> Launcher:
    return Launcher(data["kind"], data["name"], data["namespace"], dict(data["labels"]), frozenset(data["hook_phases"]))
