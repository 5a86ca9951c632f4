"""`vmlint test-rules DIR`: every rule of a directory run against its own bad and good examples."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lint.checks import registry
from lint.core.catalogue import CatalogueError, Rule
from lint.core.rulefiles import load_rules_dir
from lint.run.discovery import InputFile
from lint.run.engine import run
from lint.run.runner import target_settings
from lint.target.settings import Settings
from lint.target.versions import VersionError

FAULTY_CHECK = "hook-not-on-pod"  # a workload check every VM example runs


@dataclass(frozen=True)
class ExampleOutcome:
    """A rule's examples run on their own: what did not behave as documented."""

    rule: Rule
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(directory: Path) -> list[ExampleOutcome]:
    """Every rule of a directory against its own examples, like `kyverno test`: each bad example must give a
    finding of the rule, each good one none, and neither an internal error."""
    rules = load_rules_dir(directory, builtin_checks=registry())
    if not rules:
        raise CatalogueError(f"{directory}: no rule files (*.yaml) in this directory")
    outcomes = []
    for rule in rules:
        failures = []
        for label, examples in (("bad", rule.examples_bad), ("good", rule.examples_good)):
            for number, example in enumerate(examples, start=1):
                name = f"{rule.code}.{label}-{number}.yaml"
                # VM090 judges the others' codes; VM009 reports another check's failure
                chosen = rules if rule.check in ("unused-suppression", "internal-error") else [rule]
                settings = example_settings(rule, label, number)
                with injected_fault(rule.check == "internal-error" and label == "bad"):
                    result = run([InputFile(name, None, example.encode("utf-8"))], chosen, settings)
                found = [f for f in result.findings if f.code == rule.code]
                title = f"{label} example {number}{rule.example_at(label, number)}"
                if result.errors:
                    failures.append(f"{title}: {result.errors[0]}")
                elif label == "bad" and not found:
                    failures.append(f"{title} gives no {rule.code} finding")
                elif label == "good" and found:
                    failures.extend(f"{title} gives {f.code} at {f.line}:{f.column}: {f.message}" for f in found)
        outcomes.append(ExampleOutcome(rule, tuple(failures)))
    return outcomes


def example_settings(rule: Rule, label: str, number: int) -> Settings:
    """The target cluster an example is linted at: the versions it names, else vmlint's defaults. A version
    vmlint cannot read is the rule file's defect (exit 2)."""
    versions = rule.versions_of(label, number)
    try:
        return target_settings(None, versions.get("kubevirt-version"), versions.get("velero-version"),
                               versions.get("harvester-version"))
    except VersionError as err:
        raise CatalogueError(f"{rule.path}: {label} example {number}: {err}") from None


@contextmanager
def injected_fault(active: bool = True) -> Iterator[None]:
    """While active, the check FAULTY_CHECK raises: how VM009's bad examples are produced, since no real input is
    known to make vmlint fail (each one found is fixed). In this process only; for runs on one process."""
    if not active:
        yield
        return
    module_name, _, function = registry()[FAULTY_CHECK].target.rpartition(".")
    module = __import__(module_name, fromlist=[function])
    original = getattr(module, function)

    def fault(*args: object) -> Iterator[object]:
        raise RuntimeError("a fault injected by vmlint test-rules")

    setattr(module, function, fault)
    try:
        yield
    finally:
        setattr(module, function, original)
