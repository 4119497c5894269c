"""JSON in and out for every route: one parser, so hostile bodies fail the same clean way everywhere."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Response
from flask.json.provider import DefaultJSONProvider

# a \uD800-\uDFFF escape in the raw text: only then can the parsed value hold a lone surrogate
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class EmulatorJSON(DefaultJSONProvider):
    sort_keys = False  # key order is part of some bodies (the gateway's error body)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Strict JSON only: a NaN or Infinity that got in is a bug, never a body Go or JS parsers choke on."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """jsonify: the same compact body as Flask's, from one encoder made once (every answer is JSON)."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)  # indented: Flask's own way
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(_COMPACT.encode(obj) + "\n", mimetype=self.mimetype)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """json.loads whose every failure is a ValueError (callers turn it into the service's 400);
        NaN, Infinity and numbers too large for a double (1e400) are refused, not taken as floats."""
        kwargs.setdefault("parse_constant", _refuse_constant)
        kwargs.setdefault("parse_float", _finite_float)
        try:
            data = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        text = s.decode("utf-8", "replace") if isinstance(s, (bytes, bytearray)) else s
        if SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
            raise ValueError("a string holds a lone UTF-16 surrogate")
        return data


_COMPACT = json.JSONEncoder(ensure_ascii=EmulatorJSON.ensure_ascii, sort_keys=False, allow_nan=False,
                            separators=(",", ":"), default=EmulatorJSON.default)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False
