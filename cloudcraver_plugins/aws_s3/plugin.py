"""The ``aws-s3`` plugin object: its hook implementations.

The host registers this module under the ``cloudcraver`` entry point. Importing it costs
only the contract: pydantic, PyYAML and the renderer are imported by the hooks that need
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import hookimpl

if TYPE_CHECKING:
    from cloudcraver_hookspecs import RenderedTemplate, RenderRequest, TemplateDescriptor

    from .params import S3PluginConfig

__all__ = [
    "TEMPLATE_DESCRIPTION",
    "activate",
    "config_model",
    "contribute_templates",
    "deactivate",
    "render_template",
]

#: The one-line description of the ``aws-s3-bucket`` template (the manifest repeats it).
TEMPLATE_DESCRIPTION = (
    "An Amazon S3 bucket: encrypted, versioned, access-logged, public access blocked, TLS only."
)


class _State:
    """What the plugin keeps between hook calls: its configuration while active."""

    def __init__(self) -> None:
        self.config: S3PluginConfig | None = None


_state = _State()


@hookimpl
def config_model() -> type[S3PluginConfig]:
    """The model of ``[plugins.aws-s3]``."""
    from .params import S3PluginConfig

    return S3PluginConfig


@hookimpl
def activate(config: Any) -> None:
    """Keep the validated configuration for the renders to come."""
    from .params import S3PluginConfig

    if not isinstance(config, S3PluginConfig):
        config = S3PluginConfig.model_validate(config or {})
    _state.config = config


@hookimpl
def deactivate() -> None:
    """Forget the configuration."""
    _state.config = None


@hookimpl
def contribute_templates() -> list[TemplateDescriptor]:
    """The ``aws-s3-bucket`` template."""
    from cloudcraver_hookspecs import TemplateDescriptor

    from .params import S3BucketParameters
    from .render import FORMATS, TEMPLATE_NAME

    return [
        TemplateDescriptor(
            name=TEMPLATE_NAME,
            provider="aws",
            output_format="cloudformation",
            description=TEMPLATE_DESCRIPTION,
            parameters=S3BucketParameters,
            formats=FORMATS,
        )
    ]


@hookimpl
def render_template(request: RenderRequest) -> RenderedTemplate | None:
    """Render ``aws-s3-bucket``; ``None`` for any other template."""
    from .render import TEMPLATE_NAME, render

    if request.template != TEMPLATE_NAME:
        return None
    return render(request, _state.config)
