"""Hypothesis strategies for request bodies, derived from the api's marshmallow schemas.

`bodies(schema)` draws bodies shaped by the schema (types, required keys, OneOf / Length / Range / Regexp
validators); `invalid_bodies(schema)` breaks one thing (a required key removed, a value of the wrong JSON type,
a value outside its enum or length) and keeps only bodies the schema itself refuses, so every drawn body is
invalid by the api's own definition."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
WRONG_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "str": st.one_of(st.integers(), st.lists(WORD, max_size=2), st.just({"x": 1})),
    "int": st.one_of(WORD, st.just([1]), st.just({"n": 1})),
    "bool": st.one_of(st.just("maybe"), st.just([True]), st.just({"b": True})),
    "list": st.one_of(st.just({"not": "a list"}), st.integers()),
    "dict": st.one_of(st.just(["not", "an", "object"]), st.integers(), WORD),
}


def _validators(field: fields.Field) -> list[Any]:
    return list(field.validators or [])


def _kind(field: fields.Field) -> str:
    if isinstance(field, fields.Boolean):
        return "bool"
    if isinstance(field, (fields.Integer, fields.Float)):
        return "int"
    if isinstance(field, fields.List):
        return "list"
    if isinstance(field, (fields.Nested, fields.Dict)):
        return "dict"
    if isinstance(field, fields.String):
        return "str"
    return "raw"


def _string(field: fields.Field) -> st.SearchStrategy[str]:
    lo, hi = 1, 12
    for v in _validators(field):
        if isinstance(v, validate.OneOf):
            return st.sampled_from(list(v.choices))
        if isinstance(v, validate.Regexp):
            return st.from_regex(v.regex, fullmatch=True).filter(lambda s: len(s) <= 64)
        if isinstance(v, validate.Length):
            lo = v.min if v.min is not None else 0
            hi = min(v.max, lo + 12) if v.max is not None else lo + 12
    return st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=lo, max_size=max(lo, hi))


def _integer(field: fields.Field) -> st.SearchStrategy[int]:
    for v in _validators(field):
        if isinstance(v, validate.Range):
            return st.integers(v.min if v.min is not None else -5, v.max if v.max is not None else 10_000)
    return st.integers(0, 1000)


def value(field: fields.Field, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = _kind(field)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return _integer(field)
    if kind == "str":
        return _string(field)
    if isinstance(field, fields.Nested):
        return bodies(field.schema, depth + 1)
    if isinstance(field, fields.List):
        lo, hi = 0, 3
        for v in _validators(field):
            if isinstance(v, validate.Length):
                lo = v.min or 0
                hi = min(v.max, lo + 3) if v.max is not None else lo + 3
        return st.lists(value(field.inner, depth + 1), min_size=lo, max_size=max(lo, hi))
    if kind == "dict":
        return st.dictionaries(WORD, WORD, max_size=2)
    return st.one_of(WORD, st.integers(0, 100))


def _fields(schema: Schema) -> dict[str, fields.Field]:
    """Wire name -> field, for the fields a client may send."""
    return {f.data_key or name: f for name, f in schema.fields.items() if not f.dump_only}


def bodies(schema: Schema, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies shaped by the schema: every required key, each optional key with some probability."""
    shape = _fields(schema)
    required = {k: value(f, depth) for k, f in shape.items() if f.required}
    optional = {} if depth > 3 else {k: value(f, depth) for k, f in shape.items() if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def accepts(schema: Schema, body: Any) -> bool:
    try:
        schema.load(body)
    except ValidationError:
        return False
    return True


@st.composite
def _broken(draw: st.DrawFn, schema: Schema) -> Any:
    body = draw(bodies(schema))
    shape = _fields(schema)
    how = draw(st.sampled_from(["drop_required", "wrong_type", "out_of_set", "not_an_object", "nested"]))
    keys = sorted(shape)
    if how == "not_an_object" or not keys:
        return draw(st.one_of(st.just([]), st.just("text"), st.integers(), st.just([body])))
    key = draw(st.sampled_from(keys))
    field = shape[key]
    if how == "drop_required":
        required = [k for k in keys if shape[k].required]
        if required:
            body.pop(draw(st.sampled_from(required)), None)
            return body
    if how == "nested" and isinstance(field, fields.Nested) and isinstance(body.get(key), dict):
        body[key] = draw(_broken(field.schema))
        return body
    if how == "out_of_set" and _kind(field) == "str":
        body[key] = draw(st.sampled_from(["not-a-choice", "<script>", "x" * 300, ""]))
        return body
    body[key] = draw(WRONG_TYPES.get(_kind(field), WRONG_TYPES["dict"]))
    return body


def invalid_bodies(schema: Schema) -> st.SearchStrategy[Any]:
    return _broken(schema).filter(lambda body: not accepts(schema, body))


def valid_bodies(schema: Schema, examples: list[dict[str, Any]] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Generated bodies the schema accepts, or (when cross-field rules defeat generation) known-valid examples."""
    if examples:
        return st.sampled_from(examples)
    return bodies(schema).filter(lambda body: accepts(schema, body))
