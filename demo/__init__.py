"""The physml demo: the cross-package chain on embedded data (``nox -s demo``)."""
