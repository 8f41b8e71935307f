"""A local AWS cloud: a real moto server on 127.0.0.1, on a free port, started and stopped by us.

The server is moto's own, plus the Application Auto Scaling tagging calls moto lacks
(:mod:`dativo_infra.localcloud.moto_ext`).

Used by the main job (``make run``) and the end-to-end tests::

    with MotoServer() as cloud:
        env = cloud.environ()          # DATIVO_DEPLOY_TARGET=local, DATIVO_AWS_ENDPOINT=..., fake keys
        boto3.client("ecs", **cloud.client_kwargs("us-east-1"))
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

FAKE_KEY = "testing"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """A moto server subprocess bound to loopback. Context manager; ``stop()`` is idempotent."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> MotoServer:
        self._log_handle = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        env = {
            **os.environ,
            "MOTO_ALLOW_NONEXISTENT_REGION": "false",
            # AWS-managed policies (e.g. AmazonECSTaskExecutionRolePolicy) exist in every real account.
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dativo_infra.localcloud.moto_ext", "-H", self.host, "-p", str(self.port)],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"moto server exited with code {self._process.returncode} (log: {self.log})"
                )
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} within {timeout:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None
        if self._log_handle not in (None, subprocess.DEVNULL):
            with contextlib.suppress(OSError):
                self._log_handle.close()
        self._log_handle = None

    def warm_up(self, regions: list[str]) -> None:
        """Build moto's per-region backends before concurrent deploys hit them.

        moto creates a backend on its first use in a region (EC2's default VPC and subnets, IAM's
        ~1 000 AWS-managed policies, ...), which can stall the server for seconds. Several Terraform
        providers waiting on that stall time out and retry non-idempotent calls, which then fail
        (``InvalidGroup.Duplicate`` for a security group the first call did create). One cheap read
        per service and region, one at a time, takes that cost up front.
        """
        import boto3

        reads: dict[str, Callable[[Any], object]] = {
            "ec2": lambda c: c.describe_vpcs(),
            "ecs": lambda c: c.list_clusters(),
            "iam": lambda c: c.list_policies(Scope="AWS", MaxItems=1),
            "logs": lambda c: c.describe_log_groups(limit=1),
            "scheduler": lambda c: c.list_schedules(),
            "sqs": lambda c: c.list_queues(),
            "application-autoscaling": lambda c: c.describe_scalable_targets(ServiceNamespace="ecs"),
            "resourcegroupstaggingapi": lambda c: c.get_resources(),
        }
        for region in sorted(set(regions)):
            for service, read in reads.items():
                read(boto3.client(service, **self.client_kwargs(region)))

    def diagnostics(self, last: int = 10) -> list[str]:
        """The server's own notes from its log (5xx and slow answers), the ``last`` ones."""
        from dativo_infra.localcloud.moto_ext import LOG_PREFIX

        if self.log is None or not self.log.is_file():
            return []
        with open(self.log, encoding="utf-8", errors="replace") as handle:
            return [line.rstrip() for line in handle if line.startswith(LOG_PREFIX)][-last:]

    def environ(self) -> dict[str, str]:
        """Variables that point the stacks' AWS provider (and boto3) at this server."""
        return {
            "DATIVO_DEPLOY_TARGET": "local",
            "DATIVO_AWS_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client_kwargs(self, region: str) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint,
            "region_name": region,
            "aws_access_key_id": FAKE_KEY,
            "aws_secret_access_key": FAKE_KEY,
        }

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
