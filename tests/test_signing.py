"""The server-side SDK-HMAC-SHA256 rebuild against the signing spec's test vectors."""

from datetime import datetime, timezone

from ims_emulator.domain import signing

AK, SK, PID = "AKEXAMPLE0000000", "SKexample/secret+key", "0123456789abcdef0123456789abcdef"
DATE = "20240101T000000Z"
WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)
BODY_A = b'{"name": "img-1", "backup_id": "b1", "whole_image_type": "CSBS"}'
HEADERS_A = {"Content-Type": "application/json;charset=utf-8", "Host": "127.0.0.1:8080",
             "X-Project-Id": PID, "X-Sdk-Date": DATE}
SIGNED = ["content-type", "host", "x-project-id", "x-sdk-date"]
SIG_A = "4500907356683ad6a4b200e3d97506bad8cc010afb330af6eec9df228afbe248"
SIG_B = "48cc5f8f81f388e736b9b2f6a3cea043a99b16d3226e3bc616d5687c73dd7283"


def _auth(sig: str) -> str:
    return f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={';'.join(SIGNED)}, Signature={sig}"


def test_vector_a_canonical_request_and_signature():
    canon = signing.canonical_request("POST", "/v1/cloudimages/wholeimages/action", "", HEADERS_A, SIGNED, BODY_A)
    assert canon == (
        "POST\n/v1/cloudimages/wholeimages/action/\n\n"
        "content-type:application/json;charset=utf-8\nhost:127.0.0.1:8080\n"
        f"x-project-id:{PID}\nx-sdk-date:{DATE}\n\n"
        "content-type;host;x-project-id;x-sdk-date\n"
        "cf6371c32daa71d46640cc541eb3b6c9f5f763a5ede7d7ea0bb7bcb31e0d1269")
    to_sign = signing.string_to_sign(canon, DATE)
    assert to_sign.endswith("e60f784792d6d1716ff7519234fc9423fd35607d5aecd6eaf0e3e175a9d15bb0")
    assert signing.signature(SK, to_sign) == SIG_A


def test_vector_b_query_is_canonicalised():
    headers = {**HEADERS_A, "Content-Type": "application/json"}
    canon = signing.canonical_request("GET", "/v2/cloudimages", "__whole_image=true&limit=10&name=a%20b",
                                      headers, SIGNED, b"")
    to_sign = signing.string_to_sign(canon, DATE)
    assert to_sign.endswith("166490358ccee41d857b08e90f52d748ae808e55a0d4805c044b4fdaeee78d59")
    assert signing.signature(SK, to_sign) == SIG_B


def _verify(headers, body=BODY_A, now=WHEN, path="/v1/cloudimages/wholeimages/action", creds=None):
    return signing.verify("POST", path, "", headers, body, creds or {AK: SK}, now)


def test_verify_accepts_the_vector_and_rejects_tampering():
    good = {**HEADERS_A, "Authorization": _auth(SIG_A)}
    assert _verify(good) is None
    assert _verify(good, body=BODY_A.replace(b"img-1", b"img-2")) == "verify aksk signature fail"
    assert _verify(good, path="/v1/cloudimages/dataimages/action") == "verify aksk signature fail"
    assert "not exist" in _verify(good, creds={"OTHER": SK})
    assert "expired" in _verify(good, now=datetime(2024, 1, 1, 0, 16, tzinfo=timezone.utc))
    missing = {k: v for k, v in good.items() if k != "X-Project-Id"}
    assert "missing" in _verify(missing)
    assert "malformed" in _verify(HEADERS_A)


def test_canonical_uri_reencodes_each_segment():
    assert signing.canonical_uri("/v2/images/img id") == "/v2/images/img%20id/"
    assert signing.canonical_uri("/") == "/"
    assert signing.canonical_query("b=2&a=x%2By&a=1") == "a=1&a=x%2By&b=2"


def _sign(method: str, path: str, query: str, headers: dict[str, str], body: bytes, signed: list[str]) -> str:
    canon = signing.canonical_request(method, path, query, headers, signed, body)
    sig = signing.signature(SK, signing.string_to_sign(canon, DATE))
    return f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def test_an_unsigned_content_sha256_header_is_ignored_so_a_swapped_body_fails():
    """Issue 15 #1: the hash of the legit body in an unsigned header must not stand in for the body sent."""
    good = {**HEADERS_A, "Authorization": _auth(SIG_A)}
    legit_hash = signing.body_hash(BODY_A)
    evil = BODY_A.replace(b"img-1", b"evil")
    assert _verify({**good, "X-Sdk-Content-Sha256": legit_hash}, body=evil) == "verify aksk signature fail"
    assert _verify({**good, "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}, body=evil) == "verify aksk signature fail"
    assert _verify({**good, "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}) is None  # ignored, the body still hashes


def test_a_signed_content_sha256_is_unsigned_payload_or_the_hash_of_the_body_sent():
    signed = sorted([*SIGNED, "x-sdk-content-sha256"])
    for value, ok in (("UNSIGNED-PAYLOAD", True), (signing.body_hash(BODY_A), True),
                      (signing.body_hash(b"{}"), False), ("unsigned-payload", False), ("x" * 64, False)):
        headers = {**HEADERS_A, "X-Sdk-Content-Sha256": value}
        headers["Authorization"] = _sign("POST", "/v1/cloudimages/wholeimages/action", "", headers, BODY_A, signed)
        assert (_verify(headers) is None) is ok, value


def test_every_signed_part_is_covered():
    good = {**HEADERS_A, "Authorization": _auth(SIG_A)}
    assert signing.verify("PUT", "/v1/cloudimages/wholeimages/action", "", good, BODY_A, {AK: SK}, WHEN)
    assert signing.verify("POST", "/v1/cloudimages/wholeimages/action", "a=1", good, BODY_A, {AK: SK}, WHEN)
    for name, value in (("Content-Type", "application/json"), ("Host", "127.0.0.1:8081"),
                        ("X-Project-Id", "1" * 32), ("X-Sdk-Date", "20240101T000001Z")):
        assert _verify({**good, name: value}) == "verify aksk signature fail", name


def test_vector_b_query_tampering_fails():
    headers = {**HEADERS_A, "Content-Type": "application/json", "Authorization": _auth(SIG_B)}
    sent = "__whole_image=true&limit=10&name=a%20b"
    assert signing.verify("GET", "/v2/cloudimages", sent, headers, b"", {AK: SK}, WHEN) is None
    for query in ("__whole_image=true&limit=11&name=a%20b", "__whole_image=true&limit=10",
                  sent + "&id=x", "__whole_image=true&limit=10&name=a%2Bb"):
        assert signing.verify("GET", "/v2/cloudimages", query, headers, b"", {AK: SK}, WHEN), query


def test_the_project_and_date_headers_must_be_signed():
    unsigned_project = [h for h in SIGNED if h != "x-project-id"]
    headers = {**HEADERS_A}
    headers["Authorization"] = _sign("POST", "/v1/cloudimages/wholeimages/action", "", headers, BODY_A,
                                     unsigned_project)
    assert _verify(headers) == "x-project-id must be signed"
    without_project = {k: v for k, v in headers.items() if k != "X-Project-Id"}
    assert _verify(without_project) is None  # a project in the path needs no header


def test_authorization_reproduces_the_sdk_vector_and_verifies():
    value = signing.authorization("POST", "/v1/cloudimages/wholeimages/action", "", HEADERS_A, BODY_A, AK, SK)
    assert value == _auth(SIG_A)
    assert _verify({**HEADERS_A, "Authorization": value}) is None
    assert signing.sdk_date(WHEN) == DATE
