-- 0008: the network service (Neutron v2.0 subset). Every record (network,
-- subnet, port, security group and rule, router, floating IP) is a row of
-- net_records holding it as JSON, with copies of the fields it is found
-- by. Uniqueness lives in the side tables: an address is held once per
-- subnet, a MAC once per network, a VXLAN segment once. net_revision is
-- the global revision every write bumps first, which serializes the
-- network service's writes (a row lock on PostgreSQL).
-- Container and capsule ports, security groups and exposed ports are part
-- of their records' JSON; a compute node's tunnel address too.

CREATE TABLE net_records (
    seq         {{ID}},
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    network_id  TEXT NOT NULL DEFAULT '',
    device_id   TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX net_records_project ON net_records (kind, project_id, seq);
CREATE INDEX net_records_network ON net_records (kind, network_id);
CREATE INDEX net_records_device ON net_records (device_id);
CREATE INDEX net_records_host ON net_records (host);

CREATE TABLE net_ips (
    subnet_id   TEXT NOT NULL,
    ip_address  TEXT NOT NULL,
    network_id  TEXT NOT NULL,
    port_id     TEXT NOT NULL,
    PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX net_ips_port ON net_ips (port_id);

CREATE TABLE net_macs (
    network_id  TEXT NOT NULL,
    mac         TEXT NOT NULL,
    port_id     TEXT NOT NULL,
    PRIMARY KEY (network_id, mac)
);
CREATE INDEX net_macs_port ON net_macs (port_id);

CREATE TABLE net_segments (
    vni         BIGINT NOT NULL PRIMARY KEY,
    network_id  TEXT NOT NULL UNIQUE
);

CREATE TABLE net_revision (
    id          INTEGER NOT NULL PRIMARY KEY,
    revision    BIGINT NOT NULL
);
INSERT INTO net_revision (id, revision) VALUES (1, 0);
