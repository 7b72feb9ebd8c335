"""The command-line programs (console entry points; ``scripts/*.py`` run the same code)."""
