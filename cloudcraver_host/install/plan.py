"""What a plugin change would do, worked out before anything is changed.

:func:`plan_install` asks pip itself (``pip install --dry-run --report``), with the host's own
requirements pinned as constraints: pip cannot plan to change pluggy, typer or any other
package Cloud Craver needs, and when the only way to install a plugin would be to change one,
the refusal names the plugin and the package. :func:`plan_uninstall` works out, from the
installed metadata alone, which packages only the removed plugins needed.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ChangeError
from .environment import HOST_DISTRIBUTIONS, InstalledDist, plugin_names, requirement_names
from .pip import PipResult, PipRunner, conflict_lines, error_block

__all__ = [
    "POLICIES",
    "Action",
    "Policy",
    "Change",
    "Plan",
    "classify",
    "plan_install",
    "plan_uninstall",
    "policy_spec",
    "protected_conflicts",
    "refusal",
]

Action = Literal["install", "upgrade", "downgrade", "reinstall", "remove"]
#: How far ``plugin update`` may move a plugin, set per plugin in the configuration.
Policy = Literal["pinned", "patch", "minor", "major"]
POLICIES: tuple[str, ...] = ("pinned", "patch", "minor", "major")

_DEPENDS = re.compile(r"^\s*(?P<who>\S+) (?P<version>\S+) depends on (?P<req>.+?)\s*$")
_USER_REQUESTED = re.compile(r"^\s*The user requested (?P<req>[^()]+?)\s*$")
_CANNOT_INSTALL = re.compile(r"Cannot install (?P<what>.+?) because")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Change:
    """One distribution a plan installs, replaces or removes.

    :param name: canonical distribution name.
    :param action: ``install`` (new), ``upgrade``, ``downgrade``, ``reinstall`` (same
        version, e.g. from a path or with ``--force-reinstall``) or ``remove``.
    :param before: the installed version, ``None`` if not installed.
    :param after: the version the plan installs, ``None`` when removing.
    :param requested: named by the user (rather than needed by what they named).
    :param download_url: where pip would take it from (``download_info.url``), if known.
    :param is_plugin: whether it is a Cloud Craver plugin: requested, known as one, or
        requiring the contract distribution (which is how a plugin states its contract).
    :param plugins: the names of the plugins it provides, as ``plugin list`` shows them
        (known for installed distributions).
    """

    name: str
    action: Action
    before: str | None
    after: str | None
    requested: bool
    download_url: str | None = None
    is_plugin: bool = False
    plugins: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for people: ``upgrade cc-x 1.0 -> 1.1 (plugin x)``."""
        if self.action == "install":
            text = f"install {self.name} {self.after}"
        elif self.action == "remove":
            text = f"remove {self.name} {self.before}"
        elif self.action == "reinstall":
            text = f"reinstall {self.name} {self.after}"
        else:
            text = f"{self.action} {self.name} {self.before} -> {self.after}"
        shown = [p for p in self.plugins if p != self.name]
        return text + (f" (plugin {', '.join(shown)})" if shown else "")


@dataclass(frozen=True)
class Plan:
    """What one command would change.

    :param command: ``install``, ``update``, ``uninstall``, ...
    :param specs: what the user asked for, as given.
    :param changes: the distributions that change, sorted by name.
    :param report: pip's installation report (``{}`` for an uninstall plan).
    :param seconds: how long planning took (pip's dry run).
    """

    command: str
    specs: tuple[str, ...]
    changes: tuple[Change, ...]
    report: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    seconds: float = field(default=0.0, compare=False)

    @property
    def is_empty(self) -> bool:
        """Whether nothing would change (everything asked for is already installed)."""
        return not self.changes

    def change(self, name: str) -> Change | None:
        """The change of distribution ``name`` (canonical), if the plan changes it."""
        return next((c for c in self.changes if c.name == name), None)

    def built_from_source(self) -> list[str]:
        """What pip built to plan (``cc-x 1.0 (sdist)``): its build code ran meanwhile.

        pip reads the metadata of an sdist, a folder or a VCS checkout by running its build
        backend (``setup.py``), in an isolated temporary build environment.
        """
        built = []
        for item in self.report.get("install", []):
            kind = _built_kind(item.get("download_info") or {})
            if kind is not None:
                meta = item.get("metadata", {})
                built.append(f"{meta.get('name')} {meta.get('version')} ({kind})")
        return built

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (pip's full report left out: it can be large)."""
        return {
            "command": self.command,
            "specs": list(self.specs),
            "changes": [{**asdict(c), "plugins": list(c.plugins)} for c in self.changes],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON (``--json`` output, journal records)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def _built_kind(info: Mapping[str, Any]) -> str | None:
    """What pip had to build for a report item, from its ``download_info`` (``None``: a wheel)."""
    if "vcs_info" in info:
        return "VCS checkout"
    if "dir_info" in info:
        return "folder"
    url = str(info.get("url", ""))
    return "sdist" if url and not url.endswith(".whl") else None


def classify(before: str | None, after: str) -> Action:
    """Compare an installed version with a planned one."""
    from packaging.version import InvalidVersion, Version

    if before is None:
        return "install"
    try:
        old, new = Version(before), Version(after)
    except InvalidVersion:
        return "reinstall" if before == after else "upgrade"
    if new > old:
        return "upgrade"
    if new < old:
        return "downgrade"
    return "reinstall"


def _write_constraints(folder: Path, constraints: Mapping[str, str]) -> Path:
    path = folder / "host-constraints.txt"
    lines = [f"{name}=={version}" for name, version in sorted(constraints.items())]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def plan_install(
    runner: PipRunner,
    specs: Sequence[str],
    *,
    constraints: Mapping[str, str],
    installed: Mapping[str, InstalledDist] | None = None,
    editable: bool = False,
    upgrade: bool = False,
    force_reinstall: bool = False,
    plugins: Collection[str] = (),
    command: str = "install",
    lock_fd: int | None = None,
) -> Plan:
    """Ask pip what installing ``specs`` would change, without changing anything.

    :param runner: pip of the environment to change.
    :param specs: requirements, wheel or sdist paths, folders, VCS URLs (as pip takes them).
    :param constraints: ``{name: version}`` pinned with ``==`` (the host's pins,
        :func:`~cloudcraver_host.install.environment.host_pins`).
    :param installed: the environment's snapshot, to classify each change (default: taken
        now, from ``runner.python``).
    :param editable: install every spec in editable mode (``-e``).
    :param upgrade: ``--upgrade`` (only what is named: pip's ``only-if-needed`` strategy).
    :param force_reinstall: ``--force-reinstall``.
    :param plugins: canonical names of installed distributions known to be plugins.
    :param command: the name the plan carries (``install``, ``update``).
    :param lock_fd: the change lock's descriptor, inherited by pip (see :class:`PipRunner`).
    :raises ChangeError: pip is too old, cannot find or resolve what was asked (its reason
        in ``details``), or would have to change a package the host needs.
    """
    import time

    runner.require_version()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cloudcraver-plan-") as tmp:
        folder = Path(tmp)
        report_path = folder / "report.json"
        args: list[str] = ["install", "--dry-run", "--report", str(report_path)]
        args += ["-c", str(_write_constraints(folder, constraints))]
        if upgrade:
            args.append("--upgrade")
        if force_reinstall:
            args.append("--force-reinstall")
        for spec in specs:
            args += ["-e", spec] if editable else [spec]
        # No -q: pip prints the resolver's explanation of a conflict at INFO level only.
        result = runner.run(args, lock_fd=lock_fd)
        if not result.ok:
            raise refusal(result, specs, constraints) or ChangeError(
                f"pip cannot {command} {' '.join(specs)}; nothing was changed",
                details=error_block(result),
            )
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    if installed is None:
        from .environment import snapshot

        installed = snapshot(runner.python)
    changes = _changes_from_report(report, installed, plugins)
    plan = Plan(
        command=command,
        specs=tuple(specs),
        changes=changes,
        report=report,
        seconds=time.monotonic() - started,
    )
    problems = protected_conflicts(plan, constraints)
    if problems:
        # pip honours constraints for names, not for direct URLs: checked here again.
        raise ChangeError(
            "refused: " + "; ".join(problems) + "; nothing was changed",
            details="\n".join(c.describe() for c in plan.changes),
        )
    return plan


def _changes_from_report(
    report: Mapping[str, Any], installed: Mapping[str, InstalledDist], plugins: Collection[str]
) -> tuple[Change, ...]:
    from packaging.utils import canonicalize_name

    contract = {canonicalize_name(n) for n in HOST_DISTRIBUTIONS}
    named = plugin_names(installed)
    changes = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name = canonicalize_name(meta["name"])
        after = str(meta["version"])
        current = installed.get(name)
        before = current.version if current is not None else None
        requires = {
            canonicalize_name(m.group(1))
            for line in meta.get("requires_dist", []) or []
            if (m := _REQ_NAME.match(line))
        }
        requested = bool(item.get("requested"))
        changes.append(
            Change(
                name=name,
                action=classify(before, after),
                before=before,
                after=after,
                requested=requested,
                download_url=(item.get("download_info") or {}).get("url"),
                is_plugin=requested or name in plugins or bool(requires & contract),
                plugins=tuple(named.get(name, ())),
            )
        )
    return tuple(sorted(changes, key=lambda c: c.name))


def protected_conflicts(plan: Plan, host_pins: Mapping[str, str]) -> list[str]:
    """Messages for every change of a package the host needs (``host_pins``): none is allowed.

    pip's constraints already keep a resolved plan off those packages; this catches what
    constraints cannot express (a direct URL or path for a pinned name, a reinstall).
    """
    messages = []
    for change in plan.changes:
        pinned = host_pins.get(change.name)
        if pinned is None:
            continue
        messages.append(
            f"{change.describe()} would change {change.name} {pinned}, "
            "which Cloud Craver itself needs"
        )
    return messages


def refusal(
    result: PipResult, specs: Sequence[str], host_pins: Mapping[str, str]
) -> ChangeError | None:
    """The :class:`ChangeError` for a pip failure caused by the host's pins, else ``None``.

    pip explains a resolution conflict with lines such as ``cc-x 1.0 depends on pluggy<1``
    next to ``The user requested (constraint) pluggy==1.5.0``; each such line about a pinned
    package becomes one sentence naming the plugin and the package.
    """
    from packaging.utils import canonicalize_name

    lines = conflict_lines(result)
    if not lines:
        return None
    text = result.stdout + result.stderr
    wanted = _CANNOT_INSTALL.search(text)
    targets = wanted.group("what") if wanted else " ".join(specs)
    target_names = {
        canonicalize_name(m.group(1))
        for part in re.split(r",\s*|\s+and\s+", targets)
        if (m := _REQ_NAME.match(part))
    }
    reasons = []
    for line in lines:
        depends = _DEPENDS.match(line)
        user = _USER_REQUESTED.match(line)
        req = depends.group("req") if depends else user.group("req") if user else None
        name_match = _REQ_NAME.match(req) if req else None
        if req is None or name_match is None:
            continue
        name = canonicalize_name(name_match.group(1))
        if name not in host_pins:
            continue
        needs = f"Cloud Craver itself needs {name} {host_pins[name]}"
        if depends is None:
            reasons.append(f"{req} would change {name}, but {needs}")
        elif canonicalize_name(depends.group("who")) in target_names or not target_names:
            reasons.append(
                f"{depends.group('who')} {depends.group('version')} requires {req}, but {needs}"
            )
        else:
            reasons.append(
                f"{targets} cannot be installed: its dependency {depends.group('who')} "
                f"{depends.group('version')} requires {req}, but {needs}"
            )
    if not reasons:
        return None
    unique = list(dict.fromkeys(reasons))
    return ChangeError(
        "refused: " + "; ".join(unique) + "; nothing was changed", details=error_block(result)
    )


def plan_uninstall(
    names: Sequence[str],
    installed: Mapping[str, InstalledDist],
    host_pins: Mapping[str, str],
    *,
    keep: Collection[str] = (),
    keep_requested: bool = False,
) -> Plan:
    """Remove ``names`` and every distribution only they needed.

    A dependency goes when nothing that stays requires it, it is not one of ``host_pins``
    and not in ``keep``; with ``keep_requested``, distributions pip marked as installed at
    the user's request (``REQUESTED``) stay too. Markers are evaluated, extras ignored.

    :raises ChangeError: a name is not installed, or is a package the host needs.
    """
    from packaging.utils import canonicalize_name

    wanted = [canonicalize_name(n) for n in names]
    missing = [n for n in wanted if n not in installed]
    if missing:
        raise ChangeError(f"not installed: {', '.join(missing)}; nothing was changed")
    protected = [n for n in wanted if n in host_pins]
    if protected:
        raise ChangeError(
            f"refused: {', '.join(protected)} cannot be removed: Cloud Craver itself needs "
            f"{'it' if len(protected) == 1 else 'them'}; nothing was changed"
        )
    requires = {name: requirement_names(dist) for name, dist in installed.items()}
    keep_set = {canonicalize_name(n) for n in keep} | set(host_pins)
    removed: set[str] = set(wanted)
    changed = True
    while changed:
        # A fixed point: removing a dependency can free the dependencies only it needed.
        changed = False
        candidates = set().union(*(requires[n] for n in removed)) - removed
        for name in sorted(candidates):
            dist = installed.get(name)
            if dist is None or name in keep_set or (keep_requested and dist.requested):
                continue
            if any(name in requires[other] for other in installed if other not in removed):
                continue
            removed.add(name)
            changed = True
    contract = {canonicalize_name(n) for n in HOST_DISTRIBUTIONS}
    named = plugin_names(installed)
    changes = tuple(
        Change(
            name=name,
            action="remove",
            before=installed[name].version,
            after=None,
            requested=name in wanted,
            is_plugin=name in wanted or bool(requires[name] & contract),
            plugins=tuple(named.get(name, ())),
        )
        for name in sorted(removed)
    )
    return Plan(command="uninstall", specs=tuple(names), changes=changes)


def policy_spec(name: str, version: str, policy: str) -> str | None:
    """The requirement ``plugin update`` asks pip for, or ``None`` when ``pinned``.

    ``patch``: same major.minor (``>=1.2.3,<1.3``); ``minor``: same major (``>=1.2.3,<2``);
    ``major``: anything newer (``>=1.2.3``). Never below the installed version: an update
    does not downgrade. Newer versions must still fit the host's pins (the contract
    distribution among them), which pip's constraints enforce.

    :raises ChangeError: ``policy`` is not one of :data:`POLICIES`.
    """
    from packaging.version import InvalidVersion, Version

    if policy not in POLICIES:
        raise ChangeError(
            f"unknown update policy {policy!r} for {name}; use one of {', '.join(POLICIES)}"
        )
    if policy == "pinned":
        return None
    try:
        release = Version(version).release
    except InvalidVersion:
        return name  # a version we cannot compare: let pip pick the newest
    major, minor = release[0], release[1] if len(release) > 1 else 0
    lower = f"{name}>={version}"
    if policy == "patch":
        return f"{lower},<{major}.{minor + 1}"
    if policy == "minor":
        return f"{lower},<{major + 1}"
    return lower
