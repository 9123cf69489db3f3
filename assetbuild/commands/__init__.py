"""One module per sub-command of the CLI."""
