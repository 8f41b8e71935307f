"""moto server with the Application Auto Scaling tagging API it lacks (moto 5.2).

AWS Application Auto Scaling has ``TagResource``/``UntagResource``/``ListTagsForResource`` and
``RegisterScalableTarget`` takes ``Tags``; moto implements none of that, so the AWS provider's
read-after-create of a tagged ``aws_appautoscaling_target`` gets HTTP 500 and retries forever. This
module adds those operations to moto's own response class (same wire format as AWS: JSON 1.1,
``Tags`` as a string map) and then runs the unmodified moto server. Nothing else changes.

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


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
