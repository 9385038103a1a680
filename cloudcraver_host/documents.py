"""Validating infrastructure files: read, parse through plugins, collect findings.

The host reads each file itself (regular files only, size limit, UTF-8, no binary), asks the
``parse_document`` hook to parse it, and gives the document to every
``validate_document`` implementation. A file that cannot be read or parsed is reported
against that file and the others are still validated.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cloudcraver_hookspecs import DocumentSource, Finding, InfrastructureDocument, Severity

from .errors import InputError
from .regular_files import FileTooLargeError, kind_of, read_bytes, reason

if TYPE_CHECKING:
    from .host import PluginHost

__all__ = ["DocumentResult", "ValidationReport", "expand_paths", "validate_files"]

#: File endings looked at when a folder is given to ``validate``.
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".tf")


@dataclass
class DocumentResult:
    """The outcome for one file.

    :param path: the file as given or found.
    :param format: the format its parser recognised, if it was parsed.
    :param findings: what the validators reported.
    :param error: why it could not be read or parsed, if it could not.
    """

    path: str
    format: str | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


@dataclass
class ValidationReport:
    """The outcome for every file of one ``validate`` run."""

    results: list[DocumentResult] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        """Every finding, file by file."""
        return [f for result in self.results for f in result.findings]

    @property
    def errors(self) -> list[str]:
        """Every file-level error, as one-line messages."""
        return [r.error for r in self.results if r.error is not None]

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(n for given, n in self._severities().items() if Severity(given) is severity)

    def fails(self, threshold: Severity) -> bool:
        """Whether any finding is at or above ``threshold``."""
        return any(Severity(given).rank >= threshold.rank for given in self._severities())

    def _severities(self) -> Counter[object]:
        # Counted in one pass: a report may hold hundreds of thousands of findings.
        return Counter(f.severity for result in self.results for f in result.findings)


def expand_paths(
    paths: Sequence[Path],
    *,
    warn: Callable[[str], None] | None = None,
    skip_unreadable: bool = False,
) -> Iterator[Path]:
    """Files as given, and the documents inside folders (sorted, hidden folders skipped).

    A folder holding no document is given back as itself, so that validating it reports
    that it holds nothing instead of passing silently; so is a folder that cannot be read
    (its documents would go unchecked), unless ``skip_unreadable``, which skips it with a
    warning. A document found in a folder that is not a regular file (a FIFO, a symbolic
    link to ``/dev/zero``) is skipped with a warning: it was not named, and reading it would
    block or never end. One named on the command line is given back, and refused when read.

    :param warn: called with each warning (default: warnings are dropped).
    """
    for path in paths:
        if _is_folder(path):
            yield from _expand_folder(path, warn or (lambda _: None), skip_unreadable)
        else:
            yield path


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):  # too long a name, a NUL: reported when read
        return False


def _expand_folder(
    folder: Path, warn: Callable[[str], None], skip_unreadable: bool
) -> Iterator[Path]:
    # os.walk reports a folder it cannot list through onerror and goes on without it;
    # each such folder is given back (read_document says why) or skipped with a warning.
    unreadable: list[OSError] = []
    found = skipped = False

    def drain() -> Iterator[Path]:
        nonlocal found, skipped
        for error in unreadable:
            where = Path(error.filename) if error.filename else folder
            if skip_unreadable:
                skipped = True
                warn(f"{where}: skipped: cannot read this folder: {error.strerror or error}")
            else:
                found = True
                yield where
        unreadable.clear()

    for root, folders, files in os.walk(folder, onerror=unreadable.append):
        yield from drain()
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if not name.lower().endswith(DOCUMENT_SUFFIXES):
                continue
            candidate = Path(root, name)
            problem = _not_regular(candidate)
            if problem is not None:
                warn(f"{candidate}: skipped: {problem}")
                continue
            found = True
            yield candidate
    yield from drain()
    if not found and not skipped:
        yield folder


def _not_regular(path: Path) -> str | None:
    """Why ``path`` (its link's target) is no document: a FIFO, a device...; or ``None``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing or unreadable: read_document reports it
    return None if stat.S_ISREG(mode) else f"{kind_of(mode)}, not a regular file"


def read_document(path: Path, max_bytes: int) -> DocumentSource:
    """Read a file to validate, refusing what no parser should see.

    Only a regular file is read (a FIFO or a device is refused, never opened), and no
    more than ``max_bytes`` of it (the limit holds on what is read, whatever its size says).
    """
    if _is_folder(path):
        raise InputError(_folder_problem(path))
    try:
        raw = read_bytes(path, max_bytes)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except FileTooLargeError as exc:
        raise InputError(f"{path}: {exc}; raise [host] max_document_bytes to validate it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {reason(exc)}") from None
    except ValueError as exc:  # a NUL in the name
        raise InputError(f"{path}: cannot read: {exc}") from None
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: binary content, not an infrastructure document")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    return DocumentSource(path=str(path), text=text)


def _folder_problem(folder: Path) -> str:
    try:
        with os.scandir(folder):
            pass
    except OSError as exc:
        return (
            f"{folder}: cannot read this folder: {exc.strerror or exc}; its documents would go "
            "unchecked: fix its permissions, or pass --skip-unreadable to skip it with a warning"
        )
    suffixes = "/".join(DOCUMENT_SUFFIXES)
    return f"{folder}: a folder with no {suffixes} file in it"


#: Files per worker below which forking costs more than it saves.
_FILES_PER_JOB = 8


def validate_files(
    host: PluginHost, paths: Iterable[Path], *, jobs: int | None = None
) -> ValidationReport:
    """Validate each file with every validator plugin.

    :param jobs: how many processes share the files (default: one per processor the
        process may use); the report is the same whatever the number.
    """
    from .forked import can_fork, default_jobs, map_forked

    files = list(paths)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    jobs = min(jobs, len(files) // _FILES_PER_JOB)
    report = ValidationReport()
    if jobs < 2 or not can_fork():
        report.results = _validate_all(host, files)
        return report
    # The first file of each kind runs here: it imports and activates the parsers and
    # validators that kind needs (and builds their tables) once, before the workers are
    # forked with them loaded.
    first = _first_of_each_kind(files)
    results: dict[int, DocumentResult] = dict(
        zip(first, _validate_all(host, [files[i] for i in first]), strict=True)
    )
    rest = [i for i in range(len(files)) if i not in results]
    chunks = _shares(files, rest, jobs)
    failures_before = len(host.failures)

    def work(chunk: list[int]) -> list[DocumentResult] | None:
        found = _validate_all(host, [files[i] for i in chunk])
        return None if len(host.failures) > failures_before else found

    shares = map_forked(work, chunks, prepare=host.detach_for_worker)
    for chunk, share in zip(chunks, shares, strict=True):
        # A worker that failed, or saw a plugin fail, hands its share back: done here,
        # the failure is reported and recorded exactly as without workers.
        done = share if share is not None else _validate_all(host, [files[i] for i in chunk])
        results.update(zip(chunk, done, strict=True))
    report.results = [results[i] for i in range(len(files))]
    return report


def _first_of_each_kind(files: list[Path]) -> list[int]:
    """Positions of the first file of each suffix (``.tf``, ``.yaml``, ``.json``...)."""
    seen: dict[str, int] = {}
    for index, path in enumerate(files):
        seen.setdefault(path.suffix.lower(), index)
    return sorted(seen.values())


#: Relative cost of checking a byte, by file ending: HCL goes through a parser in Python.
_COST_PER_BYTE = {".tf": 6}


def _shares(files: list[Path], positions: list[int], count: int) -> list[list[int]]:
    """``positions`` of ``files`` split into ``count`` shares of about equal cost.

    A folder's files stay in one share: a Terraform module's files are read together, so
    splitting a folder would parse it in two processes. Within a share, the order is kept.
    """
    folders: dict[Path, list[int]] = {}
    for position in positions:
        folders.setdefault(files[position].parent, []).append(position)
    loads = [0] * count
    shares: list[list[int]] = [[] for _ in range(count)]
    for members in sorted(folders.values(), key=lambda m: -_cost(files, m)):
        lightest = loads.index(min(loads))
        shares[lightest] += members
        loads[lightest] += _cost(files, members)
    return [sorted(share) for share in shares if share]


def _cost(files: list[Path], positions: list[int]) -> int:
    total = 0
    for position in positions:
        path = files[position]
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        total += (size + 1024) * _COST_PER_BYTE.get(path.suffix.lower(), 1)
    return total


def _validate_all(host: PluginHost, paths: Iterable[Path]) -> list[DocumentResult]:
    results = []
    limit = host.settings.max_document_bytes
    for path in paths:
        result = DocumentResult(path=str(path))
        results.append(result)
        try:
            document = _parse(host, read_document(path, limit))
            result.format = document.format
            # A validator's PluginInputError is about this file too: its error, and the
            # other files are still validated.
            result.findings = _validate(host, document)
        except InputError as exc:
            result.error = str(exc)
    return results


def _parse(host: PluginHost, source: DocumentSource) -> InfrastructureDocument:
    document = host.hook.parse_document(source=source)
    if document is None:
        failed = [
            info.name
            for info in host.plugins()
            if info.failure is not None and info.hooks and "parse_document" in info.hooks
        ]
        if failed:
            names = ", ".join(f"'{name}'" for name in failed)
            raise InputError(
                f"{source.path}: not parsed: the parser plugin(s) {names} could not run "
                "(see the lines above)"
            )
        raise InputError(
            f"{source.path}: no plugin recognises this file's format; "
            "see `cloudcraver plugin list` for the validators installed"
        )
    if not isinstance(document, InfrastructureDocument):
        raise InputError(
            f"{source.path}: the parser returned {type(document).__name__}, not a document"
        )
    # Every validator gets the same document: none may change what the others see.
    from .frozen import freeze

    return replace(document, data=freeze(document.data), lines=_read_only(document.lines))


def _read_only(lines: Mapping[str, int]) -> Mapping[str, int]:
    """The source map, read-only for the validators.

    A plain ``dict`` is copied (its parser may still hold it). Another mapping (the policy
    plugin's lazy map, which works out a line when asked) is only wrapped: copying it would
    build every entry, 0.4 s for a file of 90,000 resources of which findings need a few.
    """
    from types import MappingProxyType

    if isinstance(lines, dict) or not isinstance(lines, Mapping):
        return MappingProxyType(dict(lines))
    return MappingProxyType(lines)


def _validate(host: PluginHost, document: InfrastructureDocument) -> list[Finding]:
    findings: list[Finding] = []
    for plugin, result in host.call_each("validate_document", document=document):
        if not isinstance(result, (list, tuple)) or not all(isinstance(f, Finding) for f in result):
            host.fail_plugin(
                plugin,
                f"validate_document returned {type(result).__name__}, not a list of Finding",
                hook="validate_document",
            )
            continue
        findings.extend([_stamped(f, plugin) for f in result])
    if not _in_order(findings):  # one validator's findings are often in order already
        findings.sort(key=_finding_order)
    return findings


def _stamped(finding: Finding, plugin: str) -> Finding:
    """``finding``, named after the ``plugin`` that reported it, its severity a member.

    Stamped in place: the plugin handed the object over, and a copy of each of 270,000
    findings cost 0.27 s. The name is always the host's, whatever the plugin wrote; a
    plugin that hands the same object to several documents gets the same stamp each time.
    """
    # object.__setattr__: the dataclass is frozen (its own setattr refuses), and a
    # subclass may keep its fields in slots.
    object.__setattr__(finding, "plugin", plugin)
    given = finding.severity
    if type(given) is not Severity:
        object.__setattr__(finding, "severity", Severity(given))
    return finding


def _finding_order(finding: Finding) -> tuple[int, str]:
    location = finding.location
    return ((location.line or 0) if location else 0, finding.rule_id)


def _in_order(findings: list[Finding]) -> bool:
    """Whether ``findings`` are sorted already.

    Checked keeping two keys at a time; a sort holds one per finding (270,000 tuples).
    """
    keys = map(_finding_order, findings)
    previous = next(keys, None)
    for key in keys:
        if key < previous:  # type: ignore[operator]
            return False
        previous = key
    return True
