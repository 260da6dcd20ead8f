-- Who a request names, one capture body, and stock inserted with a ledger row
-- (issue 8.12 leftover; issue 10, "stock changes only with a ledger row").
--
-- 1. A user row is readable by whoever can read a request or a request trace row naming that
--    user. The reference schema's `solicitudes` records only `id_usuario_solicitante` and
--    `trazabilidad_solicitudes` only `id_usuario`; a replica received user rows only for the
--    users of its own locations, so a warehouse worker looking at a request from another
--    location's technician saw no name. The scope of a `usuarios` row (sync_row_scope) now
--    also holds the origin and destination of every request the user made and of every
--    request whose history names them. `usuarios` replicates no secret (credentials live in
--    sync_credenciales, which is never replicated), and a user's own assignments
--    (usuarios_localizacion) keep their location scope.
-- 2. When such a request or trace row appears, changes its locations or goes, the capture
--    re-images the named users whose scope changed, under the user's row lock (as
--    sync_reimage_usuario does for assignments, 0007/0008), so an incremental pull delivers
--    the user row, not only a full sync.
-- 3. The row capture that 0009 repeated from 0004/0007 for replica-mode writers and the
--    statement capture of 0008 become one function, sync_capture_rows, over arrays of row
--    images: the statement path passes its transition tables, the row path one row.
-- 4. The ledger trigger of 0003 fires on UPDATE only, so another application's INSERT into
--    `inventario` with stock left no ledger row. A statement-level AFTER INSERT trigger now
--    logs every inserted row with non-zero stock (from 0), unless the server wrote the ledger
--    itself (`taller.ledger = 'app'`, decision 0010). It fires in origin mode only, as the
--    other documented triggers (0009).

-- Lookups of the users a request or its history names.
CREATE INDEX idx_solicitudes_solicitante ON solicitudes (id_usuario_solicitante);
CREATE INDEX idx_trazabilidad_solicitudes_usuario ON trazabilidad_solicitudes (id_usuario);

-- 0004's definition, with the wider `usuarios` scope; every other table is unchanged.
CREATE OR REPLACE FUNCTION sync_row_scope(tabla text, fila jsonb)
RETURNS TABLE (locs uuid[], id_usuario uuid, privado boolean, global boolean)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    locs := '{}';
    id_usuario := NULL;
    privado := false;
    global := false;

    CASE tabla
        WHEN 'roles', 'localizacion', 'localizacion_politicas', 'repuestos',
             'scooter_types', 'order_follow' THEN
            global := true;

        WHEN 'usuarios' THEN
            id_usuario := (fila ->> 'id_usuario')::uuid;
            -- Their own locations, and both ends of every request they made or whose history
            -- names them (so whoever reads the request reads the name).
            SELECT coalesce(array_agg(DISTINCT x.loc ORDER BY x.loc), '{}')
            INTO locs
            FROM (
                SELECT ul.id_localizacion AS loc
                  FROM usuarios_localizacion ul
                 WHERE ul.id_usuario = (fila ->> 'id_usuario')::uuid
                UNION
                SELECT unnest(ARRAY[s.id_localizacion_origen, s.id_localizacion_destino])
                  FROM solicitudes s
                 WHERE s.id_usuario_solicitante = (fila ->> 'id_usuario')::uuid
                UNION
                SELECT unnest(ARRAY[s.id_localizacion_origen, s.id_localizacion_destino])
                  FROM solicitudes s
                 WHERE s.id_solicitud IN (SELECT t.id_solicitud FROM trazabilidad_solicitudes t
                                           WHERE t.id_usuario = (fila ->> 'id_usuario')::uuid)
            ) x;

        WHEN 'usuarios_localizacion' THEN
            locs := ARRAY[(fila ->> 'id_localizacion')::uuid];
            id_usuario := (fila ->> 'id_usuario')::uuid;

        WHEN 'admin_notifications' THEN
            id_usuario := (fila ->> 'id_admin')::uuid;
            privado := true;

        WHEN 'inventario', 'movimientos_tecnicos', 'garantias', 'registro_conteo' THEN
            locs := ARRAY[(fila ->> 'id_localizacion')::uuid];

        WHEN 'logs_inventario' THEN
            SELECT coalesce(array_agg(i.id_localizacion), '{}')
            INTO locs
            FROM inventario i
            WHERE i.id_inventario = (fila ->> 'id_inventario')::uuid;

        WHEN 'solicitudes' THEN
            locs := ARRAY[(fila ->> 'id_localizacion_origen')::uuid,
                          (fila ->> 'id_localizacion_destino')::uuid];

        WHEN 'detalles_solicitud', 'trazabilidad_solicitudes' THEN
            SELECT coalesce(
                       (SELECT ARRAY[s.id_localizacion_origen, s.id_localizacion_destino]
                        FROM solicitudes s
                        WHERE s.id_solicitud = (fila ->> 'id_solicitud')::uuid),
                       '{}')
            INTO locs;

        WHEN 'detalles_conteo', 'conteos_cerrados' THEN
            SELECT coalesce(array_agg(rc.id_localizacion), '{}')
            INTO locs
            FROM registro_conteo rc
            WHERE rc.id_conteo = (fila ->> 'id_conteo')::uuid;

        WHEN 'carrito_solicitudes', 'notificaciones', 'conflictos' THEN
            id_usuario := (fila ->> 'id_usuario')::uuid;
            privado := true;

        ELSE
            -- An unknown table must not default to some scope: fail loudly.
            RAISE EXCEPTION 'sync_row_scope: tabla % no replicada', tabla;
    END CASE;

    RETURN NEXT;
END;
$$;

-- The user a request row or a trace row names, the request, and the request's locations (a
-- trace row whose request is gone names no location).
CREATE FUNCTION sync_users_named(p_tabla text, p_fila jsonb)
RETURNS TABLE (id_usuario uuid, id_solicitud uuid, locs uuid[])
LANGUAGE sql STABLE
AS $$
    SELECT (p_fila ->> 'id_usuario_solicitante')::uuid, (p_fila ->> 'id_solicitud')::uuid,
           ARRAY[(p_fila ->> 'id_localizacion_origen')::uuid, (p_fila ->> 'id_localizacion_destino')::uuid]
     WHERE p_tabla = 'solicitudes'
    UNION ALL
    SELECT (p_fila ->> 'id_usuario')::uuid, (p_fila ->> 'id_solicitud')::uuid,
           coalesce((SELECT ARRAY[s.id_localizacion_origen, s.id_localizacion_destino] FROM solicitudes s
                      WHERE s.id_solicitud = (p_fila ->> 'id_solicitud')::uuid), '{}')
     WHERE p_tabla = 'trazabilidad_solicitudes'
$$;

-- A fresh image of a user when their scope changed. `p_gained` names locations a new row adds
-- to it: when the latest image already holds them, nothing changed. NULL (a row went, or its
-- locations changed) recomputes the scope and compares it with the latest image. Under the
-- user's row lock, like sync_reimage_usuario: every image of a user is written under it, so
-- the latest image in the feed is the scope committed before, and two transactions adding
-- and removing the same location serialise instead of leaving a stale image.
CREATE FUNCTION sync_reimage_usuario_if_changed(p_usuario uuid, p_gained uuid[]) RETURNS void
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path FROM CURRENT
AS $$
DECLARE
    last_op text;
    last_locs uuid[];
    now_locs uuid[];
BEGIN
    PERFORM 1 FROM usuarios WHERE id_usuario = p_usuario FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT c.op, c.locs INTO last_op, last_locs
      FROM sync_changes c
     WHERE c.tabla = 'usuarios' AND c.clave = p_usuario::text
     ORDER BY c.id DESC LIMIT 1;
    IF last_op = 'U' AND p_gained IS NOT NULL AND p_gained <@ last_locs THEN
        RETURN;
    END IF;
    SELECT s.locs INTO now_locs
      FROM usuarios u CROSS JOIN LATERAL sync_row_scope('usuarios', to_jsonb(u)) s
     WHERE u.id_usuario = p_usuario;
    IF last_op IS DISTINCT FROM 'U' OR last_locs IS DISTINCT FROM now_locs THEN
        PERFORM sync_append_change('usuarios', 'U', to_jsonb(u)) FROM usuarios u WHERE u.id_usuario = p_usuario;
    END IF;
END;
$$;

-- One change of a replicated table, whichever path saw it: `p_viejas` the images before (a
-- delete or an update), `p_nuevas` the images after (an insert or an update), in UTC. Writes
-- 'D' for deleted keys and for keys an update moved away from, 'U' with the new image for
-- inserted and updated rows, then fresh images of the users whose scope the change moved.
CREATE FUNCTION sync_capture_rows(p_tabla text, p_op text, p_viejas jsonb[], p_nuevas jsonb[]) RETURNS void
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path FROM CURRENT
AS $$
DECLARE
    usuario_afectado uuid;
    gained uuid[];
BEGIN
    -- A statement that changed no row (an UPDATE that matched nothing, ON CONFLICT DO NOTHING).
    IF p_viejas IS NULL AND p_nuevas IS NULL THEN
        RETURN;
    END IF;
    IF p_op = 'DELETE' THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT p_tabla, sync_row_clave(p_tabla, v.fila), 'D', NULL, s.locs, s.id_usuario, s.privado, s.global
          FROM unnest(p_viejas) AS v(fila)
         CROSS JOIN LATERAL sync_row_scope(p_tabla, v.fila) s;
    ELSIF p_op = 'UPDATE' THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT p_tabla, v.clave, 'D', NULL, s.locs, s.id_usuario, s.privado, s.global
          FROM (SELECT sync_row_clave(p_tabla, o.fila) AS clave, o.fila FROM unnest(p_viejas) AS o(fila)) v
         CROSS JOIN LATERAL sync_row_scope(p_tabla, v.fila) s
         WHERE v.clave NOT IN (SELECT sync_row_clave(p_tabla, n.fila) FROM unnest(p_nuevas) AS n(fila));
    END IF;
    IF p_op IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
        SELECT p_tabla, sync_row_clave(p_tabla, x.fila), 'U', x.fila, s.locs, s.id_usuario, s.privado, s.global
          FROM unnest(p_nuevas) AS x(fila)
         CROSS JOIN LATERAL sync_row_scope(p_tabla, x.fila) s;
    END IF;

    IF p_tabla = 'usuarios_localizacion' THEN
        -- A user's own locations changed: a fresh image of each, in id order.
        FOR usuario_afectado IN
            SELECT DISTINCT (f ->> 'id_usuario')::uuid
              FROM unnest(coalesce(p_viejas, '{}') || coalesce(p_nuevas, '{}')) AS f
             ORDER BY 1
        LOOP
            PERFORM sync_reimage_usuario(usuario_afectado);
        END LOOP;
    ELSIF p_tabla IN ('solicitudes', 'trazabilidad_solicitudes') THEN
        -- The users a row names before and after; a pair present on one side only moved that
        -- user's scope: gained locations are checked against the latest image, a lost pair
        -- (and, for a request whose locations changed, every user its history names) has the
        -- scope recomputed. An update of the state alone names nobody new.
        FOR usuario_afectado, gained IN
            WITH after_rows AS (
                SELECT n.* FROM unnest(p_nuevas) AS f, LATERAL sync_users_named(p_tabla, f) n),
            before_rows AS (
                SELECT b.* FROM unnest(p_viejas) AS f, LATERAL sync_users_named(p_tabla, f) b),
            won AS (SELECT * FROM after_rows EXCEPT SELECT * FROM before_rows),
            lost AS (SELECT * FROM before_rows EXCEPT SELECT * FROM after_rows),
            moves AS (
                SELECT w.id_usuario, l.loc, false AS recompute FROM won w, unnest(w.locs) AS l(loc)
                UNION ALL
                SELECT x.id_usuario, NULL, true FROM lost x
                UNION ALL
                SELECT t.id_usuario, NULL, true
                  FROM trazabilidad_solicitudes t
                 WHERE p_tabla = 'solicitudes' AND p_op <> 'INSERT'
                   AND t.id_solicitud IN (SELECT id_solicitud FROM won UNION SELECT id_solicitud FROM lost))
            SELECT m.id_usuario,
                   CASE WHEN bool_or(m.recompute) THEN NULL
                        ELSE array_agg(DISTINCT m.loc) FILTER (WHERE m.loc IS NOT NULL) END
              FROM moves m
             WHERE m.id_usuario IS NOT NULL
             GROUP BY m.id_usuario
             ORDER BY m.id_usuario
        LOOP
            PERFORM sync_reimage_usuario_if_changed(usuario_afectado, gained);
        END LOOP;
    END IF;
END;
$$;

-- The statement path (0008): its transition tables as arrays.
CREATE OR REPLACE FUNCTION sync_capture_statement() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
BEGIN
    -- `viejas` and `nuevas` exist only for the events that have them.
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_capture_rows(TG_TABLE_NAME, TG_OP, (SELECT array_agg(to_jsonb(o)) FROM viejas o), NULL);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM sync_capture_rows(TG_TABLE_NAME, TG_OP, (SELECT array_agg(to_jsonb(o)) FROM viejas o),
                                  (SELECT array_agg(to_jsonb(n)) FROM nuevas n));
    ELSE
        PERFORM sync_capture_rows(TG_TABLE_NAME, TG_OP, NULL, (SELECT array_agg(to_jsonb(n)) FROM nuevas n));
    END IF;
    RETURN NULL;
END;
$$;

-- The replica-mode row path (0009): one row.
CREATE OR REPLACE FUNCTION sync_capture_row() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET search_path FROM CURRENT
AS $$
BEGIN
    -- `ALTER TABLE ... ENABLE TRIGGER ALL` (pg_restore --disable-triggers ends with it) turns
    -- this trigger into an ordinary one; in origin mode the statement-level capture has
    -- already taken the change.
    IF current_setting('session_replication_role') <> 'replica' THEN
        RETURN NULL;
    END IF;
    PERFORM sync_capture_rows(
        TG_TABLE_NAME, TG_OP,
        CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN ARRAY[to_jsonb(OLD)] END,
        CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN ARRAY[to_jsonb(NEW)] END);
    -- The statement-level NOTIFY trigger on sync_changes does not fire in replica mode (and
    -- the apply worker fires no statement trigger at all). Repeats fold within a transaction.
    PERFORM pg_notify('taller_cambios', '');
    RETURN NULL;
END;
$$;

-- TRUNCATE (0009): truncating requests or their history narrows the scope of the users they
-- named, as truncating assignments does.
CREATE OR REPLACE FUNCTION sync_capture_truncate() RETURNS trigger
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
    ELSIF TG_TABLE_NAME IN ('solicitudes', 'trazabilidad_solicitudes') THEN
        FOR usuario_afectado IN SELECT u.id_usuario FROM usuarios u ORDER BY 1 LOOP
            PERFORM sync_reimage_usuario_if_changed(usuario_afectado, NULL);
        END LOOP;
    END IF;
    -- In replica mode the NOTIFY trigger on sync_changes does not fire; this one always does.
    PERFORM pg_notify('taller_cambios', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER sync_capture_truncate_scope
AFTER TRUNCATE ON solicitudes
FOR EACH STATEMENT
EXECUTE FUNCTION sync_capture_truncate();

CREATE TRIGGER sync_capture_truncate_scope
AFTER TRUNCATE ON trazabilidad_solicitudes
FOR EACH STATEMENT
EXECUTE FUNCTION sync_capture_truncate();

-- 0009's, with the two new TRUNCATE triggers.
CREATE OR REPLACE FUNCTION sync_capture_enable() RETURNS void
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
    ALTER TABLE solicitudes ENABLE ALWAYS TRIGGER sync_capture_truncate_scope;
    ALTER TABLE trazabilidad_solicitudes ENABLE ALWAYS TRIGGER sync_capture_truncate_scope;
END;
$$;

DO $$ BEGIN PERFORM sync_capture_enable(); END $$;

-- An existing deployment: the users whose wider scope differs from their latest image.
DO $$
DECLARE
    usuario_afectado uuid;
BEGIN
    FOR usuario_afectado IN SELECT u.id_usuario FROM usuarios u ORDER BY 1 LOOP
        PERFORM sync_reimage_usuario_if_changed(usuario_afectado, NULL);
    END LOOP;
END;
$$;

-- Stock inserted by another application gets its ledger row, from 0 (0003 logs updates).
CREATE FUNCTION log_inventory_insert() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- The server writes its own ledger rows (decision 0010).
    IF coalesce(current_setting('taller.ledger', true), '') = 'app' THEN
        RETURN NULL;
    END IF;
    INSERT INTO logs_inventario (
        id_inventario, id_usuario, tipo_operacion,
        cantidad_anterior, cantidad_nueva, diferencia,
        motivo, detalles, fecha)
    SELECT n.id_inventario,
           coalesce(taller_ctx_usuario(), taller_usuario_sistema()),
           'AJUSTE_MANUAL',
           0, n.stock_actual, n.stock_actual,
           'Cambio externo', '{"origen":"externo"}'::jsonb,
           taller_ctx_fecha()
      FROM nuevas n
     WHERE n.stock_actual <> 0;
    RETURN NULL;
END;
$$;

CREATE TRIGGER log_inventory_inserts
AFTER INSERT ON inventario
REFERENCING NEW TABLE AS nuevas
FOR EACH STATEMENT
EXECUTE FUNCTION log_inventory_insert();
