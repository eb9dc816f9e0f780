#!/bin/sh
# Regenerate the shell completion scripts from the Typer app (a test checks they are current).
# The scripts are thin: on TAB they call `hnsctl` back, so commands, flags and network names stay live.
set -eu
cd "$(dirname "$0")/.."
for shell in bash zsh fish; do
    _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION=1 python3 -m hnsctl --show-completion "$shell" > "completions/hnsctl.$shell"
done
