"""``cloudcraver template ...``: list, inspect and render templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import InputError
from .context import command, complete_template_names, eprint, state_of
from .output import new_typer, print_json, print_table, write_output

if TYPE_CHECKING:
    from ..host import PluginHost

app = new_typer(help="List, inspect and render infrastructure templates.", no_args_is_help=True)

PLUGIN_OPTION = typer.Option(
    None, "--plugin", "-p", help="The plugin to use when several offer the template."
)
LOAD_OPTION = typer.Option(
    False,
    "--load",
    help="Also import plugins without a manifest whose templates are not known yet.",
)


def _note_unlisted(host: PluginHost) -> None:
    from ..templates import unlisted_plugins

    unlisted = unlisted_plugins(host)
    if unlisted:
        eprint(
            f"note: {', '.join(unlisted)} (no manifest) not asked for templates yet; "
            "add --load to import and ask them"
        )


@app.command("list")
@command
def list_templates(
    ctx: typer.Context,
    load: bool = LOAD_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the templates every enabled plugin offers (from manifests: imports no plugin)."""
    from ..templates import list_templates as catalog

    host = state_of(ctx).host()
    offers = catalog(host, load=load)
    _note_unlisted(host)
    if as_json:
        print_json([o.to_dict() for o in offers])
        return
    if not offers:
        print("No templates: no enabled plugin offers one (see: cloudcraver plugin list --all)")
        return
    rows = [[o.name, o.provider, o.output_format, o.plugin, o.description] for o in offers]
    print_table(None, ["Template", "Provider", "Format", "Plugin", "Description"], rows)


@app.command("info")
@command
def template_info(
    ctx: typer.Context,
    template: str = typer.Argument(
        ..., help="The template's name.", autocompletion=complete_template_names
    ),
    plugin: str | None = PLUGIN_OPTION,
    load: bool = LOAD_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a template and the JSON schema of its parameters."""
    from ..templates import find_template

    host = state_of(ctx).host()
    try:
        offer = find_template(host, template, plugin, load=load)
    except InputError:
        _note_unlisted(host)
        raise
    if as_json:
        print_json(offer.to_dict())
        return
    print(f"Template  {offer.name}")
    print(f"Plugin    {offer.plugin}")
    print(f"Provider  {offer.provider}")
    print(f"Format    {offer.output_format} ({', '.join(offer.formats)})")
    if offer.description:
        print(f"About     {offer.description}")
    if offer.parameters.get("properties"):
        from ..schema_text import parameter_lines

        print("\nParameters (set with --set NAME=VALUE or --params FILE):")
        for line in parameter_lines(offer.parameters):
            print(line)
    print("\nJSON schema:")
    print(json.dumps(offer.parameters, indent=2))


@app.command("create")
@command
def create(
    ctx: typer.Context,
    template: str = typer.Argument(
        ..., help="The template to render.", autocompletion=complete_template_names
    ),
    name: str = typer.Argument(..., help="The name of what you create (used for resource names)."),
    assignments: list[str] = typer.Option(
        [], "--set", "-s", help='A parameter, KEY=VALUE (VALUE as in TOML: true, 3, ["a"]).'
    ),
    params_file: Path | None = typer.Option(
        None, "--params", help="Parameters from a JSON, TOML or YAML file (--set wins)."
    ),
    output_format: str = typer.Option("yaml", "--format", "-f", help="yaml or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
    plugin: str | None = PLUGIN_OPTION,
) -> None:
    """Render a template with your parameters."""
    from ..templates import load_parameters, render_template

    parameters = load_parameters(params_file, assignments)
    rendered = render_template(
        state_of(ctx).host(), template, name, parameters, output=output_format, plugin=plugin
    )
    if output is None:
        typer.echo(rendered.content, nl=not rendered.content.endswith("\n"))
        return
    write_output(output, rendered.content)
    typer.echo(f"wrote {output}", err=True)
