-- Change-feed capture (spec section 8): every write to a replicated table
-- appends its row image and read scope to sync_changes, in the writing
-- transaction, so a client sees a server transaction whole or not at all.

-- The replicated tables, parents before children. Single list used for the
-- capture triggers and the backfill below; the server can use it for initial
-- sync and checksums.
CREATE FUNCTION sync_replicated_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY[
        'roles', 'localizacion', 'localizacion_politicas', 'repuestos',
        'scooter_types', 'order_follow',
        'usuarios', 'usuarios_localizacion', 'admin_notifications',
        'inventario', 'logs_inventario',
        'carrito_solicitudes', 'solicitudes', 'detalles_solicitud', 'trazabilidad_solicitudes',
        'movimientos_tecnicos', 'garantias',
        'registro_conteo', 'detalles_conteo', 'conteos_cerrados',
        'notificaciones', 'conflictos'
    ]::text[]
$$;

-- Row images are always rendered in UTC so that the same row yields the same
-- bytes whichever session wrote it (clients compare checksums).
CREATE FUNCTION sync_row_image(fila anyelement) RETURNS jsonb
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
AS $$ SELECT to_jsonb(fila) $$;

-- Primary key as text, in key-column order for the two composite keys.
CREATE FUNCTION sync_row_clave(tabla text, fila jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    columna text;
BEGIN
    CASE tabla
        WHEN 'usuarios_localizacion' THEN
            RETURN (fila ->> 'id_usuario') || '|' || (fila ->> 'id_localizacion');
        WHEN 'admin_notifications' THEN
            RETURN (fila ->> 'id_admin') || '|' || (fila ->> 'tipo_notificacion');
        WHEN 'roles' THEN columna := 'id_rol';
        WHEN 'localizacion', 'localizacion_politicas' THEN columna := 'id_localizacion';
        WHEN 'repuestos' THEN columna := 'id_repuesto';
        WHEN 'scooter_types' THEN columna := 'id_tipo';
        WHEN 'order_follow' THEN columna := 'id_orden';
        WHEN 'usuarios' THEN columna := 'id_usuario';
        WHEN 'inventario' THEN columna := 'id_inventario';
        WHEN 'logs_inventario' THEN columna := 'id_log';
        WHEN 'carrito_solicitudes' THEN columna := 'id_item_carrito';
        WHEN 'solicitudes' THEN columna := 'id_solicitud';
        WHEN 'detalles_solicitud' THEN columna := 'id_detalle';
        WHEN 'trazabilidad_solicitudes' THEN columna := 'id_trazabilidad';
        WHEN 'movimientos_tecnicos' THEN columna := 'id_movimientos_tecnicos';
        WHEN 'garantias' THEN columna := 'id_garantia';
        WHEN 'registro_conteo', 'conteos_cerrados' THEN columna := 'id_conteo';
        WHEN 'detalles_conteo' THEN columna := 'id_detalle_conteo';
        WHEN 'notificaciones' THEN columna := 'id_notificacion';
        WHEN 'conflictos' THEN columna := 'id_conflicto';
        ELSE
            -- A table captured without a key rule would corrupt the feed silently.
            RAISE EXCEPTION 'sync_row_clave: tabla % no replicada', tabla;
    END CASE;
    RETURN fila ->> columna;
END;
$$;

-- The one definition of who may read a row. A user U with locations L
-- (admins: all) may read it when
--   id_usuario = U OR (NOT privado AND (admin OR global OR locs && L)).
-- Children take their parent's locations; a parent already deleted (cascade)
-- yields no locations rather than an error.
CREATE FUNCTION sync_row_scope(tabla text, fila jsonb)
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
            SELECT coalesce(array_agg(ul.id_localizacion ORDER BY ul.id_localizacion), '{}')
            INTO locs
            FROM usuarios_localizacion ul
            WHERE ul.id_usuario = (fila ->> 'id_usuario')::uuid;

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

-- Appends a change as computed from a row image; shared by the capture
-- trigger and the backfill so both produce identical rows.
CREATE FUNCTION sync_append_change(p_tabla text, p_op text, p_fila jsonb) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO sync_changes (tabla, clave, op, datos, locs, id_usuario, privado, global)
    SELECT p_tabla,
           sync_row_clave(p_tabla, p_fila),
           p_op,
           CASE WHEN p_op = 'U' THEN p_fila END,
           s.locs, s.id_usuario, s.privado, s.global
    FROM sync_row_scope(p_tabla, p_fila) s
$$;

CREATE FUNCTION sync_capture() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
    nueva jsonb;
    vieja jsonb;
    usuario_afectado uuid;
BEGIN
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

    -- The user's own scope (locs) changed: replicate a fresh image of them.
    IF TG_TABLE_NAME = 'usuarios_localizacion' THEN
        FOR usuario_afectado IN
            SELECT DISTINCT x.id
            FROM (VALUES ((nueva ->> 'id_usuario')::uuid), ((vieja ->> 'id_usuario')::uuid)) AS x(id)
            WHERE x.id IS NOT NULL
        LOOP
            PERFORM sync_append_change('usuarios', 'U', to_jsonb(u))
            FROM usuarios u
            WHERE u.id_usuario = usuario_afectado;
        END LOOP;
    END IF;

    RETURN NULL;
END;
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format(
            'CREATE TRIGGER sync_capture AFTER INSERT OR UPDATE OR DELETE ON %I '
            'FOR EACH ROW EXECUTE FUNCTION sync_capture()', t);
    END LOOP;
END;
$$;

-- Wakes long-polling / SSE listeners in every server process. Statement level
-- and payload-free: PostgreSQL folds identical notifications per transaction.
CREATE FUNCTION sync_notify_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('taller_cambios', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER sync_changes_notify
AFTER INSERT ON sync_changes
FOR EACH STATEMENT
EXECUTE FUNCTION sync_notify_changes();

-- Backfill: an existing deployment gets one 'U' per row already present, so
-- the feed alone can build a complete replica. Rows written from here on are
-- captured by the triggers above, so nothing is appended twice.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format(
            'SELECT sync_append_change(%L, ''U'', sync_row_image(x)) FROM %I x', t, t);
    END LOOP;
END;
$$;
