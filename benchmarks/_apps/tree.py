"""The ``cloudcraver`` command tree with nothing behind it, for the benchmark's competitors.

The same groups, commands, options and types as the real CLI (Typer's cost depends on
them), each command doing only what ``work`` gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

Work = Callable[[str], None]


def build(work: Work, **typer_options: Any) -> typer.Typer:
    """The tree; each command calls ``work(<command path>)``."""

    def new(**options: Any) -> typer.Typer:
        return typer.Typer(**{**typer_options, **options})

    app = new(
        help="Generate and check cloud infrastructure templates with plugins.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", is_eager=True, help="Print the version."),
        debug: bool = typer.Option(False, "--debug", help="Tracebacks and hook tracing."),
        strict: bool | None = typer.Option(None, "--strict/--no-strict", help="Exit 3 on failure."),
        safe_mode: bool = typer.Option(False, "--safe-mode", help="Load no third-party plugin."),
        env: str | None = typer.Option(None, "--env", help="Apply the env.NAME section."),
        config: list[str] = typer.Option([], "--config", "-c", help="KEY=VALUE for this run."),
    ) -> None:
        pass

    plugin = new(help="List, inspect, enable and disable plugins.", no_args_is_help=True)
    template = new(help="List, inspect and render infrastructure templates.", no_args_is_help=True)
    config_app = new(help="Show, read, change and check the configuration.", no_args_is_help=True)

    @plugin.command("list")
    def plugin_list(
        show_all: bool = typer.Option(False, "--all", help="Also disabled plugins."),
        load: bool = typer.Option(False, "--load", help="Import plugins without a manifest."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the plugins found, with version, status and origin."""
        work("plugin list")

    @plugin.command("info")
    def plugin_info(
        name: str = typer.Argument(..., help="The plugin's name."),
        load: bool = typer.Option(False, "--load", help="Import it if it has no manifest."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show everything known of one plugin."""
        work("plugin info")

    @plugin.command("enable")
    def enable(
        name: str = typer.Argument(..., help="The plugin's name."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Enable a plugin."""
        work("plugin enable")

    @plugin.command("disable")
    def disable(
        name: str = typer.Argument(..., help="The plugin's name."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Disable a plugin."""
        work("plugin disable")

    @template.command("list")
    def template_list(
        load: bool = typer.Option(False, "--load", help="Import plugins without a manifest."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the templates every enabled plugin offers."""
        work("template list")

    @template.command("info")
    def template_info(
        template_name: str = typer.Argument(..., help="The template's name."),
        plugin_name: str | None = typer.Option(None, "--plugin", "-p", help="The plugin."),
        load: bool = typer.Option(False, "--load", help="Import plugins without a manifest."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show a template and the JSON schema of its parameters."""
        work("template info")

    @template.command("create")
    def create(
        template_name: str = typer.Argument(..., help="The template to render."),
        name: str = typer.Argument(..., help="The name of what you create."),
        assignments: list[str] = typer.Option([], "--set", "-s", help="KEY=VALUE."),
        params_file: Path | None = typer.Option(None, "--params", help="A parameter file."),
        output_format: str = typer.Option("yaml", "--format", "-f", help="yaml or json."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE."),
        plugin_name: str | None = typer.Option(None, "--plugin", "-p", help="The plugin."),
    ) -> None:
        """Render a template with your parameters."""
        work("template create")

    @app.command("validate")
    def validate(
        files: list[Path] = typer.Argument(..., help="Files or folders to validate."),
        report_format: str = typer.Option("text", "--format", "-f"),
        fail_on: str = typer.Option("error", "--fail-on", help="Exit 1 from this severity."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE."),
    ) -> None:
        """Validate infrastructure files with every validator."""
        work("validate")

    @config_app.command("show")
    def show(
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        origins: bool = typer.Option(False, "--origins", help="Where each value comes from."),
    ) -> None:
        """Show the effective configuration."""
        work("config show")

    @config_app.command("get")
    def get(
        key: str = typer.Argument(..., help="A dotted key."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Print one value of the effective configuration."""
        work("config get")

    @config_app.command("set")
    def set_value(
        key: str = typer.Argument(..., help="A dotted key."),
        value: str = typer.Argument(..., help="The value, as in TOML."),
        project: bool = typer.Option(False, "--project", help="The project's file."),
    ) -> None:
        """Set a value in the user (or project) configuration file."""
        work("config set")

    @config_app.command("validate")
    def validate_config(
        load: bool = typer.Option(False, "--load", help="Also import plugins."),
    ) -> None:
        """Check the configuration."""
        work("config validate")

    app.add_typer(plugin, name="plugin")
    app.add_typer(template, name="template")
    app.add_typer(config_app, name="config")
    return app
