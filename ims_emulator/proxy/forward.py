"""Forwarding one request to an upstream over http.client, re-signed with the recorder's credentials."""

from __future__ import annotations

import dataclasses
import http.client
import ssl
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ims_emulator.domain import signing

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# client headers that go on (everything else is the client's auth, hop-by-hop or re-made here)
PASSED = ("content-type", "x-project-id", "user-agent", "accept", "x-sdk-content-sha256", "x-language")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "upgrade"}


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer in time (the proxy answers 502)."""


@dataclasses.dataclass(frozen=True)
class Upstream:
    scheme: str
    host: str
    port: int

    @property
    def netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def parse_upstream(url: str, allow_http: bool) -> Upstream:
    parts = urlsplit(url if "://" in url else "https://" + url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"upstream must be an https:// URL, got {url!r}")
    if parts.scheme == "http" and not allow_http:
        raise ValueError(f"refusing plain-HTTP upstream {url!r}: the re-signed requests would travel unencrypted "
                         "(pass --allow-http for a local test endpoint)")
    if parts.username or parts.password:
        raise ValueError("put credentials in --credentials, not in the upstream URL")
    return Upstream(parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def signed_headers(client: dict[str, str], upstream: Upstream, method: str, raw_path: str, raw_query: str,
                   body: bytes, ak: str, sk: str) -> dict[str, str]:
    """The headers the SDK would send to this host: the client's content headers, a new Host and X-Sdk-Date,
    and an Authorization signed with the recorder's credentials (the client's own signature was for localhost)."""
    lower = {k.lower(): v for k, v in client.items()}
    headers = {name: lower[name] for name in PASSED if name in lower}
    headers["host"] = upstream.netloc
    headers["x-sdk-date"] = signing.sdk_date(datetime.now(timezone.utc))
    headers["authorization"] = signing.authorization(method, raw_path, raw_query, headers, body, ak, sk)
    return headers


def send(upstream: Upstream, method: str, target: str, headers: dict[str, str], body: bytes,
         timeout: float) -> Answer:
    conn: http.client.HTTPConnection
    if upstream.scheme == "https":
        conn = http.client.HTTPSConnection(upstream.host, upstream.port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(upstream.host, upstream.port, timeout=timeout)
    try:
        conn.request(method, target, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            raise UpstreamError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
        return Answer(resp.status, resp.reason, [(k, v) for k, v in resp.getheaders()], data)
    except (OSError, http.client.HTTPException) as exc:
        raise UpstreamError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
