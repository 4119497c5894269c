"""Regions and what each can do: a table, so a rule reads the table instead of a list in code.

`whole_image_replication_to`: destinations to which full-ECS images may be replicated
(UNCONFIRMED in public docs: the emulator's choice, documented in the README).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    whole_image_replication_to: frozenset[str] = frozenset()
    csbs_replication_to: frozenset[str] = frozenset()


_CN = ("cn-north-4", "cn-north-1", "cn-east-3", "cn-east-2", "cn-south-1")
_AP = ("ap-southeast-1", "ap-southeast-3")


def _others(group: tuple[str, ...], me: str) -> frozenset[str]:
    return frozenset(r for r in group if r != me)


REGIONS: dict[str, Region] = {
    **{r: Region(r, r, _others(_CN, r), _others(_CN, r)) for r in _CN},
    **{r: Region(r, r, _others(_AP, r), _others(_AP, r)) for r in _AP},
    # regions that exist but take no full-ECS replicas
    "cn-southwest-2": Region("cn-southwest-2", "cn-southwest-2", frozenset(), frozenset({"cn-north-4"})),
    "af-south-1": Region("af-south-1", "af-south-1"),
    "la-south-2": Region("la-south-2", "la-south-2"),
    "eu-west-101": Region("eu-west-101", "eu-west-101"),
}

DEFAULT_REGION = "cn-north-4"


def get(region_id: str) -> Region | None:
    return REGIONS.get(region_id)
