"""doccano text-classification JSONL as sentence-level event labels (see :mod:`train.formats.classification`)."""

from train.formats.classification import read_doccano as read

NAME = "doccano_classification"
__all__ = ["read"]
