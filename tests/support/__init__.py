"""Helpers shared by the tests (fixtures stay in tests/conftest.py); tests/README.md lists
each module's job."""
