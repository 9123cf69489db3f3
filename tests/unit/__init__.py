"""Unit tests, one file per compile module; a package, so its file names may repeat those in tests/."""
