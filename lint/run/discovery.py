"""From command-line paths to the files to lint.

Directories are searched for `*.yaml` and `*.yml`, skipping hidden directories and, inside a git work tree,
whatever git ignores, and for `*.json` files that hold a Kubernetes object (`kubectl get -o json` output: a
top-level `apiVersion` and `kind`), so that `package.json` and friends stay silent. A file named explicitly is
always linted: the user asked for it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lint.kube.loading import chart_templates_directory, in_helm_chart_templates

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIX = ".json"
_JSON_OBJECT_START = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{')
_JSON_KEYS = (re.compile(rb'"apiVersion"\s*:\s*"'), re.compile(rb'"kind"\s*:\s*"'))


class DiscoveryError(ValueError):
    """A path on the command line does not exist: a usage error."""


@dataclass(frozen=True)
class InputFile:
    display: str
    path: Path | None  # None for standard input
    data: bytes | None = None
    helm_template: bool = False
    real: str | None = None  # the resolved path (POSIX), found once by discovery for everyone who needs it

    def real_path(self) -> Path | None:
        if self.real is not None:
            return Path(self.real)
        return None if self.path is None else self.path.resolve()

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def discover(
    paths: Sequence[str],
    stdin: bytes | None = None,
    stdin_filename: str | None = None,
    excludes: Sequence[re.Pattern[str]] = (),
    root: Path | None = None,
) -> Iterator[InputFile]:
    """The files to lint, each once, in a stable order; `excludes` match paths relative to `root` (the
    configuration's directory) and apply to files named on the command line too, so that pre-commit, which
    names every changed file, honours them."""
    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing:
        raise DiscoveryError(f"no such file or directory: {missing[0]}")
    seen: set[str] = set()
    base = (root or Path.cwd()).resolve() if excludes else None
    for raw in paths:
        if raw == "-":
            name = stdin_filename or "<stdin>"
            helm = bool(stdin_filename) and in_helm_chart_templates(Path(stdin_filename))
            yield InputFile(name, None, stdin if stdin is not None else b"", helm)
            continue
        path = Path(raw)
        if path.is_dir():
            for found, display, real, helm in _walk(path):
                if real not in seen and not excluded(real, excludes, base):
                    seen.add(real)
                    yield InputFile(display, found, helm_template=helm, real=real)
        else:
            real = path.resolve().as_posix()
            if real not in seen and not excluded(real, excludes, base):
                seen.add(real)
                yield InputFile(_display(path), path, helm_template=in_helm_chart_templates(path), real=real)


def excluded(text: str, excludes: Sequence[re.Pattern[str]], base: Path | None) -> bool:
    """Whether the real path `text` (POSIX) below `base` matches one of the configuration's `exclude` globs."""
    if not excludes or base is None:
        return False
    root = base.as_posix().rstrip("/") + "/"
    if not text.startswith(root):  # a string test: Path.relative_to raises for every path outside, slowly
        return False
    return any(pattern.fullmatch(text[len(root):]) for pattern in excludes)


def _display(path: Path) -> str:
    text = os.path.normpath(str(path))
    return text[2:] if text.startswith("./") else text


def _walk(root: Path) -> Iterator[tuple[Path, str, str, bool]]:
    """Each YAML file below `root` with its display name, its real path and whether it is a Helm chart
    template, in os.walk's order (top-down, names sorted; links to directories are not followed).

    Only the top directory is resolved: below it, a directory that is not a link is its parent's real path
    and its name (resolving is a system call per path component, which dominated discovery in a repository of
    50,000 files); only a file that is itself a link is resolved, and the listing says which those are, without
    a system call per file. Whether a directory is in a chart's templates comes down from its parent alike.
    """
    ignored = _git_ignored(root)
    top = root.resolve()
    pending = [(os.fspath(root), top.as_posix().rstrip("/"), chart_templates_directory(top))]
    while pending:
        directory, real_directory, helm = pending.pop()
        subdirectories, files = _listing(directory)
        for name in reversed(subdirectories):  # not links: a subdirectory's real path is its parent's and its name
            below = helm or (name == "templates" and os.path.isfile(os.path.join(real_directory, "Chart.yaml")))
            pending.append((os.path.join(directory, name), f"{real_directory}/{name}", below))
        names = [(f, link) for f, link in files if f.endswith(YAML_SUFFIXES) or (
            f.endswith(JSON_SUFFIX) and is_kubernetes_json(os.path.join(directory, f)))]
        if not names:
            continue
        base = Path(directory)  # pathlib parses a path on every construction: once per directory, not per file
        shown = os.path.normpath(directory)  # as _display: a name has no slash, so only the directory needs it
        shown = "" if shown == "." else shown.rstrip("/") + "/"
        for filename, link in names:
            candidate = base / filename
            if link:
                resolved = candidate.resolve()
                real, in_chart = resolved.as_posix(), chart_templates_directory(resolved.parent)
            else:
                real, in_chart = f"{real_directory}/{filename}", helm
            if ignored is None or real not in ignored:
                yield candidate, shown + filename, real, in_chart


def _listing(directory: str) -> tuple[list[str], list[tuple[str, bool]]]:
    """The directory's visible subdirectories to descend into (not links) and its other visible entries, each
    with whether it is a link, sorted by name; an unreadable directory has none (as os.walk skips it)."""
    subdirectories: list[str] = []
    files: list[tuple[str, bool]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    is_directory = entry.is_dir()
                except OSError:
                    is_directory = False
                if not is_directory:
                    files.append((entry.name, entry.is_symlink()))
                elif not entry.is_symlink():
                    subdirectories.append(entry.name)
    except OSError:
        return [], []
    return sorted(subdirectories), sorted(files)


def is_kubernetes_json(path: str) -> bool:
    """A JSON file whose top level is an object with string `apiVersion` and `kind` (one object, or a `List`).

    A file that does not parse as JSON still counts when it starts like one, so that its syntax error is
    reported rather than the file ignored; an unreadable file is left to the lint pass, which reports it."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    return holds_kubernetes_json(data)


def holds_kubernetes_json(data: bytes) -> bool:
    """is_kubernetes_json of a file's bytes (the language server has them before they are saved)."""
    if not _JSON_OBJECT_START.match(data):
        return False
    try:
        document = json.loads(data)
    except ValueError:  # broken JSON (or not UTF-8): lint it if it names a Kubernetes object near its start
        head = data[:4096]
        return all(pattern.search(head) for pattern in _JSON_KEYS)
    return (isinstance(document, dict) and isinstance(document.get("apiVersion"), str)
            and isinstance(document.get("kind"), str))


def _git_ignored(root: Path) -> set[str] | None:
    """Files below `root` that git ignores, or None outside a work tree (or without git)."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "-z", "--", "."],
            cwd=root,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listing.returncode != 0:
        return None
    return {(root / name).resolve().as_posix() for name in listing.stdout.decode("utf-8", "replace").split("\0") if name}
