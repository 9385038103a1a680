"""A real PEP 503 package index on 127.0.0.1 for the install tests.

:class:`PackageIndex` serves ``/simple/`` (every project), ``/simple/<name>/`` (its files,
each link with ``#sha256=`` and ``data-requires-python``; wheels also with their core metadata,
PEP 658/714, as PyPI does) and ``/files/<filename>``, from a ``ThreadingHTTPServer`` in a
daemon thread. Files are served from where they are (nothing is copied).

A project, or the whole index, can be taken offline (every URL of it answers 404) so a test
can prove that a rollback needs no network; :attr:`PackageIndex.requests` records what was
asked for.

    with PackageIndex([wheel, ...]) as index:
        pip install --index-url {index.simple_url} cc-inst-good
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

__all__ = ["IndexFile", "IndexRequest", "PackageIndex", "normalize"]

#: What PyPI sends: simple pages are revalidated after 10 minutes, files never change.
SIMPLE_CACHE_CONTROL = "max-age=600, public"
FILE_CACHE_CONTROL = "max-age=365000000, immutable, public"


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class IndexFile:
    """One file the index serves.

    :param project: the normalized project name.
    :param filename: the file's name (its URL is ``/files/<filename>``).
    :param path: where it is read from.
    :param sha256: its hash (hex).
    :param requires_python: its ``Requires-Python``, or ``None``.
    :param metadata: a wheel's core metadata (``METADATA``), served at
        ``/files/<filename>.metadata``; ``None`` for sdists.
    """

    project: str
    filename: str
    path: Path
    sha256: str
    requires_python: str | None
    metadata: bytes | None


@dataclass(frozen=True)
class IndexRequest:
    """One request the index answered: ``method``, ``path`` and ``status``."""

    method: str
    path: str
    status: int


def _read_file(path: Path) -> IndexFile:
    """Name, version source and metadata of a wheel or sdist (``.tar.gz``)."""
    filename = path.name
    metadata: bytes | None = None
    if filename.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise ValueError(f"{path} has no single .dist-info/METADATA")
            metadata = archive.read(names[0])
        core = metadata
    elif filename.endswith(".tar.gz"):
        with tarfile.open(path) as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                ),
                None,
            )
            extracted = archive.extractfile(member) if member is not None else None
            if extracted is None:
                raise ValueError(f"{path} has no PKG-INFO")
            core = extracted.read()
    else:
        raise ValueError(f"not a wheel or an sdist: {path}")
    headers = HeaderParser().parsestr(core.decode("utf-8"))
    return IndexFile(
        project=normalize(headers["Name"]),
        filename=filename,
        path=path,
        sha256=_sha256(path.read_bytes()),
        requires_python=headers.get("Requires-Python"),
        metadata=metadata,
    )


class PackageIndex:
    """A PEP 503 "simple" index served on 127.0.0.1 (a context manager: start, stop).

    :param files: wheels and sdists to serve at once (more with :meth:`add`).
    :param port: ``0`` picks a free port.
    """

    def __init__(self, files: Iterable[Path] = (), *, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, IndexFile]] = {}
        self._offline: set[str] = set()
        self._all_offline = False
        self._requests: list[IndexRequest] = []
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for path in files:
            self.add(path)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> PackageIndex:
        """Start serving (in a daemon thread); returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the index is already running")
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        # A short poll interval: stop() waits for it (the default 0.5 s, per test).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"package-index:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (a later connection is refused)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> PackageIndex:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server is None:
            raise RuntimeError("the index is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        """The index URL for pip: ``<url>/simple/``."""
        return f"{self.url}/simple/"

    def file_url(self, filename: str) -> str:
        """The URL of one served file."""
        return f"{self.url}/files/{filename}"

    # ------------------------------------------------------------------ content

    def add(self, path: Path) -> IndexFile:
        """Serve a wheel or an sdist (read from ``path``; replaces a file of the same name)."""
        entry = _read_file(Path(path).resolve())
        with self._lock:
            self._files.setdefault(entry.project, {})[entry.filename] = entry
        return entry

    def add_all(self, paths: Iterable[Path]) -> list[IndexFile]:
        """:meth:`add` each of ``paths``."""
        return [self.add(p) for p in paths]

    def remove(self, filename: str) -> None:
        """Stop serving one file (its project page no longer lists it)."""
        with self._lock:
            for files in self._files.values():
                files.pop(filename, None)

    def projects(self) -> list[str]:
        """The normalized names of the projects served."""
        with self._lock:
            return sorted(name for name, files in self._files.items() if files)

    def files(self, project: str) -> list[IndexFile]:
        """The files of one project."""
        with self._lock:
            return sorted(
                self._files.get(normalize(project), {}).values(), key=lambda f: f.filename
            )

    # ------------------------------------------------------------------ offline

    def set_offline(self, *projects: str, offline: bool = True) -> None:
        """Take projects offline (every URL of theirs answers 404), or back online."""
        with self._lock:
            names = {normalize(p) for p in projects}
            if offline:
                self._offline |= names
            else:
                self._offline -= names

    def set_all_offline(self, offline: bool = True) -> None:
        """Take the whole index offline (every URL answers 404), or back online."""
        with self._lock:
            self._all_offline = offline

    @contextlib.contextmanager
    def offline(self, *projects: str) -> Iterator[None]:
        """While in the ``with`` block, ``projects`` (none given: everything) answer 404."""
        if projects:
            self.set_offline(*projects)
        else:
            self.set_all_offline()
        try:
            yield
        finally:
            if projects:
                self.set_offline(*projects, offline=False)
            else:
                self.set_all_offline(False)

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[IndexRequest]:
        """Every request answered so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def pages_requested(self) -> set[str]:
        """The projects whose ``/simple/<name>/`` page was asked for (any answer)."""
        prefix = "/simple/"
        return {
            r.path[len(prefix) :].strip("/")
            for r in self.requests
            if r.path.startswith(prefix) and r.path.strip("/") != "simple"
        }

    def requested(self, project: str) -> list[IndexRequest]:
        """The recorded requests for one project's page or files."""
        key = normalize(project)
        with self._lock:
            filenames = set(self._files.get(key, {}))
        return [
            r
            for r in self.requests
            if r.path.rstrip("/") == f"/simple/{key}"
            or r.path.split("/files/", 1)[-1].removesuffix(".metadata") in filenames
        ]

    # ------------------------------------------------------------------ answers

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append(IndexRequest(method, path, status))

    def _is_offline(self, project: str) -> bool:
        with self._lock:
            return self._all_offline or project in self._offline

    def _root_page(self) -> bytes:
        links = "\n".join(f'<a href="{name}/">{name}</a><br/>' for name in self.projects())
        return _page("Simple index", links)

    def _project_page(self, project: str) -> bytes | None:
        files = self.files(project)
        if not files or self._is_offline(project):
            return None
        links = []
        for entry in files:
            attributes = [f'href="../../files/{entry.filename}#sha256={entry.sha256}"']
            if entry.requires_python:
                attributes.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
            if entry.metadata is not None:
                digest = f"sha256={_sha256(entry.metadata)}"
                attributes.append(f'data-dist-info-metadata="{digest}"')
                attributes.append(f'data-core-metadata="{digest}"')
            links.append(f"<a {' '.join(attributes)}>{entry.filename}</a><br/>")
        return _page(f"Links for {project}", "\n".join(links))

    def _file(self, filename: str) -> bytes | None:
        wanted_metadata = filename.endswith(".metadata")
        name = filename.removesuffix(".metadata") if wanted_metadata else filename
        with self._lock:
            entry = next((f[name] for f in self._files.values() if name in f), None)
        if entry is None or self._is_offline(entry.project):
            return None
        if wanted_metadata:
            return entry.metadata
        return entry.path.read_bytes()


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta name="pypi:repository-version" content="1.0">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    ).encode()


def _handler_for(index: PackageIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Answers GET and HEAD from ``index``; HTTP/1.1 keep-alive like a real index."""

        protocol_version = "HTTP/1.1"
        # Small responses on a kept-alive connection: do not wait for Nagle's algorithm.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            body: bytes | None
            content_type = "text/html; charset=utf-8"
            cache_control = SIMPLE_CACHE_CONTROL
            if path in ("/simple", "/simple/"):
                body = None if index._is_offline("") else index._root_page()
            elif path.startswith("/simple/"):
                name = path[len("/simple/") :].strip("/")
                if "/" in name:
                    body = None
                elif name != normalize(name):
                    self._send_redirect(f"/simple/{normalize(name)}/")
                    return
                else:
                    body = index._project_page(name)
            elif path.startswith("/files/") and "/" not in path[len("/files/") :]:
                body = index._file(path[len("/files/") :])
                content_type = "application/octet-stream"
                cache_control = FILE_CACHE_CONTROL
            else:
                body = None
            if body is None:
                self._send(HTTPStatus.NOT_FOUND, b"Not Found\n", "text/plain", send_body)
            else:
                self._send(HTTPStatus.OK, body, content_type, send_body, cache_control)

        def _send(
            self,
            status: HTTPStatus,
            body: bytes,
            content_type: str,
            send_body: bool,
            cache_control: str | None = None,
        ) -> None:
            index._record(self.command, self.path, int(status))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if cache_control is not None:
                self.send_header("Cache-Control", cache_control)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def _send_redirect(self, location: str) -> None:
            index._record(self.command, self.path, int(HTTPStatus.MOVED_PERMANENTLY))
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: :attr:`PackageIndex.requests` records what was asked."""

    return Handler
