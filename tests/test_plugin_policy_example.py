"""The README's "advance to the next policy run" example with the pytest plugin, as a real test.

Only the two plugin_support lines are not in the README (the installed entry point loads the plugin).
"""

from tests.plugin_support import PLUGINS

pytest_plugins = PLUGINS

PROVIDER = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"  # CSBS provider id of ECS servers
NIGHTLY = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=DAILY;BYHOUR=2;BYMINUTE=0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def test_the_nightly_policy_backs_the_server_up(emulator_control, emulator_project, csbs):
    server = emulator_control.server_spec("web-1", status="SHUTOFF")
    emulator_control.seed(emulator_project, [server])
    policy = {"name": "nightly", "provider_id": PROVIDER, "parameters": {"common": {}},
              "resources": [{"id": server["id"], "type": "OS::Nova::Server", "name": "web-1"}],
              "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                        "operation_definition": {"max_backups": 7},
                                        "trigger": {"properties": {"pattern": NIGHTLY}}}]}
    assert csbs.call("POST", "/v1/{project_id}/policies", {"policy": policy}).status == 200

    run_at = emulator_control.next_policy_run(emulator_project)       # e.g. "2026-12-02T02:00:00.000Z"
    emulator_control.advance_to_next_policy_run(emulator_project)

    items = csbs.call("GET", "/v1/{project_id}/checkpoint_items").json["checkpoint_items"]
    assert [(i["extend_info"]["auto_trigger"], i["created_at"][:19]) for i in items] == [(True, run_at[:19])]
