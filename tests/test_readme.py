"""The README stays honest: every command it shows (and every command of the ``docs/`` pages)
names a script, ``make`` target, variable and option that exists, it stays short enough to read
top to bottom, and neither it nor ``docs/`` speaks of the project's history (issue numbers belong
in the tracker, not in a user's path).

Options are checked against each script's own ``--help`` (run once per script and sub-command);
``scripts/train.py`` takes any configuration key as ``--key value``, so its options, and those
``make train ARGS="..."`` passes on to it, are checked against the configuration's known keys.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_WORDS = 1500
SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.M | re.S)
SCRIPT = re.compile(r"^(?:\S*/)?scripts/([\w-]+)\.py$")
OPTION = re.compile(r"--[A-Za-z][\w-]*")
SEPARATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "&"}
# History in a user's page: "issue 15", "issues 4 and 8", "#12" (not a role mark such as CONSULT#1).
HISTORY = re.compile(r"\bissues?\s+#?\d+|(?<![\w/#])#\d+\b", re.I)


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def shell_blocks(markdown: str) -> list[str]:
    """The bodies of the fenced code blocks a reader would paste into a shell."""
    return [body for lang, body in FENCE.findall(markdown) if lang.lower() in SHELL_LANGUAGES]


def command_lines(block: str) -> list[list[str]]:
    """Each command of a block as shell words, continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", block)
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # not shell (pasted output with an apostrophe): plain words
            words = line.split()
        current: list[str] = []
        for w in words:
            if w in SEPARATORS:
                commands.append(current)
                current = []
            else:
                current.append(w)
        commands.append(current)
    return [c for c in commands if c]


@functools.cache
def help_text(script: str, sub: str | None = None) -> str:
    """``scripts/SCRIPT.py [SUB] --help``, run once per script and sub-command."""
    argv = [python(), str(ROOT / "scripts" / f"{script}.py"), *([sub] if sub else []), "--help"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, f"{' '.join(argv[1:])} failed: {done.stderr.strip()[-500:]}"
    return done.stdout


def help_options(script: str, sub: str | None = None) -> frozenset[str]:
    """The options a script's (or sub-command's) ``--help`` lists."""
    return frozenset(OPTION.findall(help_text(script, sub)))


def subcommands(script: str) -> frozenset[str]:
    """A script's sub-commands: the ``{a,b,c}`` argparse lists first under its positional arguments."""
    found = re.search(r"^positional arguments:\n\s+\{([\w,-]+)\}", help_text(script), re.M)
    return frozenset(found.group(1).split(",")) if found else frozenset()


@functools.cache
def train_keys() -> frozenset[str]:
    """``scripts/train.py`` takes every configuration key as ``--key``: the keys the config accepts."""
    code = "import json; from train.training.config import known_keys; print(json.dumps(sorted(known_keys())))"
    done = subprocess.run([python(), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-500:]
    return frozenset(f"--{k}" for k in json.loads(done.stdout))


def makefile_targets_and_variables() -> tuple[set[str], set[str]]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets: set[str] = set()
    for line in text.splitlines():
        rule = re.match(r"^([^\s#:=][^:=]*?):(?![=])", line)
        if rule and not line.startswith("\t"):
            targets.update(t for t in rule.group(1).split() if not t.startswith("$"))
    variables = set(re.findall(r"\$[({](\w+)[)}]", text)) | set(re.findall(r"^(\w+)\s*[?:+]?=", text, re.M))
    return targets, variables


def option_names(words: list[str]) -> list[str]:
    return [w.split("=", 1)[0] for w in words if OPTION.fullmatch(w.split("=", 1)[0])]


def check_script(words: list[str]) -> list[str]:
    """Problems with one ``scripts/NAME.py ...`` command: the script, its sub-command, its options."""
    name = SCRIPT.match(words[0]).group(1)  # type: ignore[union-attr]
    shown = " ".join(words)
    if not (ROOT / "scripts" / f"{name}.py").is_file():
        return [f"scripts/{name}.py does not exist: {shown}"]
    args = words[1:]
    passed_on: list[str] = []
    if "--" in args:  # train_set.py: what follows -- reaches every task's train.py
        args, passed_on = args[: args.index("--")], args[args.index("--") + 1:]
    problems = []
    if name == "train":
        known = train_keys()
    else:
        subs = subcommands(name)
        sub = next((a for a in args if not a.startswith("-") and a in subs), None)
        if subs and sub is None:
            problems.append(f"scripts/{name}.py needs one of the sub-commands {sorted(subs)}: {shown}")
        known = help_options(name) | (help_options(name, sub) if sub else frozenset())
    what = "configuration key {}" if name == "train" else "option --{} (not in its --help)"
    problems += [f"scripts/{name}.py has no {what.format(opt[2:])}: {shown}"
                 for opt in option_names(args) if opt not in known]
    problems += [f"scripts/train.py has no configuration key {opt[2:]}: {shown}"
                 for opt in option_names(passed_on) if opt not in train_keys()]
    return problems


def check_make(words: list[str]) -> list[str]:
    """Problems with one ``make ...`` command: its targets and the variables it sets."""
    targets, variables = makefile_targets_and_variables()
    problems = []
    shown = " ".join(words)
    for w in words[1:]:
        if w.startswith("-"):
            continue
        if "=" in w:
            var, value = w.split("=", 1)
            if var not in variables:
                problems.append(f"make variable {var} is not used by the Makefile: {shown}")
            elif var == "ARGS":  # make train hands ARGS to every task's scripts/train.py
                problems += [f"make train ARGS: scripts/train.py has no configuration key {opt[2:]}: {shown}"
                             for opt in option_names(shlex.split(value)) if opt not in train_keys()]
        elif w not in targets:
            problems.append(f"make target {w} is not in the Makefile: {shown}")
    return problems


def check_commands(markdown: str) -> list[str]:
    """Every problem with the scripts, make targets, variables and options the shell blocks name."""
    problems = []
    for block in shell_blocks(markdown):
        for words in command_lines(block):
            for i, w in enumerate(words):
                if SCRIPT.match(w):
                    problems += check_script(words[i:])
                    break
                if w == "make" and all("=" in x for x in words[:i]):
                    problems += check_make(words[i:])
                    break
    return problems


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_commands_name_scripts_targets_and_options_that_exist():
    problems = check_commands(readme())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_docs_commands_name_scripts_targets_and_options_that_exist(page):
    """The reference pages the README sends a reader to are held to the same check."""
    problems = check_commands(page.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_readme_shows_the_main_commands():
    """The user's path: set up, annotate, train the set, publish it, run it by one name."""
    blocks = "\n".join(shell_blocks(readme()))
    for command in ("make setup", "make test", "make train", "scripts/labelstudio.py", "scripts/corpus.py convert",
                    "scripts/publish.py runs --out models", "--push", "scripts/predict.py --models"):
        assert command in blocks, f"the README's commands do not show {command!r}"


def test_the_checker_catches_made_up_names():
    made_up = """```bash
.venv/bin/python scripts/predict.py --models models --no-such-option 3 articles/
python scripts/labelstudio.py push --project 1 --not-a-push-option
python scripts/nothing_here.py --x
make trian
make train NOT_A_VARIABLE=1 ARGS="--num_train_epochs 1 --no_such_key 2"
python scripts/train_set.py --runs runs -- --also_not_a_key 1
python scripts/train.py configs/ner.yaml --learning_rat 0.1
```

```python
python scripts/ignored.py --python-blocks-are-not-shell
```
"""
    problems = "\n".join(check_commands(made_up))
    for expected in ("scripts/predict.py has no option --no-such-option", "has no option --not-a-push-option",
                     "scripts/nothing_here.py does not exist", "make target trian", "make variable NOT_A_VARIABLE",
                     "configuration key no_such_key", "configuration key also_not_a_key",
                     "configuration key learning_rat"):
        assert expected in problems, f"{expected!r} not caught in:\n{problems}"
    assert "ignored.py" not in problems
    for real in ("option --models", "option --project", "key num_train_epochs", "option --runs", "key learning_rate"):
        assert real not in problems, f"{real!r} exists but was reported:\n{problems}"


def test_readme_is_short_enough_to_read_top_to_bottom():
    words = len(readme().split())
    assert words <= MAX_WORDS, f"README.md has {words} words; at most {MAX_WORDS}: move reference material to docs/"


def test_readme_links_to_pages_that_exist():
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", readme())
    assert links
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, f"README links to missing pages: {missing}"


@pytest.mark.parametrize("page", [README, *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_pages_do_not_speak_of_the_projects_history(page):
    hits = [f"{page.name}:{n}: {line.strip()[:120]}" for n, line in
            enumerate(page.read_text(encoding="utf-8").splitlines(), 1) if HISTORY.search(line)]
    assert not hits, "issue numbers in a user's page (say what is, not which issue made it so):\n" + "\n".join(hits)


def test_the_history_check_catches_issue_numbers():
    for line in ("models trained since issue 15", "<!-- issue 4 -->", "see #12", "(issues 4 and 8)"):
        assert HISTORY.search(line), line
    for line in ("{{CONSULT#1|زيارة}}", "<<T#1,S#2|حفتر>>", "https://github.com/nlplab/brat/issues/1115", "§4"):
        assert not HISTORY.search(line), line
