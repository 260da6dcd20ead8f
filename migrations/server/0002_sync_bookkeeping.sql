-- Sync bookkeeping (spec section 3). Server only: never replicated, never captured.

-- The change feed. Clients page through it by transaction visibility (txid),
-- never by id alone: ids are assigned before commit, so they commit out of order.
CREATE TABLE sync_changes (
    id          bigserial   PRIMARY KEY,
    txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    tabla       text        NOT NULL,
    -- Primary key as text: the uuid, or 'a|b' for the two composite keys.
    clave       text        NOT NULL,
    op          text        NOT NULL CHECK (op IN ('U', 'D')),
    -- Row image after the change; a delete carries no image.
    datos       jsonb       NULL,
    locs        uuid[]      NOT NULL DEFAULT '{}',
    -- No FK: the feed must outlive the users it mentions.
    id_usuario  uuid        NULL,
    privado     boolean     NOT NULL DEFAULT false,
    global      boolean     NOT NULL DEFAULT false,
    CONSTRAINT sync_changes_datos_check CHECK ((op = 'D') = (datos IS NULL))
);

CREATE INDEX idx_sync_changes_txid ON sync_changes (txid);
CREATE INDEX idx_sync_changes_tabla_clave ON sync_changes (tabla, clave, id DESC);

CREATE TABLE sync_devices (
    id_dispositivo  uuid        PRIMARY KEY,
    id_usuario      uuid        NOT NULL REFERENCES usuarios (id_usuario),
    ultimo_seq      bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    visto_en        timestamptz NULL
);

CREATE INDEX idx_sync_devices_usuario ON sync_devices (id_usuario);

-- One row per mutation ever received: the recorded outcome is what a re-send
-- gets back (exactly-once effect).
CREATE TABLE sync_mutations (
    id_mutacion     uuid        PRIMARY KEY,
    id_dispositivo  uuid        NOT NULL REFERENCES sync_devices (id_dispositivo),
    seq             bigint      NOT NULL,
    id_usuario      uuid        NOT NULL,
    nombre          text        NOT NULL,
    args            jsonb       NOT NULL,
    -- The person's time, as reported by the device.
    realizada_en    timestamptz NOT NULL,
    recibida_en     timestamptz NOT NULL DEFAULT now(),
    estado          text        NOT NULL CHECK (estado IN ('applied', 'rejected')),
    codigo          text        NULL,
    mensaje         text        NULL,
    resultado       jsonb       NULL,
    txid            xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT sync_mutations_dispositivo_seq_key UNIQUE (id_dispositivo, seq)
);

CREATE TABLE sync_credenciales (
    id_usuario     uuid        PRIMARY KEY REFERENCES usuarios (id_usuario) ON DELETE CASCADE,
    password_hash  text        NOT NULL,
    cambiada_en    timestamptz NOT NULL DEFAULT now(),
    bloqueado      boolean     NOT NULL DEFAULT false
);

-- Only hashes are stored, so a leaked table does not leak usable tokens.
CREATE TABLE sync_sesiones (
    id_sesion          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    id_usuario         uuid        NOT NULL REFERENCES usuarios (id_usuario),
    token_hash         bytea       NOT NULL UNIQUE,
    refresh_hash       bytea       NOT NULL UNIQUE,
    expira_en          timestamptz NOT NULL,
    refresh_expira_en  timestamptz NOT NULL,
    revocada_en        timestamptz NULL,
    id_dispositivo     uuid        NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_sync_sesiones_usuario ON sync_sesiones (id_usuario);

-- Login throttling kept in the database so it holds across server processes.
CREATE TABLE sync_login_intentos (
    clave           text        PRIMARY KEY,
    ventana_inicio  timestamptz NOT NULL,
    intentos        integer     NOT NULL
);

-- Ids created offline that were merged into an existing row (duplicate
-- referencia): later mutations using the alias act on the real row.
CREATE TABLE sync_id_alias (
    tabla     text NOT NULL,
    id_alias  uuid NOT NULL,
    id_real   uuid NOT NULL,
    PRIMARY KEY (tabla, id_alias)
);

-- Last author of each field, so a conflicting edit can name the other person.
CREATE TABLE sync_editores_campo (
    tabla        text NOT NULL,
    clave        text NOT NULL,
    campo        text NOT NULL,
    id_usuario   uuid NOT NULL,
    id_mutacion  uuid NULL,
    PRIMARY KEY (tabla, clave, campo)
);
