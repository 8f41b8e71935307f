"""moto server with the Application Auto Scaling tagging API and the Step Functions calls it lacks
(moto 5.2).

AWS Application Auto Scaling has ``TagResource``/``UntagResource``/``ListTagsForResource`` and
``RegisterScalableTarget`` takes ``Tags``; moto implements none of that, so the AWS provider's
read-after-create of a tagged ``aws_appautoscaling_target`` gets HTTP 500 and retries forever.
Likewise the provider validates a state machine's definition (``ValidateStateMachineDefinition``)
before creating it and lists its versions (``ListStateMachineVersions``) when it reads it. This
module adds those operations to moto's own response classes (same wire format as AWS: JSON 1.0/1.1)
and then runs the unmodified moto server. Nothing else changes. The definition check here is only
structural (JSON with ``StartAt`` naming one of ``States``); AWS's own validation is the real one.

Run: ``python -m dativo_infra.localcloud.moto_ext -H 127.0.0.1 -p PORT`` (same arguments as ``moto_server``).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

_TAGS: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)  # account -> arn -> tags


def install() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as Response

    if getattr(Response, "_dativo_tagging", False):
        return
    original_register = Response.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        body = original_register(self)
        tags = self._get_param("Tags")
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            _TAGS[self.current_account].setdefault(arn, {}).update(tags)
        return body

    def tag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _TAGS[self.current_account].setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        tags = _TAGS[self.current_account].get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        tags = _TAGS[self.current_account].get(self._get_param("ResourceARN"), {})
        return json.dumps({"Tags": tags})

    Response.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    Response.tag_resource = tag_resource  # type: ignore[attr-defined]
    Response.untag_resource = untag_resource  # type: ignore[attr-defined]
    Response.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    Response._dativo_tagging = True  # type: ignore[attr-defined]


def install_stepfunctions() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse as Response

    if getattr(Response, "_dativo_validate", False):
        return

    def validate_state_machine_definition(self: Any) -> ActionResult:
        diagnostics = []
        try:
            definition = json.loads(self._get_param("definition") or "")
        except ValueError:
            definition = None
        if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
            diagnostics.append(
                {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": "no States"}
            )
        elif definition.get("StartAt") not in definition["States"]:
            diagnostics.append({"severity": "ERROR", "code": "MISSING_START_STATE", "message": "StartAt"})
        return ActionResult({"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics})

    def list_state_machine_versions(self: Any) -> ActionResult:
        return ActionResult({"stateMachineVersions": []})

    Response.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
    Response.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]
    Response._dativo_validate = True  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    install()
    install_stepfunctions()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
