"""CSBS replication of a backup to another region (task "csbs.replicate"; the copy is only recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ims_emulator.domain import backups, jobs, regions
from ims_emulator.domain.context import Ctx
from ims_emulator.domain.errors import ServiceError
from ims_emulator.domain.ids import new_uuid
from ims_emulator.domain.records import Entity, Task

if TYPE_CHECKING:
    from ims_emulator.store import Tx


def replicate(tx: Tx, ctx: Ctx, item: Entity, options: dict[str, Any]) -> Task:
    """Copy one available backup to another region (the copy itself is only recorded: UNCONFIRMED)."""
    region = options["destination_region"]
    here = regions.get(ctx.region)
    if here is None or region not in here.csbs_replication_to:
        raise ServiceError("CSBS.9001", f"replication from {ctx.region} to {region} is not supported")
    if item.status != "available":
        raise ServiceError("CSBS.2003")
    records = item.doc.setdefault("replication_records", [])
    if item.doc["extend_info"].get("copy_status") in backups.COPY_BUSY or any(
            r["destination_region"] == region and r["status"] != "failed" for r in records):
        raise ServiceError("CSBS.6031")
    record = {"id": new_uuid(), "source_region": ctx.region, "destination_region": region,
              "destination_project_id": options["destination_project_id"], "source_backup_id": item.id,
              "destination_backup_id": new_uuid(), "status": "replicating", "created_at": ctx.now,
              "updated_at": ctx.now, "extra_info": {"progress": 0, "fail_code": "", "fail_reason": "",
                                                    "auto_trigger": bool(options.get("auto_trigger"))}}
    records.append(record)
    item.doc["extend_info"]["copy_status"] = "copying"
    backups.touch(tx, item, ctx.now)
    return jobs.start(tx, ctx, backups.REPLICATE, entity_kind=backups.KIND, entity_id=item.id, resource_id=item.id,
                      job_type="csbs_replicate", payload={"record_id": record["id"]})


def _replicate_settled(tx: Tx, task: Task, now: float) -> None:
    item = tx.entities.get(backups.KIND, task.entity_id or "")
    if item is None:
        return
    ok = task.status != "FAIL"
    item.doc["extend_info"]["copy_status"] = "success" if ok else "fail"
    for record in item.doc.get("replication_records", []):
        if record["id"] == task.payload["record_id"]:
            record.update(status="available" if ok else "failed", updated_at=now)
            record["extra_info"].update(progress=100 if ok else 0, fail_code="" if ok else task.error_code or "",
                                        fail_reason="" if ok else task.fail_reason or "")
    backups.touch(tx, item, now)


jobs.register(jobs.OpSpec(backups.REPLICATE, "csbs_replicate", _replicate_settled, _replicate_settled,
                          fail_code="CSBS.9999"))
