"""HTTP only: parse -> call the domain -> serialise. One module per service, found at start-up.

A module that defines `bp` (a Flask Blueprint) and `SERVICE` (a key of api.errors.SERVICES)
is registered by create_app; adding a service is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def service_modules() -> list[ModuleType]:
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "bp") and hasattr(mod, "SERVICE"):
            mods.append(mod)
    return mods
