"""The rules that cut across services, one home each; every service imports them, they import no service.

- ownership.py: which project an id a request names belongs to (owned / shared / not found)
- busy.py: whether a server may start, stop, be backed up, be imaged or change OS (one set of claims)
- in_use.py: the claim that a backup is used by a full-ECS image (the one record of it)
- shared_disks.py: what a shared disk is, over a server's volumes and a backup's disks
- backup_source.py: the typed interface a backup service (CSBS, CBR) offers full-ECS images
"""
