"""The OS versions IMS accepts for images (ListOsVersions): data, one row per version.

Each row: platform, os_version (also its key, as the service does by default), bits, type, and
the `tag` values of the query it answers to (x86 / arm / uefi / bms). The set is the emulator's
own sample of common public-image versions; the live list is longer and changes over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TAGS = ("bms", "uefi", "arm", "x86")


@dataclass(frozen=True)
class OsVersion:
    platform: str
    os_version: str
    os_bit: int
    os_type: str
    tags: frozenset[str]

    def view(self) -> dict[str, Any]:
        return {"platform": self.platform, "os_version_key": self.os_version, "os_version": self.os_version,
                "os_bit": self.os_bit, "os_type": self.os_type}


def _row(platform: str, version: str, tags: str, bit: int = 64, os_type: str = "Linux") -> OsVersion:
    return OsVersion(platform, version, bit, os_type, frozenset(tags.split()))


OS_VERSIONS: tuple[OsVersion, ...] = (
    _row("CentOS", "CentOS 7.9 64bit", "x86 uefi bms"),
    _row("CentOS", "CentOS 7.6 64bit", "x86 bms"),
    _row("CentOS", "CentOS 8.2 64bit", "x86 arm uefi"),
    _row("Ubuntu", "Ubuntu 22.04 server 64bit", "x86 arm uefi bms"),
    _row("Ubuntu", "Ubuntu 20.04 server 64bit", "x86 arm uefi"),
    _row("Ubuntu", "Ubuntu 18.04 server 64bit", "x86"),
    _row("Debian", "Debian GNU/Linux 11.1.0 64bit", "x86 uefi"),
    _row("Debian", "Debian GNU/Linux 10.0.0 64bit", "x86"),
    _row("EulerOS", "EulerOS 2.9 64bit", "x86 arm uefi bms"),
    _row("EulerOS", "EulerOS 2.5 64bit", "x86 bms"),
    _row("Huawei Cloud EulerOS", "Huawei Cloud EulerOS 2.0 64bit", "x86 arm uefi bms"),
    _row("openEuler", "openEuler 22.03 64bit", "x86 arm uefi"),
    _row("Rocky Linux", "Rocky Linux 8.5 64bit", "x86 uefi"),
    _row("Red Hat", "Red Hat Linux Enterprise 8.4 64bit", "x86 uefi"),
    _row("SUSE", "SUSE Linux Enterprise Server 15 64bit", "x86 uefi"),
    _row("SUSE", "SUSE Linux Enterprise Server 12 SP3 64bit", "x86"),
    _row("Oracle Linux", "Oracle Linux Server release 7.6 64bit", "x86"),
    _row("Fedora", "Fedora 35 64bit", "x86"),
    _row("OpenSUSE", "OpenSUSE 15.3 64bit", "x86"),
    _row("CoreOS", "CoreOS 2079.4.0 64bit", "x86"),
    _row("Windows", "Windows Server 2022 Datacenter 64bit", "x86 uefi bms", os_type="Windows"),
    _row("Windows", "Windows Server 2019 Datacenter 64bit", "x86 uefi", os_type="Windows"),
    _row("Windows", "Windows Server 2016 Datacenter 64bit", "x86", os_type="Windows"),
    _row("Windows", "Windows Server 2012 R2 Standard 64bit", "x86", os_type="Windows"),
    _row("Other", "Other(64 bit)", "x86 arm uefi", os_type="Other"),
    _row("Other", "Other(32 bit)", "x86", bit=32, os_type="Other"),
)


def grouped(tag: str | None) -> list[dict[str, Any]]:
    """[{platform, version_list}] in table order, only versions carrying `tag` when one is given."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in OS_VERSIONS:
        if tag is None or tag in row.tags:
            out.setdefault(row.platform, []).append(row.view())
    return [{"platform": p, "version_list": versions} for p, versions in out.items()]


def known(os_version: str) -> bool:
    """Whether an os_version value is one IMS knows (other modules may validate against it)."""
    return any(row.os_version == os_version for row in OS_VERSIONS)
