"""For type checkers only: the azurerm binding modules the app uses, typed as the cdktf bindings (at run time
``dativo_infra.cdk.provider_azurerm`` imports them from the selected library). Add a module here when a
construct starts using it."""

from cdktf_cdktf_provider_azurerm import (
    container_app as container_app,
)
from cdktf_cdktf_provider_azurerm import (
    container_app_environment as container_app_environment,
)
from cdktf_cdktf_provider_azurerm import (
    container_app_environment_storage as container_app_environment_storage,
)
from cdktf_cdktf_provider_azurerm import (
    container_app_job as container_app_job,
)
from cdktf_cdktf_provider_azurerm import (
    data_azurerm_container_app_environment as data_azurerm_container_app_environment,
)
from cdktf_cdktf_provider_azurerm import (
    data_azurerm_resource_group as data_azurerm_resource_group,
)
from cdktf_cdktf_provider_azurerm import (
    data_azurerm_storage_account as data_azurerm_storage_account,
)
from cdktf_cdktf_provider_azurerm import (
    data_azurerm_user_assigned_identity as data_azurerm_user_assigned_identity,
)
from cdktf_cdktf_provider_azurerm import (
    log_analytics_workspace as log_analytics_workspace,
)
from cdktf_cdktf_provider_azurerm import (
    management_lock as management_lock,
)
from cdktf_cdktf_provider_azurerm import (
    provider as provider,
)
from cdktf_cdktf_provider_azurerm import (
    resource_group as resource_group,
)
from cdktf_cdktf_provider_azurerm import (
    role_assignment as role_assignment,
)
from cdktf_cdktf_provider_azurerm import (
    user_assigned_identity as user_assigned_identity,
)
