"""A stub of pluggy 0.13.1, served only by the install tests' index.

It exists so that ``cc-inst-oldpluggy`` (``pluggy<1``) is installable by plain pip: only the
host's protection of its own requirements can refuse it. If it is ever imported, the host
was broken by a plugin install, which is what those tests must never see.
"""

raise ImportError("stub pluggy 0.13.1 from the test index was installed: the host is broken")
