-- Cheaper change capture (issue 4, push backlog).
--
-- 1. sync_append_change becomes PL/pgSQL: as a SQL function its INSERT ... SELECT over the
--    set-returning sync_row_scope was planned and run as a query on every call.
-- 2. Capture is statement-level with transition tables: one INSERT ... SELECT per statement
--    instead of a trigger call and an INSERT per row, so a set-based write (the server's runs
--    of movements, another application's bulk update) is captured set-based too.
--
-- Measured on one throwaway cluster (3,000 technician movements, each an INSERT into
-- movimientos_tecnicos, an UPDATE of inventario and an INSERT into logs_inventario):
--   in batches of 200 rows per statement: 1.06 s with the 0004 capture's function made
--     PL/pgSQL (1), 0.65-0.69 s with (2), 0.34 s with no capture at all;
--   one row per statement: 2.10 s with the 0004 capture, 1.33-1.50 s with (1), 1.67 s with
--     (2): a single-row statement pays ~0.04 ms more per captured row, the set-based ones
--     ~0.04 ms less per row, and whole runs of a backlog are set-based.
-- Same rows as before, from the same single definitions of key (sync_row_clave) and scope
-- (sync_row_scope), still shared with the backfill through sync_append_change.

CREATE OR REPLACE FUNCTION sync_append_change(p_tabla text, p_op text, p_fila jsonb) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    s record;
BEGIN
    SELECT * INTO STRICT s FROM sync_row_scope(p_tabla, p_fila);
    INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
    VALUES (p_tabla, sync_row_clave(p_tabla, p_fila), p_op, CASE WHEN p_op = 'U' THEN p_fila END,
            s.locs, s.id_usuario, s.privado, s.global);
END;
$$;

-- A fresh image of a user whose locations changed, taken under the user's row lock so that two
-- assignments committing at the same time cannot leave a stale image (see 0007). FOR NO KEY
-- UPDATE: the assignment's foreign-key check already holds FOR KEY SHARE on the row.
CREATE FUNCTION sync_reimage_usuario(p_usuario uuid) RETURNS void
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
BEGIN
    PERFORM 1 FROM usuarios WHERE id_usuario = p_usuario FOR NO KEY UPDATE;
    PERFORM sync_append_change('usuarios', 'U', to_jsonb(u)) FROM usuarios u WHERE u.id_usuario = p_usuario;
END;
$$;

-- One statement's changes: 'D' for deleted keys and for keys an update moved away from, 'U'
-- with the new image for inserted and updated rows. PostgreSQL allows transition tables only
-- on single-event triggers, hence three triggers per table; `viejas` and `nuevas` exist only
-- for the events that have them, so each query sits under its event's branch.
CREATE FUNCTION sync_capture_statement() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
    usuario_afectado uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT TG_TABLE_NAME, sync_row_clave(TG_TABLE_NAME, v.fila), 'D', NULL, s.locs, s.id_usuario, s.privado, s.global
          FROM (SELECT to_jsonb(o) AS fila FROM viejas o) v
         CROSS JOIN LATERAL sync_row_scope(TG_TABLE_NAME, v.fila) s;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT TG_TABLE_NAME, v.clave, 'D', NULL, s.locs, s.id_usuario, s.privado, s.global
          FROM (SELECT sync_row_clave(TG_TABLE_NAME, to_jsonb(o)) AS clave, to_jsonb(o) AS fila FROM viejas o) v
         CROSS JOIN LATERAL sync_row_scope(TG_TABLE_NAME, v.fila) s
         WHERE v.clave NOT IN (SELECT sync_row_clave(TG_TABLE_NAME, to_jsonb(n)) FROM nuevas n);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT TG_TABLE_NAME, sync_row_clave(TG_TABLE_NAME, x.fila), 'U', x.fila, s.locs, s.id_usuario, s.privado, s.global
          FROM (SELECT to_jsonb(n) AS fila FROM nuevas n) x
         CROSS JOIN LATERAL sync_row_scope(TG_TABLE_NAME, x.fila) s;
    END IF;

    -- A user's own scope (locs) changed: replicate a fresh image of each affected user, in id
    -- order (see sync_reimage_usuario).
    IF TG_TABLE_NAME = 'usuarios_localizacion' THEN
        IF TG_OP = 'INSERT' THEN
            FOR usuario_afectado IN SELECT DISTINCT n.id_usuario FROM nuevas n ORDER BY 1 LOOP
                PERFORM sync_reimage_usuario(usuario_afectado);
            END LOOP;
        ELSIF TG_OP = 'DELETE' THEN
            FOR usuario_afectado IN SELECT DISTINCT o.id_usuario FROM viejas o ORDER BY 1 LOOP
                PERFORM sync_reimage_usuario(usuario_afectado);
            END LOOP;
        ELSE
            FOR usuario_afectado IN
                SELECT n.id_usuario FROM nuevas n UNION SELECT o.id_usuario FROM viejas o ORDER BY 1
            LOOP
                PERFORM sync_reimage_usuario(usuario_afectado);
            END LOOP;
        END IF;
    END IF;

    RETURN NULL;
END;
$$;
-- The count anchor of an item (its latest non-absorbed physical count) is read before every
-- stock change; with only (id_inventario, fecha) it read every ledger row of the item, so a
-- busy item got slower with each movement. Counts are a small part of the ledger.
CREATE INDEX idx_logs_inventario_conteos ON logs_inventario (id_inventario, fecha DESC, (detalles ->> 'id_conteo') DESC)
    WHERE tipo_operacion = 'CONTEO_FISICO';

-- The row-level capture of 0004/0007 gives way to the statement-level one, on every
-- replicated table.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format('DROP TRIGGER sync_capture ON %I', t);
        EXECUTE format(
            'CREATE TRIGGER sync_capture_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS nuevas '
            'FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_statement()', t);
        EXECUTE format(
            'CREATE TRIGGER sync_capture_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS viejas NEW TABLE AS nuevas '
            'FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_statement()', t);
        EXECUTE format(
            'CREATE TRIGGER sync_capture_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS viejas '
            'FOR EACH STATEMENT EXECUTE FUNCTION sync_capture_statement()', t);
    END LOOP;
END;
$$;
DROP FUNCTION sync_capture();

-- A statement-level capture runs its INSERT even when the statement changed no row (an UPDATE
-- that matched nothing, an ON CONFLICT DO NOTHING that skipped): only a change wakes the
-- listeners.
CREATE OR REPLACE FUNCTION sync_notify_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM nuevos_cambios) THEN
        PERFORM pg_notify('taller_cambios', '');
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER sync_changes_notify ON sync_changes;
CREATE TRIGGER sync_changes_notify
AFTER INSERT ON sync_changes
REFERENCING NEW TABLE AS nuevos_cambios
FOR EACH STATEMENT
EXECUTE FUNCTION sync_notify_changes();
