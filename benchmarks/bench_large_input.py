"""``cloudcraver validate`` of large files: wall time and peak memory of the whole process.

Run: python benchmarks/bench_large_input.py [--runs N] [--quick] [--check] [--keep DIR]
[--cloudcraver PATH] [--compare PATH] (or nox -s bench). Target (issue 9, item 16): any file that is
accepted (exit 0 or 1) under 2 s and 300 MB; a refused one refused as what it is (not as
an alias bomb), fast.

Each file is written to a folder of its own (a Terraform file is read with its folder's
other files) and validated by the ``cloudcraver`` next to this interpreter, with an empty
home, standard output to ``/dev/null``, through a small launcher that forks it and reports
its wall time and peak memory (its own ``ru_maxrss``, from ``os.wait4``: what
``getrusage(RUSAGE_CHILDREN)`` gives in a process with that one child). ``--compare``
runs another executable (an older version) alternately on the same files. The cases run
interleaved, round by round; medians are printed.

- baselines: one bucket as CloudFormation YAML and as Terraform JSON;
- ``yaml-template-4.8mb``: a CloudFormation template written as JSON in a ``.yaml`` file,
  4.8 MB and 2.4 million nodes, no alias (was refused as "a possible alias bomb" after
  6 s and 600 MB; over CloudFormation's 1 MB, it is refused for its size);
- ``yaml-list-4.8mb``: 4.8 MB of YAML that is no template, 1.6 million nodes (not the
  policy plugin's: "no plugin recognises");
- ``yaml-template-0.95mb``: the largest template CloudFormation accepts, 10,000 buckets in
  block style (accepted: findings);
- ``tf-json-4.7mb-null``: 4.7 MB of Terraform JSON, 90,000 ``null_resource`` (accepted, no
  finding: what parsing, line tracking and the inventory cost);
- ``tf-json-4.7mb-buckets``: 4.7 MB of Terraform JSON, 90,000 S3 buckets (accepted:
  270,000 findings, text report) and the same with ``--format json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_SECONDS = 2.0
MAX_MB = 300.0
MiB = 1024 * 1024


@dataclass
class Result:
    """The runs of one case by one executable."""

    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    exit_code: int | None = None
    first_line: str = ""


@dataclass
class Case:
    """One file validated repeatedly, by each executable compared."""

    label: str
    name: str
    text: str
    options: tuple[str, ...] = ()
    size: int = 0
    results: dict[str, Result] = field(default_factory=dict)


# ---------------------------------------------------------------------- the files


def small_yaml() -> str:
    """One bucket, CloudFormation YAML."""
    return "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"


def small_tf_json() -> str:
    """One bucket, Terraform JSON."""
    return json.dumps({"resource": {"aws_s3_bucket": {"b": {"bucket": "acme-data"}}}})


def yaml_template_as_json(size: int = 4_800_000) -> str:
    """A CloudFormation template written as JSON (valid YAML), ``size`` characters."""
    head = '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": '
    head += '"AWS::S3::Bucket"}}, "Metadata": {"Numbers": ['
    count = (size - len(head)) // 2
    return head + ",".join(["1"] * count) + "]}}"


def yaml_list(size: int = 4_800_000) -> str:
    """YAML that is no template: rows of short flow sequences, ``size`` characters."""
    row = "- [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t]\n"
    return row * (size // len(row))


def yaml_template_blocks(buckets: int = 10_000) -> str:
    """A block-style template of ``buckets`` buckets (about 95 bytes each)."""
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Resources:"]
    for index in range(buckets):
        lines += [
            f"  Bucket{index:05d}:",
            "    Type: AWS::S3::Bucket",
            "    Properties:",
            f"      BucketName: acme-data-{index:05d}",
        ]
    return "\n".join(lines) + "\n"


def tf_json(kind: str, count: int = 90_000) -> str:
    """Terraform JSON declaring ``count`` resources of ``kind`` (about 52 bytes each)."""
    attribute = "bucket" if kind == "aws_s3_bucket" else "name"
    resources = {
        f"b{index:05d}": {attribute: f"acme-data-bucket-{index:05d}-logs"} for index in range(count)
    }
    return json.dumps({"resource": {kind: resources}})


def cases(quick: bool) -> list[Case]:
    """The files measured (``quick``: the same, a tenth of the size)."""
    scale = 10 if quick else 1
    buckets = tf_json("aws_s3_bucket", 90_000 // scale)
    return [
        Case("baseline: 1 bucket, YAML", "stack.yaml", small_yaml()),
        Case("baseline: 1 bucket, .tf.json", "main.tf.json", small_tf_json()),
        Case("yaml-template-4.8mb", "template.yaml", yaml_template_as_json(4_800_000 // scale)),
        Case("yaml-list-4.8mb", "list.yaml", yaml_list(4_800_000 // scale)),
        Case("yaml-template-0.95mb", "stack.yaml", yaml_template_blocks(10_000 // scale)),
        Case("tf-json-4.7mb-null", "main.tf.json", tf_json("null_resource", 90_000 // scale)),
        Case("tf-json-4.7mb-buckets", "main.tf.json", buckets),
        Case("tf-json-4.7mb-buckets --format json", "main.tf.json", buckets, ("-f", "json")),
    ]


# ---------------------------------------------------------------------- running


def environment(home: Path) -> dict[str, str]:
    """An empty home: no user configuration, state or plugin path of the developer's."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CLOUDCRAVER_HOME": str(home),
        "LANG": "C.UTF-8",
    }


#: Runs the measured program and reports its own wall time and peak memory. A child's
#: ru_maxrss counts what it had between fork and exec, i.e. this (large) process's memory:
#: the launcher is small (no site), and the program is forked from it.
_LAUNCHER = (
    "import os, sys, time\n"
    "started = time.perf_counter()\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{time.perf_counter() - started} {usage.ru_maxrss}')\n"
    "os._exit(os.waitstatus_to_exitcode(status))\n"
)


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit code, first line of standard error) of one process."""
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as errors:
        figures = os.path.join(scratch, "figures")
        process = subprocess.run(
            [sys.executable, "-S", "-I", "-c", _LAUNCHER, figures, *argv],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            check=False,
        )
        with open(figures, encoding="ascii") as handle:
            seconds, rss = handle.read().split()
        errors.seek(0)
        first = errors.read(400).decode("utf-8", "replace").split("\n", 1)[0]
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak = int(rss) / (MiB if sys.platform == "darwin" else 1024)
    return float(seconds), peak, process.returncode, first


def write_files(folder: Path, measured: list[Case]) -> None:
    """Each case's file in a folder of its own; the texts are dropped once written."""
    for index, case in enumerate(measured):
        (folder / f"case-{index}").mkdir()
        (folder / f"case-{index}" / case.name).write_text(case.text, encoding="utf-8")
        case.size, case.text = len(case.text.encode("utf-8")), ""


def measure(executables: dict[str, Path], folder: Path, measured: list[Case], runs: int) -> None:
    """Run every case with every executable ``runs`` times, interleaved round by round."""
    home = folder / "home"
    home.mkdir()
    env = environment(home)
    for round_ in range(runs):
        for index, case in enumerate(measured):
            for name, executable in executables.items():
                argv = [str(executable), "validate", f"case-{index}/{case.name}", *case.options]
                seconds, peak, code, first = run(argv, env, folder)
                result = case.results.setdefault(name, Result())
                result.seconds.append(seconds)
                result.peak_mb.append(peak)
                result.exit_code, result.first_line = code, first
                print(
                    f"round {round_ + 1}: {case.label} [{name}]: {seconds:.2f} s, "
                    f"{peak:.0f} MB, exit {code}"
                )


def report(measured: list[Case], names: list[str]) -> list[str]:
    """Print the medians side by side; the cases where the last executable misses."""
    print()
    columns = "".join(f" {name} s | {name} MB |" for name in names)
    print(f"| case | size |{columns} exit | outcome |")
    print("|---|---:|" + "---:|---:|" * len(names) + "---:|---|")
    misses = []
    for case in measured:
        shown = f"{case.size / 1e6:.2f} MB" if case.size > 100_000 else f"{case.size} B"
        cells = ""
        for name in names:
            result = case.results[name]
            seconds, peak = statistics.median(result.seconds), statistics.median(result.peak_mb)
            cells += f" {seconds:.2f} | {peak:.0f} |"
        last = case.results[names[-1]]
        outcome = last.first_line.removeprefix("error: ").split(": ", 1)[-1][:70]
        print(f"| {case.label} | {shown} |{cells} {last.exit_code} | {outcome or 'findings'} |")
        if "alias" in last.first_line:
            misses.append(f"{case.label}: refused as an alias bomb")
        if last.exit_code in (0, 1) and (seconds > MAX_SECONDS or peak > MAX_MB):
            misses.append(f"{case.label}: {seconds:.2f} s, {peak:.0f} MB")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each case (default 3)")
    parser.add_argument("--quick", action="store_true", help="one run, files a tenth the size")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument("--cloudcraver", type=Path, default=None, help="the executable measured")
    parser.add_argument(
        "--compare", type=Path, default=None, help="another executable, run alternately"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    scripts = Path(sys.executable).parent
    cloudcraver = args.cloudcraver or scripts / (
        "cloudcraver.exe" if sys.platform == "win32" else "cloudcraver"
    )
    if not cloudcraver.is_file():
        raise SystemExit(f"error: no {cloudcraver}: install the project")
    executables = {"this": cloudcraver}
    if args.compare:
        executables = {"other": args.compare, "this": cloudcraver}
    folder = Path(tempfile.mkdtemp(prefix="cloudcraver-large-"))
    try:
        measured = cases(args.quick)
        write_files(folder, measured)
        measure(executables, folder, measured, 1 if args.quick else args.runs)
        misses = report(measured, list(executables))
        if args.keep:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    target = f"accepted files under {MAX_SECONDS:g} s and {MAX_MB:g} MB, no alias-bomb refusal"
    print(f"\ntarget: {target}: " + ("pass" if not misses else "fail"))
    for miss in misses:
        print(f"  {miss}")
    if args.check and misses:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
