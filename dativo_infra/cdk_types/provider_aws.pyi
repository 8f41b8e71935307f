"""For type checkers only: the aws binding modules the app uses, typed as the cdktf bindings (at run time
``dativo_infra.cdk.provider_aws`` imports them from the selected library). Add a module here when a
construct starts using it."""

from cdktf_cdktf_provider_aws import (
    appautoscaling_policy as appautoscaling_policy,
)
from cdktf_cdktf_provider_aws import (
    appautoscaling_target as appautoscaling_target,
)
from cdktf_cdktf_provider_aws import (
    autoscaling_group as autoscaling_group,
)
from cdktf_cdktf_provider_aws import (
    cloudwatch_log_group as cloudwatch_log_group,
)
from cdktf_cdktf_provider_aws import (
    data_aws_caller_identity as data_aws_caller_identity,
)
from cdktf_cdktf_provider_aws import (
    data_aws_partition as data_aws_partition,
)
from cdktf_cdktf_provider_aws import (
    data_aws_subnet as data_aws_subnet,
)
from cdktf_cdktf_provider_aws import (
    data_aws_subnets as data_aws_subnets,
)
from cdktf_cdktf_provider_aws import (
    data_aws_vpc as data_aws_vpc,
)
from cdktf_cdktf_provider_aws import (
    ecs_cluster as ecs_cluster,
)
from cdktf_cdktf_provider_aws import (
    ecs_cluster_capacity_providers as ecs_cluster_capacity_providers,
)
from cdktf_cdktf_provider_aws import (
    ecs_service as ecs_service,
)
from cdktf_cdktf_provider_aws import (
    ecs_task_definition as ecs_task_definition,
)
from cdktf_cdktf_provider_aws import (
    iam_role as iam_role,
)
from cdktf_cdktf_provider_aws import (
    iam_role_policy as iam_role_policy,
)
from cdktf_cdktf_provider_aws import (
    iam_role_policy_attachment as iam_role_policy_attachment,
)
from cdktf_cdktf_provider_aws import (
    lb as lb,
)
from cdktf_cdktf_provider_aws import (
    lb_listener as lb_listener,
)
from cdktf_cdktf_provider_aws import (
    lb_target_group as lb_target_group,
)
from cdktf_cdktf_provider_aws import (
    provider as provider,
)
from cdktf_cdktf_provider_aws import (
    s3_bucket as s3_bucket,
)
from cdktf_cdktf_provider_aws import (
    s3_bucket_versioning as s3_bucket_versioning,
)
from cdktf_cdktf_provider_aws import (
    scheduler_schedule as scheduler_schedule,
)
from cdktf_cdktf_provider_aws import (
    security_group as security_group,
)
from cdktf_cdktf_provider_aws import (
    sfn_state_machine as sfn_state_machine,
)
from cdktf_cdktf_provider_aws import (
    sqs_queue as sqs_queue,
)
from cdktf_cdktf_provider_aws import (
    vpc_security_group_egress_rule as vpc_security_group_egress_rule,
)
from cdktf_cdktf_provider_aws import (
    vpc_security_group_ingress_rule as vpc_security_group_ingress_rule,
)
