-- Identity: domains, domain role assignments, token revocation events and
-- the public keys of token signing keys.

CREATE TABLE domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);

INSERT INTO domains (id, name, description, enabled, created_at) VALUES ('default', 'Default', 'The default domain.', TRUE, 0);

CREATE TABLE domain_role_assignments (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id TEXT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    role_id   TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, domain_id, role_id)
);

CREATE INDEX role_assignments_project ON role_assignments (project_id);

-- A revocation event revokes every token matching all its non-empty
-- fields that was issued at or before issued_before (micros). Rows are
-- kept until expires_at, after which no token it matches is still valid.
CREATE TABLE token_revocations (
    id            {{ID}},
    audit_id      TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    project_id    TEXT NOT NULL DEFAULT '',
    domain_id     TEXT NOT NULL DEFAULT '',
    issued_before BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE INDEX token_revocations_expires ON token_revocations (expires_at);

-- Public halves of token signing keys; expires_at 0 while a key signs.
CREATE TABLE signing_keys (
    key_id     TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0
);
