"""Regions per cloud: AWS from botocore's endpoint data (read without importing botocore), GCP and
Azure from the lists kept in dativo_infra.clouds.regions; a region of another cloud or a typo is
refused with what is allowed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dativo_infra.clouds import Refusal
from dativo_infra.clouds.regions import (
    AZURE_REGIONS,
    GCP_REGIONS,
    aws_partitions,
    aws_regions,
    region_refusal,
)


def test_aws_regions_come_from_botocore_without_importing_it() -> None:
    code = (
        "import sys; from dativo_infra.clouds.regions import aws_regions; regions = aws_regions(); "
        "assert 'us-east-1' in regions and 'cn-north-1' in regions and 'us-gov-west-1' in regions; "
        "assert not any(r.endswith('-global') for r in regions); assert 'botocore' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert set(aws_partitions()) >= {"aws", "aws-cn", "aws-us-gov"}
    assert aws_regions() == tuple(sorted(set(aws_regions())))


@pytest.mark.parametrize(
    ("provider", "region"),
    [
        ("aws", "us-east-1"),
        ("aws", "eu-west-1"),
        ("azure", "westeurope"),
        ("azure", "northeurope"),
        ("azure", "eastus"),
        ("gcp", "europe-west1"),
        ("gcp", "us-central1"),
        ("gcp", "europe-north2"),
    ],
)
def test_regions_of_the_examples(provider: str, region: str) -> None:
    assert region_refusal(provider, region) is None


def test_lists_hold_no_duplicates_and_look_like_regions() -> None:
    for regions in (GCP_REGIONS, AZURE_REGIONS):
        assert len(set(regions)) == len(regions)
    assert all(r.islower() and r.isalnum() for r in AZURE_REGIONS)
    assert all(r.count("-") == 1 and r[-1].isdigit() for r in GCP_REGIONS)


@pytest.mark.parametrize(
    ("provider", "region", "refusal"),
    [
        ("aws", "eu-wset-1", Refusal("not an AWS region", "an AWS region; did you mean 'eu-west-1'?")),
        (
            "aws",
            "us-est-1",
            Refusal("not an AWS region", "an AWS region; did you mean 'us-east-1' or 'us-west-1'?"),
        ),
        (
            "aws",
            "mars-north-9",
            Refusal(
                "not an AWS region",
                "an AWS region such as us-east-1 or eu-west-1 (`aws ec2 describe-regions --all-regions` lists them)",
            ),
        ),
        (
            "azure",
            "us-east-1",
            Refusal(
                "not an Azure region (us-east-1 is an AWS region)",
                "an Azure region such as westeurope or eastus (`az account list-locations` lists them)",
            ),
        ),
        (
            "aws",
            "westeurope",
            Refusal(
                "not an AWS region (westeurope is an Azure region)",
                "an AWS region such as us-east-1 or eu-west-1 (`aws ec2 describe-regions --all-regions` lists them)",
            ),
        ),
        (
            "gcp",
            "eu-west-1",
            Refusal(
                "not a GCP region (eu-west-1 is an AWS region)",
                "a GCP region such as europe-west1 or us-central1 (`gcloud compute regions list` lists them)",
            ),
        ),
        (
            "azure",
            "west-europe",
            Refusal("not an Azure region", "an Azure region; did you mean 'westeurope'?"),
        ),
        ("gcp", "us-centrall1", Refusal("not a GCP region", "a GCP region; did you mean 'us-central1'?")),
    ],
)
def test_regions_refused(provider: str, region: str, refusal: Refusal) -> None:
    assert region_refusal(provider, region) == refusal
