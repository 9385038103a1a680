"""Reading Terraform's native syntax (HCL2, ``.tf``) into Terraform's JSON form.

The text is parsed by python-hcl2's Lark grammar (a maintained HCL2 parser), token by
token under a budget, and the raw parse tree is turned into the structure Terraform
documents for ``.tf.json`` files, so that one inventory reads both syntaxes:

- blocks with labels nest by label, the innermost level being a list of bodies
  (``resource "aws_s3_bucket" "b" {...}`` -> ``{"resource": {"aws_s3_bucket": {"b":
  [{...}]}}}``); blocks without labels are lists of bodies (``rule { ... }`` ->
  ``{"rule": [{...}]}``);
- literals become JSON values; strings are decoded, their interpolations kept as written
  (``"acme-${var.env}"``), ``$${`` staying an escaped literal as in Terraform JSON;
- any other expression (a reference, a function call, a conditional...) becomes
  ``"${<its source text>}"``, which the inventory reads as unknown unless it can resolve
  it (variables, locals, attributes of other resources); ``jsonencode(...)`` of a literal
  object becomes the JSON text Terraform would produce, interpolations kept in strings.

Every block, attribute and object member is mapped to its line. Problems are
:class:`HclProblem` with the 1-based line they are on.

Limits, because the parser is pure Python (about 80,000 tokens a second), its token
patterns use about 200 bytes of backtracking stack per character of a token, and the
grammar's heredoc pattern backtracks quadratically over long runs of blank lines:

- at most :data:`MAX_CHARACTERS` characters (a one-token file then peaks near 250 MB);
- at most :data:`MAX_TOKENS` tokens (about 600 kB of usual Terraform) and
  :data:`MAX_SECONDS` of parsing, whichever comes first;
- heredocs followed by more than :data:`MAX_BLANK_RUN_COST` of whitespace backtracking
  are refused before parsing;
- nesting deeper than :data:`MAX_DEPTH` blocks, objects or tuples is refused.

The parser's tables take two seconds to build: they are cached in the host's cache folder
(:func:`cache_folder`), never next to the code (an installed package stays as installed),
in a file whose name carries the versions of python-hcl2, lark and Python and whose
checksum is verified before it is read: an upgrade never reads stale tables, and a corrupt
or truncated file is rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .integers import IntegerTooLarge, convert
from .model import escape_pointer

if TYPE_CHECKING:
    from lark import Lark, Token, Tree

__all__ = [
    "MAX_BLANK_RUN_COST",
    "MAX_CHARACTERS",
    "MAX_DEPTH",
    "MAX_SECONDS",
    "MAX_TOKENS",
    "HclProblem",
    "cache_folder",
    "parse",
    "parser_cache_file",
]

#: The most characters a file may have (1 MiB).
MAX_CHARACTERS = 1024 * 1024
#: The most tokens a file may have.
MAX_TOKENS = 150_000
#: The most seconds the parser may take, a backstop for machines slower than the
#: token limit was measured on.
MAX_SECONDS = 4.0
#: The deepest nesting of blocks, objects and tuples accepted.
MAX_DEPTH = 100
#: Bound on the backtracking the grammar's heredoc pattern may do over whitespace runs
#: (sum over runs of newlines x length); 20 million steps take well under a second.
MAX_BLANK_RUN_COST = 20_000_000
# Source maps stop here: findings point at resources and attributes, not deep leaves.
_MAP_DEPTH = 12
# Check the clock every this many tokens (reading the clock per token costs 5%).
_CLOCK_EVERY = 1024
# Block types Terraform allows once per label set ("Duplicate resource configuration").
_UNIQUE_BLOCKS = frozenset({"resource", "data", "module", "variable", "output"})
_HEREDOC_OPENER = re.compile(r"<<-?[A-Za-z][A-Za-z0-9._-]*\r?\n")
# Lexer tokens counted from below: strings, comments (not counted), names, punctuation runs.
_TOKEN_FLOOR = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'
    r"|(?P<comment>#[^\n]*|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))"
    r"|[\w.\-]+|[^\s\w\"#/]+|/"
)
_LONG_WHITESPACE = re.compile(r"\s{64,}")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_LITERALS = {"true": True, "false": False, "null": None}
# The first line of a parser cache file; bumped when the file's layout changes.
_CACHE_MAGIC = b"cloudcraver policy hcl2 parser tables 1\n"


class HclProblem(Exception):
    """A problem in an HCL document, at a 1-based line when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """``text`` (HCL2) as Terraform JSON data, and its source map (JSON pointer -> line).

    :raises HclProblem: for invalid HCL, a duplicate attribute or resource, or input
        over the limits.
    """
    if len(text) > MAX_CHARACTERS:
        raise HclProblem(
            None,
            f"{len(text):,} characters is over the {MAX_CHARACTERS:,} an HCL file may have "
            "to be checked within the time and memory limits; split the configuration into "
            "several files",
        )
    _check_heredoc_cost(text)
    _check_token_floor(text)
    # The parse tree and the data hold no reference cycles: the collector's passes over
    # hundreds of thousands of young objects would add half the parse time for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = _parse_tree(text + "\n")  # the grammar needs a final newline
        converter = _Converter(text)
        data = converter.body(_child_tree(tree, "body"), "", 0)
    except RecursionError:  # MAX_DEPTH is checked first; this is the interpreter's own limit
        raise HclProblem(None, f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        if collecting:
            gc.enable()
    return data, converter.lines


def _check_token_floor(text: str) -> None:
    """Refuse at once a file that certainly has more than :data:`MAX_TOKENS` tokens.

    The parser finds out too, but only after lexing them all, seconds later. The count
    here never exceeds the lexer's: a string, a dotted name or a run of punctuation
    counts once, comments not at all. Heredoc bodies would be counted word by word, so a
    file with one is left to the parser's own count.
    """
    if "<<" in text:
        return
    floor = 0
    for match in _TOKEN_FLOOR.finditer(text):
        if match.lastgroup != "comment":
            floor += 1
    if floor > MAX_TOKENS:
        line = text.count("\n", 0, _offset_of_token(text, MAX_TOKENS)) + 1
        raise HclProblem(
            line,
            f"more than {MAX_TOKENS} tokens: too large to check within the "
            "time limit; split the configuration into several files",
        )


def _offset_of_token(text: str, number: int) -> int:
    """Where the ``number``-th counted token starts (for the error's line)."""
    counted = 0
    for match in _TOKEN_FLOOR.finditer(text):
        if match.lastgroup != "comment":
            counted += 1
            if counted > number:
                return match.start()
    return len(text)


def _check_heredoc_cost(text: str) -> None:
    """Refuse whitespace runs the heredoc pattern would backtrack over quadratically."""
    opener = _HEREDOC_OPENER.search(text)
    if opener is None:
        return
    cost = 0
    for run in _LONG_WHITESPACE.finditer(text, opener.start()):
        cost += run.group().count("\n") * (run.end() - run.start())
        if cost > MAX_BLANK_RUN_COST:
            line = text.count("\n", 0, run.start()) + 1
            raise HclProblem(
                line,
                "a heredoc followed by this many blank lines would take the HCL parser "
                "minutes: remove the blank lines",
            )


def cache_folder() -> Path:
    """The host's cache folder, named as the host names it (``cloudcraver_host.paths``).

    ``$CLOUDCRAVER_HOME/cache`` when ``CLOUDCRAVER_HOME`` is set (and not empty), else the
    platform's user cache folder for ``cloudcraver``. The contract passes plugins no folder,
    and a plugin imports no host module: the rule is repeated here (a test holds both to
    the same folder).
    """
    home = os.environ.get("CLOUDCRAVER_HOME")
    if home:
        return Path(home).expanduser() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("cloudcraver", appauthor=False))


def parser_cache_file() -> Path:
    """Where the parser's tables are cached: a name per python-hcl2, lark and Python version."""
    import hcl2
    import lark

    python = "{}.{}".format(*sys.version_info[:2])
    versions = f"python-hcl2-{_version(hcl2)}-lark-{_version(lark)}-py{python}"
    return cache_folder() / f"policy-hcl-parser-{versions}.lark-cache"


def _version(module: Any) -> str:
    version = str(getattr(module, "__version__", "unknown"))
    return re.sub(r"[^A-Za-z0-9.+_-]", "_", version)


@functools.cache
def _parser() -> Lark:
    """python-hcl2's grammar and post-lexer, without position propagation.

    python-hcl2's own parser propagates positions to every tree node, which doubles the
    parse time; lines and spans come from the tokens here. Building the parse tables
    takes two seconds, so they are cached (:func:`parser_cache_file`); where the cache
    folder cannot be written and holds no valid tables, python-hcl2's own parser is used
    instead.
    """
    import hcl2.parser
    from hcl2.postlexer import PostLexer
    from lark import Lark

    grammar = Path(hcl2.parser.__file__).with_name("hcl2.lark")
    path = parser_cache_file()
    key = _cache_key(grammar)
    cached = _read_cached_parser(path, key)
    if cached is not None:
        return cached
    if not _writable_folder(path.parent):
        return hcl2.parser.parser()
    parser = Lark.open(str(grammar), parser="lalr", postlex=PostLexer())
    _write_cached_parser(parser, path, key)
    return parser


def _cache_key(grammar: Path) -> bytes:
    """What the tables are built from: the grammar's text and the versions reading it."""
    import hcl2
    import lark

    try:
        text = grammar.read_bytes()
    except OSError:
        text = b""
    versions = f"{_version(hcl2)} {_version(lark)} {sys.version_info[:2]}".encode()
    return hashlib.sha256(text + b"\0" + versions).hexdigest().encode("ascii")


def _read_cached_parser(path: Path, key: bytes) -> Lark | None:
    """The cached parser, or ``None`` when the file is missing, stale, corrupt or truncated.

    The file is the magic line, the key line, the SHA-256 of the tables and the tables
    (lark's own ``Lark.save`` format); nothing is unpickled before the checksum matches.
    """
    from lark import Lark

    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_CACHE_MAGIC):
        return None
    parts = blob[len(_CACHE_MAGIC) :].split(b"\n", 2)
    if len(parts) != 3 or parts[0] != key:
        return None
    digest, payload = parts[1], parts[2]
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        return None
    try:
        return Lark.load(io.BytesIO(payload))
    except Exception:  # tables lark cannot read after all: rebuilt like a corrupt file
        return None


def _writable_folder(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _write_cached_parser(parser: Lark, path: Path, key: bytes) -> None:
    """Save the tables through a temporary file renamed over the old one (best effort).

    Concurrent writers leave one complete file or the other, never a mix; a failure to
    write only costs the next process the two seconds of building the tables again.
    """
    buffer = io.BytesIO()
    parser.save(buffer)
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).hexdigest().encode("ascii")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        with os.fdopen(handle, "wb") as file:
            file.write(_CACHE_MAGIC + key + b"\n" + digest + b"\n" + payload)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _parse_tree(text: str) -> Tree[Token]:
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    interactive = _parser().parse_interactive(text)
    started = time.perf_counter()
    token: Token | None = None
    try:
        for count, token in enumerate(interactive.iter_parse(), 1):
            if count % _CLOCK_EVERY:
                continue
            if count > MAX_TOKENS:
                raise HclProblem(
                    token.line,
                    f"more than {MAX_TOKENS} tokens: too large to check within the "
                    "time limit; split the configuration into several files",
                )
            if time.perf_counter() - started > MAX_SECONDS:
                raise HclProblem(
                    token.line,
                    f"parsing took more than {MAX_SECONDS:g} seconds: too large or "
                    "complex to check; split the configuration into several files",
                )
        tree: Tree[Token] = interactive.feed_eof(token)  # type: ignore[no-untyped-call]
    except UnexpectedToken as error:
        raise HclProblem(_int(error.line), _unexpected_token(error.token)) from None
    except UnexpectedCharacters as error:
        message = f"invalid HCL: unexpected character {error.char!r} (column {error.column})"
        raise HclProblem(_int(error.line), message) from None
    except UnexpectedInput as error:
        raise HclProblem(_int(error.line), "invalid HCL: unexpected end of file") from None
    return tree


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _unexpected_token(token: Any) -> str:
    column = getattr(token, "column", None)
    where = f" (column {column})" if isinstance(column, int) else ""
    if getattr(token, "type", None) == "$END":
        return "invalid HCL: unexpected end of file (an unclosed block, string or bracket?)"
    shown = str(token).split("\n", 1)[0]
    if not shown.strip():  # a newline where a value or a closing bracket belongs
        return f"invalid HCL: unexpected end of line{where}"
    shown = shown if len(shown) <= 30 else shown[:30] + "..."
    return f"invalid HCL: unexpected {shown!r}{where}"


def _is_tree(node: Any) -> bool:
    return not isinstance(node, str)  # lark's tokens are strings, its trees are not


def _child_tree(tree: Any, name: str) -> Any:
    for child in tree.children:
        if _is_tree(child) and child.data == name:
            return child
    raise HclProblem(None, f"unexpected HCL parse tree: no {name} in {tree.data}")


def _trees(tree: Any) -> list[Any]:
    """The sub-trees of ``tree``, without tokens and comments."""
    return [c for c in tree.children if not isinstance(c, str) and c.data != "new_line_or_comment"]


def _edge_token(node: Any, last: bool) -> Any:
    """The first (or last) token of ``node``; ``None`` for a tree without tokens."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            return node
        children = node.children
        if len(children) == 1:
            stack.append(children[0])
        else:  # pushed so that the first (or last) child is popped first
            stack.extend(children if last else reversed(children))
    return None


def _first_token(node: Any) -> Any:
    return _edge_token(node, last=False)


def _line(node: Any) -> int | None:
    token = _first_token(node)
    line = getattr(token, "line", None)
    return line if isinstance(line, int) else None


def _child(pointer: str | None, segment: str | int) -> str | None:
    return None if pointer is None else f"{pointer}/{escape_pointer(segment)}"


def _decode_escapes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] in "uU" and len(escape) > 1:
            code = int(escape[1:], 16)
            if code <= 0x10FFFF and not 0xD800 <= code < 0xE000:
                return chr(code)
            return match.group(0)
        return _ESCAPES.get(escape, match.group(0))  # unknown escapes stay as written

    return _ESCAPE.sub(replace, text) if "\\" in text else text


def _heredoc(token: str) -> str:
    """The text of a heredoc token (``<<EOT``, lines, ``EOT``); ``<<-`` removes indentation."""
    lines = token.split("\n")
    opener, body = lines[0], lines[1:-2]  # the last two: the terminator and ""
    text_lines = [line + "\n" for line in body]
    if opener.startswith("<<-"):
        indents = [len(line) - len(line.lstrip(" \t")) for line in body if line.strip()]
        cut = min(indents, default=0)
        text_lines = [line[cut:] if line.strip() else line.lstrip(" \t") for line in text_lines]
    return "".join(text_lines)


class _Converter:
    """Turns python-hcl2's raw parse tree into Terraform JSON data and a source map."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[str, int] = {}

    def note(self, pointer: str | None, node: Any, depth: int) -> None:
        """Map ``pointer`` to the line of ``node`` (``None``: a value not in the document)."""
        line = _line(node)
        if pointer is not None and line is not None and depth < _MAP_DEPTH:
            self.lines.setdefault(pointer, line)

    def source(self, node: Any) -> str:
        first, last = _first_token(node), _edge_token(node, last=True)
        if first is None or last is None:
            return ""
        return self.text[first.start_pos : last.end_pos]

    def expression_text(self, node: Any) -> str:
        return "${" + self.source(node).strip() + "}"

    # ------------------------------------------------------------------ bodies

    def body(self, tree: Any, pointer: str | None, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise HclProblem(_line(tree), f"nested deeper than {MAX_DEPTH} levels")
        result: dict[str, Any] = {}
        attribute_lines: dict[str, int | None] = {}
        unique: dict[tuple[str, ...], int | None] = {}
        for item in _trees(tree):
            if item.data == "attribute":
                name_node, value_node = item.children[0], item.children[-1]
                name = str(_first_token(name_node))
                if name in attribute_lines or name in result:
                    first = attribute_lines.get(name)
                    where = f" (first at line {first})" if first else ""
                    raise HclProblem(_line(item), f"attribute {name!r} is set twice{where}")
                attribute_lines[name] = _line(item)
                child = _child(pointer, name)
                self.note(child, item, depth)
                result[name] = self.value(value_node, child, depth + 1)
            elif item.data == "block":
                self.block(item, result, attribute_lines, unique, pointer, depth)
        return result

    def block(
        self,
        item: Any,
        result: dict[str, Any],
        attribute_lines: dict[str, int | None],
        unique: dict[tuple[str, ...], int | None],
        pointer: str | None,
        depth: int,
    ) -> None:
        parts = _trees(item)
        kind = str(_first_token(parts[0]))
        labels = [self.label(part) for part in parts[1:-1]]
        if kind in attribute_lines:
            raise HclProblem(_line(item), f"{kind!r} is both an attribute and a block")
        key = (kind, *labels)
        if kind in _UNIQUE_BLOCKS and depth == 0 and labels:
            if key in unique:
                named = " ".join(f'"{label}"' for label in labels)
                raise HclProblem(
                    _line(item), f"duplicate {kind} {named} (first at line {unique[key]})"
                )
            unique[key] = _line(item)
        # Labels nest as objects; the innermost level is the list of bodies.
        container: Any = result
        path = pointer
        names = [kind, *labels]
        for index, name in enumerate(names):
            last = index == len(names) - 1
            existing = container.get(name)
            if existing is None:
                existing = container[name] = [] if last else {}
            if not isinstance(existing, list if last else dict):
                raise HclProblem(_line(item), f"{kind!r} blocks with different numbers of labels")
            container = existing
            path = _child(path, name)
            self.note(path, item, depth)
        bodies: list[Any] = container
        path = _child(path, len(bodies))
        self.note(path, item, depth)
        bodies.append(self.body(parts[-1], path, depth + 1))

    def label(self, node: Any) -> str:
        if node.data == "string":
            value = self.string(node)
            if isinstance(value, str):
                return value
        return str(_first_token(node))

    # ------------------------------------------------------------------ values

    def value(self, node: Any, pointer: str | None, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise HclProblem(_line(node), f"nested deeper than {MAX_DEPTH} levels")
        if node.data != "expr_term":
            return self.expression_text(node)  # operators, conditionals
        inner = _trees(node)
        if len(inner) != 1 or len(node.children) != 1:
            return self.expression_text(node)  # ( expression )
        term = inner[0]
        kind = term.data
        if kind == "string":
            return self.string(term)
        if kind == "int_lit":
            try:
                return convert(str(_first_token(term)))
            except IntegerTooLarge as error:
                raise HclProblem(_line(term), str(error)) from None
        if kind == "float_lit":
            return float(str(_first_token(term)))
        if kind == "literal_value":
            return _LITERALS[str(_first_token(term))]
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return _heredoc(str(_first_token(term)))
        if kind == "tuple":
            return self.tuple(term, pointer, depth)
        if kind == "object":
            return self.object(term, pointer, depth)
        if kind == "function_call":
            return self.function_call(term, depth)
        return self.expression_text(term)

    def string(self, node: Any) -> str:
        parts: list[str] = []
        for part in node.children:
            if not _is_tree(part):
                continue  # the quotes
            (piece,) = part.children
            if _is_tree(piece):  # ${...} or %{...}: kept as written
                parts.append(self.source(piece))
            elif piece.type == "STRING_CHARS":
                parts.append(_decode_escapes(str(piece)))
            else:  # $${ and %%{ stay escaped, as Terraform JSON writes them
                parts.append(str(piece))
        return "".join(parts)

    def tuple(self, node: Any, pointer: str | None, depth: int) -> list[Any]:
        items = []
        for index, item in enumerate(_trees(node)):
            child = _child(pointer, index)
            self.note(child, item, depth)
            items.append(self.value(item, child, depth + 1))
        return items

    def object(self, node: Any, pointer: str | None, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for element in _trees(node):
            key_node, value_node = element.children[0], element.children[-1]
            key = self.object_key(key_node)
            child = _child(pointer, key)
            self.note(child, element, depth)
            result[key] = self.value(value_node, child, depth + 1)
        return result

    def object_key(self, node: Any) -> str:
        (inner,) = _trees(node) or [node]
        if inner.data == "keyword":
            return str(_first_token(inner))
        term = _trees(inner)
        if inner.data == "expr_term" and len(term) == 1 and len(inner.children) == 1:
            if term[0].data == "identifier":
                return str(_first_token(term[0]))  # { env = "x" }: the key is the name
            if term[0].data == "string":
                return self.string(term[0])
        return self.expression_text(inner)

    def function_call(self, node: Any, depth: int) -> Any:
        parts = _trees(node)
        name = str(_first_token(parts[0]))
        arguments = _trees(parts[-1]) if len(parts) > 1 and parts[-1].data == "arguments" else []
        if name == "jsonencode" and len(arguments) == 1 and len(parts) == 2:
            # The JSON text Terraform produces; references inside stay ${...} strings, so
            # a policy document can still be read statement by statement.
            value = self.value(arguments[0], None, depth + 1)
            if not (isinstance(value, str) and value.startswith("${")):
                return json.dumps(value, separators=(",", ":"))
        return self.expression_text(node)
