"""`python -m deployctl` runs the CLI."""

from deployctl.cli.main import main

main()
