-- 0011: the Idempotency-Key of a container create. It is written in the
-- same insert as the record, so a create retried after the API died
-- between accepting and answering finds the container it already made.
ALTER TABLE containers ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX containers_idempotency ON containers (project_id, idempotency_key) WHERE idempotency_key <> '';
