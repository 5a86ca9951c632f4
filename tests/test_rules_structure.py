"""VM001, VM002, VM006: the YAML itself."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import FREEZE, UNFREEZE, lint_text, vm_with, where

from lint.core.findings import Related
from lint.run.cache import dump_finding, load_finding

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CORE = ("VM0", "VM1", "VM2")  # the input, hook and identity rules; KubeVirt's injection (VM3) is tested elsewhere
POST_OK = f"post.hook.backup.velero.io/command: {UNFREEZE}"


def test_the_published_recipe_points_at_the_stray_quote() -> None:
    findings = lint_text((EXAMPLES / "harvester-kb-published.yaml").read_bytes(), select=CORE)
    assert where(findings) == [("VM001", 15, 137)]
    line = (EXAMPLES / "harvester-kb-published.yaml").read_text().splitlines()[14]
    assert line[136:139] == "']'"
    assert findings[0].message == (
        "invalid YAML: the single-quoted value of pre.hook.backup.velero.io/command is closed by this quote, so "
        "the `]'` after it is stray and kubectl rejects the whole document"
    )
    assert findings[0].hint == (
        "remove the stray quote: pre.hook.backup.velero.io/command: "
        "'[\"/usr/bin/virt-freezer\", \"--freeze\", \"--namespace\", \"<VM Namespace>\", \"--name\", \"<VM Name>\"]'"
    )


def test_the_recipe_step_by_step() -> None:
    """Published: VM001. Quote fixed: VM201 per placeholder. Wrong values: VM202/VM203. Right: clean."""
    published = (EXAMPLES / "harvester-kb-published.yaml").read_text()
    quote_fixed = published.replace("\"<VM Name>\"']'", "\"<VM Name>\"]'")
    assert [f.code for f in lint_text(quote_fixed, select=CORE)] == ["VM201"] * 4
    wrong = quote_fixed.replace("<VM Namespace>", "prod").replace("<VM Name>", "ubuntu")
    assert sorted(f.code for f in lint_text(wrong, select=CORE)) == ["VM202", "VM202", "VM203", "VM203"]
    right = quote_fixed.replace("<VM Namespace>", "default").replace("<VM Name>", "ubuntu-web")
    assert lint_text(right, select=CORE) == []


def test_a_stray_quote_on_a_non_hook_key_is_an_ordinary_syntax_error() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '[\"b\"']'\n"
    findings = lint_text(text, select=CORE)
    assert where(findings) == [("VM001", 6, 12)]
    assert findings[0].message == (
        "invalid YAML: expected <block end>, but found ']' "
        "(while parsing a block mapping that starts at line 6, column 3)"
    )


def test_the_repair_is_only_offered_when_it_parses() -> None:
    # the quote is stray, but the line below is broken too: no repair can make this document parse
    text = vm_with("pre.hook.backup.velero.io/command: '[\"a\"']'", "  bad: [") 
    findings = lint_text(text, select=CORE)
    assert [f.code for f in findings] == ["VM001"]
    assert "stray" not in findings[0].message


def test_one_broken_document_does_not_hide_the_others() -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\ndata: {a: [}\n"
    good = vm_with("pre.hook.backup.velero.io/command: '[\"a\",]'", POST_OK)
    text = good + "---\n" + broken + "---\n" + good
    findings = lint_text(text, select=CORE)
    lines_good = good.count("\n")
    assert where(findings) == [
        ("VM102", 10, 50),
        ("VM001", lines_good + 4, 12),
        ("VM102", lines_good + 5 + 10, 50),
    ]


def test_invalid_utf8_is_a_syntax_finding_with_a_position() -> None:
    findings = lint_text(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\n", select=CORE)
    assert where(findings) == [("VM001", 4, 9)]
    assert findings[0].message == "invalid YAML: the file is not valid UTF-8: byte 0xff at offset 49 cannot be decoded"


def test_duplicate_keys_point_at_the_second_key() -> None:
    text = vm_with(f"pre.hook.backup.velero.io/command: {FREEZE}", POST_OK, f"pre.hook.backup.velero.io/command: {FREEZE}")
    findings = lint_text(text, select=CORE)
    assert where(findings) == [("VM002", 12, 9)]
    assert findings[0].message == (
        "key 'pre.hook.backup.velero.io/command' repeats the key at line 10, column 9: Kubernetes keeps only "
        "this last value and the earlier one is lost"
    )
    assert (findings[0].kind, findings[0].name, findings[0].namespace) == ("VirtualMachine", "web", "prod")
    # The first key is the finding's second place (an editor shows it as related information), and the cache
    # keeps it.
    first = "pre.hook.backup.velero.io/command"
    assert findings[0].related == (Related(10, 9, 10, 9 + len(first), f"the first {first!r}: its value is lost"),)
    assert load_finding(json.loads(json.dumps(dump_finding(findings[0]))), findings[0].path) == findings[0]


def test_quoted_and_plain_spellings_of_a_key_are_the_same_key_and_merges_are_not_duplicates() -> None:
    text = "kind: VirtualMachine\nbase: &b {x: 1}\nm:\n  a: 1\n  'a': 2\nn:\n  <<: *b\n  <<: *b\n  x: 2\n"
    assert where(lint_text(text, select=CORE)) == [("VM002", 5, 3)]


def test_only_documents_that_can_matter_are_built() -> None:
    """A ConfigMap's repeated key is not vmlint's business, but its broken syntax still is."""
    config_map = "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: 1\n  a: 2\n"
    assert lint_text(config_map, select=CORE) == []
    assert where(lint_text(config_map + "  b: [\n", select=CORE)) == [("VM001", 7, 1)]


def test_pasted_manifests_without_a_separator() -> None:
    text = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: disk\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\n"
    assert where(lint_text(text, select=CORE)) == [("VM002", 5, 1), ("VM002", 6, 1)]


def test_unquoted_template_markers_skip_the_document_quoted_ones_are_placeholders() -> None:
    template = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: vm-{{ .Version }}\n"
    findings = lint_text(template, select=CORE)
    assert where(findings) == [("VM006", 4, 12)]
    bare = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {{ name }}\n"
    assert where(lint_text(bare, select=CORE)) == [("VM006", 4, 9)]
    quoted = vm_with(f"pre.hook.backup.velero.io/command: {FREEZE}", POST_OK, name="'{{ name }}'")
    assert where(lint_text(quoted, select=CORE)) == [("VM201", 4, 10)]


def test_template_that_breaks_the_yaml_is_one_note_not_errors() -> None:
    text = "{{- range .Values.vms }}\n---\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {{ .name }}-{{ $.x }}\n{{- end }}\n"
    findings = lint_text(text, select=CORE)
    assert where(findings) == [("VM006", 1, 1)]
    assert findings[0].message.startswith("unrendered template skipped: 2 documents")
