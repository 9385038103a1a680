"""Tests of the first-party plugins, ``aws-s3`` and ``policy``."""
