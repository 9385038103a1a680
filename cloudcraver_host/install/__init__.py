"""Changing the installed plugins: plan, journal, archive, apply with pip, verify, commit, restore.

Nothing here is imported on the run flow (listing, rendering, validating); the ``plugin``
commands that change the environment import it when they run.
"""
