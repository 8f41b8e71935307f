"""TaggingAspect: put the job's merged, cloud-rendered tags on every resource that takes tags.

The Aspect visits every construct under the scope it is added to (cdktf runs Aspects just before
synthesis, after all constructs exist; ``JobStack`` adds it to the runtime construct, which holds
every resource of the stack) and, on each resource that can carry them, sets::

    tags/labels = {**merged tags, **tags written explicitly on the resource}

so a tag set explicitly by a construct wins over the job's map for that key, and every other key of
the map is added. Visiting twice gives the same result (the map is already merged in).

What counts as taggable is decided by capability, not by a list of resource types:

* the construct is a ``TerraformResource`` (data sources and providers are never touched — a data
  source's ``tags`` is a lookup filter, not a tag);
* it has an ``<attr>_input`` property whose declared type (the jsii binding's return annotation) is
  ``Optional[Mapping[str, str]]`` and an ``<attr>`` property with a setter. The declared type is what
  rules out same-named attributes that are not tag maps: ``aws_autoscaling_group`` has only ``tag``
  blocks, ``google_compute_instance.tags`` is a list of network tags. The check is cached per class.
* ``<attr>`` is ``labels`` for resources of the ``google``/``google-beta`` providers (their ``tags``
  maps are Resource Manager tag bindings, ``tagKeys/...`` ids, not labels) and ``tags`` — or
  ``labels`` when a resource has no ``tags`` map — for every other provider. The provider comes from
  the binding's generator metadata.

Only the *input* attribute is read (``tags_input``/``labels_input``, what the configuration says);
the computed ``tags_all`` / ``effective_labels`` / ``terraform_labels`` are never read or set. When the
explicit tags are a Terraform expression (an unresolved token) they cannot be merged with, and the
resource keeps them unchanged.

Provider-level defaults are deliberately not used: AWS ``default_tags`` and GCP ``default_labels``
would duplicate the keys the Aspect writes (AWS reports perpetual diffs and errors on identical
keys in both places) and make a resource's tags depend on provider configuration outside the stack's
resources; the GCP provider's attribution label ``goog-terraform-provisioned`` would count toward the
64-label limit that rendering checks, so the providers are configured with
``add_terraform_attribution_label = false``. Azure has no provider-level tags at all. The Aspect is the
single mechanism for every cloud.

Literal text: the map given to the Aspect is already escaped once (``JobStack`` passes the rendered
tags through :func:`~dativo_infra.literal.deep_literal`); explicit tags on resources come from the
escaped job config. The Aspect escapes nothing itself.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from functools import cache

import jsii
from constructs import IConstruct

from dativo_infra.cdk import LIBRARIES, IAspect, TerraformResource, Token

#: Providers whose resources carry ``labels`` (their ``tags`` are something else).
LABEL_PROVIDERS = frozenset({"google", "google-beta"})
_STRING_MAP = (
    typing.Mapping[str, str] | None
)  # equal to the Optional[Mapping[str, str]] jsii bindings declare


@cache
def has_string_map(cls: type, attribute: str) -> bool:
    """True when instances of ``cls`` take a ``Mapping[str, str]`` in ``attribute`` and expose its
    configured value as ``<attribute>_input``."""
    setter = getattr(cls, attribute, None)
    reader = getattr(cls, f"{attribute}_input", None)
    if not isinstance(setter, property) or setter.fset is None or not isinstance(reader, property):
        return False
    try:
        hints = typing.get_type_hints(reader.fget)
    except (NameError, TypeError):
        return False
    return hints.get("return") == _STRING_MAP


_PROVIDER_OF_CLASS: dict[type, str] = {}
#: jsii type names of the prebuilt provider bindings: ``@cdktf/provider-<provider>.<module>.<Class>``
#: (cdktn: ``@cdktn/provider-...``).
PREBUILT_PREFIXES = tuple(library.jsii_provider_prefix for library in LIBRARIES.values())


def provider_of_jsii_type(jsii_type: str) -> str | None:
    """The provider of a prebuilt binding from its jsii type name (``@cdktf/provider-google-beta.x.X``
    -> ``google-beta``), or None for any other type name (locally generated bindings)."""
    prefix = next((p for p in PREBUILT_PREFIXES if jsii_type.startswith(p)), None)
    if prefix is None:
        return None
    package = jsii_type[len(prefix) :].split(".", 1)[0]
    return package or None


def provider_name(node: TerraformResource) -> str:
    """The short provider name of a resource binding (``aws``, ``google``, ``azurerm``), or ''.

    A prebuilt binding's provider is its jsii package's name (no round trip to Node); any other
    binding's is read from its generator metadata (four jsii round trips), once per class: every
    instance of a class has the same.
    """
    cls = type(node)
    if cls not in _PROVIDER_OF_CLASS:
        name = provider_of_jsii_type(getattr(cls, "__jsii_type__", None) or "")
        if name is None:
            metadata = node.terraform_generator_metadata
            name = metadata.provider_name if metadata is not None else ""
        _PROVIDER_OF_CLASS[cls] = name
    return _PROVIDER_OF_CLASS[cls]


def tag_attribute(node: object) -> str | None:
    """The attribute the Aspect tags on ``node`` (``tags`` or ``labels``), or None when it takes none."""
    if not isinstance(node, TerraformResource):
        return None
    candidates = ("labels",) if provider_name(node) in LABEL_PROVIDERS else ("tags", "labels")
    for attribute in candidates:
        if has_string_map(type(node), attribute):
            return attribute
    return None


@jsii.implements(IAspect)
class TaggingAspect:
    """Sets ``tags`` (merged under each resource's explicit tags) on every taggable resource.

    ``tags`` is the job's merged map already rendered for the stack's cloud and escaped literal.
    """

    def __init__(self, tags: Mapping[str, str]) -> None:
        self.tags: dict[str, str] = dict(sorted(tags.items()))

    def visit(self, node: IConstruct) -> None:
        attribute = tag_attribute(node)
        if attribute is None:
            return
        explicit = getattr(node, f"{attribute}_input")
        if explicit is not None and (
            Token.is_unresolved(explicit) or any(Token.is_unresolved(k) for k in explicit)
        ):
            return
        merged = {**self.tags, **dict(explicit or {})}
        setattr(node, attribute, dict(sorted(merged.items())))
