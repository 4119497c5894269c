"""CSBS lists (filters, sort, paging, count), tags on backups and policies, quotas, replication capabilities."""

from __future__ import annotations

import uuid

import pytest

from tests.csbs_support import PROVIDER, Csbs, assert_error, seed_server
from tests.test_csbs_policies import create as create_policy


@pytest.fixture
def three(control, project, url):
    """Three backups: 'alpha' and 'beta' of server web-1, 'gamma' of server db-1 (oldest first)."""
    web = seed_server(control, project, name="web-1")
    db = seed_server(control, project, name="db-1")
    csbs = Csbs(url, project)
    items = [csbs.backup(web["id"], backup_name="alpha"), csbs.backup(web["id"], backup_name="beta"),
             csbs.backup(db["id"], backup_name="gamma")]
    return csbs, web, db, items


def names(items):
    return [i["name"] for i in items]


def test_list_filters(three):
    csbs, web, db, items = three
    assert names(csbs.items()) == ["gamma", "beta", "alpha"]  # newest first by default
    assert names(csbs.items(resource_id=web["id"])) == ["beta", "alpha"]
    assert names(csbs.items(resource_name="db")) == ["gamma"]
    assert names(csbs.items(name="et")) == ["beta"]
    assert names(csbs.items(checkpoint_id=items[0]["checkpoint_id"])) == ["alpha"]
    assert names(csbs.items(status="available")) == ["gamma", "beta", "alpha"]
    assert csbs.items(status="error") == []
    assert len(csbs.items(resource_type="OS::Nova::Server")) == 3
    assert csbs.items(resource_type="OS::Cinder::Volume") == []
    assert names(csbs.items(start_time="2000-01-01T00:00:00.000000")) == ["gamma", "beta", "alpha"]
    assert csbs.items(end_time="2000-01-01T00:00:00") == []


def test_list_sort_and_paging(three):
    csbs, _, _, items = three
    assert names(csbs.items(sort="name:asc")) == ["alpha", "beta", "gamma"]
    assert names(csbs.items(sort="created_at:asc")) == ["alpha", "beta", "gamma"]
    assert names(csbs.items(dec="false")) == ["alpha", "beta", "gamma"]
    first = csbs.get("/checkpoint_items", limit=2, sort="name:asc").json()
    assert names(first["checkpoint_items"]) == ["alpha", "beta"]
    (link,) = first["checkpoint_items_links"]
    assert link["rel"] == "next" and f"marker={items[1]['id']}" in link["href"]
    second = csbs.get("/checkpoint_items", limit=2, sort="name:asc", marker=items[1]["id"]).json()
    assert names(second["checkpoint_items"]) == ["gamma"] and "checkpoint_items_links" not in second
    assert names(csbs.items(limit=1, offset=1, sort="name:asc")) == ["beta"]
    assert "checkpoint_items_links" not in csbs.get("/checkpoint_items").json()


def test_count_uses_the_same_filters(three):
    csbs, web, _, _ = three
    assert csbs.get("/checkpoint_items/count").json() == {"count": 3}
    assert csbs.get("/checkpoint_items/count", resource_id=web["id"]).json() == {"count": 2}
    assert csbs.get("/checkpoint_items/count", status="deleting").json() == {"count": 0}


def test_list_query_validation(three):
    csbs = three[0]
    for query in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"status": "gone"}, {"sort": "size:asc"},
                  {"sort": "name:up"}, {"marker": str(uuid.uuid4())}, {"start_time": "yesterday"}):
        assert_error(csbs.get("/checkpoint_items", **query), 400, "CSBS.9001")
    assert_error(csbs.get("/checkpoint_items/count", status="gone"), 400, "CSBS.9001")


def test_projects_are_isolated(three, url):
    csbs, _, _, items = three
    other = Csbs(url, uuid.uuid4().hex)
    assert other.items() == []
    assert_error(other.item(items[0]["id"]), 404, "CSBS.3001")


# -- tags ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rtype", ["csbs_backup", "csbs_backup_policy"])
def test_tag_crud(control, project, url, rtype):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    rid = csbs.backup(server["id"])["id"] if rtype == "csbs_backup" else create_policy(csbs)["id"]
    base = f"/{rtype}/{rid}/tags"
    assert csbs.post(base, {"tag": {"key": "DEV", "value": "DEV1"}}).status_code == 204
    assert csbs.post(base, {"tag": {"key": "DEV", "value": "DEV2"}}).status_code == 204  # overwrite
    batch = {"action": "create", "tags": [{"key": "key1", "value": "value1"}, {"key": "key2", "value": ""}]}
    assert csbs.post(f"{base}/action", batch).status_code == 204
    assert csbs.get(base).json() == {"tags": [{"key": "DEV", "value": "DEV2"}, {"key": "key1", "value": "value1"},
                                              {"key": "key2", "value": ""}]}
    assert csbs.delete(f"{base}/DEV").status_code == 204
    assert_error(csbs.delete(f"{base}/DEV"), 404, "CSBS.7001")
    gone = {"action": "delete", "tags": [{"key": "key1", "value": "other"}, {"key": "key2"}]}
    assert csbs.post(f"{base}/action", gone).status_code == 204
    assert csbs.get(base).json() == {"tags": [{"key": "key1", "value": "value1"}]}  # value must match
    assert csbs.get(f"/{rtype}/tags").json() == {"tags": [{"key": "key1", "values": ["value1"]}]}
    missing = "CSBS.3001" if rtype == "csbs_backup" else "CSBS.3000"
    assert_error(csbs.get(f"/{rtype}/{uuid.uuid4()}/tags"), 404, missing)


def test_at_most_ten_tags(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"], tags=[{"key": f"k{i}", "value": "v"} for i in range(10)])
    base = f"/csbs_backup/{item['id']}/tags"
    assert_error(csbs.post(base, {"tag": {"key": "k10", "value": "v"}}), 400, "CSBS.7000")
    assert csbs.post(base, {"tag": {"key": "k0", "value": "new"}}).status_code == 204  # overwrite is fine
    assert len(csbs.get(base).json()["tags"]) == 10
    for body in ({"tag": {"key": "bad key"}}, {"action": "rename", "tags": [{"key": "a"}]}, {"tag": {}}):
        path = f"{base}/action" if "action" in body else base
        assert_error(csbs.post(path, body), 400, "CSBS.9001")


def test_resource_instances_filter_and_count(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    a = csbs.backup(server["id"], backup_name="alpha", tags=[{"key": "env", "value": "prod"}])
    b = csbs.backup(server["id"], backup_name="beta", tags=[{"key": "env", "value": "dev"},
                                                            {"key": "team", "value": "x"}])
    csbs.backup(server["id"], backup_name="gamma")
    path = "/csbs_backup/resource_instances/action"

    def ids(query):
        resp = csbs.post(path, {"action": "filter", **query})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["total_count"] == len(body["resources"]) or "limit" in query
        return [r["resource_id"] for r in body["resources"]]

    assert ids({"tags": [{"key": "env", "values": ["prod", "dev"]}]}) == [a["id"], b["id"]]
    assert ids({"tags": [{"key": "env", "values": []}, {"key": "team", "values": []}]}) == [b["id"]]
    assert ids({"tags_any": [{"key": "team", "values": []}, {"key": "env", "values": ["prod"]}]}) == [a["id"], b["id"]]
    assert len(ids({"not_tags": [{"key": "env", "values": ["prod"]}]})) == 2
    assert len(ids({"not_tags_any": [{"key": "env", "values": []}]})) == 1
    assert ids({"matches": [{"key": "resource_name", "value": "bet"}]}) == [b["id"]]
    assert len(ids({"limit": "1", "offset": "1"})) == 1
    hit = csbs.post(path, {"action": "filter", "tags": [{"key": "env", "values": ["prod"]}]}).json()["resources"][0]
    assert hit["resource_name"] == "alpha" and hit["tags"] == [{"key": "env", "value": "prod"}]
    assert hit["resource_detail"]["id"] == a["id"] and hit["resource_detail"]["status"] == "available"
    count = csbs.post(path, {"action": "count", "tags": [{"key": "env", "values": []}]})
    assert count.json() == {"total_count": 2}
    assert_error(csbs.post(path, {"action": "filter", "limit": "0"}), 400, "CSBS.9001")
    assert_error(csbs.post(path, {"action": "sum"}), 400, "CSBS.9001")


def test_policy_resource_instances(control, project, url):
    csbs = Csbs(url, project)
    policy = create_policy(csbs, name="tagged")
    create_policy(csbs, name="plain")
    csbs.post(f"/csbs_backup_policy/{policy['id']}/tags", {"tag": {"key": "k", "value": "v"}})
    resp = csbs.post("/csbs_backup_policy/resource_instances/action",
                     {"action": "filter", "tags": [{"key": "k", "values": ["v"]}]}).json()
    assert resp["total_count"] == 1 and resp["resources"][0]["resource_detail"]["id"] == policy["id"]


# -- quotas, replication capabilities, provider id -------------------------------------------------

def test_replication_capabilities_follow_the_region_table(control, project, url):
    control.seed(project, [], region="cn-southwest-2")
    body = Csbs(url, project).get("/replication_capabilities").json()
    assert body == {"regions": [{"name": "cn-southwest-2", "replication_destinations": ["cn-north-4"]}]}


def test_unknown_provider_id_is_refused_everywhere(control, project, url):
    csbs = Csbs(url, project)
    wrong = str(uuid.uuid4())
    assert_error(csbs.post(f"/providers/{wrong}/resources/action", {"check_protectable": [
        {"resource_id": "x", "resource_type": "OS::Nova::Server"}]}), 400, "CSBS.9001")
    assert_error(csbs.post(f"/providers/{wrong}/checkpoints", {"checkpoint": {"plan_id": "x", "parameters": {}}}),
                 400, "CSBS.9001")
    body = {"restore": {"provider_id": wrong, "checkpoint_id": "c", "parameters": {
        "checkpoint_item_id": "i", "power_on": True, "targets": {"server_id": "s", "volumes": [
            {"backup_id": "b", "volume_id": "v"}]}}}}
    assert_error(csbs.post("/restores", body), 400, "CSBS.9001")
    assert csbs.get(f"/providers/{PROVIDER}/checkpoints").status_code == 404  # not a published route


# -- replication -----------------------------------------------------------------------------------

def test_replicate_one_backup_moves_copy_status(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    item = csbs.backup(server["id"])
    control.put("/transitions", {"csbs.replicate": "polls:2"})
    dest = uuid.uuid4().hex
    body = {"replication": {"destination_region": "cn-east-3", "destination_project_id": dest}}
    path = f"/providers/{PROVIDER}/checkpoint_items/{item['id']}/replicate"
    resp = csbs.post(path, body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["replication"]["backup_id"] == item["id"]
    assert csbs.items()[0]["extend_info"]["copy_status"] == "waiting_copy"
    assert_error(csbs.post(path, body), 400, "CSBS.6031")  # one copy at a time
    assert_error(csbs.delete_item(item), 400, "CSBS.2003")  # busy while copying
    assert csbs.item(item["id"]).json()["checkpoint_item"]["extend_info"]["copy_status"] == "copying"
    shown = csbs.item(item["id"]).json()["checkpoint_item"]
    assert shown["extend_info"]["copy_status"] == "success" and shown["status"] == "available"
    (record,) = shown["replication_records"]
    assert record["destination_region"] == "cn-east-3" and record["destination_project_id"] == dest
    assert record["status"] == "available"
    assert_error(csbs.post(path, body), 400, "CSBS.6031")  # already replicated there
    bad = {"replication": {"destination_region": "af-south-1", "destination_project_id": dest}}
    assert_error(csbs.post(path, bad), 400, "CSBS.9001")


def test_replicate_a_policy_copies_its_available_backups(control, project, url):
    server = seed_server(control, project)
    csbs = Csbs(url, project)
    policy = create_policy(csbs, servers=[server])
    csbs.post(f"/providers/{PROVIDER}/checkpoints", {"checkpoint": {"plan_id": policy["id"], "parameters": {}}})
    csbs.backup(server["id"])  # a manual backup is not part of the policy
    (auto,) = csbs.items(policy_id=policy["id"])
    body = {"replication": {"policy_id": policy["id"], "destination_region": "cn-east-3",
                            "destination_project_id": uuid.uuid4().hex}}
    resp = csbs.post(f"/providers/{PROVIDER}/checkpoints/replicate", body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["replication"]["backups"] == [auto["id"]]
    body["replication"]["policy_id"] = str(uuid.uuid4())
    assert_error(csbs.post(f"/providers/{PROVIDER}/checkpoints/replicate", body), 404, "CSBS.3000")
