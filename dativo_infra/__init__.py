"""dativo_infra: ingestion-job YAML files -> per-job CDK for Terraform stacks.

Importing this package (or anything under ``config``, ``tags``, ``render``, ``cli``) never imports
cdktf or jsii; only ``dativo_infra.stacks`` and ``dativo_infra.constructs`` do.
"""

__version__ = "0.1.0"
