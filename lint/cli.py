"""The `vmlint` command line.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage, configuration or I/O error.

The annotations here are objects, not strings (no `from __future__ import annotations`): typer reads every
parameter's annotation when it builds the command line, and would otherwise compile each string at start-up.
"""

import gc

# Importing what follows allocates ~100,000 objects, none of them garbage: the collector would walk them some 40
# times for nothing (~5 ms of a one-file run). It runs again once they are imported, and never walks them again.
_collecting = gc.isenabled()
gc.disable()

import os  # noqa: E402
import sys  # noqa: E402
from enum import Enum  # noqa: E402
from typing import List, Optional  # noqa: E402

import typer  # noqa: E402

from lint import __version__
from lint.core.catalogue import Catalogue, CatalogueError, builtin_catalogue
from lint.core.findings import Severity
from lint.reporters import FORMATS
from lint.run.config import ConfigError
from lint.run.discovery import DiscoveryError
from lint.run.engine import SelectionError
from lint.run.runner import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, Request, UsageError, configured_catalogue, execute
from lint.target.versions import KUBEVIRT_LATEST, VELERO_LATEST, VersionError

gc.freeze()
if _collecting:
    gc.enable()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Lint KubeVirt and Harvester VM manifests for Velero backup hooks that will silently fail.",
)

# `vmlint check --help` in panels, so that it reads at 80 columns (rich draws them; only --help imports rich)
_OUTPUT, _SELECTION, _TARGET = "Output", "Selection", "Target cluster"
_FIXING, _BASELINE, _PERFORMANCE = "Fixing", "Baseline", "Performance"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vmlint {__version__}")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """vmlint: Velero hooks on KubeVirt VMs, checked before they reach a cluster."""


def _codes(values: Optional[List[str]]) -> list[str]:
    return [code.strip() for value in values or () for code in value.split(",") if code.strip()]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"vmlint: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def check(
    paths: Optional[List[str]] = typer.Argument(None, help="Files or directories to lint (default: .); - reads standard input."),
    output_format: Optional[List[str]] = typer.Option(
        None, "--format", "-f", rich_help_panel=_OUTPUT,
        help="Output format: text, json, sarif, github, junit, gitlab (repeat with --output for several).",
    ),
    output: Optional[List[str]] = typer.Option(
        None, "--output", "-o", rich_help_panel=_OUTPUT, help="Write the matching --format to FILE."
    ),
    fail_on: Optional[FailOn] = typer.Option(
        None, metavar="LEVEL", rich_help_panel=_OUTPUT,
        help="Lowest severity that fails the run: error (default), warning or info.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", rich_help_panel=_OUTPUT, help="Print findings only: no source lines, hints or summary."
    ),
    statistics: bool = typer.Option(False, "--statistics", rich_help_panel=_OUTPUT, help="Print the number of findings per rule."),
    stdin_filename: Optional[str] = typer.Option(
        None, rich_help_panel=_OUTPUT, help="Name to report for standard input."
    ),
    select: Optional[List[str]] = typer.Option(
        None, rich_help_panel=_SELECTION, help="Rule codes or prefixes to run (comma-separated)."
    ),
    ignore: Optional[List[str]] = typer.Option(
        None, rich_help_panel=_SELECTION, help="Rule codes or prefixes to skip (comma-separated)."
    ),
    profile: Optional[str] = typer.Option(
        None, rich_help_panel=_SELECTION, help="default, or strict: the VM9 policy rules too."
    ),
    config: Optional[str] = typer.Option(
        None, rich_help_panel=_SELECTION,
        help="Configuration file (default: the closest .vmlint.yaml or pyproject.toml).",
    ),
    no_inline_suppressions: bool = typer.Option(
        False, "--no-inline-suppressions", rich_help_panel=_SELECTION,
        help="Ignore # vmlint: comments and vmlint.io/ignore annotations.",
    ),
    namespace: Optional[str] = typer.Option(
        None, rich_help_panel=_TARGET, help="Namespace the manifests are applied to, where they set none."
    ),
    kubevirt_version: Optional[str] = typer.Option(
        None, rich_help_panel=_TARGET,
        help=f"KubeVirt version of the target cluster (default: {KUBEVIRT_LATEST}, the newest vmlint knows).",
    ),
    velero_version: Optional[str] = typer.Option(
        None, rich_help_panel=_TARGET, help=f"Velero version of the target cluster (default: {VELERO_LATEST})."
    ),
    harvester_version: Optional[str] = typer.Option(
        None, rich_help_panel=_TARGET, help="Harvester version of the target cluster: sets the KubeVirt version it ships."
    ),
    fix: bool = typer.Option(
        False, "--fix", rich_help_panel=_FIXING,
        help="Apply safe fixes in place (standard input: print the fixed document).",
    ),
    unsafe_fixes: bool = typer.Option(
        False, "--unsafe-fixes", rich_help_panel=_FIXING, help="With --fix or --diff: unsafe fixes too."
    ),
    diff: bool = typer.Option(
        False, "--diff", rich_help_panel=_FIXING,
        help="Print the fixes as a unified diff; write nothing (exit 1 if any).",
    ),
    baseline: Optional[str] = typer.Option(
        None, rich_help_panel=_BASELINE, help="Report only findings that are not in this baseline file."
    ),
    write_baseline: Optional[str] = typer.Option(
        None, rich_help_panel=_BASELINE, help="Record the findings of this run in a baseline file."
    ),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, rich_help_panel=_PERFORMANCE, help="Processes for large runs (default: every core)."
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", rich_help_panel=_PERFORMANCE, help="Do not read or write the per-file result cache."
    ),
    cache_dir: Optional[str] = typer.Option(
        None, rich_help_panel=_PERFORMANCE,
        help="Where the cache lives (default: .vmlint_cache next to the configuration, or here).",
    ),
) -> None:
    """Lint manifests."""
    request = Request(
        paths=paths or ["."],
        formats=_choices(output_format, FORMATS, "--format"),
        outputs=list(output or ()),
        select=_codes(select) if select else None,
        ignore=_codes(ignore) if ignore else None,
        fail_on=fail_on.value if fail_on else None,
        namespace=namespace,
        kubevirt_version=kubevirt_version,
        velero_version=velero_version,
        harvester_version=harvester_version,
        config=config,
        quiet=quiet,
        statistics=statistics,
        inline_suppressions=False if no_inline_suppressions else None,
        baseline=baseline,
        write_baseline=write_baseline,
        stdin_filename=stdin_filename,
        fix=fix,
        unsafe_fixes=unsafe_fixes,
        diff=diff,
        profile=_choices([profile], ("default", "strict"), "--profile")[0] if profile else None,
        jobs=jobs,
        no_cache=no_cache,
        cache_dir=cache_dir,
    )
    try:
        code = execute(request, stdin=sys.stdin)
    except (UsageError, ConfigError, SelectionError, DiscoveryError, CatalogueError, VersionError) as err:
        raise _fail(str(err)) from None
    except OSError as err:
        raise _fail(f"{err.filename or ''}: {err.strerror or err}".lstrip(": ")) from None
    raise typer.Exit(code)


def _choices(values: Optional[List[str]], allowed: tuple[str, ...], option: str) -> list[str]:
    chosen = [value.strip().lower() for value in values or ()]
    for value in chosen:
        if value not in allowed:
            raise _fail(f"{option} {value!r} is not one of: {', '.join(allowed)}")
    return chosen


@app.command("rules")
def list_rules(
    config: Optional[str] = typer.Option(
        None, help="Configuration whose rules-dirs add custom rules (default: the closest .vmlint.yaml or pyproject.toml)."
    ),
) -> None:
    """List every rule: code, name, default severity, fix availability, summary.

    Custom rules (the configuration's rules-dirs) are listed with the built-in ones, their summary followed by the
    rule file they come from."""
    catalogue = _catalogue(config)
    builtin = builtin_catalogue()
    width = max(len(rule.name) for rule in catalogue)
    typer.echo(f"{'code':<6}  {'name':<{width}}  {'severity':<8}  {'fix':<6}  summary")
    for rule in catalogue:
        name = rule.name + ("" if rule.default_enabled else " (opt-in)")
        source = "" if builtin.get(rule.code) else f" (from {_shown(rule.path)})"
        typer.echo(f"{rule.code:<6}  {name:<{width}}  {str(rule.severity):<8}  {rule.fix:<6}  {rule.summary}{source}")


@app.command()
def explain(
    code: str = typer.Argument(..., help="A rule code, e.g. VM102 or a custom rule's ORG001, or a rule name."),
    config: Optional[str] = typer.Option(
        None, help="Configuration whose rules-dirs add custom rules (default: the closest .vmlint.yaml or pyproject.toml)."
    ),
) -> None:
    """Show a rule's documentation: what it catches, why, and examples; for a custom rule, its rule file too."""
    catalogue = _catalogue(config)
    rule = catalogue.get(code) or next((r for r in catalogue if r.name == code.lower()), None)
    if rule is None:
        raise _fail(f"unknown rule {code!r} (see `vmlint rules`)")
    from lint.reporters.explain import explanation

    typer.echo(explanation(rule, None if builtin_catalogue().get(rule.code) else _shown(rule.path)))


def _catalogue(config: Optional[str]) -> Catalogue:
    """The built-in rules and the configuration's custom ones; a configuration or rule file that cannot be used is a
    one-line error, exit 2."""
    try:
        return configured_catalogue(config)
    except (UsageError, ConfigError, CatalogueError) as err:
        raise _fail(str(err)) from None


def _shown(path: str) -> str:
    """A rule file's path relative to the working directory when it lies below it, else as it is."""
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else relative


@app.command("test-rules")
def test_rules(
    directory: str = typer.Argument(..., help="A directory of rule files: a rules-dirs pack, or vmlint's own rules/."),
) -> None:
    """Run every rule's bad and good examples; exit 1 if any does not behave as documented."""
    from pathlib import Path

    from lint.run.examples import run_examples

    try:
        outcomes = run_examples(Path(directory))
    except CatalogueError as err:
        raise _fail(str(err)) from None
    for outcome in outcomes:
        rule = outcome.rule
        counts = f"{len(rule.examples_bad)} bad, {len(rule.examples_good)} good"
        typer.echo(f"{'ok  ' if outcome.passed else 'FAIL'}  {rule.code} {rule.name} ({counts})")
        for failure in outcome.failures:
            typer.echo(f"      {failure}")
    failed = sum(1 for outcome in outcomes if not outcome.passed)
    typer.echo(f"{len(outcomes)} rule{'s' if len(outcomes) != 1 else ''}: {len(outcomes) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else EXIT_CLEAN)


@app.command()
def audit(
    paths: Optional[List[str]] = typer.Argument(None, help="Files or directories to audit (default: .)."),
    html: Optional[str] = typer.Option(None, "--html", help="Write the self-contained HTML report to FILE."),
    markdown: Optional[str] = typer.Option(None, "--markdown", help="Write the Markdown summary to FILE."),
    select: Optional[List[str]] = typer.Option(
        None, help="Rule codes or prefixes to run (comma-separated), as for check: verdicts see only their findings."
    ),
    ignore: Optional[List[str]] = typer.Option(None, help="Rule codes or prefixes to skip (comma-separated), as for check."),
    fail_on: Optional[FailOn] = typer.Option(
        None, metavar="LEVEL", help="Exit 1 if a finding at or above this severity remains: error, warning or info.",
    ),
    fail_on_verdict: Optional[str] = typer.Option(
        None, metavar="VERDICT",
        help="Exit 1 if any VM's verdict is this one or worse. Worst to best: not-frozen (will not be frozen), "
             "freeze-fails (freeze will fail), unknown (cannot tell), frozen (will be frozen), not-running (not running).",
    ),
    namespace: Optional[str] = typer.Option(None, help="Namespace the manifests are applied to, where they set none."),
    kubevirt_version: Optional[str] = typer.Option(None, help="KubeVirt version of the target cluster."),
    velero_version: Optional[str] = typer.Option(None, help="Velero version of the target cluster."),
    harvester_version: Optional[str] = typer.Option(None, help="Harvester version of the target cluster."),
    config: Optional[str] = typer.Option(None, help="Configuration file (default: the closest one)."),
) -> None:
    """Report per namespace and VM whether the guest will be frozen before each backup (HTML, Markdown).

    In a GitHub Actions job (GITHUB_STEP_SUMMARY set) the Markdown summary is also added to the job's summary.
    Exit 0, or 1 when --fail-on or --fail-on-verdict is given and met; 2 for usage errors and unreadable files."""
    from pathlib import Path

    from lint.audit import html as audit_html
    from lint.audit import markdown as audit_markdown
    from lint.audit.verdicts import VerdictError, audit_paths, parse_verdict

    try:
        cut = parse_verdict(fail_on_verdict) if fail_on_verdict is not None else None
        report = audit_paths(paths or ["."], namespace, kubevirt_version, velero_version, harvester_version, config,
                             _codes(select) if select else None, _codes(ignore) if ignore else None)
        summary = audit_markdown.render(report)
        if html:
            Path(html).write_text(audit_html.render(report), encoding="utf-8")
        if markdown:
            Path(markdown).write_text(summary, encoding="utf-8")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:  # in a GitHub Actions job: the summary shows on the run's page (other steps' stays)
            with open(step_summary, "a", encoding="utf-8") as stream:
                stream.write(summary)
    except (UsageError, ConfigError, SelectionError, DiscoveryError, CatalogueError, VersionError, VerdictError) as err:
        raise _fail(str(err)) from None
    except OSError as err:
        raise _fail(f"{err.filename or ''}: {err.strerror or err}".lstrip(": ")) from None
    if not html and not markdown:
        typer.echo(summary, nl=False)
    else:
        counts = report.verdicts()
        fails = f", {counts['freeze-fails']} freeze will fail" if "freeze-fails" in counts else ""
        typer.echo(f"vmlint audit: {len(report.vms)} VMs: {counts['frozen']} will be frozen, "
                   f"{counts['not-frozen']} will not be frozen, {counts['unknown']} cannot tell{fails}"
                   + (f", {counts['not-running']} not running" if "not-running" in counts else ""))
    for error in report.errors:
        typer.echo(f"vmlint: error: {error}", err=True)
    if report.errors:
        raise typer.Exit(EXIT_USAGE)
    failed = fail_on is not None and any(f.severity >= Severity.parse(fail_on.value) for f in report.findings)
    raise typer.Exit(EXIT_FINDINGS if failed or (cut is not None and report.at_or_below(cut)) else EXIT_CLEAN)


@app.command()
def server() -> None:
    """Run the language server on standard input and output, for editors (needs the `server` extra: pygls)."""
    try:
        from lint.server.protocol import serve
    except ImportError as err:
        raise _fail(f"vmlint server needs pygls and lsprotocol ({err}): pip install 'vmlint[server]'") from None
    serve()
    raise typer.Exit(EXIT_CLEAN)


def main() -> None:
    """Entry point: never a traceback, always a defined exit code, usage errors on one line."""
    try:
        code = app(prog_name="vmlint", standalone_mode=False)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_CLEAN)
    except Exception as err:
        message = getattr(err, "format_message", None)
        if callable(message):  # a usage error from the option parser (click, or the copy typer ships)
            typer.echo(f"vmlint: error: {message()}", err=True)
            sys.exit(EXIT_USAGE)
        if type(err).__name__ == "Abort":
            sys.exit(130)
        typer.echo(f"vmlint: internal error: {type(err).__name__}: {err}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else EXIT_CLEAN)
