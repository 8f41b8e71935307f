"""Job configuration: models, dialects, loading, platform settings, asset definitions. Pure Python."""
