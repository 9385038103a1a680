"""The benchmark environments, built once and kept under ``benchmarks/.work/`` (gitignored).

- ``wheels/``: wheels of the contract and of Cloud Craver, rebuilt whenever their sources
  change (the venvs then get the new wheel, non-editable, like a user's install);
- ``plugins/``: 200 generated plugin distributions (``ccbench-plugin-NNNN``), written as
  wheel files directly. Each plugin's module busy-works 50 ms when imported (the cost of a
  plugin with real dependencies), ships a manifest naming its hooks and one template, and
  every 25th one also declares a command;
- ``venv-0``, ``venv-50``, ``venv-200``: one virtualenv per plugin count, each with Cloud
  Craver and datasette installed by pip (dependencies from the machine's configured index)
  and the first N generated plugins installed by pip. Separate environments, because that is
  what a user with N plugins has: N ``*.dist-info`` folders in site-packages, found by
  ``importlib.metadata`` and by the discovery cache's fingerprint alike;
- ``home-N``: ``CLOUDCRAVER_HOME`` of each venv (the discovery cache lives there).

The competitors live in ``benchmarks/_apps/``: a bare Typer app with the same command tree and
no work behind it, and an eager pluggy host that loads every plugin through
``load_setuptools_entrypoints`` before building its Typer app.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
APPS = BENCH / "_apps"
COUNTS = (0, 50, 200)
IMPORT_MS = 50
COMMAND_EVERY = 25  # every 25th generated plugin also declares a command

_QUIET = ("--disable-pip-version-check", "--no-input", "-q")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(argv)}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )


# ----------------------------------------------------------------------------- generated plugins


def plugin_name(index: int) -> str:
    return f"bench-{index:04d}"


def template_name(index: int) -> str:
    return f"bench-{index:04d}-stack"


_MODULE = '''"""Generated benchmark plugin {plugin}: importing it busy-works {ms} ms."""

import time

_end = time.perf_counter() + {seconds}
while time.perf_counter() < _end:
    pass

from cloudcraver_hookspecs import RenderedTemplate, TemplateDescriptor, hookimpl

PARAMETERS = {{
    "type": "object",
    "properties": {{"size": {{"type": "integer", "default": 1}}}},
    "additionalProperties": False,
}}


@hookimpl
def contribute_templates():
    return [TemplateDescriptor("{template}", "aws", "cloudformation", "Generated.", PARAMETERS)]


@hookimpl
def render_template(request):
    if request.template != "{template}":
        return None
    return RenderedTemplate("Description: {template} " + request.name + "\\n", request.format)


@hookimpl
def validate_document(document):
    return []
{command}'''

_COMMAND = """

@hookimpl
def contribute_commands():
    from cloudcraver_hookspecs import CommandContribution

    def run():
        print("{plugin} ran")

    return [CommandContribution("{plugin}-cmd", "A generated command.", run)]
"""

_MANIFEST = """name = "{plugin}"
description = "Generated benchmark plugin {index}."
contract = ">=1.0,<2"
hooks = [{hooks}]

[[templates]]
name = "{template}"
provider = "aws"
output_format = "cloudformation"
description = "Generated template {index}."
formats = ["yaml", "json"]

[templates.parameters]
type = "object"
additionalProperties = false

[templates.parameters.properties.size]
type = "integer"
default = 1
{commands}"""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_plugin_wheel(folder: Path, index: int, import_ms: int = IMPORT_MS) -> Path:
    """A complete, pip-installable wheel of generated plugin ``index``.

    :param import_ms: how long importing its module busy-works (0: no cost at all, for
        measuring the host rather than the plugins' code).
    """
    plugin, template = plugin_name(index), template_name(index)
    dist = f"ccbench_plugin_{index:04d}"
    package = f"ccbench_p{index:04d}"
    has_command = index % COMMAND_EVERY == 0
    hooks = ["contribute_templates", "render_template", "validate_document"]
    if has_command:
        hooks.append("contribute_commands")
    command_table = (
        f'\n[[commands]]\nname = "{plugin}-cmd"\nhelp = "A generated command."\n'
        if has_command
        else ""
    )
    dist_info = f"{dist}-1.0.0.dist-info"
    files = {
        f"{package}/__init__.py": _MODULE.format(
            plugin=plugin,
            template=template,
            ms=import_ms,
            seconds=import_ms / 1000,
            command=_COMMAND.format(plugin=plugin) if has_command else "",
        ),
        f"{package}/cloudcraver_plugin.toml": _MANIFEST.format(
            plugin=plugin,
            index=index,
            template=template,
            hooks=", ".join(f'"{h}"' for h in hooks),
            commands=command_table,
        ),
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: ccbench-plugin-{index:04d}\n"
            "Version: 1.0.0\n"
            f"Summary: Generated benchmark plugin {index}\n"
            "Requires-Dist: cloudcraver-hookspecs>=1.0,<2\n"
        ),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: cloudcraver-bench\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": (
            f"[cloudcraver]\n{plugin} = {package}\n\n"
            f"[cloudcraver.manifest]\n{plugin} = {package}:cloudcraver_plugin.toml\n"
        ),
    }
    encoded = {name: text.encode() for name, text in files.items()}
    record = [_record_line(name, data) for name, data in encoded.items()]
    record.append(f"{dist_info}/RECORD,,")
    encoded[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{dist}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in encoded.items():
            archive.writestr(name, data)
    return wheel


def plugin_wheels(count: int) -> list[Path]:
    folder = WORK / "plugins"
    stamp = folder / f"stamp-{IMPORT_MS}ms-{max(COUNTS)}"
    if not stamp.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for index in range(max(COUNTS)):
            write_plugin_wheel(folder, index)
        stamp.write_text("ok")
    return sorted(folder.glob("*.whl"))[:count]


# ----------------------------------------------------------------------------- cloudcraver wheels


def source_hash() -> str:
    digest = hashlib.sha256()
    for base in ("cloudcraver_host", "cloudcraver_plugins", "hookspecs"):
        for path in sorted((ROOT / base).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    return digest.hexdigest()[:16]


def project_wheels(wanted: str) -> list[Path]:
    """The contract's and Cloud Craver's wheels for the current sources."""
    folder = WORK / "wheels" / wanted
    if not (folder / "ok").is_file():
        shutil.rmtree(WORK / "wheels", ignore_errors=True)
        folder.mkdir(parents=True)
        log("building the cloudcraver and cloudcraver-hookspecs wheels")
        _run(
            [
                sys.executable, "-m", "pip", "wheel", *_QUIET, "--no-deps",
                "--no-build-isolation", "--no-index", "-w", str(folder),
                str(ROOT / "hookspecs") + os.sep, str(ROOT) + os.sep,
            ],
            env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
        )  # fmt: skip
        (folder / "ok").write_text("ok")
    wheels = sorted(folder.glob("*.whl"))
    hookspecs = [w for w in wheels if w.name.startswith("cloudcraver_hookspecs-")]
    host = [w for w in wheels if w.name.startswith("cloudcraver-")]
    return hookspecs + host


# ----------------------------------------------------------------------------- venvs


def venv_dir(count: int) -> Path:
    return WORK / f"venv-{count}"


def bin_dir(count: int) -> Path:
    return venv_dir(count) / ("Scripts" if os.name == "nt" else "bin")


def home_dir(count: int) -> Path:
    return WORK / f"home-{count}"


def ensure_venvs(counts: tuple[int, ...] = COUNTS) -> None:
    """Build (or bring up to date) one venv per plugin count."""
    wanted = source_hash()
    wheels = project_wheels(wanted)
    for count in counts:
        venv = venv_dir(count)
        python = str(bin_dir(count) / "python")
        base_stamp, host_stamp = venv / "bench-base.ok", venv / "bench-host.txt"
        if not base_stamp.is_file():
            started = time.perf_counter()
            shutil.rmtree(venv, ignore_errors=True)
            log(f"creating {venv.name}: cloudcraver, datasette and {count} plugins (pip)")
            _run([sys.executable, "-m", "venv", str(venv)])
            # datasette and Cloud Craver's dependencies come from the configured index.
            _run([python, "-m", "pip", "install", *_QUIET, "datasette", *map(str, wheels)])
            if count:
                _run(
                    [python, "-m", "pip", "install", *_QUIET, "--no-index", "--no-deps"]
                    + [str(w) for w in plugin_wheels(count)]
                )
            host_stamp.write_text(wanted)
            base_stamp.write_text("ok")
            log(f"{venv.name} ready in {time.perf_counter() - started:.0f} s")
        elif host_stamp.read_text().strip() != wanted:
            log(f"{venv.name}: installing cloudcraver built from the current sources")
            reinstall = ["--no-index", "--no-deps", "--force-reinstall", *map(str, wheels)]
            _run([python, "-m", "pip", "install", *_QUIET, *reinstall])
            host_stamp.write_text(wanted)
        home_dir(count).mkdir(parents=True, exist_ok=True)


def environ(count: int, **extra: str) -> dict[str, str]:
    """A clean environment for programs of venv ``count`` (stdout is never a terminal)."""
    env = {
        "PATH": f"{bin_dir(count)}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(home_dir(count)),
        "CLOUDCRAVER_HOME": str(home_dir(count)),
        "LANG": "C.UTF-8",
        "COLUMNS": "120",
        "LINES": "40",
        "TERM": "xterm-256color",
    }
    for key in ("TMPDIR", "SYSTEMROOT"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env
