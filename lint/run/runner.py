"""One `vmlint check` run: configuration, discovery, the engine, the baseline, the reports, the exit code.

The command line (lint/cli.py) only parses options into a Request; everything a run decides lives here, so it
reads top to bottom in the order the data flows.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TextIO

from lint.core.catalogue import Catalogue, Rule, builtin_catalogue
from lint.core.findings import RunResult, Severity
from lint.reporters import STREAMING, reporter, stream
from lint.run.config import Config, find_config, glob_regex, load_config
from lint.run.discovery import InputFile, discover
from lint.run.engine import RunOptions, run, select_rules
from lint.run.isolation import Failure
from lint.run.prepass import secrets_index
from lint.target.settings import Settings
from lint.target.versions import (
    KUBEVIRT_LATEST,
    VELERO_LATEST,
    KubeVirt,
    Velero,
    VersionError,
    kubevirt_for_harvester,
    parse_version,
)
from lint.text.compose import Limits

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """Something the user asked for cannot be done: one line on standard error, exit 2."""


@dataclass
class Request:
    """What the command line asked for; None means "not given" (the configuration file, then the default, decide)."""

    paths: list[str] = field(default_factory=lambda: ["."])
    formats: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    select: list[str] | None = None
    ignore: list[str] | None = None
    fail_on: str | None = None
    namespace: str | None = None
    kubevirt_version: str | None = None
    velero_version: str | None = None
    harvester_version: str | None = None
    config: str | None = None
    quiet: bool = False
    statistics: bool = False
    inline_suppressions: bool | None = None
    baseline: str | None = None
    write_baseline: str | None = None
    stdin_filename: str | None = None
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    profile: str | None = None  # "strict" runs the VM9 policy rules too
    jobs: int | None = None  # None: every core
    cache_dir: str | None = None
    no_cache: bool = False


def execute(request: Request, stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    started = time.monotonic()
    config = _config(request)
    chosen = setup(request, config)
    catalogue, rules, settings, options = chosen.catalogue, chosen.rules, chosen.settings, chosen.options
    data = stdin.buffer.read() if stdin is not None and "-" in request.paths else None
    excludes = tuple(glob_regex(pattern) for pattern in config.get("exclude", ()))
    inputs = list(discover(request.paths, stdin=data, stdin_filename=request.stdin_filename,
                           excludes=excludes, root=config.root))
    fixed = 0
    if request.fix or request.diff:
        fixed, inputs, changed = _fix(request, inputs, rules, settings, options, config, stdout, stderr)
        if request.diff:
            return EXIT_FINDINGS if changed else EXIT_CLEAN
        if "-" in request.paths:
            stdout = stderr  # the fixed document went to standard output: the report goes to standard error
    bar = _Progress(stderr, started) if _interactive(stderr) else None
    jobs = request.jobs if request.jobs is not None else (os.cpu_count() or 1)
    cache_dir = None if request.no_cache else Path(request.cache_dir) if request.cache_dir else config.root / ".vmlint_cache"
    reports = _reports(request)
    if request.write_baseline or request.baseline or any(name not in STREAMING for name, _ in reports):
        result = run(inputs, rules, settings, options, progress=bar, jobs=max(1, jobs), cache_dir=cache_dir)
        result.fixed = fixed
        if bar is not None:
            bar.clear()
        if request.write_baseline or request.baseline:
            _baseline(request, result, stderr)
        result.seconds = time.monotonic() - started
        _report(request, reports, result, catalogue, stdout)
    else:  # every report is written as the run goes: no finding is kept (lint.reporters.stream)
        result = _streamed(request, reports, stdout, bar, started, fixed,
                           partial(run, inputs, rules, settings, options, progress=bar, jobs=max(1, jobs),
                                   cache_dir=cache_dir))
    for error in result.errors:
        stderr.write(f"vmlint: error: {error}\n")
    if result.errors:
        return EXIT_USAGE
    threshold = Severity.parse(_pick(request.fail_on, config.get("fail-on"), "error"))
    return EXIT_FINDINGS if any(result.count(severity) for severity in Severity if severity >= threshold) else EXIT_CLEAN


@dataclass(frozen=True)
class Setup:
    """What a run lints with: the rules, the target cluster and the options, from a request and a configuration."""

    catalogue: Catalogue
    rules: list[Rule]
    settings: Settings
    options: RunOptions


def setup(request: Request, config: Config) -> Setup:
    """The request's choices over the configuration's (`vmlint check`, and the language server per file)."""
    catalogue = _catalogue_of(config)
    rules = select_rules(catalogue, _pick(request.select, config.get("select"), []), _pick(request.ignore, config.get("ignore"), []))
    if _pick(request.profile, config.get("profile"), "default") == "strict":
        rules = _with_policies(catalogue, rules, _pick(request.ignore, config.get("ignore"), []))
    settings = target_settings(
        _pick(request.namespace, config.get("namespace")),
        _pick(request.kubevirt_version, config.get("kubevirt-version")),
        _pick(request.velero_version, config.get("velero-version")),
        _pick(request.harvester_version, config.get("harvester-version")),
        tuple(config.get("guest-agent-images", ())),
        os_images(config.get("guest-os-images", ())),
    )
    options = RunOptions(
        severity={code.upper(): Severity.parse(level) for code, level in config.get("severity", {}).items()},
        per_file_ignores=tuple(
            (glob_regex(pattern), tuple(code.upper() for code in codes))
            for pattern, codes in config.get("per-file-ignores", {}).items()
        ),
        root=config.root,
        inline_suppressions=_pick(request.inline_suppressions, config.get("inline-suppressions"), True),
        limits=limits_from(config.get("limits", {})),
        known_codes=frozenset(rule.code for rule in catalogue),
    )
    return Setup(catalogue, rules, settings, options)


def configured_catalogue(config_file: str | None) -> Catalogue:
    """The rules a `vmlint check` from here would know: the built-in ones and the custom rules of the configuration's
    `rules-dirs` (`--config`, else the closest configuration), for `vmlint rules` and `vmlint explain`."""
    return _catalogue_of(_config(Request(config=config_file)))


def _catalogue_of(config: Config) -> Catalogue:
    directories = tuple(config.root / directory for directory in config.get("rules-dirs", ()))
    if not directories:
        return builtin_catalogue()
    from lint.core.rulefiles import catalogue_with  # custom rule files: read only where configured

    return catalogue_with(directories)


def _baseline(request: Request, result: RunResult, stderr: TextIO) -> None:
    """--write-baseline records the findings, then --baseline keeps only the new ones (lint.run.baseline, imported
    only for these options); a baseline that cannot be read is a usage error."""
    from lint.run.baseline import BaselineError, apply_baseline, read_baseline, write_baseline

    if request.write_baseline:
        count = write_baseline(Path(request.write_baseline), result.findings)
        stderr.write(f"vmlint: wrote {count} finding{'s' if count != 1 else ''} to {request.write_baseline}\n")
    if request.baseline:
        try:
            entries = read_baseline(Path(request.baseline))
        except BaselineError as err:
            raise UsageError(str(err)) from None
        result.findings, result.baseline_fixed = apply_baseline(result.findings, entries)


def _fix(request, inputs, rules, settings, options, config, stdout, stderr):  # type: ignore[no-untyped-def]
    """Plan every file's fixes; show them (--diff) or apply them (--fix). Returns (fixed count, the inputs
    to lint afterwards, whether anything would change). lint.run.fixer is imported only for these options."""
    from lint.run.fixer import WriteRefused, plan, write

    secrets = secrets_index(inputs, options.limits)

    def lint_one(item: InputFile) -> list:  # type: ignore[type-arg]
        return run([item], rules, settings, options, secrets=secrets).findings

    fixed, changed, after = 0, False, []
    for item in inputs:
        try:
            data = item.read()
        except OSError:
            after.append(item)  # the lint pass reports it
            continue
        try:
            planned = plan(item, data, lint_one, request.unsafe_fixes)
        except Exception as err:  # noqa: BLE001 - a defect in one file's fixes must not end the run
            stderr.write(f"vmlint: not fixing {item.display}: internal error ({Failure.of(item.display, '', err).cause})\n")
            after.append(item)
            continue
        if planned.refused:
            stderr.write(f"vmlint: not fixing {item.display}: {planned.refused}\n")
        if planned.fixed is None:
            after.append(item)
            continue
        changed = True
        if request.diff:
            try:
                stdout.write(planned.diff())
            except Exception as err:  # noqa: BLE001 - a defect in one file's diff must not end the run
                stderr.write(f"vmlint: not showing the diff of {item.display}: internal error "
                             f"({Failure.of(item.display, '', err).cause})\n")
            continue
        if item.path is None:  # standard input: the fixed document goes to standard output
            stdout.buffer.write(planned.fixed) if hasattr(stdout, "buffer") else stdout.write(planned.fixed.decode())
            after.append(InputFile(item.display, None, planned.fixed, item.helm_template))
        else:
            try:
                write(planned, config.root if config.path else Path.cwd())
            except (WriteRefused, OSError) as err:
                stderr.write(f"vmlint: not fixing {item.display}: {err}\n")
                after.append(item)
                continue
            after.append(item)
        fixed += planned.applied
    return fixed, after, changed


def _with_policies(catalogue, rules, ignore):  # type: ignore[no-untyped-def]
    """`profile: strict`: the VM9 policy rules in addition to the selected ones (the ignores still apply)."""
    chosen = {rule.code for rule in rules} | {rule.code for rule in select_rules(catalogue, ["VM9"], ignore)}
    return [rule for rule in catalogue if rule.code in chosen]


def limits_from(configured: dict[str, int]) -> Limits:
    names = {"file-size": "file_bytes", "scalar-size": "scalar_chars", "depth": "depth", "alias-expansion": "expanded_nodes"}
    return Limits(**{names[key]: value for key, value in configured.items()})


def _pick(given, configured, default=None):  # type: ignore[no-untyped-def]
    """The command line wins over the configuration file, which wins over the default."""
    if given is not None:
        return given
    return configured if configured is not None else default


def _config(request: Request) -> Config:
    if request.config:
        path = Path(request.config)
        if not path.is_file():
            raise UsageError(f"no such configuration file: {request.config}")
    else:
        found = find_config(Path.cwd())
        if found is None:
            return Config()
        path = found
    return load_config(path)


def _reports(request: Request) -> list[tuple[str, str | None]]:
    """Each report to write: its format and its --output file (None: standard output)."""
    formats = request.formats or ["github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"]
    if len(request.outputs) > len(formats):
        raise UsageError("more --output files than --format options: give a --format for each --output")
    to_stdout = formats[len(request.outputs):]
    if len(to_stdout) > 1:
        raise UsageError("only one format can go to standard output: give --output FILE for the others")
    return [*zip(formats, request.outputs), *((name, None) for name in to_stdout)]


def _report(request: Request, reports: list[tuple[str, str | None]], result: RunResult, catalogue,  # type: ignore[no-untyped-def]
            stdout: TextIO) -> None:
    for name, output in reports:
        if output is not None:
            text = reporter(name, quiet=request.quiet, catalogue=catalogue)(result)
            Path(output).write_text(text, encoding="utf-8")
        else:
            text = reporter(name, quiet=request.quiet, catalogue=catalogue, statistics=request.statistics,
                            color=_color(stdout))(result)
            stdout.write(text)


def _streamed(request: Request, reports: list[tuple[str, str | None]], stdout: TextIO, bar: _Progress | None,
              started: float, fixed: int, run_with: Callable[..., RunResult]) -> RunResult:
    """Run with every report written file by file as the findings come (standard output at once, an --output
    file through a temporary file, written like _report's only once the run is over), so that memory does not
    grow with the findings."""
    with ExitStack() as stack:
        streams, spools = [], []
        for name, output in reports:
            if output is not None:  # a run that fails leaves an existing report untouched, as _report does
                spool = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
                spools.append((spool, output))
                streams.append(stream(name, spool.write, quiet=request.quiet))
            else:
                streams.append(stream(name, _Terminal(stdout, bar).write, quiet=request.quiet,
                                      statistics=request.statistics, color=_color(stdout)))

        def report(findings: list) -> None:  # type: ignore[type-arg]
            for each in streams:
                each.findings(findings)

        result = run_with(report=report)
        result.fixed = fixed
        if bar is not None:
            bar.clear()
        result.seconds = time.monotonic() - started
        for each in streams:
            each.end(result)
        for spool, output in spools:
            spool.seek(0)
            with open(output, "w", encoding="utf-8") as handle:
                shutil.copyfileobj(spool, handle)
    return result


class _Terminal:
    """Standard output for a streamed report: the progress count on standard error is cleared before each piece,
    so that the two do not share a terminal line."""

    def __init__(self, stdout: TextIO, bar: _Progress | None) -> None:
        self.stdout, self.bar = stdout, bar

    def write(self, text: str) -> None:
        if not text:
            return
        if self.bar is not None:
            self.bar.clear()
        self.stdout.write(text)


def _interactive(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _color(stream: TextIO) -> bool:
    """Colours only for a person at a terminal, and never with NO_COLOR set (no-color.org)."""
    return "NO_COLOR" not in os.environ and _interactive(stream)


class _Progress:
    """A one-line count on a terminal's standard error, shown only once a run has taken a second."""

    def __init__(self, stream: TextIO, started: float) -> None:
        self.stream, self.started, self.shown = stream, started, False

    def __call__(self, number: int, total: int) -> None:
        if time.monotonic() - self.started < 1.0 or (number % 25 and number != total):
            return
        self.shown = True
        self.stream.write(f"\rvmlint: {number}/{total} files")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.shown = False
            self.stream.write("\r\033[K")
            self.stream.flush()


def os_images(entries: object) -> tuple[tuple[str, str], ...]:
    """The configuration's `guest-os-images` ([{image: GLOB, os: FAMILY}], validated by the schema) as the
    (pattern, family) pairs the OS answer takes (lint.guest.guestos)."""
    if not isinstance(entries, list):
        return ()
    return tuple((str(entry["image"]), str(entry["os"])) for entry in entries
                 if isinstance(entry, dict) and "image" in entry and "os" in entry)


def target_settings(
    namespace: str | None,
    kubevirt: str | None,
    velero: str | None,
    harvester: str | None,
    guest_agent_images: tuple[str, ...] = (),
    guest_os_images: tuple[tuple[str, str], ...] = (),
) -> Settings:
    """The cluster the manifests go to; a Harvester release implies its KubeVirt."""
    kubevirt_version = parse_version(kubevirt) if kubevirt else None
    if harvester:
        shipped = kubevirt_for_harvester(harvester)
        if kubevirt_version is not None and kubevirt_version != shipped:
            raise VersionError(
                f"Harvester {harvester} ships KubeVirt {shipped}, not {kubevirt_version}: give one of the two versions"
            )
        kubevirt_version = shipped
    return Settings(
        namespace=namespace,
        kubevirt=KubeVirt(kubevirt_version or KUBEVIRT_LATEST),
        velero=Velero(parse_version(velero) if velero else VELERO_LATEST),
        guest_agent_images=guest_agent_images,
        guest_os_images=guest_os_images,
        kubevirt_source="given" if kubevirt_version else "",
    )

