"""The test plugin projects behave as tests/plugin_projects/README.md says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cloudcraver_hookspecs import RenderRequest
from support.inprocess import make_host

Project = Callable[[str], Path]


def test_demo_hello_command_greets_with_the_configured_greeting(
    tmp_path: Path, project: Project
) -> None:
    import typer
    from typer.testing import CliRunner

    host = make_host(
        tmp_path,
        paths=[project("cc-test-manifest")],
        options=('plugins.manifest-demo.greeting="ahoy"',),
    )
    [(plugin, [command])] = host.call_each("contribute_commands")
    assert (plugin, command.name) == ("manifest-demo", "demo-hello")
    app = typer.Typer()
    app.command(command.name, help=command.help)(command.command)
    app.command("other")(lambda: None)  # two commands: Typer keeps the command names
    result = CliRunner().invoke(app, ["demo-hello", "--name", "crew"])
    assert result.exit_code == 0, result.output
    assert result.output == "ahoy, crew!\n"


def test_renderings_are_deterministic(tmp_path: Path, project: Project) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-manifest"), project("cc-test-plain")])
    demo = RenderRequest("demo-bucket", "logs", {"size": 2, "versioned": True}, "yaml")
    first = host.call_plugin("manifest-demo", "render_template", request=demo)
    again = host.call_plugin("manifest-demo", "render_template", request=demo)
    assert first == again
    assert first.content.splitlines()[:2] == ["Description: demo-bucket logs", "Resources:"]
    assert "      size: 2" in first.content.splitlines()
    note = RenderRequest("plain-note", "todo", {"text": "hi"}, "json")
    rendered = host.call_plugin("plain-demo", "render_template", request=note)
    assert rendered.content == '{"name": "todo", "parameters": {"text": "hi"}}\n'
    # A template the plugin does not offer: no answer.
    other = RenderRequest("plain-note", "x", {}, "json")
    assert host.call_plugin("manifest-demo", "render_template", request=other) is None
