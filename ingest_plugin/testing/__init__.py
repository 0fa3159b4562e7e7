"""Test and demo infrastructure shipped with the package: a local S3 server on loopback (:mod:`.local_s3`).
Never imported by the runtime layers."""
