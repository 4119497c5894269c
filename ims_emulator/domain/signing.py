"""SDK-HMAC-SHA256: the canonical request the Huawei Cloud SDK signs, rebuilt on the server side.

Pure functions (no Flask) so the test vectors of the signing spec can check them directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AUTH_RE = re.compile(r"^(?P<alg>[A-Z0-9-]+) Access=(?P<ak>[^,]+), SignedHeaders=(?P<sh>[^,]+),"
                     r" Signature=(?P<sig>[0-9a-f]+)$")
SAFE = "-_.~"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"  # the one non-hash value the SDK sends (json-patch, multipart, ...)
PAYLOAD_HEADER = "x-sdk-content-sha256"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Authorization:
    algorithm: str
    access: str
    signed_headers: tuple[str, ...]
    signature: str


@lru_cache(maxsize=256)  # the gateway check and the caller's identity both parse the same header
def parse_authorization(value: str) -> Authorization | None:
    m = AUTH_RE.match(value.strip())
    if not m:
        return None
    return Authorization(m["alg"], m["ak"], tuple(m["sh"].split(";")), m["sig"])


def _enc(value: str) -> str:
    return quote(value, safe=SAFE)


@lru_cache(maxsize=4096)
def canonical_uri(raw_path: str) -> str:
    pieces = unquote(raw_path).split("/")
    uri = "/".join(_enc(p) for p in pieces)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(raw_query: str) -> str:
    pairs = []
    for part in filter(None, raw_query.split("&")):
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    pairs.sort()
    return "&".join(f"{_enc(n)}={_enc(v)}" for n, v in pairs)


def canonical_request(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str],
                      signed: Sequence[str], body: bytes) -> str:
    lower = headers if all(k.islower() for k in headers) else {k.lower(): v for k, v in headers.items()}
    canon_headers = "".join(f"{h}:{lower[h].strip()}\n" for h in signed)
    payload = lower[PAYLOAD_HEADER] if PAYLOAD_HEADER in signed else body_hash(body)
    return "\n".join([method.upper(), canonical_uri(raw_path), canonical_query(raw_query), canon_headers,
                      ";".join(signed), payload])


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def payload_problem(lower: Mapping[str, str], signed: Sequence[str], body: bytes) -> str | None:
    """X-Sdk-Content-Sha256 counts only when it is signed (an unsigned one is ignored, so a body swapped after
    signing still fails); a signed one is UNSIGNED-PAYLOAD or the hash of the body actually sent."""
    if PAYLOAD_HEADER not in signed:
        return None
    value = lower[PAYLOAD_HEADER]
    if value == UNSIGNED_PAYLOAD:
        return None
    if not SHA256_HEX.match(value):
        return "verify aksk signature fail: x-sdk-content-sha256 is neither UNSIGNED-PAYLOAD nor a SHA-256"
    if not hmac.compare_digest(value, body_hash(body)):
        return "verify aksk signature fail: x-sdk-content-sha256 does not match the body"
    return None


def string_to_sign(canonical: str, sdk_date: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def signature(sk: str, to_sign: str) -> str:
    return hmac.digest(sk.encode("utf-8"), to_sign.encode("utf-8"), "sha256").hex()  # one-shot, in C


@lru_cache(maxsize=64)  # every request of the same second carries the same date
def parse_sdk_date(value: str) -> datetime | None:
    """YYYYMMDDTHHMMSSZ; sliced rather than strptime'd (it is on every strict request)."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not (value[:8] + value[9:15]).isdigit():
        return None
    try:
        return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]), int(value[11:13]),
                        int(value[13:15]), tzinfo=timezone.utc)
    except ValueError:
        return None


def verify(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], body: bytes,
           credentials: Mapping[str, str], now: datetime, max_skew_s: int = 15 * 60) -> str | None:
    """None when the request is signed correctly, else why not (the gateway's detail text)."""
    lower = {k.lower(): v for k, v in headers.items()}
    auth = parse_authorization(lower.get("authorization", ""))
    if auth is None:
        return "authorization header is missing or malformed"
    if auth.algorithm != ALGORITHM:
        return f"unsupported signing algorithm {auth.algorithm}"
    sk = credentials.get(auth.access)
    if sk is None:
        return f"ak {auth.access} not exist"
    missing = [h for h in auth.signed_headers if h not in lower]
    if missing:
        return f"signed header {missing[0]} is missing"
    if "x-sdk-date" not in auth.signed_headers:
        return "x-sdk-date must be signed"
    if "x-project-id" in lower and "x-project-id" not in auth.signed_headers:  # the project it acts for
        return "x-project-id must be signed"
    when = parse_sdk_date(lower["x-sdk-date"])
    if when is None or abs((now - when).total_seconds()) > max_skew_s:
        return "verify aksk signature fail: X-Sdk-Date is expired or invalid"
    canon = canonical_request(method, raw_path, raw_query, lower, auth.signed_headers, body)  # lower: no re-copy
    expected = signature(sk, string_to_sign(canon, lower["x-sdk-date"]))
    if not hmac.compare_digest(expected, auth.signature):
        return "verify aksk signature fail"
    return payload_problem(lower, auth.signed_headers, body)


def sdk_date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def authorization(method: str, raw_path: str, raw_query: str, headers: Mapping[str, str], body: bytes,
                  ak: str, sk: str) -> str:
    """The Authorization value the SDK would send: every given header whose name has no underscore is signed
    (the headers must already hold Host and X-Sdk-Date). The same recipe verify() checks."""
    lower = {k.lower(): v for k, v in headers.items()}
    signed = sorted(h for h in lower if "_" not in h)
    canon = canonical_request(method, raw_path, raw_query, lower, signed, body)
    sig = signature(sk, string_to_sign(canon, lower["x-sdk-date"]))
    return f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, Signature={sig}"
