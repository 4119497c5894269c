"""URL matching, remembered: a poller asks for the same path again and again.

werkzeug's matcher walks its state machine segment by segment on every request (about a tenth of a poll's
cost). What a (path, method) matches never changes once the routes are registered, so the answer is kept
per map; what does not match (404, 405, a redirect) is not kept, so those answers are always fresh.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Map, MapAdapter, Rule

CACHE_MAX = 5_000  # distinct (path, method) pairs kept per process before the cache starts over


class CachingMap(Map):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.matches: dict[tuple[Any, ...], tuple[Rule, dict[str, Any]]] = {}

    def add(self, rulefactory: Any) -> None:
        self.matches = {}  # a new route may change what a path matches
        super().add(rulefactory)

    def bind_to_environ(self, *args: Any, **kwargs: Any) -> MapAdapter:
        adapter = super().bind_to_environ(*args, **kwargs)
        adapter.__class__ = CachingAdapter
        return adapter


class CachingAdapter(MapAdapter):
    map: CachingMap

    def match(self, path_info: str | None = None, method: str | None = None, return_rule: bool = False,
              query_args: Any = None, websocket: bool | None = None) -> Any:
        if path_info is not None or method is not None or websocket is not None or not return_rule:
            return super().match(path_info, method, return_rule, query_args, websocket)
        key = (self.path_info, self.default_method, self.url_scheme, self.server_name, self.script_name,
               self.subdomain)
        found = self.map.matches.get(key)
        if found is None:
            found = super().match(return_rule=True, query_args=query_args)
            if len(self.map.matches) >= CACHE_MAX:
                self.map.matches = {}
            self.map.matches[key] = found
        rule, args = found
        return rule, dict(args)  # the caller may change its copy
