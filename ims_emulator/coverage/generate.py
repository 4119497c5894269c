"""Regenerate operations.json from the installed official SDKs (test extra) and the CSBS v1 operation table.

`make coverage` runs this, then writes COVERAGE.md; tests/test_coverage.py checks both are current.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("operations.json")
# service -> (distribution, module, client class)
CLIENTS = {
    "ims": ("huaweicloudsdkims", "huaweicloudsdkims.v2.ims_client", "ImsClient"),
    "ecs": ("huaweicloudsdkecs", "huaweicloudsdkecs.v2.ecs_client", "EcsClient"),
    "evs": ("huaweicloudsdkevs", "huaweicloudsdkevs.v2.evs_client", "EvsClient"),
    "cbr": ("huaweicloudsdkcbr", "huaweicloudsdkcbr.v1.cbr_client", "CbrClient"),
}
P = "/v1/{project_id}"
_TAG_OPS = [("create_tag", "POST", "/{rtype}/{resource_id}/tags"),
            ("delete_tag", "DELETE", "/{rtype}/{resource_id}/tags/{key}"),
            ("show_tags", "GET", "/{rtype}/{resource_id}/tags"),
            ("batch_tags_action", "POST", "/{rtype}/{resource_id}/tags/action"),
            ("list_project_tags", "GET", "/{rtype}/tags"),
            ("resource_instances", "POST", "/{rtype}/resource_instances/action")]
# The CSBS v1 API has no v3 SDK: its 30 operations, from the operation table of the CSBS fact sheet
# (shared/spec/csbs.md §1; the OTC and Huawei Cloud API references).
CSBS = [
    ("check_protectable", "POST", "/providers/{provider_id}/resources/action", "check_protectable"),
    ("check_restorable", "POST", "/providers/{provider_id}/resources/action", "check_restorable"),
    ("protect", "POST", "/providers/{provider_id}/resources/{resource_id}/action"),
    ("create_checkpoint", "POST", "/providers/{provider_id}/checkpoints"),
    ("list_checkpoint_items", "GET", "/checkpoint_items"),
    ("show_checkpoint_item", "GET", "/checkpoint_items/{checkpoint_item_id}"),
    ("count_checkpoint_items", "GET", "/checkpoint_items/count"),
    ("delete_checkpoint", "DELETE", "/providers/{provider_id}/checkpoints/{checkpoint_id}"),
    ("create_restore", "POST", "/restores"),
    ("create_policy", "POST", "/policies"),
    ("list_policies", "GET", "/policies"),
    ("show_policy", "GET", "/policies/{policy_id}"),
    ("update_policy", "PUT", "/policies/{policy_id}"),
    ("delete_policy", "DELETE", "/policies/{policy_id}"),
    ("show_quotas", "GET", "/quotas"),
    ("show_replication_capabilities", "GET", "/replication_capabilities"),
    ("replicate_backup", "POST", "/providers/{provider_id}/checkpoint_items/{checkpoint_item_id}/replicate"),
    ("replicate_policy", "POST", "/providers/{provider_id}/checkpoints/replicate"),
    *[(f"{name} ({rtype})", method, path.replace("{rtype}", rtype))
      for rtype in ("csbs_backup", "csbs_backup_policy") for name, method, path in _TAG_OPS],
]
_HTTP_INFO = re.compile(r'"method":\s*"(\w+)",\s*"resource_path":\s*"([^"]+)"')


def sdk_operations(module: str, client: str) -> list[dict[str, str]]:
    """Every public operation of a client: its name, HTTP method and path template (from the SDK's http_info)."""
    cls = getattr(importlib.import_module(module), client)
    ops = []
    for attr, fn in sorted(inspect.getmembers(cls)):
        m = re.fullmatch(r"_(\w+)_http_info", attr)
        if not m or not hasattr(cls, m.group(1)):
            continue
        found = _HTTP_INFO.search(inspect.getsource(fn))
        if found is None:
            raise RuntimeError(f"{client}.{attr}: no method/resource_path found")
        ops.append({"name": m.group(1), "method": found.group(1), "path": found.group(2)})
    shared = [(o["method"], o["path"]) for o in ops]
    for op in ops:  # one path, several operations (batch start/stop/reboot): the body key tells them apart
        key = _body_key(module, op["name"]) if shared.count((op["method"], op["path"])) > 1 else None
        if key:
            op["body_key"] = key
    return ops


def _body_key(module: str, name: str) -> str | None:
    """The one top-level key of the operation's body (None when it has several, e.g. {"action", "tags"})."""
    models = importlib.import_module(module.rsplit(".", 1)[0])
    request = getattr(models, "".join(w.capitalize() for w in name.split("_")) + "Request")
    keys = list(getattr(models, request.openapi_types["body"]).attribute_map.values())
    return keys[0] if len(keys) == 1 else None


def build() -> dict[str, Any]:
    services: dict[str, Any] = {}
    versions = {}
    for service, (dist, module, client) in CLIENTS.items():
        versions[dist] = importlib.metadata.version(dist)
        services[service] = {"client": f"{client} ({module.rsplit('.', 1)[0]})",
                             "operations": sdk_operations(module, client)}
    services["csbs"] = {"client": "CSBS v1 API (no SDK; signed raw calls)",
                        "operations": [{"name": n, "method": m, "path": P + p, **({"body_key": b[0]} if b else {})}
                                       for n, m, p, *b in CSBS]}
    order = ("ims", "csbs", "ecs", "evs", "cbr")
    return {"sdk_versions": versions, "services": {k: services[k] for k in order}}


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1) + "\n"


def main() -> int:
    OUT.write_text(dump(build()), encoding="utf-8")
    print(f"wrote {OUT.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
