"""Helpers for the IMS sharing tests: an owner and a friend project (ImsClient each), the batch member calls."""

from __future__ import annotations

from typing import Any

import huaweicloudsdkims.v2 as ims
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from tests.support import ims_client, new_project


@pytest.fixture
def owner(url: str, project: str) -> Any:
    return ims_client(url, project)


@pytest.fixture
def friend_id() -> str:
    return new_project()


@pytest.fixture
def friend(url: str, friend_id: str) -> Any:
    return ims_client(url, friend_id)


def refused(call: Any, *args: Any) -> tuple[int, str]:
    """An SDK call that must be refused -> (HTTP status, error code)."""
    with pytest.raises(ClientRequestException) as err:
        call(*args)
    return err.value.status_code, err.value.error_code


def share(client: Any, images: list[str], projects: list[str]) -> str:
    return client.batch_add_members(ims.BatchAddMembersRequest(
        body=ims.BatchAddMembersRequestBody(images=images, projects=projects))).job_id


def answer(client: Any, images: list[str], project_id: str, status: str, vault_id: str | None = None) -> str:
    return client.batch_update_members(ims.BatchUpdateMembersRequest(body=ims.BatchUpdateMembersRequestBody(
        images=images, project_id=project_id, status=status, vault_id=vault_id))).job_id


def unshare(client: Any, images: list[str], projects: list[str]) -> str:
    return client.batch_delete_members(ims.BatchDeleteMembersRequest(
        body=ims.BatchAddMembersRequestBody(images=images, projects=projects))).job_id
