"""Recordings that show the same resource (an image in a list and in a GET; a golangsdk fixture and the API
reference's example of the same call). Each recording shows only part of the real key set, so a key the emulator
adds is an invention only if NO recording of that resource has it: the "known keys" are the union."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from contract_tests.formats import glob, map_key_kind

# resource -> the recordings that show it, and where in their body it sits
OBJECTS: dict[str, list[tuple[str, str]]] = {
    "ims image": [("ims/list_images.*", "$.images[]"), ("ims/glance_list_images.*", "$.images[]"),
                  ("ims/glance_show_image.*", "$"), ("ims/glance_update_image.*", "$"),
                  ("ims/update_image.*", "$"), ("ims/glance_create_image_metadata.*", "$")],
    "ims member": [("ims/glance_add_image_member.*", "$"), ("ims/glance_show_image_member.*", "$"),
                   ("ims/glance_update_image_member.*", "$"), ("ims/glance_list_image_members.*", "$.members[]")],
    "csbs checkpoint_item": [("csbs/show_checkpoint_item*", "$.checkpoint_item"),
                             ("csbs/list_checkpoint_items*", "$.checkpoint_items[]"),
                             ("csbs/backup_resource_instances_filter.*", "$")],
    "csbs policy": [("csbs/create_policy*", "$.policy"), ("csbs/show_policy*", "$.policy"),
                    ("csbs/update_policy*", "$.policy"), ("csbs/list_policies*", "$.policies[]")],
    "csbs checkpoint": [("csbs/protect*", "$.checkpoint"), ("csbs/create_checkpoint_from_policy.*", "$.checkpoint")],
    "cbr vault": [("cbr/create_vault.*", "$.vault"), ("cbr/show_vault.*", "$.vault"),
                  ("cbr/list_vault.*", "$.vaults[]")],
    "cbr backup": [("cbr/show_backup.*", "$.backup"), ("cbr/list_backups.*", "$.backups[]")],
    "cbr checkpoint": [("cbr/create_checkpoint.*", "$.checkpoint"), ("cbr/show_checkpoint.*", "$.checkpoint")],
    "ecs server": [("ecs/show_server.*", "$.server"), ("ecs/nova_show_server.*", "$.server")],
    "evs volume": [("ecs/show_volume.*", "$.volume"), ("evs/list_volumes.*", "$.volumes[]")],
    "ecs volume attachment": [("ecs/list_server_block_devices.*", "$.volumeAttachments[]"),
                              ("ecs/list_server_volume_attachments.*", "$.volumeAttachments[]")],
}


def variant_base(fixture: str) -> str:
    """`csbs/show_policy-golangsdk.200.json` and `csbs/show_policy.200.json` are one call from two sources."""
    return re.sub(r"-golangsdk(?=\.)", "", fixture)


def _at(body: Any, prefix: str) -> list[Any]:
    values = [body]
    for token in re.findall(r"\.([^.\[]+)|(\[\])", prefix[1:]):
        key, many = token
        if many:
            values = [e for v in values if isinstance(v, list) for e in v]
        else:
            values = [v[key] for v in values if isinstance(v, dict) and key in v]
    return values


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path under a value, lists as `[]` and id-keyed maps as `<id>` (as the comparator names them)."""
    out: set[str] = set()
    if isinstance(value, dict):
        id_map = bool(value) and all(map_key_kind(k) for k in value)
        for k, v in value.items():
            here = f"{prefix}.<id>" if id_map else f"{prefix}.{k}"
            out.add(here)
            out |= key_paths(v, here)
    elif isinstance(value, list):
        for e in value:
            out |= key_paths(e, prefix + "[]")
    return out


@cache
def _index() -> dict[str, frozenset[str]]:
    from contract_tests.fixtures import fixture_names, load_fixture
    index: dict[str, set[str]] = {}
    for name in fixture_names():
        body = load_fixture(name)["response"]
        for group, prefix in _groups(name):
            for value in _at(body, prefix):
                index.setdefault(group, set()).update(key_paths(value))
    return {k: frozenset(v) for k, v in index.items()}


def _groups(fixture: str) -> list[tuple[str, str]]:
    groups = [(f"variant {variant_base(fixture)}", "$")]
    groups += [(name, prefix) for name, members in OBJECTS.items() for pattern, prefix in members
               if glob(pattern, fixture)]
    return groups


def known_elsewhere(fixture: str, path: str) -> bool:
    """Whether another recording of the same resource has the key at `path` (a path of this fixture)."""
    index = _index()
    for group, prefix in _groups(fixture):
        if path.startswith(prefix) and path[len(prefix):] in index.get(group, ()):
            return True
    return False
