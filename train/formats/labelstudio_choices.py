"""Label Studio ``choices`` results as sentence-level event labels (see :mod:`train.formats.classification`)."""

from .classification import read_labelstudio as read

NAME = "labelstudio_choices"
__all__ = ["read"]
