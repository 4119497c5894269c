"""sqlite persistence: the only package that holds SQL."""

from ims_emulator.store.db import Database, Tx

__all__ = ["Database", "Tx"]
