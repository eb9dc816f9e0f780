"""The command line: parse with Typer, call one service operation, render, map errors to exit codes."""
