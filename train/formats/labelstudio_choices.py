"""Label Studio ``choices`` results as sentence-level event labels (see :mod:`train.formats.classification`)."""

from train.formats.classification import read_labelstudio as read

NAME = "labelstudio_choices"
__all__ = ["read"]
