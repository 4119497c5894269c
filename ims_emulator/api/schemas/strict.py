"""Field types every service shares."""

from __future__ import annotations

from typing import Any

from marshmallow import fields


class StrictBool(fields.Boolean):
    """A JSON true/false only: the APIs type these fields boolean, and 0, 1, "yes" or "true" are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
