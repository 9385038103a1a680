"""The hook specifications: what a Cloud Craver plugin may implement.

How the host calls each hook is data on its specification, which the host reads:
``@hookspec(firstresult=...)`` (pluggy's option) and ``@hookbehaviour(per_plugin=...,
may_be_async=...)``. Every hook is also documented here, where it is declared, with the
same fields:

- ``:param NAME:`` for each argument (a plugin may accept any subset of them, by name);
- ``:returns:`` what the result means;
- ``:firstresult:`` whether the host stops at the first implementation giving a result;
- ``:called:`` when the host calls it: ``per plugin`` hooks are called on one plugin at a
  time with that plugin's own arguments; ``broadcast`` hooks on every enabled plugin that
  implements them, in the host's call order;
- ``:async:`` whether the implementation may be an ``async def`` (the host awaits it).

``docs/hooks.md`` repeats these signatures; a test fails when the docstrings or that page
say something else than the marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .markers import hookbehaviour, hookspec

if TYPE_CHECKING:
    from .types import (
        CommandContribution,
        DocumentSource,
        Finding,
        InfrastructureDocument,
        RenderedTemplate,
        RenderRequest,
        TemplateDescriptor,
    )

__all__ = [
    "activate",
    "config_model",
    "contribute_commands",
    "contribute_templates",
    "deactivate",
    "migrate_config",
    "parse_document",
    "render_template",
    "validate_document",
]


@hookspec(firstresult=True)
@hookbehaviour(per_plugin=True, may_be_async=False)
def config_model() -> Any:
    """Give the pydantic model of the plugin's configuration.

    The host reads the plugin's section (``[plugins.NAME]``) from every configuration layer,
    validates the merged values with this model and passes the instance to ``activate``.
    A value that does not validate is reported with the file, the key and what is expected,
    and the plugin is not activated.

    :returns: a ``pydantic.BaseModel`` subclass whose fields all have defaults, or ``None``
        when the plugin takes no configuration (it then receives a plain ``dict``).
    :firstresult: yes
    :called: per plugin, before ``activate``
    :async: no
    """


@hookspec
@hookbehaviour(per_plugin=True, may_be_async=True)
def activate(config: Any) -> None:
    """Start the plugin: open clients, read files, keep the configuration.

    Called once per plugin, after the plugins it ``requires`` are activated, and before any
    other hook of the plugin is called. Raising marks the plugin as failed at the
    ``activate`` stage; the host goes on without it.

    :param config: the plugin's validated configuration: an instance of the model given by
        ``config_model``, or a ``dict`` when there is no model.
    :returns: nothing.
    :firstresult: no
    :called: per plugin
    :async: yes
    """


@hookspec
@hookbehaviour(per_plugin=True, may_be_async=True)
def deactivate() -> None:
    """Stop the plugin: close what ``activate`` opened.

    Called when the plugin is disabled in a running host and when the host closes, in the
    reverse of the activation order (a plugin is deactivated before those it requires).

    :returns: nothing.
    :firstresult: no
    :called: per plugin
    :async: yes
    """


@hookspec
@hookbehaviour(per_plugin=False, may_be_async=False)
def contribute_templates() -> Sequence[TemplateDescriptor]:
    """List the templates the plugin can render.

    A plugin with a manifest lists the same templates in it, so that ``template list``
    works without importing the plugin; the host checks that both agree.

    :returns: a sequence of :class:`~cloudcraver_hookspecs.TemplateDescriptor`.
    :firstresult: no
    :called: broadcast
    :async: no
    """


@hookspec(firstresult=True)
@hookbehaviour(per_plugin=True, may_be_async=True)
def render_template(request: RenderRequest) -> RenderedTemplate | None:
    """Render one of the plugin's templates.

    The host calls it only on the plugin that offers ``request.template`` (the user picks
    one with ``--plugin`` when two offer the same name). Parameters are already validated
    against the template's parameter model. Raise
    :class:`~cloudcraver_hookspecs.PluginInputError` for a combination of parameters the
    template refuses.

    :param request: a :class:`~cloudcraver_hookspecs.RenderRequest`.
    :returns: a :class:`~cloudcraver_hookspecs.RenderedTemplate`, or ``None`` when the plugin
        does not know the template.
    :firstresult: yes
    :called: per plugin, on the plugin offering the template
    :async: yes
    """


@hookspec(firstresult=True)
@hookbehaviour(per_plugin=False, may_be_async=True)
def parse_document(source: DocumentSource) -> InfrastructureDocument | None:
    """Parse a file into an infrastructure document, if the plugin knows its format.

    The host reads the file (UTF-8, size-limited) and asks each parser in turn; the first
    document returned is validated. Raise :class:`~cloudcraver_hookspecs.PluginInputError`
    for a file in the plugin's format that is malformed (say where).

    :param source: a :class:`~cloudcraver_hookspecs.DocumentSource` (path and text).
    :returns: an :class:`~cloudcraver_hookspecs.InfrastructureDocument`, or ``None`` when
        the format is not the plugin's.
    :firstresult: yes
    :called: broadcast, until one returns a document
    :async: yes
    """


@hookspec
@hookbehaviour(per_plugin=False, may_be_async=True)
def validate_document(document: InfrastructureDocument) -> Sequence[Finding] | None:
    """Check a parsed document against the plugin's rules.

    :param document: an :class:`~cloudcraver_hookspecs.InfrastructureDocument`; skip
        formats the plugin has no rules for.
    :returns: a sequence of :class:`~cloudcraver_hookspecs.Finding` (empty when all rules
        pass), or ``None`` when the plugin does not check this format.
    :firstresult: no
    :called: broadcast
    :async: yes
    """


@hookspec
@hookbehaviour(per_plugin=False, may_be_async=False)
def contribute_commands() -> Sequence[CommandContribution]:
    """Add commands to the ``cloudcraver`` command line.

    A plugin with a manifest lists the commands' names and help there too, so that
    ``cloudcraver --help`` shows them without importing the plugin; the plugin is imported
    when one of its commands runs.

    :returns: a sequence of :class:`~cloudcraver_hookspecs.CommandContribution`.
    :firstresult: no
    :called: broadcast
    :async: no
    """


@hookspec(firstresult=True)
@hookbehaviour(per_plugin=True, may_be_async=False)
def migrate_config(
    from_version: str, to_version: str, config: dict[str, Any]
) -> dict[str, Any] | None:
    """Rewrite the plugin's configuration for a new version of the plugin.

    Added in contract 1.1.0. When ``cloudcraver plugin install`` or ``update`` changes the
    plugin's version, the host calls the new version's implementation once, in a separate
    verification process, before the change is committed. Only the changed plugin's own
    implementation is called, never another plugin's. The host writes the result into the
    user's configuration file under ``[plugins.NAME]`` (atomically, under the file's lock).
    Raising fails the change: the host restores the previously installed version and
    leaves the configuration as it was.

    :param from_version: the version installed before the change (``""`` for a new install).
    :param to_version: the version now installed (this code's version).
    :param config: a copy of the plugin's table in the user's configuration file, as
        written there (``${VAR}`` references not resolved); ``{}`` when there is none.
    :returns: a ``dict`` that replaces the plugin's table, or ``None`` to keep it as it is.
    :firstresult: yes
    :called: per plugin, on the plugin whose version changed
    :async: no
    """
