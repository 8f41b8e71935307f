"""Typed runtime constructs, one per file. Importing this package imports no provider; importing a
construct module imports only the provider resource modules it uses (see :mod:`.providers`)."""

from dativo_infra.constructs.providers import defer_provider_inits

defer_provider_inits()
