"""Every rule's documented examples behave as documented: bad ones trigger the rule, good ones do not."""

from __future__ import annotations

import pytest
from helpers import lint_text

from lint.checks import registry
from lint.core.catalogue import Rule, builtin_catalogue
from lint.core.findings import Finding, Severity
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.run.examples import example_settings, injected_fault

RULES = builtin_catalogue().rules


def lint_example(rule: Rule, label: str, number: int, example: str) -> list[Finding]:
    """Every rule on one example, at the versions the example names (as `vmlint test-rules` lints it)."""
    rules = select_rules(builtin_catalogue(), ("ALL",))
    result = run([InputFile("test.yaml", None, example.encode())], rules, example_settings(rule, label, number))
    assert not result.errors, result.errors
    return result.findings


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_bad_examples_trigger_the_rule(rule: Rule) -> None:
    for number, example in enumerate(rule.examples_bad, start=1):
        with injected_fault(rule.check == "internal-error"):  # VM009: no real input makes vmlint fail
            codes = [f.code for f in lint_example(rule, "bad", number, example)]
        assert rule.code in codes, f"{rule.code} bad example did not trigger it: {codes}\n{example}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_good_examples_are_clean(rule: Rule) -> None:
    for number, example in enumerate(rule.examples_good, start=1):
        findings = lint_example(rule, "good", number, example)
        assert rule.code not in [f.code for f in findings], example
        assert [f for f in findings if f.severity == Severity.ERROR] == [], example


def test_an_example_is_linted_at_the_versions_it_names() -> None:
    rule = builtin_catalogue().get("VM301")
    assert rule is not None and rule.versions_of("good", 2) == {"kubevirt-version": "1.6.3"}
    assert rule.versions_of("good", 1) == {} and rule.versions_of("bad", 2) == {"kubevirt-version": "1.6.4"}
    good = rule.examples_good[1]  # a pre-hook timeout: KubeVirt overwrites it from 1.6.4, so good only at 1.6.3
    assert [f.code for f in lint_example(rule, "good", 2, good) if f.code == "VM301"] == []
    assert [(f.code, f.line, f.column, f.message) for f in lint_text(good, select=("VM301",))] == [
        ("VM301", 10, 9, "KubeVirt 1.9.0 writes its own virt-freezer hooks over pre.hook.backup.velero.io/timeout "
                         "(it injects 60s) on the launcher pod: your value does not take effect; of your hook "
                         "annotations, pre.hook.backup.velero.io/on-error, post.hook.backup.velero.io/on-error take "
                         "effect"),
    ]


def test_every_rule_names_a_registered_check_and_every_check_is_used() -> None:
    checks = registry()
    assert {rule.check for rule in RULES} <= set(checks)
    assert set(checks) <= {rule.check for rule in RULES}


def test_codes_are_unique_and_match_their_file_names() -> None:
    assert len({rule.code for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.path.endswith(f"{rule.code}.yaml")
