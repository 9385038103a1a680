"""No module of the host or of the first-party plugins is over :data:`LIMIT` lines.

A module that long holds more than one idea (issue 10: one idea per module). The modules
over the limit today are listed in :data:`OVERSIZE` with their length: they may shrink but
not grow, and once one is under the limit the test asks for its entry to be removed, so
the list only gets shorter.
"""

from __future__ import annotations

from .sources import modules

LIMIT = 450

#: Today's modules over :data:`LIMIT`, with their line counts: removed by the rooms work
#: (issue 10), which splits each of them.
OVERSIZE: dict[str, int] = {
    "cloudcraver_host/config.py": 801,
    "cloudcraver_host/discovery.py": 470,
    "cloudcraver_host/host.py": 1232,
    "cloudcraver_host/install/transaction.py": 997,
    "cloudcraver_host/install/verify.py": 665,
    "cloudcraver_host/relay.py": 459,
    "cloudcraver_plugins/aws_s3/params.py": 1098,
    "cloudcraver_plugins/aws_s3/render.py": 654,
    "cloudcraver_plugins/policy/formats.py": 958,
    "cloudcraver_plugins/policy/hcl.py": 626,
    "cloudcraver_plugins/policy/rules_aws.py": 598,
}


def size_problems(lengths: dict[str, int], allowed: dict[str, int], limit: int) -> list[str]:
    """What breaks the rule, given each module's length and the allowance."""
    problems: list[str] = []
    for path, length in sorted(lengths.items()):
        ceiling = allowed.get(path)
        if ceiling is None and length > limit:
            problems.append(f"{path}: {length} lines, over the limit of {limit}: split it")
        elif ceiling is not None and length > ceiling:
            problems.append(f"{path}: grew to {length} lines (allowed {ceiling}, limit {limit})")
        elif ceiling is not None and length <= limit:
            problems.append(f"{path}: now {length} lines: remove it from OVERSIZE")
    for path in sorted(set(allowed) - set(lengths)):
        problems.append(f"{path}: no longer exists: remove it from OVERSIZE")
    return problems


def test_no_module_is_over_the_limit_but_the_listed_ones() -> None:
    lengths = {
        module.relative: module.line_count()
        for module in modules("cloudcraver_host", "cloudcraver_plugins").values()
    }
    problems = size_problems(lengths, OVERSIZE, LIMIT)
    assert not problems, "\n".join(problems)


def test_the_size_check_is_not_vacuous() -> None:
    allowed = {"big.py": 600, "shrunk.py": 500, "grown.py": 500, "gone.py": 700}
    lengths = {"big.py": 580, "shrunk.py": 450, "grown.py": 501, "new.py": 451, "ok.py": 450}
    assert size_problems(lengths, allowed, 450) == [
        "grown.py: grew to 501 lines (allowed 500, limit 450)",
        "new.py: 451 lines, over the limit of 450: split it",
        "shrunk.py: now 450 lines: remove it from OVERSIZE",
        "gone.py: no longer exists: remove it from OVERSIZE",
    ]
