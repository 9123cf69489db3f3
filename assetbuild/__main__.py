"""`python -m assetbuild` runs the command-line tool."""

from assetbuild.cli import main

raise SystemExit(main())
