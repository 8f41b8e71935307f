"""moto server with the Application Auto Scaling tagging API and the Step Functions calls it lacks
(moto 5.2).

AWS Application Auto Scaling has ``TagResource``/``UntagResource``/``ListTagsForResource`` and
``RegisterScalableTarget`` takes ``Tags``; moto implements none of that, so the AWS provider's
read-after-create of a tagged ``aws_appautoscaling_target`` gets HTTP 500 and retries forever.
Likewise the provider validates a state machine's definition (``ValidateStateMachineDefinition``)
before creating it and lists its versions (``ListStateMachineVersions``) when it reads it. This
module adds those operations to moto's own response classes (same wire format as AWS: JSON 1.0/1.1)
and then runs moto's own server. The definition check here is only structural (JSON with ``StartAt``
naming one of ``States``); AWS's own validation is the real one.

moto's backends are plain dicts and lists without locks, and its server handles every connection in
its own thread. Several providers deploying at once can then meet a half-updated backend: a request
fails with HTTP 500 (or stalls) after it changed the state, the provider's SDK retries it, and the
retry of a non-idempotent call fails (``InvalidPermission.Duplicate`` for a security group rule the
first call did add). AWS itself serializes what it must; here :func:`install_serialized_requests`
makes moto answer one request at a time, and logs every answer that is a 5xx or slower than
:data:`SLOW_SECONDS` as one ``dativo-moto:`` line (operation, status, seconds) in the server's log.

Run: ``python -m dativo_infra.localcloud.moto_ext -H 127.0.0.1 -p PORT`` (same arguments as ``moto_server``).
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

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


#: An answer slower than this many seconds is logged (a provider waiting that long may retry).
SLOW_SECONDS = 5.0
#: Prefix of the server log lines written by :func:`install_serialized_requests`.
LOG_PREFIX = "dativo-moto:"


def operation(environ: dict[str, Any], body: bytes) -> str:
    """The AWS operation a request calls: the JSON protocols' ``X-Amz-Target``, else the query
    protocol's ``Action`` (query string or form body), else the method and path (REST protocols)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target)
    for source in (str(environ.get("QUERY_STRING", "")), body.decode("utf-8", "replace")):
        action = parse_qs(source).get("Action")
        if action:
            return action[0]
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}"


def install_serialized_requests() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication as App

    if getattr(App, "_dativo_serialized", False):
        return
    original_call = App.__call__
    lock = threading.Lock()

    def serialized_call(
        self: Any, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        statuses: list[str] = []

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        with lock:
            started = time.monotonic()
            try:
                answer = original_call(self, environ, recording_start_response)
                try:
                    chunks = list(answer)  # the whole answer is built while no other request runs
                finally:
                    close = getattr(answer, "close", None)
                    if close is not None:
                        close()
            except BaseException:
                statuses.append("500 raised")  # the server answers 500 for an exception
                raise
            finally:
                seconds = time.monotonic() - started
                status = statuses[-1] if statuses else "?"
                if status.startswith("5") or seconds > SLOW_SECONDS:
                    note = f"{LOG_PREFIX} {operation(environ, body)} {status.split(' ')[0]} {seconds:.1f}s"
                    print(note, file=sys.stderr, flush=True)
        return chunks

    App.__call__ = serialized_call  # type: ignore[method-assign]
    App._dativo_serialized = True  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    install()
    install_stepfunctions()
    install_serialized_requests()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
