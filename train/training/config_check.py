"""Type checks of a run configuration, before any dataclass is built or any model loaded.

``HfArgumentParser.parse_dict`` passes values to the dataclasses as they are, so a YAML
``max_seq_length: abc`` would only fail deep inside training, with a traceback. Here every
value is checked against its field's type hint and every problem is reported at once, each
naming its key. Two friendly coercions: a float field takes ``5e-5`` (which YAML reads as a
string) and a string field takes a number (``run_name: 7``).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterable
from typing import Any

_NO_VALUE = object()


class _Mismatch(Exception):
    pass


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if any(isinstance(a, type) and issubclass(a, enum.Enum) for a in args):
            args = tuple(a for a in args if a is not str)  # the string must name a member
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return f"a list of {_describe(arg)}" if arg is not Any else "a list"
    if origin is dict or hint is dict:
        return "a mapping"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in hint)
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` checked (and gently coerced) against ``hint``; raises :class:`_Mismatch`."""
    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if isinstance(value, str) and enums:
            # ``IntervalStrategy | str``: the string must still name a member.
            if any(value in {m.value for m in e} for e in enums):
                return value
            raise _Mismatch
        # Exact matches first (``str | bool`` keeps a bool a bool), then coercions.
        if any(_exact(value, arg) for arg in args):
            return value
        for arg in args:
            try:
                return _coerce(value, arg)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        raise _Mismatch
    if hint is type(None):
        if value is None:
            return None
        raise _Mismatch
    if origin is list or hint is list:
        if not isinstance(value, list):
            raise _Mismatch
        (arg,) = typing.get_args(hint) or (Any,)
        return [_coerce(v, arg) for v in value]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if isinstance(value, hint) or value in {m.value for m in hint}:
            return value
        raise _Mismatch
    return value  # a class we do not know how to check (e.g. accelerate's ParallelismConfig)


def _exact(value: Any, hint: Any) -> bool:
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (float, str):
        return isinstance(value, hint)
    if typing.get_origin(hint) is typing.Literal:
        return value in typing.get_args(hint)
    return False


def field_hints(classes: Iterable[type]) -> dict[str, Any]:
    """``{key: type hint}`` of every init field of the dataclasses."""
    out: dict[str, Any] = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.init:
                out.setdefault(f.name, hints.get(f.name, Any))
    return out


def check_types(values: dict[str, Any], classes: Iterable[type]) -> tuple[dict[str, Any], list[str]]:
    """Values checked against the fields' types: ``(coerced values, problems)``, one problem per key."""
    hints = field_hints(classes)
    out: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in values.items():
        if key not in hints:
            out[key] = value
            continue
        try:
            out[key] = _coerce(value, hints[key])
        except _Mismatch:
            problems.append(f"{key}: expected {_describe(hints[key])}, got {type(value).__name__} {value!r}")
    return out, problems


def label_map_problems(label_map: dict[str, Any] | None, types_: list[str]) -> list[str]:
    """A label map may only rename to the run's types (or drop a type with null)."""
    if not label_map:
        return []
    bad = sorted({str(v) for v in label_map.values() if v is not None and v not in types_})
    if bad:
        return [f"label_map: maps to {', '.join(bad)}, not among the run's labels ({', '.join(types_)})"]
    return []
