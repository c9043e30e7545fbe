-- 0001: core schema of zun-api. Times are BIGINT microseconds since the
-- Unix epoch (UTC); 0 is the zero time. {{ID}} is the dialect's
-- auto-incrementing 64-bit primary key.

CREATE TABLE containers (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    image       TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    task_state  TEXT NOT NULL DEFAULT '',
    memory      BIGINT NOT NULL DEFAULT 0,
    auto_remove BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE UNIQUE INDEX containers_project_name ON containers (project_id, name) WHERE name <> '';
CREATE INDEX containers_project ON containers (project_id, id);
CREATE INDEX containers_name ON containers (name);
CREATE INDEX containers_host ON containers (host);

CREATE TABLE compute_nodes (
    id              {{ID}},
    uuid            TEXT NOT NULL UNIQUE,
    hostname        TEXT NOT NULL UNIQUE,
    cpu_capacity    DOUBLE PRECISION NOT NULL,
    memory_capacity BIGINT NOT NULL,
    disk_capacity   BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    data            TEXT NOT NULL
);

CREATE TABLE allocations (
    container_uuid TEXT PRIMARY KEY,
    host           TEXT NOT NULL,
    cpu            DOUBLE PRECISION NOT NULL,
    memory         BIGINT NOT NULL,
    disk           BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
-- Covering index: the capacity check sums a host's allocations from it alone.
CREATE INDEX allocations_host ON allocations (host, cpu, memory, disk);

CREATE TABLE services (
    id                {{ID}},
    host              TEXT NOT NULL,
    binary_name       TEXT NOT NULL,
    disabled          BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_reason   TEXT NOT NULL DEFAULT '',
    forced_down       BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_up      BIGINT NOT NULL DEFAULT 0,
    report_count      BIGINT NOT NULL DEFAULT 0,
    availability_zone TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (host, binary_name)
);

CREATE TABLE container_actions (
    id             {{ID}},
    container_uuid TEXT NOT NULL,
    action         TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL DEFAULT '',
    project_id     TEXT NOT NULL DEFAULT '',
    start_time     BIGINT NOT NULL,
    finish_time    BIGINT NOT NULL DEFAULT 0,
    message        TEXT NOT NULL DEFAULT '',
    UNIQUE (container_uuid, request_id)
);

CREATE TABLE action_events (
    id          {{ID}},
    action_id   BIGINT NOT NULL REFERENCES container_actions (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    start_time  BIGINT NOT NULL,
    finish_time BIGINT NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    traceback   TEXT NOT NULL DEFAULT '',
    UNIQUE (action_id, event)
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    domain_id   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    domain_id          TEXT NOT NULL,
    default_project_id TEXT NOT NULL DEFAULT '',
    password_hash      TEXT NOT NULL DEFAULT '',
    enabled            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE roles (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE role_assignments (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    role_id    TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id, role_id)
);
