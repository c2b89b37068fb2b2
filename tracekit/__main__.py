"""`python -m tracekit` runs the command-line interface."""

from tracekit.cli import main

main()
