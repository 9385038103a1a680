"""Finding plugins without importing them.

Two kinds of places hold plugins:

- the running environment: every distribution with an entry point in the ``cloudcraver``
  group (``pip install cloudcraver-plugin-x`` is enough);
- plugin paths, named by ``[host] plugin_paths`` or ``CLOUDCRAVER_PLUGIN_PATH``: a built
  wheel, a project checkout (a folder with ``pyproject.toml``), or a folder holding
  wheels, checkouts and installed ``*.dist-info`` folders.

Each plugin becomes a :class:`PluginRecord` read from metadata and the manifest only. When
two plugins share a name, the higher version wins (at the same version, the copy on a
plugin path) and a warning names both places.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import ENTRY_POINT_GROUP, MANIFEST_ENTRY_POINT_GROUP

from .declaration import Declaration
from .names import normalize_name
from .regular_files import SMALL_FILE_LIMIT, FileTooLargeError, read_text, reason

if TYPE_CHECKING:
    import zipfile

__all__ = ["DiscoveryResult", "PluginRecord", "discover", "first_party_distribution"]

#: The distribution whose plugins are first-party (kept in safe mode).
FIRST_PARTY_DISTRIBUTION = "cloudcraver"
#: The contract's distribution: a plugin requiring it states its contract range that way.
CONTRACT_DISTRIBUTION = "cloudcraver-hookspecs"
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def first_party_distribution() -> str:
    """The name of the distribution whose plugins count as first-party."""
    return FIRST_PARTY_DISTRIBUTION


@dataclass(frozen=True)
class PluginRecord:
    """A plugin found by discovery, described from metadata alone.

    :param name: the plugin name (its entry-point name).
    :param version: the distribution's version, or the manifest's.
    :param distribution: the distribution name, if known.
    :param entry_point: what to import, ``module`` or ``module:attribute``.
    :param kind: ``environment``, ``wheel``, ``checkout`` or ``directory``.
    :param location: where it was found, as shown to users.
    :param import_path: a folder or wheel to put on ``sys.path`` before importing, if any.
    :param manifest: what the plugin's manifest declares, if it ships one.
    :param manifest_error: why the manifest could not be used, if it could not.
    :param contract: the contract range the plugin declares, if any.
    :param contract_compatible: whether this host's contract version is in that range
        (worked out once by discovery, so cached results need no version parsing).
    :param first_party: whether it comes with Cloud Craver itself.
    """

    name: str
    version: str
    distribution: str | None
    entry_point: str
    kind: str
    location: str
    import_path: str | None = None
    manifest: Declaration | None = None
    manifest_error: str | None = None
    contract: str | None = None
    contract_compatible: bool | None = None
    first_party: bool = False

    @property
    def key(self) -> str:
        """The normalised name plugins are compared by."""
        return normalize_name(self.name)

    @property
    def module(self) -> str:
        """The module the entry point imports."""
        return self.entry_point.partition(":")[0].strip()


@dataclass
class DiscoveryResult:
    """What discovery found: the winning record per name, and warnings for people."""

    records: list[PluginRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Files read on disk (manifests, schemas): a cached result is stale if one changes.
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _DistributionView:
    """What discovery needs of one distribution, wherever it lives."""

    name: str | None
    version: str
    entry_points: list[tuple[str, str, str]]  # (group, name, value)
    requires: list[str]
    kind: str
    location: str
    import_path: str | None
    read_package_file: Callable[[str], tuple[str, str]]  # "pkg/file" -> (text, shown path)


def discover(plugin_paths: Sequence[Path] = (), *, environment: bool = True) -> DiscoveryResult:
    """Find every plugin in the environment and in ``plugin_paths``; import nothing."""
    result = DiscoveryResult()
    found: list[PluginRecord] = []
    views: list[_DistributionView] = []
    if environment:
        views.extend(_environment_views())
    for path in plugin_paths:
        views.extend(_path_views(path, result.warnings))
    for view in views:
        recorded = replace(view, read_package_file=_recording(view.read_package_file, result.files))
        found.extend(_records_of(recorded, result.warnings))
    result.records = [_with_compatibility(r) for r in _resolve_duplicates(found, result.warnings)]
    return result


def _with_compatibility(record: PluginRecord) -> PluginRecord:
    return replace(record, contract_compatible=contract_compatible(record.contract))


def contract_compatible(contract: str | None) -> bool | None:
    """Whether this host's contract version is in ``contract`` (``None``: no range given)."""
    if not contract:
        return None
    from cloudcraver_hookspecs import CONTRACT_VERSION
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        return Version(CONTRACT_VERSION) in SpecifierSet(contract)
    except InvalidSpecifier:
        return False


def _recording(
    read: Callable[[str], tuple[str, str]], files: list[str]
) -> Callable[[str], tuple[str, str]]:
    def read_and_record(relative: str) -> tuple[str, str]:
        try:
            text, shown = read(relative)
        except OSError as exc:
            # A manifest that cannot be read (a FIFO, too large) is watched too: the
            # cached error goes once the file is fixed.
            failed = getattr(exc, "path", None) or exc.filename
            if isinstance(failed, str):
                files.append(failed)
            raise
        if "!/" not in shown:  # a file inside a wheel changes only with the wheel
            files.append(shown)
        return text, shown

    return read_and_record


def _environment_views() -> Iterator[_DistributionView]:
    seen: set[str] = set()
    from importlib import metadata  # only when the cache misses: it costs ~15 ms

    for dist in metadata.distributions():
        entry_points = [
            (ep.group, ep.name, ep.value)
            for ep in dist.entry_points
            if ep.group in (ENTRY_POINT_GROUP, MANIFEST_ENTRY_POINT_GROUP)
        ]
        if not entry_points:
            continue
        name = dist.metadata["Name"]
        key = normalize_name(name or "")
        if key in seen:  # a shadowed copy further down sys.path: imports never reach it
            continue
        seen.add(key)
        location = str(getattr(dist, "_path", None) or dist.locate_file(""))
        yield _DistributionView(
            name=name,
            version=dist.version,
            entry_points=entry_points,
            requires=list(dist.requires or []),
            kind="environment",
            location=location,
            import_path=None,
            read_package_file=_read_from_sys_path,
        )


def _read_from_sys_path(relative: str) -> tuple[str, str]:
    # Locates a package's folder with find_spec on the top-level name, which (unlike
    # importlib.resources) runs none of the package's code.
    top, _, rest = relative.partition("/")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {top!r} not found")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder, rest)
        if candidate.is_file():
            return read_text(candidate), str(candidate)
    raise FileNotFoundError(f"{relative} not found in package {top!r}")


def _path_views(path: Path, warnings: list[str]) -> Iterator[_DistributionView]:
    if not path.exists():
        warnings.append(f"plugin path {path} does not exist; check [host] plugin_paths")
        return
    if path.is_file():
        if path.suffix == ".whl":
            yield from _wheel_views(path, warnings)
        else:
            warnings.append(f"plugin path {path} is a file but not a wheel (.whl); ignored")
        return
    if (path / "pyproject.toml").is_file():
        yield from _checkout_views(path, warnings)
        return
    for child in sorted(path.iterdir()):
        if child.suffix == ".whl" and child.is_file():
            yield from _wheel_views(child, warnings)
        elif child.is_dir() and (child / "pyproject.toml").is_file():
            yield from _checkout_views(child, warnings)
    if any(path.glob("*.dist-info")):
        yield from _directory_views(path)


def _directory_views(folder: Path) -> Iterator[_DistributionView]:
    from importlib import metadata

    for dist in metadata.distributions(path=[str(folder)]):
        entry_points = [
            (ep.group, ep.name, ep.value)
            for ep in dist.entry_points
            if ep.group in (ENTRY_POINT_GROUP, MANIFEST_ENTRY_POINT_GROUP)
        ]
        if entry_points:
            yield _DistributionView(
                name=dist.metadata["Name"],
                version=dist.version,
                entry_points=entry_points,
                requires=list(dist.requires or []),
                kind="directory",
                location=str(getattr(dist, "_path", folder)),
                import_path=str(folder),
                read_package_file=functools.partial(_read_relative, folder),
            )


def _wheel_views(wheel: Path, warnings: list[str]) -> Iterator[_DistributionView]:
    import zipfile
    from importlib import metadata

    try:
        archive = zipfile.ZipFile(wheel)
        dist_info = sorted(
            {
                n.split("/", 1)[0]
                for n in archive.namelist()
                if n.split("/", 1)[0].endswith(".dist-info")
            }
        )
        if not dist_info:
            raise zipfile.BadZipFile("no .dist-info folder")
        dist = metadata.PathDistribution(zipfile.Path(archive, at=dist_info[0] + "/"))
        entry_points = [
            (ep.group, ep.name, ep.value)
            for ep in dist.entry_points
            if ep.group in (ENTRY_POINT_GROUP, MANIFEST_ENTRY_POINT_GROUP)
        ]
        name, version, requires = dist.metadata["Name"], dist.version, list(dist.requires or [])
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        warnings.append(f"plugin path {wheel} is not a readable wheel ({exc}); ignored")
        return
    if entry_points:
        yield _DistributionView(
            name=name,
            version=version,
            entry_points=entry_points,
            requires=requires,
            kind="wheel",
            location=str(wheel),
            import_path=str(wheel),
            read_package_file=lambda rel: (_read_member(archive, rel), f"{wheel}!/{rel}"),
        )


def _checkout_views(project: Path, warnings: list[str]) -> Iterator[_DistributionView]:
    from .tomlfile import read_toml

    try:
        pyproject = read_toml(project / "pyproject.toml")
    except Exception as exc:
        warnings.append(f"plugin path {project}: {exc}; ignored")
        return
    table: dict[str, Any] = pyproject.get("project", {})
    groups = table.get("entry-points", {})
    entry_points = [
        (group, name, value)
        for group in (ENTRY_POINT_GROUP, MANIFEST_ENTRY_POINT_GROUP)
        for name, value in groups.get(group, {}).items()
    ]
    if not entry_points:
        return
    root = project / "src" if (project / "src").is_dir() else project
    yield _DistributionView(
        name=table.get("name"),
        version=str(table.get("version", "0+checkout")),
        entry_points=entry_points,
        requires=list(table.get("dependencies", [])),
        kind="checkout",
        location=str(project),
        import_path=str(root),
        read_package_file=functools.partial(_read_relative, root),
    )


def _read_relative(base: Path, relative: str) -> tuple[str, str]:
    path = base / relative
    return read_text(path), str(path)


def _read_member(archive: zipfile.ZipFile, relative: str) -> str:
    """A file of a wheel, at most :data:`SMALL_FILE_LIMIT` bytes however well it compresses."""
    with archive.open(relative) as member:
        data = member.read(SMALL_FILE_LIMIT + 1)
    if len(data) > SMALL_FILE_LIMIT:
        raise FileTooLargeError(SMALL_FILE_LIMIT, archive.getinfo(relative).file_size)
    return data.decode("utf-8")


def _contract_range(requires: Iterable[str]) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement

    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        applies = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
        named = normalize_name(requirement.name) == CONTRACT_DISTRIBUTION
        if named and applies and requirement.specifier:
            return str(requirement.specifier)
    return None


def _records_of(view: _DistributionView, warnings: list[str]) -> Iterator[PluginRecord]:
    plugins = {
        name: value for group, name, value in view.entry_points if group == ENTRY_POINT_GROUP
    }
    manifests = {
        name: value
        for group, name, value in view.entry_points
        if group == MANIFEST_ENTRY_POINT_GROUP
    }
    for name in sorted(set(manifests) - set(plugins)):
        warnings.append(
            f"{view.location}: manifest entry point {name!r} has no plugin entry point "
            f"of the same name in [{ENTRY_POINT_GROUP}]; ignored"
        )
    declared_range = _contract_range(view.requires) if plugins else None
    first_party = normalize_name(view.name or "") == FIRST_PARTY_DISTRIBUTION
    for name, value in sorted(plugins.items()):
        record = PluginRecord(
            name=name,
            version=view.version,
            distribution=view.name,
            entry_point=value,
            kind=view.kind,
            location=view.location,
            import_path=view.import_path,
            contract=declared_range,
            first_party=first_party,
        )
        reference = manifests.get(name)
        if reference is not None:
            record = _with_manifest(record, reference, view)
        yield record


def _with_manifest(record: PluginRecord, reference: str, view: _DistributionView) -> PluginRecord:
    package, sep, filename = reference.partition(":")
    # An entry point's value is an object reference: dotted identifiers on both sides.
    # Older pip refuses to install a wheel whose entry points break that rule.
    if not sep or not _DOTTED.match(package.strip()) or not _DOTTED.match(filename.strip()):
        error = (
            f"manifest entry point {reference!r} must look like 'package:cloudcraver_plugin.toml' "
            "(identifiers separated by dots: no '-' in the file name)"
        )
        return replace(record, manifest_error=error)
    folder = package.strip().replace(".", "/")
    relative = f"{folder}/{filename.strip()}"
    try:
        text, source = view.read_package_file(relative)
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        error = (
            f"cannot read its manifest {relative} ({reason(exc)}); "
            f"reinstall {view.name or record.name}"
        )
        return replace(record, manifest_error=error)
    manifest_dir = relative.rsplit("/", 1)[0]
    from .manifest import ManifestError, parse_manifest  # pydantic: only when reading a manifest

    try:
        parsed = parse_manifest(
            text,
            source=source,
            read_relative=lambda rel: view.read_package_file(f"{manifest_dir}/{rel}")[0],
        )
    except ManifestError as exc:
        return replace(record, manifest_error=str(exc))
    manifest = parsed.declaration()
    if normalize_name(manifest.name) != record.key:
        error = (
            f"{source}: name {manifest.name!r} differs from the entry point name {record.name!r}"
        )
        return replace(record, manifest_error=error)
    return replace(
        record,
        manifest=manifest,
        version=manifest.version or record.version,
        contract=manifest.contract,
    )


def _resolve_duplicates(records: list[PluginRecord], warnings: list[str]) -> list[PluginRecord]:
    from packaging.version import InvalidVersion, Version

    def version_of(record: PluginRecord) -> Version:
        try:
            return Version(record.version)
        except InvalidVersion:
            return Version("0")

    def rank(record: PluginRecord) -> tuple[Version, bool]:
        # At the same version a plugin path wins over the environment: the author is
        # working on that checkout (or wheel) and put it there to run it.
        return version_of(record), record.kind != "environment"

    winners: dict[str, PluginRecord] = {}
    for record in records:
        current = winners.get(record.key)
        if current is None:
            winners[record.key] = record
            continue
        # Other ties keep the first found (plugin paths in their configured order).
        winner, loser = (record, current) if rank(record) > rank(current) else (current, record)
        winners[record.key] = winner
        same = " (same version: the plugin path wins)" if winner.version == loser.version else ""
        warnings.append(
            f"two plugins named {record.name!r}: using {winner.version} from {winner.location}, "
            f"ignoring {loser.version} from {loser.location}{same}"
        )
    return sorted(winners.values(), key=lambda r: r.key)


def ensure_importable(record: PluginRecord) -> None:
    """Put the record's wheel or checkout on ``sys.path`` so its entry point can be imported."""
    if record.import_path and record.import_path not in sys.path:
        # In front: a plugin path entry won over any installed copy of the same plugin.
        sys.path.insert(0, record.import_path)
