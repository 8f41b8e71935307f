"""Terraform stacks. Importing ``dativo_infra.stacks.job_stack`` imports cdktf (not the providers)."""
