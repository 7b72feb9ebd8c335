"""A model folder or Hub name to records: backends, precision, tagging, thresholds, records, writers.

Nothing here imports :mod:`train.training` (see docs/architecture.md)."""
