"""CSBS test helpers: signed calls under /v1/{project_id}, seeding servers and backups."""

from __future__ import annotations

from typing import Any

from tests.support import Control, SignedResponse, server_spec, signed_call

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"


class Csbs:
    """Raw CSBS v1 calls signed by huaweicloudsdkcore's signer (there is no CSBS SDK)."""

    def __init__(self, url: str, project: str) -> None:
        self.url, self.project = url, project

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> SignedResponse:
        return signed_call(self.url, self.project, method, f"/v1/{self.project}{path}", body,
                           {k: v for k, v in query.items() if v is not None})

    def get(self, path: str, **query: Any) -> SignedResponse:
        return self.call("GET", path, **query)

    def post(self, path: str, body: Any = None) -> SignedResponse:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any = None) -> SignedResponse:
        return self.call("PUT", path, body)

    def delete(self, path: str, **query: Any) -> SignedResponse:
        return self.call("DELETE", path, **query)

    # -- operations used by many tests --------------------------------------------------------
    def protect(self, server_id: str, **opts: Any) -> SignedResponse:
        return self.post(f"/providers/{PROVIDER}/resources/{server_id}/action", {"protect": opts})

    def item(self, item_id: str) -> SignedResponse:
        return self.get(f"/checkpoint_items/{item_id}")

    def items(self, **query: Any) -> list[dict[str, Any]]:
        resp = self.get("/checkpoint_items", **query)
        assert resp.status_code == 200, resp.text
        return resp.json()["checkpoint_items"]

    def backup(self, server_id: str, **opts: Any) -> dict[str, Any]:
        """Protect and return the (single) new item as listed right after."""
        resp = self.protect(server_id, **opts)
        assert resp.status_code == 200, resp.text
        (item,) = self.items(checkpoint_id=resp.json()["checkpoint"]["id"])
        return item

    def delete_item(self, item: dict[str, Any]) -> SignedResponse:
        return self.delete(f"/providers/{PROVIDER}/checkpoints/{item['checkpoint_id']}", checkpoint_items=item["id"])


def seed_server(control: Control, project: str, **kw: Any) -> dict[str, Any]:
    spec = server_spec(**kw)
    control.seed(project, [spec])
    return spec


def seed_backups(control: Control, project: str, backups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    resp = control.post("/seed/csbs_backups", {"project_id": project, "backups": backups})
    assert resp.status_code == 201, resp.text
    return resp.json()["backups"]


def assert_error(resp: SignedResponse, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code, body
    assert set(body) == {"error_code", "error_msg"}
    return body
