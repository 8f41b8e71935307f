"""``$GITHUB_OUTPUT`` text: one ``name=value`` line, or GitHub's ``name<<DELIMITER`` block for a value
with a line break; read back here the way the runner reads the file. And ``dativo-infra tags --format
github-output``, the seed's ``echo "job_tags_json=..." >> $GITHUB_OUTPUT`` step done right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dativo_infra.ci.github_output import NAME_RE, delimiter, output_lines
from dativo_infra.config.loader import load_job
from dativo_infra.tags import merged_tags
from tests.cli import in_process


def read_back(text: str) -> dict[str, str]:
    """What the Actions runner makes of a ``$GITHUB_OUTPUT`` file (its documented grammar)."""
    outputs: dict[str, str] = {}
    assert "\r" not in text
    lines = text.split("\n")
    assert lines.pop() == "", "the file ends with a line break"
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, end = line.split("<<", 1)
            value = []
            while (item := lines.pop(0)) != end:
                value.append(item)
            outputs[name] = "\n".join(value)
        else:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


names = st.from_regex(NAME_RE, fullmatch=True).filter(lambda n: len(n) < 40)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(st.dictionaries(names, values, max_size=5))
def test_every_value_reads_back_exactly(outputs: dict[str, str]) -> None:
    text = output_lines(outputs)
    assert read_back(text) == {k: v.replace("\r\n", "\n").replace("\r", "\n") for k, v in outputs.items()}


def test_single_line_values_are_name_value_lines_and_others_are_blocks() -> None:
    text = output_lines({"a": "1", "b": "x\ny"})
    end = delimiter("x\ny")
    assert text == f"a=1\nb<<{end}\nx\ny\n{end}\n"
    assert end.startswith("dativo_eof_") and end == delimiter("x\ny")  # deterministic


def test_a_value_cannot_end_its_own_block() -> None:
    end = delimiter("x")
    sneaky = f"x\n{end}\ninjected=1"
    assert delimiter(sneaky) not in sneaky.splitlines()
    assert read_back(output_lines({"v": sneaky})) == {"v": sneaky}


@pytest.mark.parametrize("name", ["1a", "-a", "a b", "a.b", ""])
def test_names_are_output_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="not a GitHub Actions output name"):
        output_lines({name: "x"})


def test_tags_github_output_is_one_line_json_and_one_line_per_tag() -> None:
    job = "jobs/acme/stripe_customers_to_iceberg.yaml"
    result = in_process("tags", job, "--format", "github-output")
    assert result.returncode == 0, result.stderr
    outputs = read_back(result.stdout)
    tags = merged_tags(load_job(Path(job)))
    assert json.loads(outputs.pop("tags_json")) == tags
    assert outputs == {f"tag_{k}": v for k, v in tags.items()}
    assert all(line.count("\n") == 0 for line in result.stdout.splitlines())


def test_a_tag_value_with_a_workflow_command_line_is_refused(tmp_path: Path) -> None:
    """Azure tag values may hold a line break (AWS and GCP refuse it when they validate the tags)."""
    text = Path("jobs/globex/hubspot_contacts_to_adls.yaml").read_text()
    text = text.replace(
        "    cost_center: FINOPS-104\n", '    cost_center: FINOPS-104\n    note: "ok\\n::error::x"\n'
    )
    (tmp_path / "job.yaml").write_text(text)
    result = in_process("tags", str(tmp_path / "job.yaml"), "--format", "github-output")
    assert result.returncode == 2, result.stdout
    assert "starts with '::'" in result.stderr and result.stdout == ""
    assert not any(line.startswith("::") for line in result.stderr.splitlines())
