"""GCP rules, stated once: Cloud Run sizes and timeouts, bucket names, secret references, resource
names, schedules.

The GCP runtime model validates with these and the construct builds with the same functions.
Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from dativo_infra.clouds import WILDCARD_PROBLEM, Refusal, has_control, has_wildcard
from dativo_infra.clouds.cron import check_unix_cron
from dativo_infra.naming import NameRule

#: Cloud Run cpus (fractions below 1 only with concurrency 1, not offered here), in millicores.
CPU_MILLICORES: tuple[int, ...] = (1000, 2000, 4000, 6000, 8000)
#: Cloud Run memory bounds (MiB) per cpu: more memory needs more cpus, big cpus need a floor.
MEMORY_MIB: dict[int, tuple[int, int]] = {
    1000: (512, 4096),
    2000: (512, 8192),
    4000: (2048, 16384),
    6000: (4096, 24576),
    8000: (4096, 32768),
}
#: Cloud Run's longest request timeout for a service (jobs allow up to 86400 s per task).
SERVICE_MAX_TIMEOUT_SECONDS = 3600
#: Cloud Scheduler cron: day-of-week 0-7 (0 and 7 are Sunday).
MAX_WEEKDAY = 7
#: Project ids: 6-30 of lowercase letters, digits and hyphens, starting with a letter.
PROJECT_ID_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
#: A bare Cloud Storage bucket name (no ``gs://``, no object path); dotted names may be longer.
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_IP_ADDRESS_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
BUCKET_EXPECTED = "a bucket name such as 'acme-raw' (3-63 of a-z 0-9 - _ ., no gs://, no /)"
#: Secret Manager secret ids: 1-255 of letters, digits, '_' and '-'.
_SECRET_ID = r"[A-Za-z0-9_-]{1,255}"
#: A project in a resource name: its id, or its number.
_PROJECT = r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})"
#: A version: ``latest``, a version number or a version alias.
_VERSION = r"(?:latest|[1-9][0-9]{0,18}|[A-Za-z][A-Za-z0-9_-]{0,62})"
_SECRET_RE = re.compile(
    rf"(?P<secret>(?:projects/{_PROJECT}/secrets/)?{_SECRET_ID})(?:/versions/(?P<version>{_VERSION}))?"
)
SECRET_EXPECTED = (
    "a Secret Manager secret: projects/<project>/secrets/<id> or <id> (1-255 letters, digits, '_' or '-'), "
    "optionally /versions/<latest, a number or an alias>"
)
#: The display name of a service account is at most 100 characters.
DISPLAY_NAME_MAX = 100


def check_schedule(expression: str) -> None:
    """Raise :class:`~dativo_infra.clouds.cron.CronError` unless Cloud Scheduler takes ``expression``."""
    check_unix_cron(expression, MAX_WEEKDAY)


def is_bucket_name(bucket: str) -> bool:
    """Whether ``bucket`` is a bare bucket name: 3-63 characters, up to 222 when dotted with each
    dot-separated part at most 63; not an IP address, no ``goog`` prefix, no ``google`` inside."""
    return (
        _BUCKET_RE.fullmatch(bucket) is not None
        and ("." in bucket or len(bucket) <= 63)
        and all(len(part) <= 63 for part in bucket.split("."))
        and not _IP_ADDRESS_RE.fullmatch(bucket)
        and not bucket.startswith("goog")
        and "google" not in bucket
    )


def bucket_refusal(bucket: str) -> Refusal | None:
    """Why ``bucket`` is not a bare Cloud Storage bucket name, or None."""
    if has_wildcard(bucket):
        return Refusal(WILDCARD_PROBLEM, BUCKET_EXPECTED)
    return None if is_bucket_name(bucket) else Refusal("not a bare bucket name", BUCKET_EXPECTED)


def secret_refusal(reference: str) -> Refusal | None:
    """Why ``reference`` is not a Secret Manager secret (``[projects/<p>/secrets/]<id>[/versions/<v>]``)."""
    if has_wildcard(reference):
        return Refusal(WILDCARD_PROBLEM, SECRET_EXPECTED)
    return (
        None if _SECRET_RE.fullmatch(reference) else Refusal("not a Secret Manager secret", SECRET_EXPECTED)
    )


def split_secret(reference: str) -> tuple[str, str]:
    """``projects/p/secrets/s[/versions/v]`` or ``s[/versions/v]`` -> (secret, version); the version
    is ``latest`` when the reference names none. Raises ``ValueError`` for a reference
    :func:`secret_refusal` refuses (validation reports those first)."""
    match = _SECRET_RE.fullmatch(reference)
    if match is None or has_wildcard(reference):
        raise ValueError(f"not a Secret Manager secret: {reference!r}")
    return match["secret"], match["version"] or "latest"


def run_job_uri(project_id: str, region: str, job_name: str) -> str:
    """Cloud Run Admin API v2 URL that starts one execution of a job."""
    return f"https://run.googleapis.com/v2/projects/{project_id}/locations/{region}/jobs/{job_name}:run"


# --- names ---------------------------------------------------------------------------------------
#: Service account ids: 6-30 characters, ``[a-z][-a-z0-9]*[a-z0-9]`` (IAM CreateServiceAccount).
SERVICE_ACCOUNT = NameRule(max_len=30, min_len=6, start_letter=True)
#: Cloud Run service and job names: lowercase letters, digits and '-', starting with a letter, not
#: ending with '-'. The API accepts 63 characters; 49 leaves room for the revision / execution
#: suffix Cloud Run appends (gcloud rejects longer service names).
CLOUD_RUN = NameRule(max_len=49, start_letter=True)
#: Cloud Scheduler job ids: letters, digits, '-' and '_', at most 500 characters.
SCHEDULER_JOB = NameRule(max_len=500, lowercase=False, allowed="a-zA-Z0-9_-")


@dataclass(frozen=True)
class GcpNames:
    """The cloud names of one job's resources, all derived from the stack name."""

    #: Runtime service account id (``<stack>-run``, 6-30 chars).
    service_account_id: str
    #: Scheduler invoker service account id (``<stack>-sched``, 6-30 chars).
    scheduler_account_id: str
    #: Cloud Run service or job name (<= 49 chars).
    cloud_run: str
    #: Cloud Scheduler job id (<= 500 chars).
    scheduler_job: str


def resource_names(stack: str) -> GcpNames:
    """Deterministic, valid GCP names derived from ``stack`` (the stack name).

    The two service accounts end in different suffixes so the runtime account of one job can never
    take the id of another job's scheduler account (``acme-x-sched`` vs ``acme-x`` + ``-sched``).
    """
    return GcpNames(
        service_account_id=_account_id(stack, "run"),
        scheduler_account_id=_account_id(stack, "sched"),
        cloud_run=CLOUD_RUN.make(stack),
        scheduler_job=SCHEDULER_JOB.make(stack),
    )


def _account_id(name: str, suffix: str) -> str:
    """``<name>-<suffix>`` as a service account id; a long name is cut (and hashed) before the suffix,
    so the suffix stays readable. The result passes through :data:`SERVICE_ACCOUNT` once more."""
    base_rule = replace(SERVICE_ACCOUNT, min_len=1, max_len=SERVICE_ACCOUNT.max_len - len(suffix) - 1)
    return SERVICE_ACCOUNT.make(base_rule.make(name), suffix)


# --- invokers (IAM members of roles/run.invoker on a service) -------------------------------------
#: The members that make a service public; granted only when a job lists them by name.
PUBLIC_MEMBERS: tuple[str, ...] = ("allUsers", "allAuthenticatedUsers")
_EMAIL = r"[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
_DOMAIN = r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
#: A pool id, subject, group id or attribute value in a principal identifier (no '/', no wildcard).
_PART = r"[A-Za-z0-9._@:+=-]{1,127}"
_POOL = rf"(?:locations/global/workforcePools/{_PART}|projects/[0-9]{{1,20}}/locations/global/workloadIdentityPools/{_PART})"
#: IAM v1 allow-policy principal identifiers (cloud.google.com/iam/docs/principal-identifiers),
#: without the wildcard form ``principalSet://.../<pool>/*`` (a job names exact principals).
_MEMBER_RE = re.compile(
    rf"(?:user|serviceAccount|group):{_EMAIL}"
    rf"|domain:{_DOMAIN}"
    rf"|principal://iam\.googleapis\.com/{_POOL}/subject/{_PART}"
    rf"|principalSet://iam\.googleapis\.com/{_POOL}/(?:group/{_PART}|attribute\.[A-Za-z0-9_]{{1,63}}/{_PART})"
    r"|principalSet://cloudresourcemanager\.googleapis\.com/(?:projects|folders|organizations)/[0-9]{1,20}"
    r"/type/ServiceAccount"
    r"|allUsers|allAuthenticatedUsers"
)
MEMBER_EXPECTED = (
    "an IAM member: user:<email>, serviceAccount:<email>, group:<email>, domain:<domain>, "
    "principal://iam.googleapis.com/... or principalSet://... (no wildcard), allUsers or allAuthenticatedUsers"
)


def member_refusal(member: str) -> Refusal | None:
    """Why ``member`` is not an IAM allow-policy member a job may grant, or None."""
    if has_wildcard(member):
        return Refusal(WILDCARD_PROBLEM, MEMBER_EXPECTED)
    return None if _MEMBER_RE.fullmatch(member) else Refusal("not an IAM member", MEMBER_EXPECTED)


# --- storage prefixes (IAM conditions on the object name) -----------------------------------------
#: Cloud Storage object names are at most 1024 bytes of UTF-8.
MAX_OBJECT_NAME_BYTES = 1024
PREFIX_EXPECTED = (
    "an object name prefix such as 'raw/orders/' (no leading '/', no '*', '?', '${', quote, backslash "
    f"or control character; at most {MAX_OBJECT_NAME_BYTES} bytes)"
)


def prefix_refusal(prefix: str) -> Refusal | None:
    """Why ``prefix`` cannot limit a bucket grant (it becomes a CEL string literal in an IAM
    condition, so a quote or a backslash would end or escape it), or None."""
    if has_wildcard(prefix):
        return Refusal(WILDCARD_PROBLEM, PREFIX_EXPECTED)
    if has_control(prefix) or '"' in prefix or "'" in prefix or "\\" in prefix:
        return Refusal("holds a quote, backslash or control character", PREFIX_EXPECTED)
    if prefix.startswith("/"):
        return Refusal(
            "an object prefix does not start with '/' (gs://b/a/ is the prefix 'a/')", PREFIX_EXPECTED
        )
    if len(prefix.encode()) > MAX_OBJECT_NAME_BYTES:
        return Refusal(f"longer than an object name ({MAX_OBJECT_NAME_BYTES} bytes)", PREFIX_EXPECTED)
    return None


def prefix_condition(bucket: str, prefix: str) -> str:
    """The IAM condition (CEL) that limits a bucket role to objects whose name starts with ``prefix``.

    Object permissions (get, create, delete, ...) are checked on the object, whose resource name is
    ``projects/_/buckets/<bucket>/objects/<name>``. ``storage.objects.list`` is checked on the bucket, so
    the second half allows a list request only when its ``prefix`` parameter starts with ``prefix``
    (the ``storage.googleapis.com/objectListPrefix`` request attribute); a list of the whole bucket is
    denied. Both values were checked by :func:`bucket_refusal` and :func:`prefix_refusal`."""
    return (
        f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{prefix}")'
        f' || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{prefix}")'
    )


# --- Cloud Scheduler retries (hashicorp/google 6.50.0 google_cloud_scheduler_job; Scheduler v1 API) -------
#: ``retry_config.retry_count``: "Values greater than 5 and negative values are not allowed."
SCHEDULER_MAX_RETRY_COUNT = 5
#: ``attempt_deadline`` of an HTTP target: "between 15 seconds and 30 minutes".
SCHEDULER_HTTP_ATTEMPT_DEADLINE_SECONDS: tuple[int, int] = (15, 1800)
#: Longest backoff or retry window a job may ask for: a day (the platform's bound, not the API's: a
#: longer one outlives any daily schedule it retries for).
SCHEDULER_MAX_BACKOFF_SECONDS = 86400
#: Most doublings of the backoff a job may ask for (the platform's bound, not the API's: 5 s doubled
#: 16 times is over three days, past any useful retry).
SCHEDULER_MAX_DOUBLINGS = 16
#: Predefined Cloud Storage roles per access level of a storage grant
#: (cloud.google.com/storage/docs/access-control/iam-roles): objectViewer = get + list; objectCreator =
#: create only (no read, no delete, so no overwrite of an existing object); objectUser = create, get,
#: list, update, delete (no ACL / IAM management).
STORAGE_ROLES: dict[str, str] = {
    "read": "roles/storage.objectViewer",
    "write": "roles/storage.objectCreator",
    "read_write": "roles/storage.objectUser",
}
#: The role that lets a principal start a Cloud Run job or call a Cloud Run service.
RUN_INVOKER_ROLE = "roles/run.invoker"


# --- extra roles (permissions.roles; hashicorp/google 6.50.0 *_iam_member resources) -----------------
#: A predefined role ``roles/<service>.<name>`` (or a basic role ``roles/<name>``), a project custom role
#: ``projects/<project>/roles/<id>`` or an organization custom role ``organizations/<n>/roles/<id>``
#: (custom role ids: 3-64 of letters, digits, '_' and '.').
_ROLE_RE = re.compile(
    r"roles/[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)*"
    rf"|projects/{_PROJECT}/roles/[A-Za-z0-9_.]{{3,64}}"
    r"|organizations/[0-9]{1,20}/roles/[A-Za-z0-9_.]{3,64}"
)
ROLE_EXPECTED = (
    "an exact IAM role: roles/<service>.<name> such as 'roles/bigquery.jobUser', or a custom role "
    "projects/<project>/roles/<id> or organizations/<number>/roles/<id> (no '*', '?' or '${')"
)
#: The roles a job may not grant its own service account unless the platform setting
#: ``gcp.allowed_privileged_roles`` names them: the basic roles that can do (almost) anything, and the
#: roles that manage IAM or act as another identity (a job holding one could grant itself more, or
#: become an account with more). The one list: the model refuses with it, the README cites it.
PRIVILEGED_ROLES: tuple[str, ...] = (
    "roles/owner",
    "roles/editor",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityUser",
)
#: Role families that are privileged as a whole: every IAM and Resource Manager admin role
#: (roles/iam.securityAdmin, roles/iam.roleAdmin, roles/resourcemanager.projectIamAdmin, ...).
_PRIVILEGED_FAMILY_RE = re.compile(r"roles/(?:iam|resourcemanager)\.[A-Za-z0-9_.]*Admin")
PRIVILEGED_EXPECTED = (
    "a role that does not own the project, manage IAM or act as another identity, or the role named in "
    "the platform setting gcp.allowed_privileged_roles (jobs/platform.yaml)"
)


def role_refusal(role: str) -> Refusal | None:
    """Why ``role`` is not one exact IAM role, or None."""
    if has_wildcard(role):
        return Refusal(WILDCARD_PROBLEM, ROLE_EXPECTED)
    return None if _ROLE_RE.fullmatch(role) else Refusal("not an IAM role", ROLE_EXPECTED)


def is_privileged_role(role: str) -> bool:
    """Whether ``role`` is in :data:`PRIVILEGED_ROLES` or an IAM / Resource Manager admin role."""
    return role in PRIVILEGED_ROLES or _PRIVILEGED_FAMILY_RE.fullmatch(role) is not None


def privilege_refusal(role: str, allowed: Collection[str]) -> Refusal | None:
    """Why a job may not grant the privileged ``role`` (unless ``allowed`` names it), or None."""
    if is_privileged_role(role) and role not in allowed:
        return Refusal(
            "a privileged role (owns the project, manages IAM or acts as another identity)",
            PRIVILEGED_EXPECTED,
        )
    return None


#: The resource a role is granted on: ``datasets/<id>`` or ``projects/<p>/datasets/<id>`` (BigQuery),
#: ``topics/<id>`` or ``projects/<p>/topics/<id>`` (Pub/Sub), ``buckets/<name>`` (Cloud Storage).
#: Dataset ids: 1-1024 of letters, digits, '_'. Topic ids: 3-255, starting with a letter, of letters,
#: digits and - _ . ~ + (no '%': it would open a Terraform template), not starting with 'goog'.
_ROLE_RESOURCE_RE = re.compile(
    rf"(?:projects/(?P<project>{_PROJECT})/)?(?P<kind>datasets|topics)/(?P<id>[A-Za-z0-9_.~+-]{{1,1024}})"
    r"|buckets/(?P<bucket>[^/]+)"
)
_DATASET_ID_RE = re.compile(r"[A-Za-z0-9_]{1,1024}")
_TOPIC_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.~+-]{2,254}")
ROLE_RESOURCE_EXPECTED = (
    "a BigQuery dataset [projects/<project>/]datasets/<id>, a Pub/Sub topic [projects/<project>/]topics/<id> "
    "or a bucket buckets/<name> (no '*', '?' or '${'); without a project: the job's project_id"
)


@dataclass(frozen=True)
class RoleResource:
    """A resource a role is granted on: ``kind`` dataset, topic or bucket; ``project`` None: the job's."""

    kind: str
    name: str
    project: str | None = None


def parse_role_resource(resource: str) -> RoleResource | Refusal:
    """The resource named by ``resource``, or why it names none."""
    if has_wildcard(resource):
        return Refusal(WILDCARD_PROBLEM, ROLE_RESOURCE_EXPECTED)
    match = _ROLE_RESOURCE_RE.fullmatch(resource)
    if match is None:
        return Refusal("not a dataset, topic or bucket", ROLE_RESOURCE_EXPECTED)
    if match["bucket"] is not None:
        if not is_bucket_name(match["bucket"]):
            return Refusal("not a bare bucket name", BUCKET_EXPECTED)
        return RoleResource("bucket", match["bucket"])
    kind, name = match["kind"][:-1], match["id"]
    if kind == "dataset" and not _DATASET_ID_RE.fullmatch(name):
        return Refusal("not a BigQuery dataset id (letters, digits and '_')", ROLE_RESOURCE_EXPECTED)
    if kind == "topic" and (not _TOPIC_ID_RE.fullmatch(name) or name.startswith("goog")):
        return Refusal(
            "not a Pub/Sub topic id (3-255, starting with a letter, not with 'goog')", ROLE_RESOURCE_EXPECTED
        )
    return RoleResource(kind, name, match["project"])


# --- an existing service account -------------------------------------------------------------------
#: A service account email: a user-managed account ``<id>@<project>.iam.gserviceaccount.com``, or a
#: default account ``<number>-compute@developer.gserviceaccount.com`` / ``<project>@appspot.gserviceaccount.com``.
_SERVICE_ACCOUNT_EMAIL_RE = re.compile(
    rf"[a-z][a-z0-9-]{{4,28}}[a-z0-9]@{_PROJECT}\.iam\.gserviceaccount\.com"
    r"|[0-9]{1,20}-compute@developer\.gserviceaccount\.com"
    rf"|{_PROJECT}@appspot\.gserviceaccount\.com"
)
SERVICE_ACCOUNT_EMAIL_EXPECTED = (
    "a service account email <id>@<project>.iam.gserviceaccount.com (id 6-30 of a-z 0-9 -), "
    "<number>-compute@developer.gserviceaccount.com or <project>@appspot.gserviceaccount.com"
)


def service_account_email_refusal(email: str) -> Refusal | None:
    """Why ``email`` is not a service account email, or None."""
    if has_wildcard(email):
        return Refusal(WILDCARD_PROBLEM, SERVICE_ACCOUNT_EMAIL_EXPECTED)
    if _SERVICE_ACCOUNT_EMAIL_RE.fullmatch(email) is None:
        return Refusal("not a service account email", SERVICE_ACCOUNT_EMAIL_EXPECTED)
    return None
