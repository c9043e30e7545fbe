-- 0003: quotas and quota classes (Zun API 1.26). Usage is counted live from
-- the containers table, so cpu and disk become columns beside memory
-- (filled from the JSON record for existing rows).

ALTER TABLE containers ADD COLUMN cpu DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE containers ADD COLUMN disk BIGINT NOT NULL DEFAULT 0;
UPDATE containers SET cpu = {{JSON_NUM:cpu}}, disk = CAST({{JSON_NUM:disk}} AS BIGINT);

-- Per-project overrides; a missing row falls back to the default class.
CREATE TABLE quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);

-- Class limits; the class "default" replaces the built-in defaults.
CREATE TABLE quota_classes (
    class_name TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (class_name, resource)
);

-- One row per project, locked (SELECT ... FOR UPDATE through an upsert)
-- by every quota-checked write of the project, so concurrent transactions
-- on PostgreSQL check usage one after the other.
CREATE TABLE quota_locks (
    project_id TEXT PRIMARY KEY,
    writes     BIGINT NOT NULL DEFAULT 0
);
