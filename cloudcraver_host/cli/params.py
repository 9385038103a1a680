"""Converting the built-in commands' parameter values without pydantic.

Typer 0.29 converts each parameter value that is not a plain flag through a pydantic
``TypeAdapter`` it builds on first use, so every command with a text argument, or an
option left at ``None``, imports pydantic (about 90 ms) just to accept a string it was
given as a string. The built-in commands' parameters are text, booleans and lists of text,
which click has already parsed: here they get a converter that returns them as they are
and hands anything unexpected (bytes, text for a boolean from an environment variable)
back to Typer's own conversion. Other types (enums, paths) keep Typer's conversion.

With a Typer that converts values some other way (no ``_runtime_param`` on its
parameters, as before 0.29) this does nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["use_plain_conversion"]

_TEXT_LIST = list[str]


class _PlainConversion:
    """Stands in for Typer's runtime parameter: ``coerce(value, param, ctx)``."""

    __slots__ = ("_kind",)

    def __init__(self, kind: type) -> None:
        self._kind = kind

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        if multiple and isinstance(value, (list, tuple)):
            if all(isinstance(item, self._kind) for item in value):
                return list(value)
        elif not multiple and isinstance(value, self._kind):
            return value
        return _typer_conversion(param).coerce(value, param=param, ctx=ctx)


def _typer_conversion(param: Any) -> Any:
    """Typer's own conversion of ``param`` (built now, as Typer would have)."""
    from typer._coercion import build_runtime_param  # only for unexpected values

    converter = build_runtime_param(param.type_descriptor)
    param._runtime_param = converter
    return converter


def _plain_kind(param: Any) -> type | None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(descriptor, "file_annotation", None) is not None:
        return None
    info = getattr(descriptor, "parameter_info", None)
    if info is not None and getattr(info, "parser", None) is not None:
        return None
    annotation = descriptor.annotation
    if annotation in (str, bool):
        return annotation  # type: ignore[no-any-return]
    if annotation == _TEXT_LIST:
        return str
    return None


def _use_plain(param: Any) -> None:
    if getattr(param, "_runtime_param", "absent") is None:  # Typer 0.29: not built yet
        kind = _plain_kind(param)
        if kind is not None:
            param._runtime_param = _PlainConversion(kind)


def use_plain_conversion(command: Any) -> None:
    """Give ``command`` and its subcommands' text and boolean parameters the plain converter.

    That includes the ``--help`` option each command makes when first asked for it.
    """
    for param in getattr(command, "params", ()):
        _use_plain(param)
    make_help_option = getattr(command, "get_help_option", None)
    if make_help_option is not None and "get_help_option" not in vars(command):

        def get_help_option(ctx: Any) -> Any:
            option = make_help_option(ctx)
            if option is not None:
                _use_plain(option)
            return option

        command.get_help_option = get_help_option
    for sub in list(getattr(command, "commands", {}).values()):
        use_plain_conversion(sub)
