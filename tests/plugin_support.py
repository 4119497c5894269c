"""Loading ims_emulator.pytest_plugin in this repo's own tests.

Once the `ims_emulator` pytest11 entry point is installed pytest loads the plugin for every run, and
registering the module a second time (pytest_plugins) would fail; until then the tests load it themselves.
"""

from __future__ import annotations

from importlib.metadata import entry_points


def entry_point_installed() -> bool:
    return any(ep.name == "ims_emulator" for ep in entry_points(group="pytest11"))


PLUGINS = [] if entry_point_installed() else ["ims_emulator.pytest_plugin"]
