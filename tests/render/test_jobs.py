"""Jobs in memory: rendered jobs still load, the rendered job stays a valid job, placeholders left are
found (:mod:`dativo_infra.render.jobs`)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dativo_infra.config.loader import load_jobs
from dativo_infra.errors import ErrorReport
from dativo_infra.render.jobs import unrendered_errors
from dativo_infra.render.write import render_one
from tests.render import GOLDEN_JOB, GOLDEN_OUTPUTS

# --- loading jobs that may already be rendered --------------------------------------------------


def test_rendered_values_load_but_other_resource_identifier_errors_still_count(golden: Path) -> None:
    golden.write_text(
        GOLDEN_JOB.read_text().replace(
            'cluster_name: "{{terraform_outputs.cluster_name}}"', "cluster_name: acme-orders-prod"
        )
    )
    assert [j.stack_name for j in load_jobs([str(golden)], rendered=True)] == ["acme-golden-render"]
    with pytest.raises(ErrorReport, match="must be a string"):  # render writes identifiers as text only
        golden.write_text(golden.read_text().replace("cluster_name: acme-orders-prod", "cluster_name: 12"))
        load_jobs([str(golden)], rendered=True)
    with pytest.raises(ErrorReport, match="output 'ingress_url' is not exported by aws_fargate"):
        load_jobs(["tests/fixtures/jobs/invalid/unknown_output.yaml"], rendered=True)


# --- the rendered job stays a valid job --------------------------------------------------------


def test_a_number_rendered_into_a_text_field_is_refused_and_nothing_is_written(
    golden: Path, tmp_path: Path
) -> None:
    text = golden.read_text().replace(
        '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n',
        '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n'
        '      PORT: "{{terraform_outputs.retention_days}}"\n',
    )
    golden.write_text(text)
    with pytest.raises(ErrorReport) as err:
        render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert [str(e) for e in err.value] == [
        f"{os.path.relpath(golden)}:44: infrastructure.runtime.env.PORT: after rendering: must be a string, got 30; "
        "expected a string (quote numbers, dates and booleans); to insert the output as text, write the "
        'placeholder as !!str "{{terraform_outputs.<name>}}"'
    ]
    assert golden.read_text() == text


def test_a_str_tagged_placeholder_inserts_a_number_output_as_text(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n',
            '      CLUSTER: "{{terraform_outputs.cluster_name}}"\n      PORT: !!str "{{terraform_outputs.retention_days}}"\n',
        )
    )
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert '      PORT: !!str "30"\n' in golden.read_text()
    [job] = load_jobs([str(golden)], rendered=True)
    assert job.config.runtime.env["PORT"] == "30"
    assert unrendered_errors([job]) == []


def test_a_list_output_rendered_into_a_resource_identifier_is_refused(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            "    log_group_name: '{{terraform_outputs.log_group_name}}'\n",
            "    log_group_name: '{{terraform_outputs.log_group_name}}'\n"
            "    security_group_id: '{{terraform_outputs.security_group_id}}'\n",
        )
    )
    outputs = json.loads(GOLDEN_OUTPUTS.read_text())
    outputs["security_group_id"] = {"sensitive": False, "type": ["list", "string"], "value": ["sg-1", "sg-2"]}
    with pytest.raises(ErrorReport) as err:
        render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    [error] = err.value.errors
    assert (error.path, error.problem, error.got) == (
        "infrastructure.resource_identifiers.security_group_id",
        "after rendering: a resource identifier must be text",
        "a list",
    )


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- malformed placeholders ---------------------------------------------------------------------


def test_a_malformed_placeholder_in_resource_identifiers_is_not_taken_for_a_rendered_value(
    golden: Path,
) -> None:
    golden.write_text(
        golden.read_text().replace(
            '    cluster_name: "{{terraform_outputs.cluster_name}}"',
            '    cluster_name: "{{terraform_output.cluster_name}}"',
        )
    )
    with pytest.raises(ErrorReport) as err:
        render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    assert [(e.path, e.problem) for e in err.value] == [
        ("infrastructure.resource_identifiers.cluster_name", "not a terraform_outputs placeholder")
    ]


def test_validate_rendered_reports_malformed_placeholders_left_anywhere(
    golden: Path, cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    render_one(golden, GOLDEN_OUTPUTS, in_place=True)
    golden.write_text(
        golden.read_text().replace("  level: INFO\n", "  level: '{{ terraform_outputs.log-level }}'\n")
    )
    jobs = load_jobs([str(golden)], rendered=True)
    assert [str(e) for e in unrendered_errors(jobs)] == [
        f"{os.path.relpath(golden)}:15: logging.level: malformed placeholder left, got "
        "'{{ terraform_outputs.log-level }}'; expected {{terraform_outputs.<name>}} (then render it) or a value"
    ]
    result = cli("validate", "--rendered", str(golden))
    assert result.returncode == 2 and "malformed placeholder left" in result.stderr


def test_text_rendered_into_a_modelled_field_is_validated_again(golden: Path) -> None:
    golden.write_text(
        golden.read_text().replace(
            "    cpu_millicores: 1000\n",
            '    image: "{{terraform_outputs.image}}"\n    cpu_millicores: 1000\n',
        )
    )
    outputs = json.loads(GOLDEN_OUTPUTS.read_text())
    outputs["image"] = {"sensitive": False, "type": "string", "value": ""}
    with pytest.raises(ErrorReport) as err:
        render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    assert [(e.line, e.path, e.problem) for e in err.value] == [
        (40, "infrastructure.runtime.image", "after rendering: must not be empty")
    ]
    outputs["image"]["value"] = "registry.example/ingest:2"
    render_one(golden, _write_json(golden.parent / "o.json", outputs), in_place=True)
    assert '    image: "registry.example/ingest:2"\n' in golden.read_text()
