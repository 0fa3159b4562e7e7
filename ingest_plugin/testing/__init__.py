"""Test and demo infrastructure shipped with the package: local S3 servers on loopback (:mod:`.local_s3`) and
the demo (:mod:`.demo`, ``make demo``). No runtime module imports it (tests/test_architecture.py)."""
