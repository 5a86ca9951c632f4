"""A per-file cache of lint outcomes, so that a second run over an unchanged repository is nearly free.

An entry is keyed on the file's bytes, name and per-file ignores, in a table keyed on everything else its
findings depend on (the run key): vmlint's version, the enabled rules and their parameters, the target
versions and namespace, the limits, a digest of every Secret in the run (a VM's cloud-init may live in another
file), of the answer files of its ConfigMaps (a sysprep volume's) and the kustomizations' namespaces. Change any
of them and the key changes. Tables are JSON, never pickle: a cache directory committed by a stranger can at
worst hide findings from the one who trusts it, not run code; a malformed table or entry is a miss.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, astuple, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from lint import __version__
from lint.core.findings import Finding, Related, Severity
from lint.core.fixes import Edit, Fix
from lint.kubevirt.index import Launcher, RunIndex
from lint.run.isolation import collector_paused
from lint.run.suppressions import Directive
from lint.text.nodes import Span

# 2: one table per run key; 3: Kubernetes workloads' pods among the launchers; 4: findings carry related places;
# 5: findings and launchers as lists, keys of one hash call, Velero objects' findings and files' status
FORMAT = 5


_MISSING = object()
MAX_ENTRIES = 200_000  # outcomes kept per run key: this run's, then the most recent earlier ones
MAX_TABLES = 8  # run keys kept in one cache directory (other rule sets, settings, Secrets)


@dataclass
class Cache:
    """The outcomes stored under one run key: read in one piece when a run starts and written in one piece
    when it ends. (One file per input made a cold run over 10,000 files twice as slow as no cache at all.)"""

    directory: Path
    run_key: str  # the digest of everything but the file itself
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    fresh: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path, run_key: str) -> Cache:
        """The table of `run_key`; a missing, unreadable or malformed one is an empty table."""
        cache = cls(directory, run_key)
        try:
            table = _decoded(cache.path)
        except (OSError, ValueError):
            return cache
        if isinstance(table, dict) and table.get("format") == FORMAT and isinstance(table.get("entries"), dict):
            cache.entries = table["entries"]
        return cache

    @property
    def path(self) -> Path:
        return self.directory / f"{self.run_key}.json"

    def key(self, name: str, content: str, extra: str = "") -> str:
        """The key of a file's outcome: its name, its content's digest and `extra` (what else is per file)."""
        text = f"{len(name)}:{name}\0{len(extra)}:{extra}\0{content}"  # lengths first: no two triples alike
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def load(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        return entry if isinstance(entry, dict) else None

    def store(self, key: str, entry: dict[str, Any]) -> None:
        self.fresh[key] = entry

    def save(self) -> None:
        """Write atomically, then drop the tables of the least recently written run keys. A cache that
        cannot be written is a slower next run, not an error."""
        if not self.fresh:
            return
        older = [(key, entry) for key, entry in self.entries.items() if key not in self.fresh]
        room = max(0, MAX_ENTRIES - len(self.fresh))
        table = dict(older[max(0, len(older) - room):] if room else [])
        table.update(self.fresh)
        try:
            _write_json(self.path, {"format": FORMAT, "entries": table})
            mark_cache_directory(self.directory)
            tables = sorted(self.directory.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
            for stale in tables[MAX_TABLES:]:
                stale.unlink()
        except OSError:
            return


@dataclass
class Facts:
    """What the pre-pass derives from a file's bytes alone (its Secrets, its kustomization's fields), kept
    across runs by content: a warm run parses none of those files again. Only the facts a run used are
    written back, so those of deleted or changed files go away."""

    path: Path
    salt: bytes  # vmlint's version and the limits: facts depend on them besides the bytes
    entries: dict[str, Any] = field(default_factory=dict)
    used: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, directory: Path, limits: Any) -> Facts:
        facts = cls(directory / "facts" / "facts.json", json.dumps([__version__, FORMAT, asdict(limits)]).encode())
        try:
            table = _decoded(facts.path)
        except (OSError, ValueError):
            return facts
        if isinstance(table, dict) and table.get("salt") == facts.salt.decode() and isinstance(table.get("entries"), dict):
            facts.entries = table["entries"]
        return facts

    def known(self, kind: str, content: str, valid: Callable[[Any], bool] = lambda value: True) -> bool:
        key = f"{kind}:{content}"
        return key in self.entries and valid(self.entries[key])

    def recall(self, kind: str, content: str, compute: Callable[[], Any],
               valid: Callable[[Any], bool] = lambda value: True) -> Any:
        """The fact `kind` of the bytes whose digest is `content`: remembered, or computed now (it must be
        plain JSON: lists, not tuples). A remembered value that is not `valid` (a damaged or foreign cache file
        that is still JSON) is computed again and replaced, never trusted."""
        key = f"{kind}:{content}"
        remembered = self.entries.get(key, _MISSING)
        value = remembered if remembered is not _MISSING and valid(remembered) else compute()
        self.used[key] = value
        return value

    def peek(self, kind: str, content: str) -> Any:
        """The remembered fact, unchecked and not yet counted as used (None when there is none)."""
        return self.entries.get(f"{kind}:{content}")

    def remember(self, kind: str, content: str, value: Any) -> None:
        """Keep `value` as the fact `kind` of `content`, whatever was remembered before."""
        self.used[f"{kind}:{content}"] = value

    def memo(self, kind: str, data: bytes, compute: Callable[[], Any],
             valid: Callable[[Any], bool] = lambda value: True) -> Any:
        """recall() keyed on the bytes themselves."""
        return self.recall(kind, hashlib.sha256(data).hexdigest(), compute, valid)

    def save(self) -> None:
        if self.used == self.entries:
            return
        try:
            _write_json(self.path, {"salt": self.salt.decode(), "entries": self.used})
            mark_cache_directory(self.path.parent.parent)
        except OSError:
            return


CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by vmlint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


def mark_cache_directory(directory: Path) -> None:
    """Keep the cache out of the user's way, as pytest's, mypy's and ruff's caches do: a `.gitignore` of `*` so
    that it never shows in `git status`, and a CACHEDIR.TAG so that backup tools skip it (OSError on failure)."""
    for name, text in ((".gitignore", "# Created by vmlint automatically.\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
        marker = directory / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")


def _decoded(path: Path) -> Any:
    """A table's JSON (OSError or ValueError as json.loads raises them), decoded with the cyclic garbage
    collector paused and then frozen out of its generations (gc.freeze, as lint.cli does with the modules it
    imports): the table makes a hundred thousand containers that live for the whole run, none in a cycle, and
    collections walked them over and over, a fifth of a warm run at 10,000 files. Reference counting still frees
    them. Only `vmlint check`'s own process opens a cache."""
    text = path.read_text(encoding="utf-8")
    with collector_paused():
        table = json.loads(text)
        gc.freeze()
    return table


def _write_json(path: Path, document: dict[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one (OSError on failure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:  # dumps in one piece: dump writes in bits
            stream.write(json.dumps(document, separators=(",", ":")))
        os.replace(temporary, path)
    except OSError:
        os.unlink(temporary)
        raise


def run_key(rules: list[Any], settings: Any, options: Any, index: RunIndex) -> str:
    """The digest of what every file's outcome depends on besides the file itself."""
    secrets = sorted((str(k), sorted(v.values.items()), v.undecodable) for k, v in index.secrets.items())
    material = {
        "vmlint": __version__,
        "format": FORMAT,
        "rules": [(rule.code, rule.check, str(rule.severity), json.dumps(rule.params, sort_keys=True, default=str)) for rule in rules],
        "settings": [settings.namespace, str(settings.kubevirt.version), str(settings.velero.version),
                     list(settings.guest_agent_images), [list(pair) for pair in settings.guest_os_images]],
        "limits": asdict(options.limits),
        "suppressions": options.inline_suppressions,
        "secrets": secrets,
        "kustomize": index.kustomize.fingerprint(),  # namespaces that kustomizations give files
        "images": sorted((str(k), sorted(v.items())) for k, v in index.images.items()),  # Harvester images
        "configmaps": sorted((str(k), sorted(v.values.items())) for k, v in index.configmaps.items()),  # answer files
        "live": index.live.fingerprint(),  # exported VMIs and launcher pods, which other files' rules read
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
    return Fix(data["description"], tuple([Edit(*edit) for edit in data["edits"]]), data["safety"])


_FINDING_FIELDS = tuple(item.name for item in fields(Finding))[1:]  # after the path, in the order __init__ takes
_SEVERITY_AT, _FIX_AT, _RELATED_AT = (_FINDING_FIELDS.index(name) for name in ("severity", "fix", "related"))
_SEVERITY = {int(severity): severity for severity in Severity}


def dump_finding(f: Finding) -> list[Any]:
    """A finding as a JSON list in the order of its fields, without its path (the entry's): positions, not
    names, since a warm run reads back every finding of the run, and a table of lists parses faster."""
    values: list[Any] = [getattr(f, name) for name in _FINDING_FIELDS]
    values[_SEVERITY_AT], values[_FIX_AT] = int(f.severity), _fix(f.fix)
    values[_RELATED_AT] = [astuple(place) for place in f.related]
    return values


def load_finding(data: list[Any], path: str) -> Finding:
    if len(data) != len(_FINDING_FIELDS):
        raise ValueError("not a finding of this format")
    values = list(data)
    values[_SEVERITY_AT], values[_FIX_AT] = _SEVERITY[values[_SEVERITY_AT]], _unfix(values[_FIX_AT])
    related = values[_RELATED_AT]
    values[_RELATED_AT] = tuple([Related(*place) for place in related]) if related else ()
    return Finding(path, *values)


def dump_directive(d: Directive) -> dict[str, Any]:
    return {"kind": d.kind, "codes": list(d.codes), "span": _span(d.span), "lines": list(d.lines), "reason": d.reason,
            "source_line": d.source_line}


def load_directive(data: dict[str, Any]) -> Directive:
    return Directive(data["kind"], tuple(data["codes"]), Span(*data["span"]), tuple(data["lines"]),  # type: ignore[arg-type]
                     data["reason"], data["source_line"])


def dump_launcher(launcher: Launcher) -> list[Any]:
    return [launcher.kind, launcher.name, launcher.namespace, launcher.labels, sorted(launcher.hook_phases),
            launcher.launcher]


def load_launcher(data: list[Any]) -> Launcher:
    kind, name, namespace, labels, phases, launcher = data
    return Launcher(kind, name, namespace, dict(labels), frozenset(phases), bool(launcher))
