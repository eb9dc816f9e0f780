"""`python -m hnsctl` runs the same entry point as the console script."""

from hnsctl.cli.app import main

main()
