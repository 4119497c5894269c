"""The error catalogue: code -> HTTP status, message template, body format.

The codes and statuses live in catalogue.tsv (data, from the public error tables); the body
format follows from the code's family, because each service answers in its own shape.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter

# The one table of error body formats: service -> (its code family, its body format). Body formats:
# nested {"error": {"message", "code"}}, flat {"error_code", "error_msg"}, gateway {"error_msg",
# "error_code", "request_id"} (the API gateway: auth and unknown routes). api/errors.py builds the
# bodies, api/openapi.py documents them; a code's family says which format it is answered in.
SERVICE_FORMATS: dict[str, tuple[str, str]] = {
    "ims": ("IMG", "nested"), "glance": ("IMG", "nested"), "ecs": ("Ecs", "nested"), "evs": ("EVS", "nested"),
    "csbs": ("CSBS", "flat"), "cbr": ("BackupService", "flat"), "gateway": ("APIGW", "gateway"),
}
FORMATS = {family: body_format for family, body_format in SERVICE_FORMATS.values()}  # code family -> format


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    status: int
    template: str

    @property
    def body_format(self) -> str:
        return FORMATS[self.code.split(".", 1)[0]]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueEntry]:
    path = Path(__file__).with_name("catalogue.tsv")
    with path.open(encoding="utf-8") as fh:
        rows = csv.reader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return {code: CatalogueEntry(code, int(status), msg) for code, status, msg in rows}


class ServiceError(Exception):
    """A refusal the emulated service answers with its own code and body."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None,
                 **fields: object) -> None:
        entry = catalogue()[code]  # KeyError here = a code missing from the catalogue (a bug)
        self.code = code
        self.status = status or entry.status
        self.body_format = entry.body_format
        self.message = message if message is not None else _fill(entry.template, fields)
        super().__init__(f"{code}: {self.message}")


def _fill(template: str, fields: dict[str, object]) -> str:
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    values = {name: fields.get(name, "") for name in names}
    return template.format(**values)
