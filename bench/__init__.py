"""Benchmarks for ingest-plugin (``make bench``); not part of the test suite."""
