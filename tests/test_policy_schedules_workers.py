"""Each policy occurrence runs exactly once, whichever of several worker processes notices it."""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import datetime, timedelta

import requests

from tests.csbs_support import PROVIDER, Csbs
from tests.support import Control, SubprocessServer, new_project, server_spec

DAY = 86400


def test_parallel_clock_jumps_and_reads_on_two_workers_make_each_run_once():
    with tempfile.TemporaryDirectory() as tmp:
        server = SubprocessServer("--workers", "2", "--db", os.path.join(tmp, "state.db"), "--world", "none",
                                  "--quiet")
        try:
            ctl, pid = Control(server.url), new_project()
            vm = server_spec("app", status="SHUTOFF")
            ctl.seed(pid, [vm])
            csbs = Csbs(server.url, pid)
            pattern = "BEGIN:VEVENT\nRRULE:FREQ=DAILY;BYHOUR=0,8,16;BYMINUTE=30\nEND:VEVENT"
            body = {"policy": {"name": "p", "provider_id": PROVIDER, "parameters": {"common": {}},
                               "resources": [{"id": vm["id"], "type": "OS::Nova::Server", "name": "app"}],
                               "scheduled_operations": [{"enabled": True, "operation_type": "backup",
                                                         "operation_definition": {"max_backups": -1},
                                                         "trigger": {"properties": {"pattern": pattern}}}]}}
            assert csbs.post("/policies", body).status_code == 200
            start = datetime.strptime(ctl.get("/clock").json()["now"], "%Y-%m-%dT%H:%M:%S.%fZ")
            errors: list[str] = []

            def jump() -> None:
                resp = requests.post(f"{ctl.url}/clock/advance", json={"seconds": DAY}, timeout=60)
                if resp.status_code != 200:
                    errors.append(resp.text)

            def read() -> None:
                resp = csbs.get("/checkpoint_items")
                if resp.status_code != 200:
                    errors.append(resp.text)

            threads = [threading.Thread(target=fn) for _ in range(6) for fn in (jump, read)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert errors == []
            end = datetime.strptime(ctl.get("/clock").json()["now"], "%Y-%m-%dT%H:%M:%S.%fZ")
            items = csbs.get("/checkpoint_items").json()["checkpoint_items"]
            made = sorted(i["created_at"] for i in items)
            assert len(made) == len(set(made))                       # no occurrence twice
            assert made == _runs(start, end)                                  # and none missed
        finally:
            server.stop()


def _runs(start: datetime, end: datetime) -> list[str]:
    """Daily at 00:30, 08:30, 16:30 UTC in (start, end], as CSBS writes created_at."""
    out, day = [], start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        out += [t.strftime("%Y-%m-%dT%H:%M:%S.%f") for t in (day.replace(hour=h, minute=30) for h in (0, 8, 16))
                if start < t <= end]
        day += timedelta(days=1)
    return out
