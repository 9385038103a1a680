"""An eager pluggy host: every plugin is imported at start-up, as most pluggy hosts do.

It loads the ``cloudcraver`` entry points through ``pm.load_setuptools_entrypoints`` before
building its Typer app (plugins may add commands, so even ``--help`` needs them), then
``plugin list`` lists the plugins and ``template list`` asks them for templates.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pluggy
from cloudcraver_hookspecs import PROJECT_NAME, specs
from tree import build

pm = pluggy.PluginManager(PROJECT_NAME)
pm.add_hookspecs(specs)
pm.load_setuptools_entrypoints("cloudcraver")


def work(command: str) -> None:
    if command == "plugin list":
        for plugin, dist in pm.list_plugin_distinfo():
            print(pm.get_name(plugin), dist.version)
    elif command == "template list":
        for templates in pm.hook.contribute_templates():
            for template in templates:
                print(template.name)


if __name__ == "__main__":
    build(work)(prog_name="cloudcraver")
