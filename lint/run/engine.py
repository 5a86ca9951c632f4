"""Run the selected rules over loaded files and turn their hits into findings."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from lint.checks import CheckContext, CheckSpec, registry
from lint.core.catalogue import Catalogue, Rule, builtin_catalogue
from lint.core.findings import INTERNAL_ERROR, Finding, Hit, Related, RunResult, Severity
from lint.kube.loading import LoadedFile, load_file
from lint.kube.objects import SECRET_INTEREST, WORKLOAD_INTEREST, KubeObject, Workload
from lint.kube.redaction import overlaps, placeholder, redact_text, secret_ranges, unbuilt_secret
from lint.kubevirt.index import VELERO_INTEREST, Launcher, RunIndex, is_velero_object
from lint.kubevirt.live import settings_from_export
from lint.run.discovery import InputFile
from lint.run.isolation import Failure, internal_error, isolated_map
from lint.run.prepass import CHUNK, secrets_index, with_bytes
from lint.run.suppressions import SUPPRESSION_INTEREST, Directive, directives, suppressed, unused
from lint.target.settings import Settings
from lint.text.compose import Limits
from lint.text.interest import Interest

if TYPE_CHECKING:
    from lint.run.cache import Cache


_T = TypeVar("_T")


class SelectionError(ValueError):
    """--select or --ignore named no rule."""


def select_rules(catalogue: Catalogue, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """Rules chosen by code prefixes, ruff-style: the most specific prefix wins, and `--select` replaces the
    default set (which leaves out rules that are off by default, the VM9 policies)."""
    codes = [rule.code for rule in catalogue]
    for prefix in (*select, *ignore):
        if prefix.upper() != "ALL" and not any(code.startswith(prefix.upper()) for code in codes):
            raise SelectionError(f"{prefix!r} matches no rule code (see `vmlint rules`)")

    def best(prefixes: Sequence[str], code: str) -> int:
        lengths = [0 if p.upper() == "ALL" else len(p) for p in prefixes if p.upper() == "ALL" or code.startswith(p.upper())]
        return max(lengths, default=-1)

    chosen = []
    for rule in catalogue:
        selected = best(select, rule.code) if select else (0 if rule.default_enabled else -1)
        if selected >= 0 and selected > best(ignore, rule.code):
            chosen.append(rule)
    return chosen


@dataclass(frozen=True)
class RunOptions:
    """How findings are filtered and graded: the configuration's and the command line's choices."""

    severity: dict[str, Severity] = field(default_factory=dict)  # per rule code
    per_file_ignores: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()  # on paths relative to `root`
    root: Path | None = None
    inline_suppressions: bool = True
    limits: Limits = field(default_factory=Limits)
    # Every code of the catalogue in use, custom rules included: a suppression naming a custom rule that suppresses
    # nothing is unused, not unknown, even where this run leaves that rule out
    known_codes: frozenset[str] = frozenset()

    def ignored_in(self, item: InputFile) -> tuple[str, ...]:
        if not self.per_file_ignores or item.path is None:
            return ()
        try:
            relative = item.real_path().relative_to((self.root or Path.cwd()).resolve()).as_posix()  # type: ignore[union-attr]
        except ValueError:
            return ()
        return tuple(code for pattern, codes in self.per_file_ignores if pattern.fullmatch(relative) for code in codes)


@dataclass(frozen=True)
class _Bound:
    rule: Rule
    spec: CheckSpec


@dataclass
class FileOutcome:
    """What linting one file leaves for the run: small, picklable, so worker processes can send it back."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    launchers: list[Launcher] = field(default_factory=list)
    objects: int = 0
    workloads: int = 0
    has_velero: bool = False
    read_error: str | None = None

    @property
    def failed(self) -> bool:
        """vmlint failed on this file (VM009): its outcome is incomplete, and never cached."""
        return any(finding.code == INTERNAL_ERROR for finding in self.findings)


def run(
    inputs: Iterable[InputFile],
    rules: Sequence[Rule],
    settings: Settings,
    options: RunOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    secrets: RunIndex | None = None,
    jobs: int = 1,
    cache_dir: Path | None = None,
    report: Callable[[list[Finding]], None] | None = None,
) -> RunResult:
    """Lint every input, on `jobs` processes for large runs (the order of the report does not depend on it).

    Velero Backup and Schedule objects are checked last, against facts from all files; suppressions are
    applied once a file's findings are complete. The findings come in the report's order (Finding.sort_key):
    the files are linted in the order of their paths, and each file's findings are sorted on their own.

    With `report`, each file's findings go to it as soon as they are complete, and the result keeps only their
    counts (RunResult.streamed), so that memory does not grow with the findings of a large run. A file with
    Velero objects is complete only at the end of the run; it and every file after it wait in a temporary
    file, not in memory (_Spool)."""
    options = options or RunOptions()
    bound = bind(rules)
    result = RunResult()
    inputs = list(inputs)
    digests: dict[str, str] = {}  # each file's content digest, for the cache only (none is taken without one)
    facts = None
    if cache_dir is not None:
        from lint.run.cache import Facts

        facts = Facts.open(cache_dir, options.limits)
    failures: dict[str, Finding] = {}  # the pre-pass's, reported with the file's other findings
    kept: dict[str, bytes] | None = {} if jobs == 1 else None  # worker processes read their files themselves
    index = (RunIndex(secrets=dict(secrets.secrets), kustomize=secrets.kustomize, images=dict(secrets.images),
                      live=secrets.live, configmaps=dict(secrets.configmaps))
             if secrets is not None
             else secrets_index(inputs, options.limits, facts, None if facts is None else digests, jobs,
                                failures, kept))
    if kept:
        inputs = [with_bytes(item, kept) for item in inputs]
    settings, note = settings_from_export(settings, index.live)  # an export's launchers name the KubeVirt
    if note:
        result.notes.append(note)
    cache = None
    if cache_dir is not None and facts is not None:
        from lint.run.cache import Cache, run_key

        facts.save()
        cache = Cache.open(cache_dir, run_key([item.rule for item in bound], settings, options, index))
    interest = interest_of(bound, options)
    task = partial(lint_one, bound=bound, settings=settings, options=options, index=index, interest=interest)
    order = sorted(range(len(inputs)), key=lambda number: inputs[number].display)  # the report's order
    sink = _Sink(result, options, bound, report)
    held: list[FileOutcome] | _Spool = _Spool() if report is not None else []  # from the first Velero file on
    launchers: dict[int, list[Launcher]] = {}  # by input number: the Velero checks read them in input order
    velero_paths: set[str] = set()
    ordered = [inputs[number] for number in order]
    keys: dict[str, str] = {}  # each file's key in the cache, by path
    for position, outcome in enumerate(_outcomes(task, ordered, jobs, cache, options, progress, digests, keys)):
        number = order[position]
        if outcome.read_error:
            result.errors.append(outcome.read_error)
            continue
        result.files += 1
        result.objects += outcome.objects
        result.workloads += outcome.workloads
        if outcome.launchers:
            launchers[number] = outcome.launchers
        if outcome.path in failures:
            outcome.findings.append(failures[outcome.path])
        if outcome.findings or outcome.directives or outcome.has_velero:  # most files have nothing left to do
            outcome.launchers = []
            if outcome.has_velero:
                velero_paths.add(outcome.path)
            if held or outcome.has_velero:
                if not held:
                    sink.finish_before(outcome.path)  # the files before the first one held are complete
                held.append(outcome)
            else:
                sink.add(outcome)
    del ordered
    index.launchers.extend(launcher for number in sorted(launchers) for launcher in launchers[number])
    del launchers
    by_path = {item.display: item for item in inputs if item.display in velero_paths}
    launchers_digest = _launchers_digest(index.launchers) if cache is not None and by_path else ""
    for outcome in held:
        if outcome.has_velero:  # rare: read the file again rather than send its tree between processes
            item = by_path[outcome.path]
            key = None if cache is None or item.display not in keys else cache.key(keys[item.display], launchers_digest)
            found = None if cache is None or key is None else _velero_from_cache(item.display, cache.load(key))
            if found is None:
                found = _velero_findings(item, bound, settings, options, interest, index)
                if cache is not None and key is not None and not any(f.code == INTERNAL_ERROR for f in found):
                    cache.store(key, _velero_to_cache(found))
            outcome.findings.extend(found)
        sink.add(outcome)
    sink.flush()
    if cache is not None:
        cache.save()
    return result


def _velero_findings(item: InputFile, bound: Sequence[_Bound], settings: Settings, options: RunOptions,
                     interest: Interest, index: RunIndex) -> list[Finding]:
    """The findings of the Velero checks on one file's Velero objects, against the facts of the whole run."""
    try:
        loaded = load_file(item.display, item.read(), helm_template=item.helm_template, limits=options.limits,
                           interest=interest)
    except Exception as err:  # noqa: BLE001 - one file's defect must not end the run (lint.run.isolation)
        return [internal_error(Failure.of(item.display, "reading its Velero objects", err))]
    return _lint(loaded, bound, settings, ("velero",), index)


def _launchers_digest(launchers: Sequence[Launcher]) -> str:
    """What the Velero checks read of the other files besides the run key (lint.run.cache.run_key): the pods
    their selectors may match, in run order. A Velero object's cached findings are keyed on it."""
    from lint.run.cache import dump_launcher

    return hashlib.sha256(json.dumps([dump_launcher(launcher) for launcher in launchers]).encode()).hexdigest()


class _Sink:
    """Completes each file's findings (suppressions, unused suppressions, configured severities) and hands them,
    sorted, to `report` or to the result. Outcomes come in path order; a path's outcomes (a file named twice)
    are handed on together."""

    def __init__(self, result: RunResult, options: RunOptions, bound: Sequence[_Bound],
                 report: Callable[[list[Finding]], None] | None) -> None:
        self.result, self.options, self.bound, self.report = result, options, bound, report
        self.enabled = {item.rule.code for item in bound}
        self.path: str | None = None
        self.findings: list[Finding] = []

    def add(self, outcome: FileOutcome) -> None:
        if outcome.path != self.path:
            self.flush()
            self.path = outcome.path
        kept = [f for f in outcome.findings if not suppressed(outcome.directives, f.code, f.line)]
        kept.extend(_unused_suppressions(outcome.path, outcome.directives, self.bound, self.enabled,
                                         self.options.known_codes))
        severity = self.options.severity
        self.findings.extend(replace(f, severity=severity[f.code]) if f.code in severity else f for f in kept)

    def finish_before(self, path: str) -> None:
        """Hand on the findings held, unless they are `path`'s, which another outcome completes."""
        if path != self.path:
            self.flush()
            self.path = None

    def flush(self) -> None:
        findings, self.findings = self.findings, []
        if not findings:
            return
        findings.sort(key=Finding.sort_key)  # stable: equal keys keep the order they were found in
        if self.report is None:
            self.result.findings.extend(findings)
        else:
            self.result.tally(findings)
            self.report(findings)


class _Spool:
    """Outcomes pickled to a temporary file as they come and read back once, in order: the files that wait for
    the Velero pass cost disk, not memory (one outcome at a time is held)."""

    def __init__(self) -> None:
        self.file: IO[bytes] | None = None
        self.count = 0

    def append(self, outcome: FileOutcome) -> None:
        if self.file is None:
            self.file = tempfile.TemporaryFile()
        pickle.dump(outcome, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[FileOutcome]:
        if self.file is None:
            return
        with self.file:
            self.file.seek(0)
            for _ in range(self.count):
                yield pickle.load(self.file)
        self.file, self.count = None, 0


def interest_of(bound: Sequence[_Bound], options: RunOptions) -> Interest:
    """The documents the selected rules read (lint.text.interest); every other document is only syntax-checked.

    File checks other than policies (syntax aside, which every document gets) judge the documents vmlint's
    rules read: workloads, Velero objects and Secrets. Velero checks also need the workloads, whose launcher
    pods their selectors must match."""
    interest = SUPPRESSION_INTEREST if options.inline_suppressions else Interest()
    for item in bound:
        if item.rule.check == "policy":
            from lint.checks.parameterised import policy_interest  # only runs with a policy rule import it

            interest |= policy_interest(item.rule.params)
        elif item.spec.scope == "file":
            interest |= WORKLOAD_INTEREST | VELERO_INTEREST | SECRET_INTEREST
        elif item.spec.scope == "workload":
            interest |= WORKLOAD_INTEREST
        elif item.spec.scope == "velero":
            interest |= VELERO_INTEREST | WORKLOAD_INTEREST
    return interest


def _outcomes(
    task: Callable[[InputFile], FileOutcome],
    inputs: list[InputFile],
    jobs: int,
    cache: Cache | None,
    options: RunOptions,
    progress: Callable[[int, int], None] | None,
    digests: dict[str, str],
    file_keys: dict[str, str],
) -> Iterator[FileOutcome]:
    """Every input's outcome, in input order, as it comes: from the cache where the file and everything its
    findings depend on are unchanged, else by linting it (on `jobs` processes); new outcomes go into the cache
    (saved by the caller), and each file's key into `file_keys`."""
    done: dict[int, FileOutcome] = {}  # the cache's hits
    keys: dict[int, str] = {}
    if cache is not None:
        for number, item in enumerate(inputs):
            digest = digests.get(item.display)
            if digest is None:
                try:
                    digest = hashlib.sha256(item.read()).hexdigest()
                except OSError:
                    continue  # the task reports it
            keys[number] = file_keys[item.display] = cache.key(
                item.display, digest, f"{item.helm_template}|{','.join(options.ignored_in(item))}")
            hit = _from_cache(item.display, cache.load(keys[number]))
            if hit is not None:
                done[number] = hit
    linted = isolated_map(task, [item for number, item in enumerate(inputs) if number not in done], jobs, CHUNK)
    for number in range(len(inputs)):
        outcome = done.pop(number, None)
        if outcome is None:
            linted_one = next(linted)
            outcome = (FileOutcome(linted_one.path, findings=[internal_error(linted_one)])
                       if isinstance(linted_one, Failure) else linted_one)
            if cache is not None and number in keys and not outcome.failed and not outcome.read_error:
                cache.store(keys[number], _to_cache(outcome))
        if progress is not None:
            progress(number + 1, len(inputs))
        yield outcome


def bind(rules: Sequence[Rule]) -> list[_Bound]:
    checks = registry()
    bound = []
    for rule in rules:
        if rule.check not in checks:
            raise SelectionError(f"rule {rule.code} names an unknown check {rule.check!r}")
        bound.append(_Bound(rule, checks[rule.check]))
    return bound




def lint_one(
    item: InputFile,
    bound: Sequence[_Bound],
    settings: Settings,
    options: RunOptions,
    index: RunIndex,
    interest: Interest,
) -> FileOutcome:
    """Load and lint one file with the file and workload checks (Velero objects are checked later)."""
    try:
        data = item.read()
    except OSError as err:
        return FileOutcome(item.display, read_error=f"cannot read {item.display}: {err.strerror or err}")
    ignored = options.ignored_in(item)
    try:
        loaded = load_file(item.display, data, helm_template=item.helm_template, limits=options.limits,
                           interest=interest)
    except Exception as err:  # noqa: BLE001 - one file's defect must not end the run (lint.run.isolation)
        return FileOutcome(item.display, findings=[internal_error(Failure.of(item.display, "parsing this file", err))])
    outcome = FileOutcome(loaded.path, objects=len(loaded.objects),
                          workloads=len(loaded.workloads) + len(loaded.pod_workloads))
    findings = []
    local = RunIndex(secrets=index.secrets)
    for workload in (*loaded.workloads, *loaded.pod_workloads):
        try:
            local.add_workload(workload, settings)
        except Exception as err:  # noqa: BLE001
            findings.append(_failed(loaded, Failure.of(loaded.path, "indexing its launcher pods", err), workload))
    outcome.launchers = local.launchers
    outcome.has_velero = any(is_velero_object(obj) for obj in loaded.objects)
    findings.extend(_lint(loaded, bound, settings, ("file", "workload"), index))
    outcome.findings = [f for f in findings if not any(f.code.startswith(code) for code in ignored)]
    if options.inline_suppressions:
        try:
            outcome.directives = directives(loaded)
        except Exception as err:  # noqa: BLE001
            outcome.findings.append(internal_error(Failure.of(loaded.path, "reading its suppressions", err),
                                                   loaded.source))
    return outcome


def _to_cache(outcome: FileOutcome) -> dict:  # type: ignore[type-arg]
    from lint.run.cache import dump_directive, dump_finding, dump_launcher

    return {
        "findings": [dump_finding(f) for f in outcome.findings],
        "directives": [dump_directive(d) for d in outcome.directives],
        "launchers": [dump_launcher(launcher) for launcher in outcome.launchers],
        "objects": outcome.objects,
        "workloads": outcome.workloads,
        "has_velero": outcome.has_velero,
    }


def _velero_to_cache(findings: list[Finding]) -> dict:  # type: ignore[type-arg]
    from lint.run.cache import dump_finding

    return {"velero": [dump_finding(f) for f in findings]}


def _velero_from_cache(path: str, entry: dict | None) -> list[Finding] | None:  # type: ignore[type-arg]
    if entry is None:
        return None
    from lint.run.cache import load_finding

    try:
        return [load_finding(f, path) for f in entry["velero"]]
    except Exception:  # noqa: BLE001 - a damaged or foreign entry, whatever its shape, is a miss and is rewritten
        return None


def _from_cache(path: str, entry: dict | None) -> FileOutcome | None:  # type: ignore[type-arg]
    if entry is None:
        return None
    from lint.run.cache import load_directive, load_finding, load_launcher

    try:
        return FileOutcome(
            path,
            findings=[load_finding(f, path) for f in entry["findings"]],
            directives=[load_directive(d) for d in entry["directives"]],
            launchers=[load_launcher(launcher) for launcher in entry["launchers"]],
            objects=int(entry["objects"]),
            workloads=int(entry["workloads"]),
            has_velero=bool(entry["has_velero"]),
        )
    except Exception:  # noqa: BLE001 - a damaged or foreign entry, whatever its shape, is a miss and is rewritten
        return None


def _unused_suppressions(path: str, found: Sequence[Directive], bound: Sequence[_Bound], enabled: set[str],
                         known_codes: frozenset[str]) -> list[Finding]:
    rule = next((item.rule for item in bound if item.spec.scope == "suppression"), None)
    if rule is None or not found:
        return []
    known = {item.code for item in builtin_catalogue()} | enabled | known_codes
    findings = []
    for directive, code, why in unused(found, known, enabled):
        span = directive.span
        where = "the ignore annotation" if directive.kind == "annotation" else "this suppression"
        findings.append(Finding(
            path=path, line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column,
            code=rule.code, rule=rule.name, severity=rule.severity,
            message=f"{where} names {code}, but {why}", hint=f"remove {code} from it", kind=None, name=None,
            namespace=None, source_line=directive.source_line,
        ))
    return findings


def _targets(loaded: LoadedFile, scope: str) -> list[LoadedFile | Workload | KubeObject]:
    if scope == "file":
        return [loaded]
    if scope == "workload":
        return [*loaded.workloads, *loaded.launcher_pods, *loaded.pod_workloads]
    if scope in ("suppression", "engine"):
        return []  # reported by the engine itself: unused suppressions once a file's findings are known, VM009
    return [obj for obj in loaded.objects if is_velero_object(obj)]


def _lint(
    loaded: LoadedFile,
    bound: Sequence[_Bound],
    settings: Settings,
    scopes: tuple[str, ...],
    index: RunIndex | None,
) -> list[Finding]:
    findings: list[Finding] = []
    contexts: dict[int, CheckContext] = {}  # one per rule and file, made when the rule first has a target
    secrets = secret_ranges(loaded.objects)  # Secret values of this file, never printed
    for scope in scopes:
        in_scope = [(number, item) for number, item in enumerate(bound) if item.spec.scope == scope]
        by_kind: dict[int, list[tuple[int, _Bound]]] = {}  # the rules that judge each kind of workload
        for target in _targets(loaded, scope):
            rules = in_scope
            if isinstance(target, Workload):
                rules = by_kind.get(id(target.spec))  # type: ignore[assignment]
                if rules is None:
                    rules = by_kind[id(target.spec)] = [(number, item) for number, item in in_scope
                                                        if target.spec.judged_by(item.rule.code)]
            obj = target.obj if isinstance(target, Workload) else target if isinstance(target, KubeObject) else None
            # target by target, all its rules together: what one rule parses, the next finds in the caches
            for number, item in rules:
                ctx = contexts.get(number)
                if ctx is None:
                    ctx = contexts[number] = CheckContext(loaded, settings, item.rule.params, index)
                try:
                    hits = list(item.spec.function(target, ctx))  # type: ignore[arg-type]
                except Exception as err:  # noqa: BLE001 - a defect in a check must not cost the other findings
                    doing = f"running the check of {item.rule.code}"
                    findings.append(_failed(loaded, Failure.of(loaded.path, doing, err), target))
                    continue
                if hits:
                    findings.extend(_finding(loaded, item.rule, hit, obj, secrets) for hit in hits)
    if findings and index is not None and index.secrets:
        scrub = index.scrubber()
        for number, finding in enumerate(findings):
            message, hint = scrub(finding.message) or "", scrub(finding.hint)
            if message != finding.message or hint != finding.hint:
                findings[number] = replace(finding, message=message, hint=hint)
    return findings


def _failed(loaded: LoadedFile, failure: Failure, target: LoadedFile | Workload | KubeObject) -> Finding:
    """VM009 at the object a stage failed on (the file's start for a whole-file stage)."""
    obj = target.obj if isinstance(target, Workload) else target if isinstance(target, KubeObject) else None
    if obj is None:
        return internal_error(failure, loaded.source)
    return internal_error(failure, loaded.source, obj.node.span, obj.kind, obj.name, obj.namespace)


def _finding(loaded: LoadedFile, rule: Rule, hit: Hit, obj: KubeObject | None,
             secrets: list[tuple[int, int, int]] = ()) -> Finding:  # type: ignore[assignment]
    obj = obj or loaded.object_at(hit.span.start)
    span = hit.span
    end_line, end_column = span.end_line, span.end_column
    if (end_line, end_column) <= (span.line, span.column):
        end_line, end_column = span.line, span.column + 1
    source_line = loaded.source.line_text(span.line) if loaded.source else ""
    excerpt = loaded.source.text[span.start : min(span.end, span.start + 500)] if loaded.source else ""
    if loaded.source and (secrets or obj is None and loaded.documents):  # Secret values are never printed
        if obj is None and unbuilt_secret(loaded.source, loaded.documents, span.start):
            source_line, excerpt = "", placeholder(len(excerpt.encode()))  # its line is not shown at all
        else:
            redacted = redact_text(loaded.source, span.line, source_line, secrets)
            if redacted != source_line:  # a caret after a replaced value would point at the wrong column: no line
                keep = redacted[: span.column - 1] == source_line[: span.column - 1]
                source_line = redacted if keep else ""
            inside = overlaps(span.start, span.end, secrets)
            excerpt = placeholder(inside[2]) if inside else excerpt
    return Finding(
        path=loaded.path,
        line=span.line,
        column=span.column,
        end_line=end_line,
        end_column=end_column,
        code=rule.code,
        rule=rule.name,
        severity=hit.severity or rule.severity,
        message=hit.message,
        hint=hit.hint if hit.hint is not None else rule.hint,
        kind=obj.kind if obj else None,
        name=obj.name if obj else None,
        namespace=obj.namespace if obj else None,
        source_line=source_line,
        excerpt=excerpt,
        fix=hit.fix,
        related=tuple(Related(place.line, place.column, place.end_line, place.end_column, what)
                      for place, what in hit.related),
    )
