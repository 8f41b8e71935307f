"""Types of the provider bindings for type checkers only (see dativo_infra.cdk)."""
