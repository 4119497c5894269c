-- ims-emulator store, schema version 2 (db.py MIGRATIONS brings older files forward).
-- entities: every stored resource (server, volume, image, backup, ...) as a JSON document with
-- the columns lists and rules need indexed beside it.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS projects (
    project_id TEXT PRIMARY KEY,
    region     TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    project_id TEXT NOT NULL,
    status     TEXT,
    name       TEXT,
    ref        TEXT,           -- the main link: a volume's server, an image's backup, an item's checkpoint
    created_at REAL NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS entities_page ON entities (project_id, kind, created_at, id);
CREATE INDEX IF NOT EXISTS entities_ref ON entities (kind, ref);

-- claims: "only one" rules as a primary key, so parallel requests in any number of
-- processes cannot both win (one image per backup, one policy per server, ...).
CREATE TABLE IF NOT EXISTS claims (
    token      TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    project_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_owner ON claims (owner_kind, owner_id);
CREATE INDEX IF NOT EXISTS claims_project ON claims (project_id);

-- tasks: every async operation (IMS/ECS jobs, CSBS protect/delete/restore, ...).
CREATE TABLE IF NOT EXISTS tasks (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    op           TEXT NOT NULL,
    job_type     TEXT NOT NULL,
    status       TEXT NOT NULL,      -- INIT | RUNNING | SUCCESS | FAIL
    policy       TEXT NOT NULL,
    created_at   REAL NOT NULL,
    due_at       REAL,               -- virtual time it settles (instant / seconds:X), else NULL
    polls_seen   INTEGER NOT NULL DEFAULT 0,
    ended_at     REAL,
    entity_kind  TEXT,
    entity_id    TEXT,
    payload      TEXT NOT NULL DEFAULT '{}',
    entities     TEXT NOT NULL DEFAULT '{}',
    fail_with    TEXT,               -- {"code", "reason"} from an injected fault
    error_code   TEXT,
    fail_reason  TEXT
);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (project_id, due_at) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX IF NOT EXISTS tasks_due_all ON tasks (due_at) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX IF NOT EXISTS tasks_entity ON tasks (entity_id) WHERE status IN ('INIT', 'RUNNING');
CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id, created_at);

-- control: settings shared by every worker (clock offset, transition policies, faults, ...).
CREATE TABLE IF NOT EXISTS control (key TEXT PRIMARY KEY, value TEXT NOT NULL);
