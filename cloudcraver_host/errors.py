"""Errors the host raises, each printed by the CLI as one line with its exit code.

An error message says what is wrong, where, and what to do; the CLI prints
``error: <message>`` and exits with :attr:`CloudCraverError.exit_code`, with no traceback
unless ``--debug`` is given.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_PLUGIN_FAILURE",
    "EXIT_USAGE",
    "EXIT_CHANGE_FAILED",
    "ChangeError",
    "CloudCraverError",
    "ConfigError",
    "InputError",
    "PluginCallError",
    "PluginFailedError",
    "StateFileError",
]

#: Exit codes of the ``cloudcraver`` command, documented in ``docs/cli.md``.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_PLUGIN_FAILURE = 3
EXIT_CHANGE_FAILED = 5


class CloudCraverError(Exception):
    """Base of the errors meant for the user; ``str(error)`` is the one-line message."""

    exit_code = EXIT_USAGE


class InputError(CloudCraverError):
    """The user's input is wrong: an unknown name, a bad parameter, an unreadable file."""


class ConfigError(InputError):
    """A configuration value or file is invalid (the message names the file and the key)."""


class StateFileError(CloudCraverError):
    """The host's own state file cannot be read or written."""


class PluginFailedError(CloudCraverError):
    """The plugin a command needed failed (exit 3), or its configuration is invalid (exit 2)."""

    exit_code = EXIT_PLUGIN_FAILURE

    def __init__(self, message: str, *, user_error: bool = False, failure: object = None) -> None:
        super().__init__(message)
        #: The :class:`~cloudcraver_host.lifecycle.Failure` behind it, when there is one.
        self.failure = failure
        if user_error:
            self.exit_code = EXIT_USAGE


class PluginCallError(CloudCraverError):
    """A hook call could not be made at all (no plugin can answer it, or misuse of the API)."""


class ChangeError(CloudCraverError):
    """A change to the installed plugins (install, update, uninstall, rollback) failed.

    The environment is as it was before the change (or the message says how to recover it).
    :attr:`details` holds a longer block, such as pip's own reason, printed under the one line.
    """

    exit_code = EXIT_CHANGE_FAILED

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        #: Longer text shown indented under the one-line message (pip's reason, a plan).
        self.details = details
