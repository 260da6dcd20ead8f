-- The key that authenticates pull cursors (contract invariant 12). It lives in the
-- database so that every server process on it checks every cursor (invariant 9).
-- Server only: not a replicated table (no capture trigger), never sent to a client.
CREATE TABLE sync_cursor_key (
    id          smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    secret      bytea       NOT NULL CHECK (octet_length(secret) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Made once, here, from PostgreSQL's strong random source (gen_random_uuid uses
-- pg_strong_random): 244 random bits from two version-4 uuids, hashed to 32 bytes.
INSERT INTO sync_cursor_key (secret)
VALUES (sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())));
