-- 0009: Cinder's per-project volume quotas (volumes, gigabytes), apart
-- from Zun's container quotas so neither API shows the other's resources.
-- Usage is counted live from the volumes table; the project's row of
-- quota_locks serializes the checked creates.

CREATE TABLE volume_quotas (
    project_id TEXT NOT NULL,
    resource   TEXT NOT NULL,
    hard_limit BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
);
