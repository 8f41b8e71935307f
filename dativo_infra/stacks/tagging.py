"""TaggingAspect (minimal first version; see issue 4)."""

from __future__ import annotations

import jsii
from cdktf import IAspect
from constructs import IConstruct


@jsii.implements(IAspect)
class TaggingAspect:
    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags

    def visit(self, node: IConstruct) -> None:
        for attribute in ("tags_input", "labels_input"):
            if hasattr(node, attribute) and hasattr(node, "put_" + attribute[:-6]) is False:
                current = getattr(node, attribute)
                setter = attribute[:-6]
                setattr(node, setter, {**self.tags, **(current or {})})
                break
