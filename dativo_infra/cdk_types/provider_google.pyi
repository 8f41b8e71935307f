"""For type checkers only: the google binding modules the app uses, typed as the cdktf bindings (at run time
``dativo_infra.cdk.provider_google`` imports them from the selected library). Add a module here when a
construct starts using it."""

from cdktf_cdktf_provider_google import (
    bigquery_dataset_iam_member as bigquery_dataset_iam_member,
)
from cdktf_cdktf_provider_google import (
    cloud_run_v2_job as cloud_run_v2_job,
)
from cdktf_cdktf_provider_google import (
    cloud_run_v2_job_iam_member as cloud_run_v2_job_iam_member,
)
from cdktf_cdktf_provider_google import (
    cloud_run_v2_service as cloud_run_v2_service,
)
from cdktf_cdktf_provider_google import (
    cloud_run_v2_service_iam_member as cloud_run_v2_service_iam_member,
)
from cdktf_cdktf_provider_google import (
    cloud_scheduler_job as cloud_scheduler_job,
)
from cdktf_cdktf_provider_google import (
    compute_instance as compute_instance,
)
from cdktf_cdktf_provider_google import (
    data_google_project as data_google_project,
)
from cdktf_cdktf_provider_google import (
    kms_crypto_key_iam_member as kms_crypto_key_iam_member,
)
from cdktf_cdktf_provider_google import (
    project as project,
)
from cdktf_cdktf_provider_google import (
    project_iam_member as project_iam_member,
)
from cdktf_cdktf_provider_google import (
    provider as provider,
)
from cdktf_cdktf_provider_google import (
    pubsub_topic_iam_member as pubsub_topic_iam_member,
)
from cdktf_cdktf_provider_google import (
    secret_manager_secret_iam_member as secret_manager_secret_iam_member,
)
from cdktf_cdktf_provider_google import (
    service_account as service_account,
)
from cdktf_cdktf_provider_google import (
    storage_bucket as storage_bucket,
)
from cdktf_cdktf_provider_google import (
    storage_bucket_iam_member as storage_bucket_iam_member,
)
