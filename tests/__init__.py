"""The test suite (a regular package: pywb installs a top-level ``tests`` package of its own,
which would otherwise shadow this namespace package in ``from tests.conftest import ...``)."""
