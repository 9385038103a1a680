"""How plugin names compare: like distribution names, ignoring case and ``-_.`` runs."""

from __future__ import annotations

import re

__all__ = ["normalize_name"]


def normalize_name(name: str) -> str:
    """``AWS_S3``, ``aws.s3`` and ``aws-s3`` are one plugin: ``aws-s3``."""
    return re.sub(r"[-_.]+", "-", name).lower()
