-- Documented triggers, their context helpers, and the documented view
-- (spec sections 5, 6 and 7).

-- ---------------------------------------------------------------------------
-- Trigger context. The server sets these with set_config(name, value, true);
-- writes from other applications leave them unset ('' once a session has
-- used them), so every reader treats '' as unset.
-- ---------------------------------------------------------------------------

CREATE FUNCTION taller_usuario_sistema() RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

-- NULL when unset, so callers can choose their own fallback chain.
CREATE FUNCTION taller_ctx_usuario() RETURNS uuid
LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('taller.id_usuario', true), '')::uuid $$;

CREATE FUNCTION taller_ctx_fecha() RETURNS timestamptz
LANGUAGE sql STABLE
AS $$ SELECT coalesce(nullif(current_setting('taller.fecha', true), '')::timestamptz, now()) $$;

CREATE FUNCTION taller_ctx_comentario() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('taller.comentario', true), '') $$;

-- ---------------------------------------------------------------------------
-- Stock ledger for writes that bypass the server
-- ---------------------------------------------------------------------------

CREATE FUNCTION log_inventory_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- The server writes its own, richer ledger rows; logging here too would
    -- count every movement twice.
    IF coalesce(current_setting('taller.ledger', true), '') = 'app' THEN
        RETURN NULL;
    END IF;
    IF NEW.stock_actual IS NOT DISTINCT FROM OLD.stock_actual THEN
        RETURN NULL;
    END IF;

    INSERT INTO logs_inventario (
        id_inventario, id_usuario, tipo_operacion,
        cantidad_anterior, cantidad_nueva, diferencia,
        motivo, detalles, fecha)
    VALUES (
        NEW.id_inventario,
        coalesce(taller_ctx_usuario(), taller_usuario_sistema()),
        'AJUSTE_MANUAL',
        OLD.stock_actual, NEW.stock_actual, NEW.stock_actual - OLD.stock_actual,
        'Cambio externo', '{"origen":"externo"}'::jsonb,
        taller_ctx_fecha());
    RETURN NULL;
END;
$$;

CREATE TRIGGER log_inventory_changes
AFTER UPDATE OF stock_actual ON inventario
FOR EACH ROW
EXECUTE FUNCTION log_inventory_change();

-- ---------------------------------------------------------------------------
-- Low-stock alerts
-- ---------------------------------------------------------------------------

CREATE FUNCTION check_low_stock() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Only the crossing alerts: a busy item sitting below its minimum would
    -- otherwise flood every inbox on each movement.
    IF TG_OP = 'INSERT' THEN
        IF NOT (NEW.cantidad_minima > 0 AND NEW.stock_actual <= NEW.cantidad_minima) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT (OLD.stock_actual > OLD.cantidad_minima
               AND NEW.stock_actual <= NEW.cantidad_minima) THEN
        RETURN NULL;
    END IF;

    INSERT INTO notificaciones (id_usuario, id_localizacion, titulo, mensaje, tipo, prioridad, datos)
    SELECT d.id_usuario,
           NEW.id_localizacion,
           'Stock bajo',
           format('El repuesto %s - %s está en nivel bajo en %s (stock: %s, mínimo: %s)',
                  r.referencia, r.nombre, l.nombre, NEW.stock_actual, NEW.cantidad_minima),
           'alerta_stock',
           'alta',
           jsonb_build_object(
               'id_inventario', NEW.id_inventario,
               'id_repuesto', NEW.id_repuesto,
               'id_localizacion', NEW.id_localizacion,
               'stock_actual', NEW.stock_actual,
               'cantidad_minima', NEW.cantidad_minima)
    FROM (
        SELECT ul.id_usuario
        FROM usuarios_localizacion ul
        WHERE ul.id_localizacion = NEW.id_localizacion
        UNION
        -- Only current admins: a demoted user's leftover subscription must not
        -- leak locations they can no longer see.
        SELECT an.id_admin
        FROM admin_notifications an
        JOIN usuarios u ON u.id_usuario = an.id_admin
        JOIN roles ro ON ro.id_rol = u.id_rol
        WHERE an.tipo_notificacion = 'alerta_stock'
          AND an.activo
          AND ro.nombre_rol = 'admin'
    ) d
    CROSS JOIN repuestos r
    CROSS JOIN localizacion l
    WHERE r.id_repuesto = NEW.id_repuesto
      AND l.id_localizacion = NEW.id_localizacion;

    RETURN NULL;
END;
$$;

CREATE TRIGGER check_low_stock
AFTER INSERT OR UPDATE OF stock_actual, cantidad_minima ON inventario
FOR EACH ROW
EXECUTE FUNCTION check_low_stock();

-- ---------------------------------------------------------------------------
-- Request state history
-- ---------------------------------------------------------------------------

CREATE FUNCTION log_request_transition() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.estado IS NOT DISTINCT FROM OLD.estado THEN
        RETURN NULL;
    END IF;

    INSERT INTO trazabilidad_solicitudes (
        id_solicitud, estado_anterior, estado_nuevo, id_usuario, fecha_cambio, comentario)
    VALUES (
        NEW.id_solicitud,
        CASE WHEN TG_OP = 'UPDATE' THEN OLD.estado END,
        NEW.estado,
        coalesce(taller_ctx_usuario(),
                 CASE WHEN TG_OP = 'INSERT' THEN NEW.id_usuario_solicitante END,
                 taller_usuario_sistema()),
        taller_ctx_fecha(),
        taller_ctx_comentario());
    RETURN NULL;
END;
$$;

CREATE TRIGGER track_request_state
AFTER INSERT OR UPDATE OF estado ON solicitudes
FOR EACH ROW
EXECUTE FUNCTION log_request_transition();

-- ---------------------------------------------------------------------------
-- Count summaries
-- ---------------------------------------------------------------------------

CREATE FUNCTION calculate_count_summary() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    conteos uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        conteos := ARRAY[NEW.id_conteo];
    ELSIF TG_OP = 'DELETE' THEN
        conteos := ARRAY[OLD.id_conteo];
    ELSE
        -- A line moved to another count changes both summaries.
        conteos := ARRAY[NEW.id_conteo, OLD.id_conteo];
    END IF;

    -- Recomputed rather than incremented, so the summary cannot drift.
    UPDATE registro_conteo rc
    SET total_items = s.total_items,
        total_diferencias = s.total_diferencias,
        items_con_pq = s.items_con_pq
    FROM (
        SELECT c.id_conteo,
               count(dc.id_detalle_conteo)::integer AS total_items,
               count(dc.id_detalle_conteo) FILTER (WHERE dc.diferencia <> 0)::integer AS total_diferencias,
               count(dc.id_detalle_conteo) FILTER (WHERE dc.cantidad_pq > 0)::integer AS items_con_pq
        FROM (SELECT DISTINCT unnest(conteos)) AS c(id_conteo)
        LEFT JOIN detalles_conteo dc ON dc.id_conteo = c.id_conteo
        GROUP BY c.id_conteo
    ) s
    WHERE rc.id_conteo = s.id_conteo
      -- An unchanged summary must not produce a change-feed entry.
      AND (rc.total_items, rc.total_diferencias, rc.items_con_pq)
          IS DISTINCT FROM (s.total_items, s.total_diferencias, s.items_con_pq);
    RETURN NULL;
END;
$$;

CREATE TRIGGER update_count_summary
AFTER INSERT OR UPDATE OR DELETE ON detalles_conteo
FOR EACH ROW
EXECUTE FUNCTION calculate_count_summary();

-- ---------------------------------------------------------------------------
-- updated_at maintenance
-- ---------------------------------------------------------------------------

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER set_updated_at
BEFORE UPDATE ON inventario
FOR EACH ROW
EXECUTE FUNCTION set_updated_at();

CREATE TRIGGER set_updated_at
BEFORE UPDATE ON movimientos_tecnicos
FOR EACH ROW
EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------
-- View (as documented; negative stock also reads 'Sin Stock')
-- ---------------------------------------------------------------------------

CREATE VIEW vista_repuestos_inventario AS
SELECT
    r.*,
    i.stock_actual,
    i.cantidad_minima,
    i.posicion,
    i.veces_contado,
    i.nuevo_hasta,
    l.nombre AS nombre_localizacion,
    CASE
        WHEN i.stock_actual <= 0 THEN 'Sin Stock'
        WHEN i.stock_actual <= i.cantidad_minima THEN 'Bajo'
        WHEN i.stock_actual <= i.cantidad_minima * 2 THEN 'Normal'
        ELSE 'Alto'
    END AS estado_stock,
    i.stock_actual <= i.cantidad_minima AS alerta_minimo,
    now() < i.nuevo_hasta AS es_nuevo
FROM repuestos r
LEFT JOIN inventario i ON r.id_repuesto = i.id_repuesto
LEFT JOIN localizacion l ON i.id_localizacion = l.id_localizacion;
