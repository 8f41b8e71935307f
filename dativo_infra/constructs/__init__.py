"""Typed runtime constructs, one per file. Importing this package imports no provider."""
