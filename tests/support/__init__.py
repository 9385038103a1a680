"""Test support: the session virtualenv harness (:mod:`tests.support.harness`)."""
