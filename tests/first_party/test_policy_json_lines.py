"""The lazy JSON source map gives the lines the full scan gives, for every pointer."""

from __future__ import annotations

import json

import pytest

from cloudcraver_plugins.policy.json_lines import LazySourceMap, source_map

DOCUMENTS = [
    '{"a": {"b\\"c": [1, {"d": 2}], "e/f~g": "x", "h\\u00e9": null},'
    ' "k" :\n  { "l" : [ ] , "m":{}} }',
    json.dumps(
        {"resource": {"aws_s3_bucket": {f"b{i}": {"bucket": f"n{i}"} for i in range(40)}}},
        indent=2,
    ),
    json.dumps({"x": [[1, 2], {"y": "z"}], "\u00e9": {"\n": 1}, "": {"": 3}}, indent=1),
    "[1,\n[2,\n[3]]]",
    '\n\n  {\t"a"\r\n:\n1\n,\n"b"  :  {"c":\n"d"}  }  \n',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_lazy_lines_are_the_full_scans(text: str) -> None:
    full = source_map(text)
    lazy = LazySourceMap(text)
    # Asked deepest first, then again: the containers indexed on the way are reused.
    for pointer in [*reversed(full), *full]:
        assert lazy.get(pointer) == full[pointer], pointer
    for absent in ("/nope", "nope", "/x/9", '/a/b"c/1/d/zz', "/k/l/0"):
        assert lazy.get(absent) is None
