"""Terraform modules across files: each file parsed once, each folder read as one module.

Terraform reads every ``.tf`` and ``.tf.json`` file of a folder as one configuration, but
the host hands the plugin one file at a time. When a Terraform file is validated, the
files beside it are read too (:meth:`TerraformFiles.module_for`), so that a bucket in
``main.tf`` is linked to the ``aws_s3_bucket_versioning`` in ``storage.tf``; findings are
still reported only for the resources of the file being validated, each by that file.

Parsing is what costs: every file is parsed at most once per process. Parsed files are
kept by absolute path with their modification time and size (a file that changes is read
again), whether the host asked for them (:meth:`TerraformFiles.parse`) or they were read as
a sibling; the module of a folder is kept as long as none of its files changes. A sibling
that cannot be read or parsed is left out silently: validated itself, it gets its own error.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .formats import MODULE_SUFFIXES, TerraformModule

if TYPE_CHECKING:
    from cloudcraver_hookspecs import DocumentSource, InfrastructureDocument

__all__ = ["MAX_SIBLING_BYTES", "TerraformFiles", "is_module_file"]

#: Siblings larger than this are left out (the host's default document size limit).
MAX_SIBLING_BYTES = 5 * 1024 * 1024

# (modification time in nanoseconds, size in bytes) of a file.
_Stamp = tuple[int, int]


def is_module_file(name: str) -> bool:
    """Whether Terraform reads the file ``name`` as part of its folder's module.

    ``.tf`` and ``.tf.json`` files, but not the hidden files and editor back-ups Terraform
    leaves out too (``.#main.tf``, ``#main.tf#``, ``main.tf~``).
    """
    base = os.path.basename(name)
    if base.startswith((".", "#")) or base.endswith("~"):
        return False
    return base.endswith(MODULE_SUFFIXES)


@dataclass(frozen=True)
class _Parsed:
    stamp: _Stamp
    text_hash: int
    document: InfrastructureDocument | None  # None: not a Terraform file we could read


class TerraformFiles:
    """The Terraform files this process has parsed, and the modules they make up."""

    def __init__(self) -> None:
        self._files: dict[str, _Parsed] = {}
        self._modules: dict[str, tuple[tuple[tuple[str, _Stamp], ...], TerraformModule]] = {}
        #: How many files were parsed (the host's and siblings): for tests and curiosity.
        self.parse_count = 0

    # ------------------------------------------------------------------ files

    def parse(self, source: DocumentSource) -> InfrastructureDocument | None:
        """Parse a file the host read, or give the document parsed from it before.

        :raises PluginInputError: as :func:`.parsers.parse_document` does.
        """
        from cloudcraver_hookspecs import InfrastructureDocument

        from .parsers import parse_document

        path = os.path.abspath(source.path)
        stamp = _stamp(path)
        known = self._files.get(path)
        if (
            known is not None
            and known.document is not None
            and stamp is not None
            and known.stamp == stamp
            and known.text_hash == hash(source.text)
        ):
            cached = known.document
            return InfrastructureDocument(source.path, cached.format, cached.data, cached.lines)
        self.parse_count += 1
        document = parse_document(source)
        if (
            stamp is not None
            and document is not None
            and document.format == "terraform"
            and is_module_file(path)
        ):
            self._files[path] = _Parsed(stamp, hash(source.text), document)
        return document

    def _sibling(self, path: str, stamp: _Stamp) -> InfrastructureDocument | None:
        """A sibling file's document, parsed at most once per version of the file."""
        from cloudcraver_hookspecs import DocumentSource, PluginInputError

        from .parsers import parse_document

        known = self._files.get(path)
        if known is not None and known.stamp == stamp:
            return known.document
        document = None
        text = ""
        if stamp[1] <= MAX_SIBLING_BYTES:
            try:
                with open(path, encoding="utf-8") as file:
                    text = file.read()
                self.parse_count += 1
                document = parse_document(DocumentSource(path, text))
            except (OSError, UnicodeDecodeError, PluginInputError):
                document = None
        if document is not None and document.format != "terraform":
            document = None
        self._files[path] = _Parsed(stamp, hash(text), document)
        return document

    # ------------------------------------------------------------------ modules

    def module_for(self, document: InfrastructureDocument) -> TerraformModule | None:
        """The module of the folder a ``.tf``/``.tf.json`` document was read from.

        ``None`` for other documents, and for a document whose file is not on disk (read
        alone, as before). The document itself stands for its own file in the module.
        """
        if document.format != "terraform" or not is_module_file(document.path):
            return None
        path = os.path.abspath(document.path)
        own = _stamp(path)
        if own is None:
            return None
        folder = os.path.dirname(path)
        try:
            names = sorted(e.name for e in os.scandir(folder) if is_module_file(e.name))
        except OSError:
            return None
        members: list[tuple[str, _Stamp]] = []
        for name in names:
            member = os.path.join(folder, name)
            stamp = own if member == path else _stamp(member)
            if stamp is not None:
                members.append((member, stamp))
        key = tuple(members)
        known = self._files.get(path)
        # The document is the one parse() keeps for its file: a module made of kept files
        # serves every file of the folder. Otherwise (another parser's document, a file
        # changed since) the module is made for this document alone.
        own_is_kept = (
            known is not None
            and known.stamp == own
            and known.document is not None
            and known.document.data is document.data
        )
        cached = self._modules.get(folder)
        if own_is_kept and cached is not None and cached[0] == key:
            return cached[1]
        files: list[tuple[str, Any]] = []
        for member, stamp in members:
            if member == path:
                files.append((member, document.data))
                continue
            sibling = self._sibling(member, stamp)
            if sibling is not None:
                files.append((member, sibling.data))
        module = TerraformModule(files)
        if own_is_kept:
            self._modules[folder] = (key, module)
        return module


def _stamp(path: str) -> _Stamp | None:
    """The modification time and size of a regular file; ``None`` when there is none."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return status.st_mtime_ns, status.st_size
