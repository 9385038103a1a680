"""The ``policy`` plugin object: its hook implementations.

The host registers this module under the ``cloudcraver`` entry point. Importing it costs
only the contract; parsers, rules, pydantic and PyYAML load with the hooks that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import hookimpl

if TYPE_CHECKING:
    from cloudcraver_hookspecs import DocumentSource, Finding, InfrastructureDocument

    from .config import PolicyConfig
    from .modules import TerraformFiles
    from .rules import Policy

__all__ = ["activate", "config_model", "deactivate", "parse_document", "validate_document"]


class _State:
    """What the plugin keeps between hook calls.

    The rules in force while active, and the Terraform files parsed so far (each file of a
    module is parsed once, however many of its files are validated).
    """

    def __init__(self) -> None:
        self.policy: Policy | None = None
        self._terraform: TerraformFiles | None = None

    @property
    def terraform(self) -> TerraformFiles:
        """The Terraform files parsed so far (made on first use)."""
        if self._terraform is None:
            from .modules import TerraformFiles

            self._terraform = TerraformFiles()
        return self._terraform

    def reset(self) -> None:
        """Forget the rules and the parsed files."""
        self.policy = None
        self._terraform = None


_state = _State()


@hookimpl
def config_model() -> type[PolicyConfig]:
    """The model of ``[plugins.policy]``."""
    from .config import PolicyConfig

    return PolicyConfig


@hookimpl
def activate(config: Any) -> None:
    """Put the configured rules in force."""
    from .config import PolicyConfig
    from .rules import Policy

    if not isinstance(config, PolicyConfig):
        config = PolicyConfig.model_validate(config or {})
    _state.policy = Policy(config)


@hookimpl
def deactivate() -> None:
    """Drop the rules and the parsed Terraform files."""
    _state.reset()


@hookimpl
def parse_document(source: DocumentSource) -> InfrastructureDocument | None:
    """Parse CloudFormation, Terraform (HCL and JSON), Terraform plan and ARM documents."""
    if source.suffix in (".tf", ".tf.json"):  # kept: its module's other files may need it
        return _state.terraform.parse(source)
    from .parsers import parse_document as parse

    return parse(source)


@hookimpl
def validate_document(document: InfrastructureDocument) -> list[Finding] | None:
    """Check ``document`` against the rules in force; ``None`` for other formats.

    A Terraform file is checked within its module: the ``.tf`` and ``.tf.json`` files of
    its folder (findings only for its own resources).
    """
    policy = _state.policy
    if policy is None:  # called without activation (a direct call): default configuration
        from .config import PolicyConfig
        from .rules import Policy

        policy = Policy(PolicyConfig())
    module = _state.terraform.module_for(document) if document.format == "terraform" else None
    return policy.check(document, module)
