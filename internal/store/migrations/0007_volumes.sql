-- 0007: volumes of the local volume backend (Cinder v3 subset). The data
-- column holds the whole record as JSON; the others are copies for
-- filtering, scoping and capacity sums.

CREATE TABLE volumes (
    id          {{ID}},
    uuid        TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    size_gb     BIGINT NOT NULL,
    attached_to TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX volumes_project ON volumes (project_id, id);
CREATE INDEX volumes_host ON volumes (host);
CREATE INDEX volumes_attached ON volumes (attached_to);
