-- 0006: the image service (Glance v2 subset), per-host images of Zun's
-- images API, and private registries. As for containers, the data column
-- holds the whole record as JSON; the other columns are copies for
-- lookups, filters and sorting.

CREATE TABLE glance_images (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL DEFAULT 'private',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX glance_images_project ON glance_images (project_id, id);
CREATE INDEX glance_images_name ON glance_images (name);

CREATE TABLE images (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    host        TEXT NOT NULL,
    repo        TEXT NOT NULL,
    tag         TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL,
    UNIQUE (host, repo, tag)
);
CREATE INDEX images_project ON images (project_id, id);

CREATE TABLE registries (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    domain      TEXT NOT NULL,
    username    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE UNIQUE INDEX registries_project_name ON registries (project_id, name) WHERE name <> '';
CREATE INDEX registries_project ON registries (project_id, id);
