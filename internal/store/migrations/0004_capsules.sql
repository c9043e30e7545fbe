-- 0004: capsules. The data column holds the whole record as JSON, members
-- included (they are not rows of containers, so the container list never
-- shows them, as in Zun); the other columns are copies for lookups and
-- sorting. A capsule's resources are one allocation keyed by its uuid.

CREATE TABLE capsules (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    task_state  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE UNIQUE INDEX capsules_project_name ON capsules (project_id, name) WHERE name <> '';
CREATE INDEX capsules_project ON capsules (project_id, id);
CREATE INDEX capsules_name ON capsules (name);
CREATE INDEX capsules_host ON capsules (host);
