"""assetbuild: compile web assets in the build stage, read one manifest at run time."""

__version__ = "0.1.0"
