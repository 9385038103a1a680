"""The pluggy markers of the Cloud Craver project.

A plugin marks its hook implementations with :data:`hookimpl`::

    from cloudcraver_hookspecs import hookimpl

    @hookimpl
    def validate_document(document):
        ...
"""

from __future__ import annotations

import pluggy

#: The pluggy project name shared by the host's plugin manager and every marker.
PROJECT_NAME = "cloudcraver"

#: Marks a function of a plugin as the implementation of the hook of the same name
#: (or of ``specname=``). Options: ``tryfirst``, ``trylast``, ``wrapper``, ``specname``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Marks a hook specification; used by :mod:`cloudcraver_hookspecs.specs` only.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
