"""Typed runtime constructs, one per file. Importing this package imports no provider; a construct
module is imported through :func:`.registry.runtime_module`, which first registers the provider packages
so that the module imports only the provider resource modules it uses (see :mod:`.providers`)."""
