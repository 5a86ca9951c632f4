"""The `vmlint` command line.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage, configuration or I/O error.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from lint import __version__
from lint.catalogue import CatalogueError, Rule, builtin_catalogue
from lint.settings import Settings
from lint.discovery import DiscoveryError, discover
from lint.engine import SelectionError, run, select_rules
from lint.findings import Severity
from lint.reporters import reporter
from lint.versions import (
    KUBEVIRT_LATEST,
    VELERO_LATEST,
    KubeVirt,
    Velero,
    VersionError,
    kubevirt_for_harvester,
    parse_version,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Lint KubeVirt and Harvester VM manifests for Velero backup hooks that will silently fail.",
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


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
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="Output format."),
    select: Optional[List[str]] = typer.Option(None, help="Rule codes or prefixes to run (comma-separated)."),
    ignore: Optional[List[str]] = typer.Option(None, help="Rule codes or prefixes to skip (comma-separated)."),
    fail_on: FailOn = typer.Option(FailOn.error, help="Lowest severity that fails the run."),
    namespace: Optional[str] = typer.Option(None, help="Namespace the manifests are applied to, where they set none."),
    kubevirt_version: Optional[str] = typer.Option(
        None, help=f"KubeVirt version of the target cluster (default: {KUBEVIRT_LATEST}, the newest vmlint knows)."
    ),
    velero_version: Optional[str] = typer.Option(
        None, help=f"Velero version of the target cluster (default: {VELERO_LATEST})."
    ),
    harvester_version: Optional[str] = typer.Option(
        None, help="Harvester version of the target cluster: sets the KubeVirt version it ships."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print findings only: no source lines, hints or summary."),
    stdin_filename: Optional[str] = typer.Option(None, help="Name to report for standard input."),
) -> None:
    """Lint manifests."""
    try:
        rules = select_rules(builtin_catalogue(), _codes(select), _codes(ignore))
        paths = paths or ["."]
        stdin = sys.stdin.buffer.read() if "-" in paths else None
        inputs = list(discover(paths, stdin=stdin, stdin_filename=stdin_filename))
        settings = target_settings(namespace, kubevirt_version, velero_version, harvester_version)
        result = run(inputs, rules, settings)
    except (SelectionError, DiscoveryError, CatalogueError, VersionError) as err:
        raise _fail(str(err)) from None
    sys.stdout.write(reporter(output_format.value, quiet=quiet)(result))
    for error in result.errors:
        typer.echo(f"vmlint: error: {error}", err=True)
    if result.errors:
        raise typer.Exit(EXIT_USAGE)
    threshold = Severity.parse(fail_on.value)
    failed = any(finding.severity >= threshold for finding in result.findings)
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


def target_settings(
    namespace: str | None, kubevirt: str | None, velero: str | None, harvester: str | None
) -> Settings:
    """The cluster the manifests go to; a Harvester release implies its KubeVirt."""
    kubevirt_version = parse_version(kubevirt) if kubevirt else None
    if harvester:
        shipped = kubevirt_for_harvester(harvester)
        if kubevirt_version is not None and kubevirt_version != shipped:
            raise VersionError(
                f"--harvester-version {harvester} ships KubeVirt {shipped}, not {kubevirt_version}: give one of them"
            )
        kubevirt_version = shipped
    return Settings(
        namespace=namespace,
        kubevirt=KubeVirt(kubevirt_version or KUBEVIRT_LATEST),
        velero=Velero(parse_version(velero) if velero else VELERO_LATEST),
    )


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity, fix availability, summary."""
    try:
        catalogue = builtin_catalogue()
    except CatalogueError as err:
        raise _fail(str(err)) from None
    width = max(len(rule.name) for rule in catalogue)
    typer.echo(f"{'code':<6}  {'name':<{width}}  {'severity':<8}  {'fix':<6}  summary")
    for rule in catalogue:
        name = rule.name + ("" if rule.default_enabled else " (opt-in)")
        typer.echo(f"{rule.code:<6}  {name:<{width}}  {str(rule.severity):<8}  {rule.fix:<6}  {rule.summary}")


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code, e.g. VM102, or a rule name.")) -> None:
    """Show a rule's documentation: what it catches, why, and examples."""
    try:
        catalogue = builtin_catalogue()
    except CatalogueError as err:
        raise _fail(str(err)) from None
    rule = catalogue.get(code) or next((r for r in catalogue if r.name == code.lower()), None)
    if rule is None:
        raise _fail(f"unknown rule {code!r} (see `vmlint rules`)")
    typer.echo(explanation(rule))


def explanation(rule: Rule) -> str:
    fix = {"none": "no automatic fix", "safe": "safe fix available", "unsafe": "unsafe fix available"}[rule.fix]
    parts = [
        f"{rule.code} {rule.name} ({rule.severity}, {fix}{'' if rule.default_enabled else ', off unless selected'})",
        "",
        rule.summary,
        "",
        "Why",
        _indent(rule.rationale),
    ]
    for title, examples in (("Bad", rule.examples_bad), ("Good", rule.examples_good)):
        for example in examples:
            parts += ["", title, _indent(example.rstrip("\n"))]
    if rule.references:
        parts += ["", "References"] + [f"  - {ref}" for ref in rule.references]
    return "\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def main() -> None:
    """Entry point: never a traceback, always a defined exit code."""
    try:
        app(prog_name="vmlint")
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_CLEAN)
    except Exception as err:  # a defect: one line, exit 2
        typer.echo(f"vmlint: internal error: {type(err).__name__}: {err}", err=True)
        sys.exit(EXIT_USAGE)
