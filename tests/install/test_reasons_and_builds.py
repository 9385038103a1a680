"""pip's reason said once, and what pip had to build to plan (issue 9, items 4 and 20)."""

from __future__ import annotations

from cloudcraver_host.install.pip import PipResult, error_block
from cloudcraver_host.install.plan import Plan


def result(stdout: str, stderr: str) -> PipResult:
    return PipResult(("python", "-m", "pip"), 1, stdout, stderr, 0.1)


def test_no_matching_distribution_is_not_said_twice() -> None:
    failed = result(
        "",
        "ERROR: Could not find a version that satisfies the requirement cc-q (from versions: 1.0)\n"
        "ERROR: No matching distribution found for cc-q\n",
    )
    assert error_block(failed) == (
        "ERROR: Could not find a version that satisfies the requirement cc-q (from versions: 1.0)"
    )


def test_the_conflict_section_is_not_inserted_twice() -> None:
    section = "The conflict is caused by:\n    cc-x 1.0 depends on pluggy<1\n"
    # Newer pips print the section on stderr too, inside the ERROR block.
    failed = result(section, "ERROR: Cannot install cc-x because\n\n" + section + "\nERROR: x\n")
    assert error_block(failed).count("The conflict is caused by:") == 1


def test_the_plan_names_what_pip_built_from_source() -> None:
    report = {
        "install": [
            {
                "metadata": {"name": "cc-wheel", "version": "1"},
                "download_info": {"url": "https://i/cc_wheel-1-py3-none-any.whl"},
            },
            {
                "metadata": {"name": "cc-sdist", "version": "2"},
                "download_info": {"url": "file:///x/cc-sdist-2.tar.gz", "archive_info": {}},
            },
            {
                "metadata": {"name": "cc-dir", "version": "3"},
                "download_info": {"url": "file:///x/dir", "dir_info": {}},
            },
            {
                "metadata": {"name": "cc-git", "version": "4"},
                "download_info": {"url": "https://g/r.git", "vcs_info": {"vcs": "git"}},
            },
        ]
    }
    plan = Plan("install", (), (), report=report)
    assert plan.built_from_source() == [
        "cc-sdist 2 (sdist)",
        "cc-dir 3 (folder)",
        "cc-git 4 (VCS checkout)",
    ]
