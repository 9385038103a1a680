"""Regenerate, or check, the JSON schema files the first-party manifests point to.

The schemas are generated from the pydantic models, so that the manifest (read without
importing the plugin) describes exactly what the plugin validates::

    python -m cloudcraver_plugins.schemas           # rewrite the files
    python -m cloudcraver_plugins.schemas --check   # exit 1 if a file differs from its model
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["expected_files", "main", "schema_text", "stale_files"]

_HERE = Path(__file__).resolve().parent


def schema_text(model: Any) -> str:
    """The JSON schema of a pydantic model class as the committed file holds it."""
    return json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every generated schema file and the text it should hold."""
    from .aws_s3.params import S3BucketParameters, S3PluginConfig
    from .policy.config import PolicyConfig

    return {
        _HERE / "aws_s3" / "schemas" / "aws-s3-bucket.parameters.json": schema_text(
            S3BucketParameters
        ),
        _HERE / "aws_s3" / "schemas" / "config.schema.json": schema_text(S3PluginConfig),
        _HERE / "policy" / "schemas" / "config.schema.json": schema_text(PolicyConfig),
    }


def stale_files() -> list[Path]:
    """The schema files that are missing or differ from their models."""
    stale = []
    for path, text in expected_files().items():
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current != text:
            stale.append(path)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: rewrite the schema files, or ``--check`` them."""
    parser = argparse.ArgumentParser(prog="python -m cloudcraver_plugins.schemas")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = stale_files()
    if args.check:
        for path in stale:
            print(f"stale: {path} (regenerate: python -m cloudcraver_plugins.schemas)")
        return 1 if stale else 0
    for path, text in expected_files().items():
        if path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
