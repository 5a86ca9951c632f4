"""Kustomize awareness: which `namespace:` of which kustomization applies to a manifest.

A kustomization's `namespace:` is set on every resource it lists (kustomize's namespace transformer
overrides `metadata.namespace`): files, and directories holding a kustomization, recursively, so an overlay's
namespace wins over its base's. vmlint reads kustomizations in the engine's pre-pass (never in a check) and
keeps only their namespaces and the resources they list.

Two sources: `kustomization.yaml` files on disk (those of the run, those next to its files, and the
directories they reference), and streams of KRM resources that carry kyaml's path annotation
(`internal.config.kubernetes.io/path` or `config.kubernetes.io/path`, as `kpt fn source` writes them), where
each document stands for the file at that path. `vmlint check -` over `kustomize build` output needs none of
this: the rendered objects carry their final namespace.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lint.kube.objects import KubeObject
from lint.text.compose import Limits, load_documents
from lint.text.nodes import Mapping, Scalar, Sequence
from lint.text.source import DecodeError, decode

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
PATH_ANNOTATIONS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
PATH_HINT = b"config.kubernetes.io/path"  # a cheap test on a file's bytes
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"
_MAX_KUSTOMIZATIONS = 10_000  # a bound on the directories followed from references


@dataclass(frozen=True)
class Kustomization:
    key: str  # where it stands: an absolute posix path, or "<stream>::<path inside the stream>"
    display: str  # how messages name it
    namespace: str | None
    files: frozenset[str]  # keys of the file resources it lists
    directories: tuple[str, ...]  # keys of the directories it lists (each holding a kustomization)


@dataclass
class KustomizeIndex:
    kustomizations: dict[str, Kustomization] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # a run's display path -> its key
    _looked: set[str] = field(default_factory=set)  # directories already searched on disk
    # directories of the run's files already looked into for a kustomization
    _asked: set[str] = field(default_factory=set, repr=False, compare=False)
    _cwd: str | None = None  # the resolved working directory, for naming kustomizations found on disk
    _maps: tuple[int, dict[str, list[Kustomization]], dict[str, list[Kustomization]]] | None = None
    _subdirectories: dict[str, frozenset[str] | None] = field(default_factory=dict, repr=False, compare=False)
    # remembers a file's parsed fields across runs (lint.run.cache.Facts.recall): (kind, bytes, compute) -> value
    memo: Callable[[str, bytes, Callable[[], Any]], Any] | None = field(default=None, repr=False, compare=False)

    def finish_reading(self) -> None:
        """Drop what only reading needs (the memo, the directory listings): the index goes to worker processes."""
        self.memo = None
        self._subdirectories.clear()
        self._asked.clear()

    def fingerprint(self) -> list[tuple[str, str, str | None, list[str], list[str]]]:
        """What findings can depend on, in a stable order: every kustomization with its namespace and what
        it lists (not the run's files, so a new file elsewhere does not make every cached outcome stale)."""
        return sorted((k.key, k.display, k.namespace, sorted(k.files), list(k.directories))
                      for k in self.kustomizations.values())

    # ---------------------------------------------------------------------------------------- building

    def add_input(self, display: str, path: Path | None, data: bytes, limits: Limits = Limits(),
                  real: str | None = None) -> None:
        """One file of the run: remember its key (`real`, its resolved path, when the caller has it); read a
        kustomization, and the one beside it on disk."""
        if path is not None:
            key = real if real is not None else _disk_key(path)
            self.aliases[display] = key
            if path.name in KUSTOMIZATION_NAMES:
                self._add(key, display, data, limits, posixpath.dirname(key), display_dir=posixpath.dirname(display))
            elif (directory := posixpath.dirname(key)) not in self._asked:  # a second look finds nothing new
                self._asked.add(directory)
                self._directory(directory, limits)
        if PATH_HINT in data:
            self._add_stream(display, data, limits)

    def _directory(self, directory: str, limits: Limits) -> Kustomization | None:
        """The kustomization of a directory on disk, read once (and what it references, recursively)."""
        for name in KUSTOMIZATION_NAMES:
            key = f"{directory}/{name}"
            if key in self.kustomizations:
                return self.kustomizations[key]
        if directory in self._looked or len(self._looked) >= _MAX_KUSTOMIZATIONS:
            return None
        self._looked.add(directory)
        for name in KUSTOMIZATION_NAMES:
            candidate = f"{directory}/{name}"  # strings and os.path: pathlib parses on every construction
            if os.path.isfile(candidate):
                try:
                    with open(candidate, "rb") as stream:
                        data = stream.read()
                except OSError:
                    return None
                if self._cwd is None:
                    self._cwd = Path.cwd().resolve().as_posix()
                shown = _display(candidate, self._cwd)
                self._add(candidate, shown, data, limits, directory, display_dir=posixpath.dirname(shown))
                return self.kustomizations.get(candidate)
        return None

    def _add(self, key: str, display: str, data: bytes, limits: Limits, base: str, display_dir: str) -> None:
        if key in self.kustomizations or len(data) > limits.file_bytes:
            return
        parsed = (self.memo("kustomization", data, lambda: _parsed(data, limits), _is_parsed) if self.memo
                  else _parsed(data, limits))
        if parsed is None:
            return
        namespace, resources = parsed
        files, directories = [], []
        for resource in resources:
            target = posixpath.normpath(posixpath.join(base, resource))
            if self._is_directory(base, resource, target):
                directories.append(target)
            else:
                files.append(target)
        self.kustomizations[key] = Kustomization(key, display, namespace, frozenset(files), tuple(directories))
        for directory in directories:
            self._directory(directory, limits)

    def _is_directory(self, base: str, resource: str, target: str) -> bool:
        """`os.path.isdir(target)`, answered from one listing of `base` when the resource is a plain name in it:
        a kustomization lists dozens of files, and a stat call for each was most of the time spent reading
        kustomizations. Symbolic links are followed, as isdir follows them."""
        if "/" in resource or resource in ("", ".", ".."):
            return os.path.isdir(target)
        if base not in self._subdirectories:
            try:
                with os.scandir(base) as entries:
                    self._subdirectories[base] = frozenset(entry.name for entry in entries if entry.is_dir())
            except OSError:
                self._subdirectories[base] = None  # not listable: ask about each target
        names = self._subdirectories[base]
        return os.path.isdir(target) if names is None else resource in names

    def _add_stream(self, display: str, data: bytes, limits: Limits) -> None:
        """A stream whose documents carry kyaml's path annotation: each Kustomization in it is a file."""
        for root in _roots(data, limits):
            if not _is_kustomization(root):
                continue
            where = stream_path(root)
            if where is None:
                continue
            key = f"{display}::{where}"
            namespace, resources = _fields(root)
            base = posixpath.dirname(where)
            targets = [posixpath.normpath(posixpath.join(base, resource)) for resource in resources]
            # inside a stream, a directory is a target that holds a kustomization of the stream: decided later
            self.kustomizations[key] = Kustomization(
                key, where, namespace, frozenset(f"{display}::{t}" for t in targets),
                tuple(f"{display}::{t}" for t in targets),
            )

    # ------------------------------------------------------------------------------------------ queries

    def key_of(self, display: str, obj: KubeObject) -> str | None:
        """The key of the file an object stands for: its path annotation in a stream, else its file's."""
        annotations = obj.metadata.get("annotations") if obj.metadata else None
        if isinstance(annotations, Mapping):
            for name in PATH_ANNOTATIONS:
                value = annotations.get(name)
                if isinstance(value, Scalar) and value.value:
                    return f"{display}::{posixpath.normpath(value.value)}"
        return self.aliases.get(display)

    def listing(self, key: str) -> list[Kustomization]:
        """The kustomizations that list the file `key` directly."""
        return self._reverse()[0].get(key, [])

    def parents(self, kustomization: Kustomization) -> list[Kustomization]:
        """The kustomizations that list the directory of `kustomization`."""
        return self._reverse()[1].get(_dir_of(kustomization.key), [])

    def _reverse(self) -> tuple[dict[str, list[Kustomization]], dict[str, list[Kustomization]]]:
        if self._maps is None or self._maps[0] != len(self.kustomizations):
            by_file: dict[str, list[Kustomization]] = {}
            by_directory: dict[str, list[Kustomization]] = {}
            for kustomization in self.kustomizations.values():
                for key in kustomization.files:
                    by_file.setdefault(key, []).append(kustomization)
                for key in kustomization.directories:
                    by_directory.setdefault(key, []).append(kustomization)
            self._maps = (len(self.kustomizations), by_file, by_directory)
        return self._maps[1], self._maps[2]

    def direct_namespace(self, key: str | None) -> tuple[str, Kustomization] | None:
        """The `namespace:` of the kustomization that lists the file, if exactly one namespace applies."""
        if key is None or not self.kustomizations:
            return None
        found = [(k.namespace, k) for k in self.listing(key) if k.namespace]
        if not found or len({namespace for namespace, _ in found}) != 1:
            return None
        return found[0]  # type: ignore[return-value]

    def overlays(self, key: str | None) -> Iterator[tuple[Kustomization, str]]:
        """Every kustomization that includes the file through a base directory, with the namespace it sets."""
        if key is None or not self.kustomizations:
            return
        seen: set[str] = set()
        stack = [parent for direct in self.listing(key) for parent in self.parents(direct)]
        while stack:
            current = stack.pop(0)
            if current.key in seen:
                continue
            seen.add(current.key)
            if current.namespace:
                yield current, current.namespace
            stack.extend(self.parents(current))


def _disk_key(path: Path) -> str:
    return path.resolve().as_posix()


def _display(real: str, cwd: str) -> str:
    """How messages name a file found on disk (`real` is already resolved): relative to `cwd` when below it."""
    prefix = cwd.rstrip("/") + "/"
    return real[len(prefix):] if real.startswith(prefix) else real


def _parsed(data: bytes, limits: Limits) -> list[Any] | None:
    """[namespace, resources] of a kustomization file (plain JSON, so that it can be remembered), or None."""
    for root in _roots(data, limits):
        return list(_fields(root))
    return None


def _is_parsed(value: Any) -> bool:
    """Whether a remembered value has the shape _parsed gives."""
    return value is None or (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, type(None)))
                             and isinstance(value[1], list) and all(isinstance(item, str) for item in value[1]))


def _roots(data: bytes, limits: Limits) -> Iterator[Mapping]:
    try:
        source = decode(data)
    except DecodeError:
        return
    for document in load_documents(source, limits=limits):
        if isinstance(document.root, Mapping):
            yield document.root


def _is_kustomization(root: Mapping) -> bool:
    api_version, kind = root.get("apiVersion"), root.get("kind")
    return (isinstance(kind, Scalar) and kind.value == "Kustomization" and isinstance(api_version, Scalar)
            and api_version.value.startswith(KUSTOMIZE_GROUP + "/"))


def stream_path(root: Mapping) -> str | None:
    metadata = root.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if isinstance(annotations, Mapping):
        for name in PATH_ANNOTATIONS:
            value = annotations.get(name)
            if isinstance(value, Scalar) and value.value:
                return posixpath.normpath(value.value)
    return None


def _fields(root: Mapping) -> tuple[str | None, list[str]]:
    """`namespace:` and the local entries of `resources:` (and the deprecated `bases:`); URLs are skipped."""
    namespace = root.get("namespace")
    resources: list[str] = []
    for name in ("resources", "bases"):
        listed = root.get(name)
        if isinstance(listed, Sequence):
            for item in listed.items:
                if isinstance(item, Scalar) and item.value and not _remote(item.value):
                    resources.append(item.value)
    value = namespace.value if isinstance(namespace, Scalar) and namespace.value else None
    return value, resources


def _remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))


def _dir_of(key: str) -> str:
    """The directory key of a kustomization key (inside a stream, relative to the stream's root)."""
    if "::" in key:
        stream, _, inner = key.rpartition("::")
        return f"{stream}::{posixpath.dirname(inner) or '.'}"
    return posixpath.dirname(key)
