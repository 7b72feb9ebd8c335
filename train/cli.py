"""How every script ends: one line and a non-zero exit, never a traceback unless ``--debug``.

Each ``scripts/*.py`` keeps its own messages and exit codes for the failures it knows; this
wrapper catches the rest (an ``OSError`` from ``from_pretrained``, a full disk, a permission
error, a bug) and turns each into one line that names the file or model concerned::

    train.py: error: /models/x/config.json: Permission denied [PermissionError] (config configs/ner.yaml, model /models/x); run again with --debug for the traceback

    if __name__ == "__main__":
        sys.exit(run_main(main, prog="train.py", subject=lambda argv: ...))

``--debug`` anywhere in the arguments (or ``ARABIC_IE_DEBUG=1``) prints the full traceback
too; the flag is taken out before the script parses its arguments.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence

DEBUG_FLAG = "--debug"
DEBUG_ENV = "ARABIC_IE_DEBUG"
EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130


def describe(exc: BaseException) -> str:
    """One line for an exception: the file for an ``OSError``, else its first line, and its type."""
    kind = type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None:
        what = str(exc.strerror or exc)
        files = f"{exc.filename} -> {exc.filename2}" if exc.filename2 is not None else str(exc.filename)
        return f"{files}: {what} [{kind}]"
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if not lines:
        return kind
    more = " …" if len(lines) > 1 else ""
    return f"{lines[0]}{more} [{kind}]"


def option_values(argv: Sequence[str], *names: str) -> dict[str, str]:
    """The values of ``--name value`` / ``--name=value`` options in ``argv`` (the last one wins)."""
    out: dict[str, str] = {}
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                out[n.lstrip("-")] = argv[i + 1]
            elif a.startswith(n + "="):
                out[n.lstrip("-")] = a[len(n) + 1 :]
    return out


def describe_args(argv: Sequence[str], *show: str, positional: str | None = None,
                  takes_value: Sequence[str] = ()) -> str | None:
    """``positional a, b, option value`` for the subject of a failure line (files, models).

    ``show`` are the options to name; ``takes_value`` the script's other options that take a
    value, so their values are not mistaken for positional arguments.
    """
    parts: list[str] = []
    if positional:
        with_value = set(show) | set(takes_value)
        pos, skip = [], False
        for a in argv:
            if skip:
                skip = False
            elif a in with_value:
                skip = True
            elif not a.startswith("-"):
                pos.append(a)
        if pos:
            parts.append(f"{positional} {', '.join(pos)}")
    parts += [f"{k} {v}" for k, v in option_values(argv, *show).items()]
    return ", ".join(parts) or None


def debug_requested(argv: Sequence[str]) -> bool:
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def run_main(main: Callable[[list[str]], int | None], argv: Sequence[str] | None = None, *, prog: str,
             subject: Callable[[list[str]], str | None] | None = None) -> int:
    """Run a script's ``main(argv)``; any exception it lets through becomes one line on stderr.

    ``subject(argv)`` names what the run was working on (config, model, input, output); it is
    only called on failure, and a failure inside it is ignored.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(args)
    args = [a for a in args if a != DEBUG_FLAG]
    try:
        rc = main(args)
        return 0 if rc is None else int(rc)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit:  # argparse's usage errors and --help, as they are
        raise
    except Exception as exc:  # noqa: BLE001 - the point: nothing ends in a traceback
        if debug:
            traceback.print_exc()
        about = None
        if subject is not None:
            try:
                about = subject(args)
            except Exception:  # noqa: BLE001 - the subject is a courtesy
                about = None
        line = f"{prog}: error: {describe(exc)}"
        if about:
            line += f" ({about})"
        if not debug:
            line += f"; run again with {DEBUG_FLAG} for the traceback"
        print(" ".join(line.split()), file=sys.stderr)  # one line, whatever the message held
        return EXIT_UNEXPECTED
