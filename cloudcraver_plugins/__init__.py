"""First-party Cloud Craver plugins, registered through the ``cloudcraver`` entry-point group."""
