"""The load tooling runs: locust's users against a strict-auth, 2-worker emulator, and every benchmark in its
--quick form. Functional checks only (no figure is asserted: benchmarks print numbers)."""

from __future__ import annotations

import importlib.util

import pytest

from load import run_bench, run_load


def test_locust_users_run_distributed_without_a_failed_request(capfd):
    """A locust master and two worker processes (make load-distributed), so the distributed set-up is proven."""
    if importlib.util.find_spec("locust") is None:  # never imported here: it monkey-patches the process (gevent)
        pytest.skip("locust is not installed (pip install -e '.[load]')")
    code = run_load.main(["--users", "6", "--spawn-rate", "6", "--run-time", "4s", "--distributed", "2"])
    captured = capfd.readouterr()
    out = captured.out + captured.err  # locust prints its stats table on stderr
    assert code == 0, out[-3000:]
    for name in ("ims show job (poll)", "csbs show item (poll)", "ims list images (page)", "csbs list items (page)"):
        assert name in out  # every user class reached its polling path
    assert "load: OK" in out


def test_benchmarks_run_and_write_their_results(tmp_path):
    out = tmp_path / "results.md"
    reports = run_bench.run_all(quick=True, out=out)
    text = out.read_text()
    assert "## Summary" in text and "nproc" not in text  # machine line is written as prose
    assert [r.title.split(":")[0] for r in reports] == ["Start-up", "Poll throughput (GET job, GET image, GET "
                                                        "backup) vs a bare Flask app and moto", "Growth",
                                                        "Pipeline latency"]
    poll = reports[1]
    assert poll.rows and all(row[-1] == 0 for row in poll.rows)  # signed polls all answered 200, loose and strict
    polled = {f"{kind} ({mode})" for kind in ("job", "image", "backup") for mode in ("default", "strict")}
    assert {row[0] for row in poll.rows} == {"bare", *polled}  # quick mode leaves the peer (moto) out
    assert all(v.endswith(("MET", "MISSED")) for r in reports for v in r.verdicts)
