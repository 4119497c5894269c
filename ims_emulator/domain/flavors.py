"""ECS flavors and availability zones: small tables (data), the same in every region.

No public list of flavors per region exists; these are common general-purpose (s6), compute (c6) and
memory (m6) flavors. Every region has three AZs named <region>a/b/c (cn-north-4a ...).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flavor:
    id: str
    vcpus: int
    ram: int          # MB
    performance: str  # ecs:performancetype

    @property
    def generation(self) -> str:
        return self.id.split(".", 1)[0]


FLAVORS: dict[str, Flavor] = {f.id: f for f in (
    Flavor("s6.small.1", 1, 1024, "normal"),
    Flavor("s6.medium.2", 1, 2048, "normal"),
    Flavor("s6.large.2", 2, 4096, "normal"),
    Flavor("s6.xlarge.2", 4, 8192, "normal"),
    Flavor("c6.large.2", 2, 4096, "computingv3"),
    Flavor("c6.xlarge.4", 4, 16384, "computingv3"),
    Flavor("m6.large.8", 2, 16384, "highmem"),
)}
AZ_SUFFIXES = ("a", "b", "c")


def get(flavor_id: str) -> Flavor | None:
    return FLAVORS.get(flavor_id)


def zones(region: str) -> list[str]:
    return [f"{region}{s}" for s in AZ_SUFFIXES]


def server_flavor(f: Flavor) -> dict[str, str]:
    """The flavor as a server shows it: every value a string (ServerFlavor)."""
    return {"id": f.id, "name": f.id, "vcpus": str(f.vcpus), "ram": str(f.ram), "disk": "0"}
