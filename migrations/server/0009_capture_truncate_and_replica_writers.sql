-- Writes that bypassed the change feed (issue 8.5; decision 0005).
--
-- 1. TRUNCATE. The capture triggers of 0008 see INSERT, UPDATE and DELETE only, so after
--    another application's `TRUNCATE order_follow` replicas kept the rows. A BEFORE TRUNCATE
--    statement trigger now appends a delete for every row of the table, with the row's scope
--    from sync_row_scope, while the rows are still there (PostgreSQL fires the BEFORE TRUNCATE
--    triggers of every table of the statement, cascaded ones included, before it truncates
--    any of them, so a child's scope still finds its parent). TRUNCATE stays allowed: other
--    applications that reload a table with TRUNCATE + INSERT keep working, and pay a scan of
--    the table for it.
-- 2. session_replication_role = replica. Ordinary triggers do not fire for such writers
--    (logical-replication subscribers' apply workers, tools that load data "without
--    triggers"). The statement-level capture stays as it is for every other writer, and a
--    row-level capture enabled only in replica mode (ENABLE REPLICA TRIGGER) takes over
--    there: the logical-replication apply worker fires row triggers only, never statement
--    ones, so ENABLE ALWAYS on the statement triggers would not reach it; and each mode has
--    exactly one capture, so nothing is captured twice. The TRUNCATE capture fires always.
--    The documented triggers (ledger, low stock, request history, count summary, updated_at)
--    keep firing in origin mode only: a replica-mode writer copies rows whose consequences
--    (ledger rows, notifications, history) were written where the change was made, and
--    firing them again would record those twice.
--    `ALTER TABLE ... DISABLE TRIGGER ALL` (what pg_dump and pg_restore --disable-triggers
--    emit around a data-only load) disables every trigger, these included, and the ENABLE
--    TRIGGER ALL after it enables them all in origin mode: such a load must be followed by
--    the backfill of 0004 for the tables it loaded and by sync_capture_enable() (decision
--    0005).

-- Both functions run with the search_path of this migration (FROM CURRENT): a logical-
-- replication apply worker runs triggers with an empty search_path, where the unqualified
-- sync_* functions and tables they use are not found (the worker then fails and retries the
-- same transaction forever).

-- Deletes for every row of the table being truncated (BEFORE), and for usuarios_localizacion
-- a fresh image of every user afterwards (AFTER): they all lost their locations, and a user's
-- image carries them (see sync_reimage_usuario).
CREATE FUNCTION sync_capture_truncate() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path FROM CURRENT
AS $$
DECLARE
    usuario_afectado uuid;
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        -- The identifiers come from the trigger's own table, which is a replicated one.
        EXECUTE format(
            'INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global) '
            'SELECT $1, sync_row_clave($1, v.fila), ''D'', NULL, s.locs, s.id_usuario, s.privado, s.global '
            '  FROM (SELECT to_jsonb(o) AS fila FROM %I.%I o) v '
            ' CROSS JOIN LATERAL sync_row_scope($1, v.fila) s',
            TG_TABLE_SCHEMA, TG_TABLE_NAME)
        USING TG_TABLE_NAME;
    ELSIF TG_TABLE_NAME = 'usuarios_localizacion' THEN
        FOR usuario_afectado IN SELECT u.id_usuario FROM usuarios u ORDER BY 1 LOOP
            PERFORM sync_reimage_usuario(usuario_afectado);
        END LOOP;
    END IF;
    -- In replica mode the NOTIFY trigger on sync_changes does not fire; this one always does.
    PERFORM pg_notify('taller_cambios', '');
    RETURN NULL;
END;
$$;

-- The same images as sync_capture_statement, one row at a time, for replica-mode writers.
CREATE FUNCTION sync_capture_row() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path FROM CURRENT
AS $$
DECLARE
    nueva jsonb;
    vieja jsonb;
    usuario_afectado uuid;
BEGIN
    -- `ALTER TABLE ... ENABLE TRIGGER ALL` (pg_restore --disable-triggers ends with it) turns
    -- this trigger into an ordinary one; in origin mode the statement-level capture has
    -- already taken the change.
    IF current_setting('session_replication_role') <> 'replica' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        vieja := to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        nueva := to_jsonb(NEW);
    END IF;

    -- An update that changes the key removes the old key from replicas.
    IF TG_OP = 'DELETE'
       OR (TG_OP = 'UPDATE'
           AND sync_row_clave(TG_TABLE_NAME, vieja) IS DISTINCT FROM sync_row_clave(TG_TABLE_NAME, nueva)) THEN
        PERFORM sync_append_change(TG_TABLE_NAME, 'D', vieja);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM sync_append_change(TG_TABLE_NAME, 'U', nueva);
    END IF;

    IF TG_TABLE_NAME = 'usuarios_localizacion' THEN
        FOR usuario_afectado IN
            SELECT DISTINCT x.id
            FROM (VALUES ((nueva ->> 'id_usuario')::uuid), ((vieja ->> 'id_usuario')::uuid)) AS x(id)
            WHERE x.id IS NOT NULL
            ORDER BY x.id
        LOOP
            PERFORM sync_reimage_usuario(usuario_afectado);
        END LOOP;
    END IF;

    -- The statement-level NOTIFY trigger on sync_changes does not fire in replica mode (and
    -- the apply worker fires no statement trigger at all). Repeats fold within a transaction.
    PERFORM pg_notify('taller_cambios', '');
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format(
            'CREATE TRIGGER sync_capture_truncate BEFORE TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_truncate()', t);
        EXECUTE format(
            'CREATE TRIGGER sync_capture_replica AFTER INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION sync_capture_row()', t);
    END LOOP;
END;
$$;

CREATE TRIGGER sync_capture_truncate_scope
AFTER TRUNCATE ON usuarios_localizacion
FOR EACH STATEMENT
EXECUTE FUNCTION sync_capture_truncate();

-- When each capture trigger fires. A trigger is created enabled in origin mode; `ALTER TABLE
-- ... ENABLE TRIGGER ALL` puts every trigger back there, so after a load that disabled and
-- re-enabled them (pg_dump / pg_restore --disable-triggers) run this again (decision 0005).
CREATE FUNCTION sync_capture_enable() RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER sync_capture_truncate', t);
        EXECUTE format('ALTER TABLE %I ENABLE REPLICA TRIGGER sync_capture_replica', t);
    END LOOP;
    ALTER TABLE usuarios_localizacion ENABLE ALWAYS TRIGGER sync_capture_truncate_scope;
END;
$$;

DO $$ BEGIN PERFORM sync_capture_enable(); END $$;
