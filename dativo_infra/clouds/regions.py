"""Each cloud's regions, for checking ``infrastructure.region``.

AWS regions come from botocore's own endpoint data (``botocore/data/partitions.json``, every
partition's ``regions`` minus the ``*-global`` pseudo-regions), read lazily from the file next to the
installed package, without importing botocore. GCP and Azure have no such offline list in a Python
package; their regions are kept here, each list with its source named. Pure Python: no cdktf.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Any

from dativo_infra.clouds import Refusal

#: GCP regions. Source: https://cloud.google.com/about/locations and ``gcloud compute regions list``.
GCP_REGIONS: tuple[str, ...] = (
    "africa-south1",
    "asia-east1", "asia-east2",
    "asia-northeast1", "asia-northeast2", "asia-northeast3",
    "asia-south1", "asia-south2",
    "asia-southeast1", "asia-southeast2", "asia-southeast3",
    "australia-southeast1", "australia-southeast2",
    "europe-central2",
    "europe-north1", "europe-north2",
    "europe-southwest1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8",
    "europe-west9", "europe-west10", "europe-west12",
    "me-central1", "me-central2", "me-west1",
    "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
    "southamerica-east1", "southamerica-west1",
    "us-central1",
    "us-east1", "us-east4", "us-east5",
    "us-south1",
    "us-west1", "us-west2", "us-west3", "us-west4",
)  # fmt: skip

#: Azure physical regions. Source: ``az account list-locations --query "[?metadata.regionType=='Physical'].name"``
#: in the public cloud, then the same in AzureUSGovernment and AzureChinaCloud (``az cloud set``).
AZURE_REGIONS: tuple[str, ...] = (
    # Americas
    "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralus", "chilecentral",
    "eastus", "eastus2", "mexicocentral", "northcentralus", "southcentralus", "westcentralus",
    "westus", "westus2", "westus3",
    # Europe
    "austriaeast", "belgiumcentral", "denmarkeast", "francecentral", "francesouth",
    "germanynorth", "germanywestcentral", "italynorth", "northeurope", "norwayeast", "norwaywest",
    "polandcentral", "spaincentral", "swedencentral", "swedensouth", "switzerlandnorth",
    "switzerlandwest", "uksouth", "ukwest", "westeurope",
    # Asia Pacific
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast",
    "centralindia", "eastasia", "indonesiacentral", "japaneast", "japanwest", "jioindiacentral",
    "jioindiawest", "koreacentral", "koreasouth", "malaysiawest", "newzealandnorth",
    "southeastasia", "southindia", "westindia",
    # Middle East and Africa
    "israelcentral", "qatarcentral", "southafricanorth", "southafricawest", "uaecentral",
    "uaenorth",
    # Azure Government and Azure China
    "usdodcentral", "usdodeast", "usgovarizona", "usgovtexas", "usgovvirginia",
    "chinaeast", "chinaeast2", "chinaeast3", "chinanorth", "chinanorth2", "chinanorth3",
)  # fmt: skip

_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
_EXAMPLES = {
    "aws": "us-east-1 or eu-west-1",
    "azure": "westeurope or eastus",
    "gcp": "europe-west1 or us-central1",
}
_LISTED_BY = {
    "aws": "aws ec2 describe-regions --all-regions",
    "azure": "az account list-locations",
    "gcp": "gcloud compute regions list",
}


def _botocore_partitions_file() -> Path | None:
    """``partitions.json`` of the installed botocore, found without importing botocore."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    return path if path.is_file() else None


@cache
def aws_partitions() -> dict[str, tuple[str, ...]]:
    """AWS partition id (``aws``, ``aws-cn``, ``aws-us-gov`` ...) -> its regions, from botocore's
    endpoint data; empty when botocore is not installed."""
    path = _botocore_partitions_file()
    if path is None:
        return {}
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    return {
        partition["id"]: tuple(sorted(r for r in partition["regions"] if not r.endswith("-global")))
        for partition in data["partitions"]
    }


def aws_regions() -> tuple[str, ...]:
    """Every AWS region of every partition, sorted."""
    return tuple(sorted(r for regions in aws_partitions().values() for r in regions))


def regions(provider: str) -> tuple[str, ...]:
    """The regions of ``provider`` (``aws``, ``azure`` or ``gcp``)."""
    if provider == "aws":
        return aws_regions()
    return AZURE_REGIONS if provider == "azure" else GCP_REGIONS


def _closest(region: str, known: Collection[str]) -> list[str]:
    """The known regions most like ``region`` (all of those tied for the best likeness), sorted."""
    scores = {name: difflib.SequenceMatcher(None, region, name).ratio() for name in known}
    best = max(scores.values(), default=0.0)
    return sorted(n for n, score in scores.items() if score >= max(0.75, best - 0.03))


def region_refusal(provider: str, region: str) -> Refusal | None:
    """Why ``region`` is not a region of ``provider`` (with a "did you mean"), or None when it is one."""
    known = regions(provider)
    if region in known:
        return None
    name = _NAMES[provider]
    if not known:
        return Refusal(
            f"cannot be checked: no {name} region list (botocore is not installed)",
            "install dativo-infra with its dependencies (botocore)",
        )
    article = "an" if name[0] in "AEIOU" else "a"
    other = next((p for p in _NAMES if p != provider and region in regions(p)), None)
    if other is not None:
        other_article = "an" if _NAMES[other][0] in "AEIOU" else "a"
        problem = f"not {article} {name} region ({region} is {other_article} {_NAMES[other]} region)"
    else:
        problem = f"not {article} {name} region"
        close = _closest(region, known)
        if close:
            guesses = " or ".join(map(repr, close))
            return Refusal(problem, f"{article} {name} region; did you mean {guesses}?")
    return Refusal(
        problem,
        f"{article} {name} region such as {_EXAMPLES[provider]} (`{_LISTED_BY[provider]}` lists them)",
    )
