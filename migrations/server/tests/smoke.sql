-- Smoke test of the server migrations.
--
--   psql -v ON_ERROR_STOP=1 -d DB -f migrations/server/tests/smoke.sql
--
-- Runs in one transaction and rolls it back, so it leaves the database as it
-- found it (fixtures use fixed ids in the 1xxxxxxx..6xxxxxxx ranges; they must
-- not exist). Exits non-zero when any check fails. expected_columns.sql is
-- generated from the reference by gen_expected_columns.sh.

\set QUIET on
\set ON_ERROR_STOP 1
\pset footer off

BEGIN;

-- Images must be UTC whatever the writing session's zone is.
SET LOCAL TimeZone = 'America/Bogota';

CREATE TEMP TABLE smoke_results (
    n        serial,
    grupo    text    NOT NULL DEFAULT 'comportamiento',
    nombre   text    NOT NULL,
    ok       boolean,
    detalle  text
) ON COMMIT DROP;

CREATE TEMP TABLE smoke_expected_columns (
    tabla text, columna text, tipo text, nullable text
) ON COMMIT DROP;

\ir expected_columns.sql

-- True when the statement fails with the given SQLSTATE; runs in a
-- subtransaction so the test transaction survives.
CREATE FUNCTION pg_temp.falla(sentencia text, estado text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sentencia;
    RETURN false;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE = estado;
END;
$$;

-- Clears the trigger context as if another application were writing.
CREATE FUNCTION pg_temp.sin_contexto() RETURNS void
LANGUAGE sql AS $$
    SELECT set_config('taller.id_usuario', '', true),
           set_config('taller.fecha', '', true),
           set_config('taller.comentario', '', true),
           set_config('taller.ledger', '', true);
$$;

SELECT coalesce(max(id), 0) AS base FROM sync_changes \gset
SELECT count(*) AS logs_base FROM logs_inventario \gset

-- ===========================================================================
-- 1. Documented columns: name, type, nullability
-- ===========================================================================

INSERT INTO smoke_results (grupo, nombre, ok, detalle)
SELECT 'columnas',
       format('%s.%s %s %s', e.tabla, e.columna, e.tipo,
              CASE e.nullable WHEN 'no' THEN 'NOT NULL' ELSE 'NULL' END),
       c.column_name IS NOT NULL
           AND c.udt_name::regtype = e.tipo::regtype
           AND c.is_nullable = upper(e.nullable),
       CASE WHEN c.column_name IS NULL THEN 'falta'
            ELSE format('encontrada %s nullable=%s', c.udt_name::regtype, c.is_nullable) END
FROM smoke_expected_columns e
LEFT JOIN information_schema.columns c
       ON c.table_schema = current_schema()
      AND c.table_name = e.tabla
      AND c.column_name = e.columna;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'documented tables have no undocumented columns', count(*) = 0, string_agg(c.table_name || '.' || c.column_name, ', ')
FROM information_schema.columns c
WHERE c.table_schema = current_schema()
  AND c.table_name IN (SELECT tabla FROM smoke_expected_columns)
  AND (c.table_name, c.column_name) NOT IN (SELECT tabla, columna FROM smoke_expected_columns);

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'every single-uuid primary key defaults to gen_random_uuid()',
       count(*) FILTER (WHERE NOT coalesce(c.column_default = 'gen_random_uuid()', false)) = 0,
       string_agg(c.table_name, ', ') FILTER (WHERE NOT coalesce(c.column_default = 'gen_random_uuid()', false))
FROM information_schema.columns c
JOIN information_schema.key_column_usage k
  ON k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name
JOIN information_schema.table_constraints tc
  ON tc.constraint_name = k.constraint_name AND tc.table_schema = k.table_schema
 AND tc.constraint_type = 'PRIMARY KEY'
WHERE c.table_schema = current_schema()
  AND c.table_name IN (SELECT tabla FROM smoke_expected_columns)
  AND c.udt_name = 'uuid'
  AND c.table_name NOT IN ('usuarios_localizacion', 'admin_notifications');

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'replicated tables all exist', count(*) = 22, count(*)::text
FROM unnest(sync_replicated_tables()) t
WHERE to_regclass(t) IS NOT NULL;

-- ===========================================================================
-- 2. Triggers installed where (and only where) they belong
-- ===========================================================================

-- tgtype bits: 1 row, 2 before, 4 insert, 8 delete, 16 update.
INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'capture is AFTER INSERT, UPDATE and DELETE FOR EACH STATEMENT, with transition tables, on the 22 replicated tables',
       count(*) = 66, count(*)::text
FROM pg_trigger tg
WHERE tg.tgfoid = 'sync_capture_statement'::regproc
  AND tg.tgrelid::regclass::text = ANY (sync_replicated_tables())
  AND ((tg.tgname = 'sync_capture_insert' AND tg.tgtype & (1 | 2 | 4 | 8 | 16) = 4
        AND tg.tgnewtable = 'nuevas' AND tg.tgoldtable IS NULL)
    OR (tg.tgname = 'sync_capture_update' AND tg.tgtype & (1 | 2 | 4 | 8 | 16) = 16
        AND tg.tgnewtable = 'nuevas' AND tg.tgoldtable = 'viejas')
    OR (tg.tgname = 'sync_capture_delete' AND tg.tgtype & (1 | 2 | 4 | 8 | 16) = 8
        AND tg.tgnewtable IS NULL AND tg.tgoldtable = 'viejas'));

-- tgtype bit 32: truncate. tgenabled: 'O' origin (the default), 'R' replica only, 'A' always.
INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'TRUNCATE capture: BEFORE TRUNCATE FOR EACH STATEMENT, enabled always, on the 22 replicated tables',
       count(*) = 22, count(*)::text
FROM pg_trigger tg
WHERE tg.tgfoid = 'sync_capture_truncate'::regproc
  AND tg.tgname = 'sync_capture_truncate'
  AND tg.tgrelid::regclass::text = ANY (sync_replicated_tables())
  AND tg.tgtype & (1 | 2 | 32) = 2 | 32
  AND tg.tgenabled = 'A';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'replica-mode capture: AFTER INSERT, UPDATE and DELETE FOR EACH ROW, enabled in replica mode only, on the 22 replicated tables',
       count(*) = 22, count(*)::text
FROM pg_trigger tg
WHERE tg.tgfoid = 'sync_capture_row'::regproc
  AND tg.tgrelid::regclass::text = ANY (sync_replicated_tables())
  AND tg.tgtype & (1 | 2 | 4 | 8 | 16) = 1 | 4 | 8 | 16
  AND tg.tgenabled = 'R';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'statement-level capture and the documented triggers fire in origin mode only',
       bool_and(tg.tgenabled = 'O'), string_agg(tg.tgname || '=' || tg.tgenabled::text, ', ') FILTER (WHERE tg.tgenabled <> 'O')
FROM pg_trigger tg
WHERE NOT tg.tgisinternal
  AND (tg.tgfoid = 'sync_capture_statement'::regproc
       OR tg.tgname IN ('log_inventory_changes', 'check_low_stock', 'track_request_state', 'update_count_summary',
                        'set_updated_at'));

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'no capture trigger on sync_* tables', count(*) = 0, string_agg(tg.tgrelid::regclass::text, ', ')
FROM pg_trigger tg
WHERE NOT tg.tgisinternal
  AND tg.tgrelid::regclass::text LIKE 'sync\_%'
  AND tg.tgfoid = 'sync_capture_statement'::regproc;

INSERT INTO smoke_results (nombre, ok)
SELECT 'statement-level NOTIFY trigger on sync_changes',
       EXISTS (SELECT 1 FROM pg_trigger tg
               WHERE tg.tgrelid = 'sync_changes'::regclass
                 AND tg.tgfoid = 'sync_notify_changes'::regproc
                 AND tg.tgtype & 1 = 0 AND tg.tgtype & 4 = 4)
       AND pg_get_functiondef('sync_notify_changes'::regproc) LIKE '%pg_notify(''taller_cambios'', '''')%';

INSERT INTO smoke_results (nombre, ok)
SELECT 'documented triggers exist',
       (SELECT count(*) FROM pg_trigger
        WHERE (tgrelid, tgname) IN (('inventario'::regclass, 'log_inventory_changes'),
                                    ('inventario'::regclass, 'check_low_stock'),
                                    ('solicitudes'::regclass, 'track_request_state'),
                                    ('detalles_conteo'::regclass, 'update_count_summary'),
                                    ('inventario'::regclass, 'set_updated_at'),
                                    ('movimientos_tecnicos'::regclass, 'set_updated_at'))) = 6;

INSERT INTO smoke_results (nombre, ok)
SELECT 'sync_row_scope is STABLE', provolatile = 's'
FROM pg_proc WHERE oid = 'sync_row_scope'::regproc;

-- ===========================================================================
-- 3. Seeds: present and in the feed exactly once
-- ===========================================================================

INSERT INTO smoke_results (nombre, ok)
SELECT 'seeded roles with fixed ids and documented permisos',
       (SELECT permisos FROM roles WHERE id_rol = '00000000-0000-0000-0000-00000000a001')
         = '{"inventory":{"view":true,"create":true,"edit":true,"delete":true},"requests":{"view":true,"create":true,"approve":true},"guarantees":{"view":true,"create":true,"resolve":true},"users":{"view":true,"manage":true}}'
   AND (SELECT permisos FROM roles WHERE id_rol = '00000000-0000-0000-0000-00000000a002')
         = '{"inventory":{"view":true,"create":true,"edit":true,"delete":true},"requests":{"view":true,"create":true,"approve":true},"guarantees":{"view":true,"create":true,"resolve":true},"users":{"view":true,"manage":false}}'
   AND (SELECT permisos FROM roles WHERE id_rol = '00000000-0000-0000-0000-00000000a003')
         = '{"inventory":{"view":true,"create":true,"edit":false,"delete":false},"requests":{"view":true,"create":true,"approve":false},"guarantees":{"view":true,"create":true,"resolve":false},"users":{"view":false,"manage":false}}'
   AND (SELECT string_agg(nombre_rol, ',' ORDER BY id_rol) FROM roles
        WHERE id_rol IN ('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-00000000a002',
                         '00000000-0000-0000-0000-00000000a003')) = 'admin,superuser,tecnico';

INSERT INTO smoke_results (nombre, ok)
SELECT 'seeded system user (tecnico, unapproved, no credentials)',
       EXISTS (SELECT 1 FROM usuarios
               WHERE id_usuario = '00000000-0000-0000-0000-000000000000'
                 AND nombre_completo = 'Sistema' AND email = 'sistema@taller.invalid'
                 AND id_rol = '00000000-0000-0000-0000-00000000a003' AND NOT aprobado)
   AND NOT EXISTS (SELECT 1 FROM sync_credenciales WHERE id_usuario = '00000000-0000-0000-0000-000000000000');

-- A duplicate (trigger + backfill) would be two identical images of one key.
INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'seeded rows captured, none twice',
       bool_and(n >= 1) AND bool_and(dup = 0) AND count(*) = 4, string_agg(format('%s=%s', clave, n), ' ')
FROM (
    SELECT s.tabla, s.clave,
           (SELECT count(*) FROM sync_changes c WHERE c.tabla = s.tabla AND c.clave = s.clave) AS n,
           (SELECT count(*) - count(DISTINCT c.datos) FROM sync_changes c
            WHERE c.tabla = s.tabla AND c.clave = s.clave AND c.op = 'U') AS dup
    FROM (VALUES ('roles', '00000000-0000-0000-0000-00000000a001'),
                 ('roles', '00000000-0000-0000-0000-00000000a002'),
                 ('roles', '00000000-0000-0000-0000-00000000a003'),
                 ('usuarios', '00000000-0000-0000-0000-000000000000')) AS s(tabla, clave)
) x;

-- ===========================================================================
-- Fixtures (no trigger context: as another application would write them)
-- ===========================================================================

INSERT INTO roles (id_rol, nombre_rol, permisos)
VALUES ('10000000-0000-0000-0000-000000000001', 'smoke_rol', '{"inventory": {"view": true}}');

INSERT INTO localizacion (id_localizacion, nombre) VALUES
    ('10000000-0000-0000-0000-00000000000a', 'Taller Norte'),
    ('10000000-0000-0000-0000-00000000000b', 'Bodega Sur'),
    ('10000000-0000-0000-0000-00000000000c', 'Taller Centro');

INSERT INTO repuestos (id_repuesto, referencia, nombre, tipo) VALUES
    ('20000000-0000-0000-0000-000000000001', 'SMOKE-MTR-500W', 'Motor 500W 48V', 'Motor'),
    ('20000000-0000-0000-0000-000000000002', 'SMOKE-FRN-DISC', 'Freno de disco', 'Frenos');

INSERT INTO usuarios (id_usuario, nombre_completo, email, id_rol, aprobado) VALUES
    ('30000000-0000-0000-0000-000000000001', 'Tecnico Uno', 'smoke1@taller.test', '00000000-0000-0000-0000-00000000a003', true),
    ('30000000-0000-0000-0000-000000000002', 'Tecnico Dos', 'smoke2@taller.test', '00000000-0000-0000-0000-00000000a003', true),
    ('30000000-0000-0000-0000-000000000003', 'Tecnico Tres', 'smoke3@taller.test', '00000000-0000-0000-0000-00000000a003', true),
    ('30000000-0000-0000-0000-000000000004', 'Admin Suscrito', 'smoke4@taller.test', '00000000-0000-0000-0000-00000000a001', true),
    ('30000000-0000-0000-0000-000000000005', 'Admin Sin Suscripcion', 'smoke5@taller.test', '00000000-0000-0000-0000-00000000a001', true),
    ('30000000-0000-0000-0000-000000000006', 'Ex Admin', 'smoke6@taller.test', '00000000-0000-0000-0000-00000000a002', true);

-- Users 1 and 2 work at A, user 3 at B.
INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES
    ('30000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000a'),
    ('30000000-0000-0000-0000-000000000002', '10000000-0000-0000-0000-00000000000a'),
    ('30000000-0000-0000-0000-000000000003', '10000000-0000-0000-0000-00000000000b');

-- 4 is a subscribed admin; 6 kept a subscription after losing the admin role.
INSERT INTO admin_notifications (id_admin, tipo_notificacion, activo) VALUES
    ('30000000-0000-0000-0000-000000000004', 'alerta_stock', true),
    ('30000000-0000-0000-0000-000000000005', 'alerta_stock', false),
    ('30000000-0000-0000-0000-000000000006', 'alerta_stock', true);

INSERT INTO inventario (id_inventario, id_localizacion, id_repuesto, stock_actual, cantidad_minima) VALUES
    ('40000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000001', 10, 0);

-- ===========================================================================
-- 4. Ledger for writes that bypass the server
-- ===========================================================================

-- The insert above, with stock 10 and no context, was logged from 0 (0012).
INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'external stock insert writes one AJUSTE_MANUAL row from 0 (system user, now())',
       count(*) = 1
       AND bool_and(tipo_operacion = 'AJUSTE_MANUAL' AND cantidad_anterior = 0 AND cantidad_nueva = 10
                    AND diferencia = 10 AND motivo = 'Cambio externo'
                    AND detalles = '{"origen":"externo"}'
                    AND id_usuario = '00000000-0000-0000-0000-000000000000'
                    AND fecha = now()),
       count(*)::text
FROM logs_inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

UPDATE inventario SET stock_actual = 7 WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'external stock update writes one AJUSTE_MANUAL row (system user, now())',
       count(*) = 1
       AND bool_and(tipo_operacion = 'AJUSTE_MANUAL' AND cantidad_anterior = 10 AND cantidad_nueva = 7
                    AND diferencia = -3 AND motivo = 'Cambio externo'
                    AND detalles = '{"origen":"externo"}'
                    AND id_usuario = '00000000-0000-0000-0000-000000000000'
                    AND fecha = now()),
       count(*)::text
FROM logs_inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001' AND cantidad_anterior <> 0;

SELECT set_config('taller.id_usuario', '30000000-0000-0000-0000-000000000002', true),
       set_config('taller.fecha', '2024-05-01T10:00:00-05:00', true) \g /dev/null
UPDATE inventario SET stock_actual = 9 WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok)
SELECT 'external stock update uses the context user and time',
       EXISTS (SELECT 1 FROM logs_inventario
               WHERE id_inventario = '40000000-0000-0000-0000-000000000001'
                 AND cantidad_anterior = 7 AND cantidad_nueva = 9 AND diferencia = 2
                 AND id_usuario = '30000000-0000-0000-0000-000000000002'
                 AND fecha = '2024-05-01T15:00:00Z');

SELECT set_config('taller.ledger', 'app', true) \g /dev/null
UPDATE inventario SET stock_actual = 4 WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'with taller.ledger = app no ledger row is written', count(*) = 3, count(*)::text
FROM logs_inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

SELECT pg_temp.sin_contexto() \g /dev/null
UPDATE inventario SET stock_actual = stock_actual, posicion = 'A-1'
WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'unchanged stock writes no ledger row', count(*) = 3, count(*)::text
FROM logs_inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001';

-- ===========================================================================
-- 5. Low-stock notifications only on the crossing
-- ===========================================================================

INSERT INTO inventario (id_inventario, id_localizacion, id_repuesto, stock_actual, cantidad_minima) VALUES
    ('40000000-0000-0000-0000-000000000002', '10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000002', 10, 5);

-- Counting per step: total alerts for the item after each step.
CREATE TEMP TABLE smoke_pasos (paso int, total bigint, destinatarios text) ON COMMIT DROP;
CREATE FUNCTION pg_temp.paso(p int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO smoke_pasos
    SELECT p, count(*), string_agg(right(id_usuario::text, 1), '' ORDER BY id_usuario)
    FROM notificaciones
    WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000002';
$$;

SELECT pg_temp.paso(0) \g /dev/null
UPDATE inventario SET stock_actual = 6 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(1) \g /dev/null
UPDATE inventario SET stock_actual = 5 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(2) \g /dev/null
UPDATE inventario SET stock_actual = 3 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(3) \g /dev/null
UPDATE inventario SET stock_actual = 8 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(4) \g /dev/null
UPDATE inventario SET stock_actual = 2 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(5) \g /dev/null
UPDATE inventario SET stock_actual = 6 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(6) \g /dev/null
UPDATE inventario SET cantidad_minima = 10 WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
SELECT pg_temp.paso(7) \g /dev/null

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'low-stock alerts only on crossings (insert above, 6, =5 crossing, 3, 8, 2 crossing, 6, min raised crossing)',
       string_agg(total::text, ',' ORDER BY paso) = '0,0,3,3,3,6,6,9',
       string_agg(total::text, ',' ORDER BY paso)
FROM smoke_pasos;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'alerts go to users assigned to the location and subscribed current admins only',
       array_agg(DISTINCT id_usuario ORDER BY id_usuario) = ARRAY[
           '30000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000002',
           '30000000-0000-0000-0000-000000000004']::uuid[],
       array_agg(DISTINCT id_usuario ORDER BY id_usuario)::text
FROM notificaciones WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000002';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'alert content (title, type, priority, location, message, datos)',
       bool_and(titulo = 'Stock bajo' AND tipo = 'alerta_stock' AND prioridad = 'alta' AND NOT leida
                AND id_localizacion = '10000000-0000-0000-0000-00000000000a'
                AND mensaje LIKE '%SMOKE-FRN-DISC%' AND mensaje LIKE '%Freno de disco%'
                AND mensaje LIKE '%Taller Norte%'
                AND datos ?& ARRAY['id_inventario', 'id_repuesto', 'id_localizacion', 'stock_actual', 'cantidad_minima']
                AND datos ->> 'id_repuesto' = '20000000-0000-0000-0000-000000000002'),
       min(mensaje)
FROM notificaciones WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000002';

INSERT INTO inventario (id_inventario, id_localizacion, id_repuesto, stock_actual, cantidad_minima) VALUES
    ('40000000-0000-0000-0000-000000000003', '10000000-0000-0000-0000-00000000000b', '20000000-0000-0000-0000-000000000001', 0, 2),
    ('40000000-0000-0000-0000-000000000004', '10000000-0000-0000-0000-00000000000b', '20000000-0000-0000-0000-000000000002', 0, 0);

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'insert at or below a positive minimum alerts (B: user 3 + admin 4); minimum 0 does not',
       (SELECT array_agg(id_usuario ORDER BY id_usuario) FROM notificaciones
        WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000003')
         = ARRAY['30000000-0000-0000-0000-000000000003', '30000000-0000-0000-0000-000000000004']::uuid[]
   AND NOT EXISTS (SELECT 1 FROM notificaciones
                   WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000004'),
       (SELECT count(*) FROM notificaciones WHERE datos ->> 'id_inventario' LIKE '40000000-0000-0000-0000-00000000000_')::text;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'every alert is in the change feed, private to its recipient',
       count(*) = count(c.id), count(*) || ' alerts, ' || count(c.id) || ' feed rows'
FROM notificaciones n
LEFT JOIN sync_changes c
       ON c.tabla = 'notificaciones' AND c.clave = n.id_notificacion::text AND c.op = 'U'
      AND c.privado AND NOT c.global AND c.id_usuario = n.id_usuario AND c.locs = '{}'
      AND c.id > :base
WHERE n.datos ->> 'id_inventario' LIKE '40000000-0000-0000-0000-00000000000_';

-- ===========================================================================
-- 6. Request state history
-- ===========================================================================

SELECT set_config('taller.id_usuario', '30000000-0000-0000-0000-000000000002', true),
       set_config('taller.fecha', '2024-05-01T10:00:00-05:00', true),
       set_config('taller.comentario', 'creada desde la app', true) \g /dev/null
INSERT INTO solicitudes (id_solicitud, id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado)
VALUES ('50000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000b',
        '10000000-0000-0000-0000-00000000000a', '30000000-0000-0000-0000-000000000001', 'PENDIENTE');

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'request insert traced with context user, time and comment',
       count(*) = 1 AND bool_and(estado_anterior IS NULL AND estado_nuevo = 'PENDIENTE'
                                 AND id_usuario = '30000000-0000-0000-0000-000000000002'
                                 AND fecha_cambio = '2024-05-01T15:00:00Z'
                                 AND comentario = 'creada desde la app'),
       count(*)::text
FROM trazabilidad_solicitudes WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';

SELECT pg_temp.sin_contexto() \g /dev/null
INSERT INTO solicitudes (id_solicitud, id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado)
VALUES ('50000000-0000-0000-0000-000000000002', '10000000-0000-0000-0000-00000000000a',
        '10000000-0000-0000-0000-00000000000c', '30000000-0000-0000-0000-000000000003', 'PENDIENTE');

INSERT INTO smoke_results (nombre, ok)
SELECT 'request insert without context is attributed to the requester, now(), no comment',
       EXISTS (SELECT 1 FROM trazabilidad_solicitudes
               WHERE id_solicitud = '50000000-0000-0000-0000-000000000002'
                 AND estado_anterior IS NULL AND estado_nuevo = 'PENDIENTE'
                 AND id_usuario = '30000000-0000-0000-0000-000000000003'
                 AND fecha_cambio = now() AND comentario IS NULL);

SELECT set_config('taller.id_usuario', '30000000-0000-0000-0000-000000000004', true),
       set_config('taller.comentario', '', true) \g /dev/null
UPDATE solicitudes SET estado = 'ALISTAMIENTO' WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';
SELECT pg_temp.sin_contexto() \g /dev/null
UPDATE solicitudes SET estado = 'CANCELADO' WHERE id_solicitud = '50000000-0000-0000-0000-000000000002';
UPDATE solicitudes SET guia_transporte = 'GUIA-1' WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';
UPDATE solicitudes SET estado = estado WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'state update traced with context user (empty comment -> NULL); other updates not traced',
       string_agg(format('%s>%s', coalesce(estado_anterior, '-'), estado_nuevo), ' ' ORDER BY fecha_cambio, estado_nuevo DESC)
         = '->PENDIENTE PENDIENTE>ALISTAMIENTO'
       AND bool_and(comentario IS NULL OR estado_nuevo = 'PENDIENTE')
       AND EXISTS (SELECT 1 FROM trazabilidad_solicitudes
                   WHERE id_solicitud = '50000000-0000-0000-0000-000000000001'
                     AND estado_nuevo = 'ALISTAMIENTO'
                     AND id_usuario = '30000000-0000-0000-0000-000000000004'),
       string_agg(format('%s>%s', coalesce(estado_anterior, '-'), estado_nuevo), ' ' ORDER BY fecha_cambio, estado_nuevo DESC)
FROM trazabilidad_solicitudes WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok)
SELECT 'state update without context is attributed to the system user',
       EXISTS (SELECT 1 FROM trazabilidad_solicitudes
               WHERE id_solicitud = '50000000-0000-0000-0000-000000000002'
                 AND estado_anterior = 'PENDIENTE' AND estado_nuevo = 'CANCELADO'
                 AND id_usuario = '00000000-0000-0000-0000-000000000000');

INSERT INTO detalles_solicitud (id_detalle, id_solicitud, id_repuesto, cantidad_solicitada) VALUES
    ('51000000-0000-0000-0000-000000000001', '50000000-0000-0000-0000-000000000001', '20000000-0000-0000-0000-000000000001', 3),
    ('51000000-0000-0000-0000-000000000002', '50000000-0000-0000-0000-000000000002', '20000000-0000-0000-0000-000000000002', 1);

-- ===========================================================================
-- 7. Count summaries
-- ===========================================================================

INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario) VALUES
    ('60000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000a', '30000000-0000-0000-0000-000000000001');

INSERT INTO detalles_conteo (id_detalle_conteo, id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia) VALUES
    ('61000000-0000-0000-0000-000000000001', '60000000-0000-0000-0000-000000000001', '20000000-0000-0000-0000-000000000001', 10, 10, 0, 0),
    ('61000000-0000-0000-0000-000000000002', '60000000-0000-0000-0000-000000000001', '20000000-0000-0000-0000-000000000002', 5, 3, 0, 2),
    ('61000000-0000-0000-0000-000000000003', '60000000-0000-0000-0000-000000000001', '20000000-0000-0000-0000-000000000002', 4, 5, 2, 1);

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'count lines insert -> summary 3 items, 2 differences, 1 with pq',
       (total_items, total_diferencias, items_con_pq) = (3, 2, 1),
       format('%s/%s/%s', total_items, total_diferencias, items_con_pq)
FROM registro_conteo WHERE id_conteo = '60000000-0000-0000-0000-000000000001';

UPDATE detalles_conteo SET cantidad_csa = 5, diferencia = 0 WHERE id_detalle_conteo = '61000000-0000-0000-0000-000000000002';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'count line update -> summary 3/1/1',
       (total_items, total_diferencias, items_con_pq) = (3, 1, 1),
       format('%s/%s/%s', total_items, total_diferencias, items_con_pq)
FROM registro_conteo WHERE id_conteo = '60000000-0000-0000-0000-000000000001';

DELETE FROM detalles_conteo WHERE id_detalle_conteo = '61000000-0000-0000-0000-000000000003';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'count line delete -> summary 2/0/0',
       (total_items, total_diferencias, items_con_pq) = (2, 0, 0),
       format('%s/%s/%s', total_items, total_diferencias, items_con_pq)
FROM registro_conteo WHERE id_conteo = '60000000-0000-0000-0000-000000000001';

SELECT count(*) AS conteo_feed FROM sync_changes
WHERE tabla = 'registro_conteo' AND clave = '60000000-0000-0000-0000-000000000001' \gset
UPDATE detalles_conteo SET observaciones = 'revisado' WHERE id_detalle_conteo = '61000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'a line edit that leaves the summary unchanged adds no registro_conteo change',
       count(*) = :conteo_feed, count(*)::text
FROM sync_changes WHERE tabla = 'registro_conteo' AND clave = '60000000-0000-0000-0000-000000000001';

INSERT INTO conteos_cerrados (id_conteo, id_usuario, cerrado_en) VALUES
    ('60000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000001', '2024-05-01T12:00:00-05:00');

-- ===========================================================================
-- 8. Change feed: key, scope and image for every table type
-- ===========================================================================

-- The rest of the replicated tables, so every one is exercised.
INSERT INTO localizacion_politicas (id_localizacion, stock_negativo) VALUES ('10000000-0000-0000-0000-00000000000b', 'reject');
INSERT INTO scooter_types (id_tipo, nombre, potencia) VALUES ('70000000-0000-0000-0000-000000000001', 'Smoke S1', '500W');
INSERT INTO order_follow (id_orden, numero_orden, id_tipo_scooter, nivel, estado)
VALUES ('70000000-0000-0000-0000-000000000002', 'OF-1', '70000000-0000-0000-0000-000000000001', 1, 'pedido');
INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, id_usuario_responsable,
                                  id_tecnico_asignado, concepto, tipo, cantidad)
VALUES ('70000000-0000-0000-0000-000000000003', '10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000001',
        '30000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000002', 'salida', 'salida', 1);
INSERT INTO garantias (id_garantia, id_repuesto, id_localizacion, id_usuario_reporta, cantidad, motivo_falla, estado)
VALUES ('70000000-0000-0000-0000-000000000004', '20000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000b',
        '30000000-0000-0000-0000-000000000003', 1, 'No enciende', 'SIN_ENVIAR');
INSERT INTO carrito_solicitudes (id_item_carrito, id_usuario, id_localizacion, id_repuesto, cantidad)
VALUES ('70000000-0000-0000-0000-000000000005', '30000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000a',
        '20000000-0000-0000-0000-000000000001', 2);
INSERT INTO conflictos (id_conflicto, id_usuario, tipo, tabla, clave)
VALUES ('70000000-0000-0000-0000-000000000006', '30000000-0000-0000-0000-000000000002', 'edicion_campo', 'repuestos',
        '20000000-0000-0000-0000-000000000001');
UPDATE movimientos_tecnicos SET descargada = true WHERE id_movimientos_tecnicos = '70000000-0000-0000-0000-000000000003';

-- Expected scope of the latest 'U' of each key (lA/lB/lC: the three locations).
CREATE TEMP TABLE smoke_scope (tabla text, clave text, locs text, id_usuario text, privado boolean, global boolean) ON COMMIT DROP;
INSERT INTO smoke_scope VALUES
    ('roles',                    '10000000-0000-0000-0000-000000000001', '', NULL, false, true),
    ('localizacion',             '10000000-0000-0000-0000-00000000000a', '', NULL, false, true),
    ('localizacion_politicas',   '10000000-0000-0000-0000-00000000000b', '', NULL, false, true),
    ('repuestos',                '20000000-0000-0000-0000-000000000001', '', NULL, false, true),
    ('scooter_types',            '70000000-0000-0000-0000-000000000001', '', NULL, false, true),
    ('order_follow',             '70000000-0000-0000-0000-000000000002', '', NULL, false, true),
    -- Assigned to A, and the requester of B -> A (0012).
    ('usuarios',                 '30000000-0000-0000-0000-000000000001', 'lA,lB', '30000000-0000-0000-0000-000000000001', false, false),
    ('usuarios',                 '30000000-0000-0000-0000-000000000005', '', '30000000-0000-0000-0000-000000000005', false, false),
    ('usuarios_localizacion',    '30000000-0000-0000-0000-000000000001|10000000-0000-0000-0000-00000000000a', 'lA', '30000000-0000-0000-0000-000000000001', false, false),
    ('admin_notifications',      '30000000-0000-0000-0000-000000000004|alerta_stock', '', '30000000-0000-0000-0000-000000000004', true, false),
    ('inventario',               '40000000-0000-0000-0000-000000000003', 'lB', NULL, false, false),
    ('movimientos_tecnicos',     '70000000-0000-0000-0000-000000000003', 'lA', NULL, false, false),
    ('garantias',                '70000000-0000-0000-0000-000000000004', 'lB', NULL, false, false),
    ('registro_conteo',          '60000000-0000-0000-0000-000000000001', 'lA', NULL, false, false),
    ('solicitudes',              '50000000-0000-0000-0000-000000000001', 'lB,lA', NULL, false, false),
    ('carrito_solicitudes',      '70000000-0000-0000-0000-000000000005', '', '30000000-0000-0000-0000-000000000001', true, false),
    ('conflictos',               '70000000-0000-0000-0000-000000000006', '', '30000000-0000-0000-0000-000000000002', true, false);
-- Children: parent looked up.
INSERT INTO smoke_scope
SELECT 'logs_inventario', id_log::text, 'lA', NULL, false, false
FROM logs_inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001';
INSERT INTO smoke_scope
SELECT 'trazabilidad_solicitudes', id_trazabilidad::text, 'lB,lA', NULL, false, false
FROM trazabilidad_solicitudes WHERE id_solicitud = '50000000-0000-0000-0000-000000000001';
INSERT INTO smoke_scope VALUES
    ('detalles_solicitud', '51000000-0000-0000-0000-000000000001', 'lB,lA', NULL, false, false),
    ('detalles_conteo',    '61000000-0000-0000-0000-000000000001', 'lA', NULL, false, false),
    ('conteos_cerrados',   '60000000-0000-0000-0000-000000000001', 'lA', NULL, false, false);
INSERT INTO smoke_scope
SELECT 'notificaciones', id_notificacion::text, '', id_usuario::text, true, false
FROM notificaciones WHERE datos ->> 'id_inventario' = '40000000-0000-0000-0000-000000000003';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT format('feed scope %s', e.tabla),
       bool_and(c.id IS NOT NULL
                AND replace(replace(replace(array_to_string(c.locs, ','),
                    '10000000-0000-0000-0000-00000000000a', 'lA'),
                    '10000000-0000-0000-0000-00000000000b', 'lB'),
                    '10000000-0000-0000-0000-00000000000c', 'lC') = e.locs
                AND c.id_usuario IS NOT DISTINCT FROM e.id_usuario::uuid
                AND c.privado = e.privado AND c.global = e.global),
       string_agg(coalesce(format('%s locs=%s usr=%s priv=%s glob=%s', c.clave, c.locs, c.id_usuario, c.privado, c.global),
                           e.clave || ' missing'), '; ')
FROM smoke_scope e
LEFT JOIN LATERAL (
    SELECT * FROM sync_changes c
    WHERE c.tabla = e.tabla AND c.clave = e.clave AND c.op = 'U'
    ORDER BY c.id DESC LIMIT 1
) c ON true
GROUP BY e.tabla
ORDER BY e.tabla;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'every replicated table produced feed rows in this test', count(DISTINCT tabla) = 22,
       (SELECT string_agg(t, ', ') FROM unnest(sync_replicated_tables()) t
        WHERE t NOT IN (SELECT tabla FROM sync_changes WHERE id > :base))
FROM sync_changes WHERE id > :base;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'every new feed row: txid of this transaction, clave derived from its image, datos iff U',
       bool_and(txid = pg_current_xact_id()
                AND (op = 'D' OR clave = sync_row_clave(tabla, datos))
                AND ((op = 'U') = (datos IS NOT NULL))),
       count(*)::text
FROM sync_changes WHERE id > :base;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'composite claves are a|b in key-column order',
       EXISTS (SELECT 1 FROM sync_changes WHERE id > :base AND tabla = 'usuarios_localizacion'
               AND clave = '30000000-0000-0000-0000-000000000003|10000000-0000-0000-0000-00000000000b')
   AND EXISTS (SELECT 1 FROM sync_changes WHERE id > :base AND tabla = 'admin_notifications'
               AND clave = '30000000-0000-0000-0000-000000000006|alerta_stock'),
       NULL;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'images are UTC although the session is America/Bogota',
       count(*) > 0 AND bool_and(ts LIKE '%+00:00'),
       min(ts) || ' .. ' || max(ts)
FROM (
    SELECT v AS ts
    FROM sync_changes c, jsonb_each_text(c.datos) kv(k, v)
    WHERE c.id > :base
      AND (kv.k LIKE '%_at' OR kv.k LIKE 'fecha%' OR kv.k LIKE '%_en')
      AND v ~ '^\d{4}-\d\d-\d\dT'
) x;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'person''s time kept and rendered in UTC in the image',
       (SELECT datos ->> 'fecha_cambio' FROM sync_changes
        WHERE id > :base AND tabla = 'trazabilidad_solicitudes' AND datos ->> 'estado_nuevo' = 'PENDIENTE'
          AND datos ->> 'id_solicitud' = '50000000-0000-0000-0000-000000000001') = '2024-05-01T15:00:00+00:00'
   AND (SELECT datos ->> 'cerrado_en' FROM sync_changes
        WHERE id > :base AND tabla = 'conteos_cerrados') = '2024-05-01T17:00:00+00:00',
       NULL;

-- The feed alone must rebuild the current rows: latest image == current row.
CREATE FUNCTION pg_temp.desfase(base bigint) RETURNS TABLE (tabla text, clave text)
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        RETURN QUERY EXECUTE format(
            'SELECT %1$L::text, k.clave
             FROM (SELECT DISTINCT c.clave FROM sync_changes c WHERE c.tabla = %1$L AND c.id > $1) k
             LEFT JOIN LATERAL (SELECT c.op, c.datos FROM sync_changes c
                                WHERE c.tabla = %1$L AND c.clave = k.clave
                                ORDER BY c.id DESC LIMIT 1) ult ON true
             LEFT JOIN (SELECT sync_row_clave(%1$L, sync_row_image(x)) AS clave, sync_row_image(x) AS img
                        FROM %1$I x) cur ON cur.clave = k.clave
             WHERE (ult.op = ''U'') IS DISTINCT FROM (cur.clave IS NOT NULL)
                OR (ult.op = ''U'' AND ult.datos IS DISTINCT FROM cur.img)', t)
        USING base;
    END LOOP;
END;
$$;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'latest feed image of every touched key equals the current row (before deletes)',
       count(*) = 0, string_agg(tabla || ':' || clave, ', ')
FROM pg_temp.desfase(:base);

-- Assignment changes: the junction row, then a fresh image of the user.
SELECT coalesce(max(id), 0) AS antes_asignacion FROM sync_changes \gset
DELETE FROM usuarios_localizacion
WHERE id_usuario = '30000000-0000-0000-0000-000000000002' AND id_localizacion = '10000000-0000-0000-0000-00000000000a';
INSERT INTO usuarios_localizacion (id_usuario, id_localizacion)
VALUES ('30000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000c');
UPDATE usuarios_localizacion SET id_localizacion = '10000000-0000-0000-0000-00000000000c'
WHERE id_usuario = '30000000-0000-0000-0000-000000000003' AND id_localizacion = '10000000-0000-0000-0000-00000000000b';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'assignment delete/insert/key-update: junction D/U rows then usuarios image with new locs',
       string_agg(format('%s %s %s %s', op, tabla,
                         replace(replace(replace(replace(clave,
                             '10000000-0000-0000-0000-00000000000', 'l'),
                             '30000000-0000-0000-0000-00000000000', 'u'), '|', '/'), ' ', ''),
                         replace(replace(replace(array_to_string(locs, ','),
                             '10000000-0000-0000-0000-00000000000a', 'lA'),
                             '10000000-0000-0000-0000-00000000000b', 'lB'),
                             '10000000-0000-0000-0000-00000000000c', 'lC')), '; ' ORDER BY id)
         -- A user's image also keeps both ends of the requests they made or acted on (0012):
         -- u1 requested B -> A, u2 is in its history, u3 requested A -> C.
         = 'D usuarios_localizacion u2/la lA; U usuarios u2 lA,lB; '
           'U usuarios_localizacion u1/lc lC; U usuarios u1 lA,lB,lC; '
           'D usuarios_localizacion u3/lb lB; U usuarios_localizacion u3/lc lC; U usuarios u3 lA,lC',
       string_agg(format('%s %s %s %s', op, tabla,
                         replace(replace(replace(replace(clave,
                             '10000000-0000-0000-0000-00000000000', 'l'),
                             '30000000-0000-0000-0000-00000000000', 'u'), '|', '/'), ' ', ''),
                         replace(replace(replace(array_to_string(locs, ','),
                             '10000000-0000-0000-0000-00000000000a', 'lA'),
                             '10000000-0000-0000-0000-00000000000b', 'lB'),
                             '10000000-0000-0000-0000-00000000000c', 'lC')), '; ' ORDER BY id)
FROM sync_changes WHERE id > :antes_asignacion;

INSERT INTO smoke_results (nombre, ok)
SELECT 'usuarios image after assignment change is the current row and keeps id_usuario scope',
       (SELECT c.datos = sync_row_image(u) AND c.id_usuario = u.id_usuario AND NOT c.privado AND NOT c.global
        FROM sync_changes c, usuarios u
        WHERE c.id > :antes_asignacion AND c.tabla = 'usuarios'
          AND c.clave = '30000000-0000-0000-0000-000000000001' AND u.id_usuario = '30000000-0000-0000-0000-000000000001');

-- Deletes: 'D' with no image and the scope of the deleted row.
SELECT coalesce(max(id), 0) AS antes_borrado FROM sync_changes \gset
DELETE FROM carrito_solicitudes WHERE id_item_carrito = '70000000-0000-0000-0000-000000000005';
DELETE FROM admin_notifications WHERE id_admin = '30000000-0000-0000-0000-000000000005';
DELETE FROM inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000004';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'deletes append D rows with NULL image and the old row''s scope',
       string_agg(format('%s %s %s locs=%s usr=%s priv=%s', op, tabla, datos IS NULL, cardinality(locs),
                         right(coalesce(id_usuario::text, '-'), 1), privado), '; ' ORDER BY id)
         = 'D carrito_solicitudes t locs=0 usr=1 priv=t; '
           'D admin_notifications t locs=0 usr=5 priv=t; '
           'D inventario t locs=1 usr=- priv=f',
       string_agg(format('%s %s %s locs=%s usr=%s priv=%s', op, tabla, datos IS NULL, cardinality(locs),
                         right(coalesce(id_usuario::text, '-'), 1), privado), '; ' ORDER BY id)
FROM sync_changes WHERE id > :antes_borrado;

INSERT INTO smoke_results (nombre, ok)
SELECT 'delete D row keys: uuid and composite',
       EXISTS (SELECT 1 FROM sync_changes WHERE id > :antes_borrado AND op = 'D'
               AND tabla = 'admin_notifications' AND clave = '30000000-0000-0000-0000-000000000005|alerta_stock')
   AND EXISTS (SELECT 1 FROM sync_changes WHERE id > :antes_borrado AND op = 'D'
               AND tabla = 'inventario' AND clave = '40000000-0000-0000-0000-000000000004'
               AND locs = '{10000000-0000-0000-0000-00000000000b}');

-- Cascade: children are deleted after their parent, whose lookup then finds nothing.
SELECT coalesce(max(id), 0) AS antes_cascada FROM sync_changes \gset
DELETE FROM solicitudes WHERE id_solicitud = '50000000-0000-0000-0000-000000000002';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'cascaded delete of a request: parent D with its locs, children D with empty locs, no error, '
       'the users it named re-imaged with their narrower scope',
       count(*) FILTER (WHERE tabla = 'solicitudes' AND locs = '{10000000-0000-0000-0000-00000000000a,10000000-0000-0000-0000-00000000000c}') = 1
   AND count(*) FILTER (WHERE tabla = 'detalles_solicitud' AND locs = '{}') = 1
   AND count(*) FILTER (WHERE tabla = 'trazabilidad_solicitudes' AND locs = '{}') = 2
   AND bool_and(op = 'D' AND datos IS NULL) FILTER (WHERE tabla <> 'usuarios')
   AND bool_and(op = 'U' AND locs = (SELECT s.locs FROM sync_row_scope('usuarios', datos) s)) FILTER (WHERE tabla = 'usuarios')
   AND count(*) FILTER (WHERE tabla = 'usuarios') > 0,
       string_agg(op || ' ' || tabla || ' ' || cardinality(locs), '; ' ORDER BY id)
FROM sync_changes WHERE id > :antes_cascada;

SELECT coalesce(max(id), 0) AS antes_cascada2 FROM sync_changes \gset
DELETE FROM registro_conteo WHERE id_conteo = '60000000-0000-0000-0000-000000000001';

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'cascaded delete of a count: lines and closure D rows, summary trigger tolerates the missing parent',
       count(*) FILTER (WHERE tabla = 'registro_conteo') = 1
   AND count(*) FILTER (WHERE tabla = 'detalles_conteo') = 2
   AND count(*) FILTER (WHERE tabla = 'conteos_cerrados') = 1
   AND bool_and(op = 'D'),
       string_agg(op || ' ' || tabla || ' ' || cardinality(locs), '; ' ORDER BY id)
FROM sync_changes WHERE id > :antes_cascada2;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'sync_row_scope rejects an unknown table',
       pg_temp.falla($$SELECT * FROM sync_row_scope('sync_changes', '{}')$$, 'P0001'), NULL;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'sync_row_scope of a child whose parent is gone returns empty locs',
       (SELECT locs = '{}' AND NOT global AND NOT privado
        FROM sync_row_scope('detalles_conteo', '{"id_conteo": "60000000-0000-0000-0000-0000000000ff"}')),
       NULL;

-- ===========================================================================
-- 9. Constraints reject bad states and quantities
-- ===========================================================================

CREATE TEMP TABLE smoke_rechazos (nombre text, sentencia text, estado text) ON COMMIT DROP;
INSERT INTO smoke_rechazos VALUES
    ('solicitudes.estado', $$UPDATE solicitudes SET estado = 'PERDIDO' WHERE id_solicitud = '50000000-0000-0000-0000-000000000001'$$, '23514'),
    ('solicitudes origen = destino', $$UPDATE solicitudes SET id_localizacion_destino = id_localizacion_origen WHERE id_solicitud = '50000000-0000-0000-0000-000000000001'$$, '23514'),
    ('trazabilidad.estado_nuevo', $$INSERT INTO trazabilidad_solicitudes (id_solicitud, estado_nuevo, id_usuario) VALUES ('50000000-0000-0000-0000-000000000001', 'X', '00000000-0000-0000-0000-000000000000')$$, '23514'),
    ('trazabilidad.estado_anterior', $$INSERT INTO trazabilidad_solicitudes (id_solicitud, estado_anterior, estado_nuevo, id_usuario) VALUES ('50000000-0000-0000-0000-000000000001', 'X', 'PENDIENTE', '00000000-0000-0000-0000-000000000000')$$, '23514'),
    ('garantias.estado', $$UPDATE garantias SET estado = 'ENVIADA' WHERE id_garantia = '70000000-0000-0000-0000-000000000004'$$, '23514'),
    ('garantias.cantidad = 0', $$UPDATE garantias SET cantidad = 0 WHERE id_garantia = '70000000-0000-0000-0000-000000000004'$$, '23514'),
    ('logs_inventario.tipo_operacion', $$INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, diferencia) VALUES ('40000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000000', 'ROBO', 1, 2, 1)$$, '23514'),
    ('logs_inventario.diferencia', $$INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, diferencia) VALUES ('40000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000000', 'AJUSTE_MANUAL', 1, 2, 5)$$, '23514'),
    ('movimientos.concepto', $$UPDATE movimientos_tecnicos SET concepto = 'regalo' WHERE id_movimientos_tecnicos = '70000000-0000-0000-0000-000000000003'$$, '23514'),
    ('movimientos.tipo', $$UPDATE movimientos_tecnicos SET tipo = 'prestamo' WHERE id_movimientos_tecnicos = '70000000-0000-0000-0000-000000000003'$$, '23514'),
    ('movimientos.cantidad = 0', $$UPDATE movimientos_tecnicos SET cantidad = 0 WHERE id_movimientos_tecnicos = '70000000-0000-0000-0000-000000000003'$$, '23514'),
    ('movimientos.cantidad < 0', $$UPDATE movimientos_tecnicos SET cantidad = -1 WHERE id_movimientos_tecnicos = '70000000-0000-0000-0000-000000000003'$$, '23514'),
    ('carrito.cantidad = 0', $$INSERT INTO carrito_solicitudes (id_usuario, id_localizacion, id_repuesto, cantidad) VALUES ('30000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000001', 0)$$, '23514'),
    ('detalles_solicitud.cantidad_solicitada = 0', $$UPDATE detalles_solicitud SET cantidad_solicitada = 0 WHERE id_detalle = '51000000-0000-0000-0000-000000000001'$$, '23514'),
    ('detalles_solicitud.cantidad_despachada < 0', $$UPDATE detalles_solicitud SET cantidad_despachada = -1 WHERE id_detalle = '51000000-0000-0000-0000-000000000001'$$, '23514'),
    ('detalles_solicitud.cantidad_recibida < 0', $$UPDATE detalles_solicitud SET cantidad_recibida = -1 WHERE id_detalle = '51000000-0000-0000-0000-000000000001'$$, '23514'),
    ('inventario.cantidad_minima < 0', $$UPDATE inventario SET cantidad_minima = -1 WHERE id_inventario = '40000000-0000-0000-0000-000000000001'$$, '23514'),
    ('inventario.veces_contado < 0', $$UPDATE inventario SET veces_contado = -1 WHERE id_inventario = '40000000-0000-0000-0000-000000000001'$$, '23514'),
    ('detalles_conteo.cantidad_csa < 0', $$INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario) VALUES ('60000000-0000-0000-0000-000000000009', '10000000-0000-0000-0000-00000000000a', '30000000-0000-0000-0000-000000000001'); INSERT INTO detalles_conteo (id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia) VALUES ('60000000-0000-0000-0000-000000000009', '20000000-0000-0000-0000-000000000001', 0, -1, 0, 1)$$, '23514'),
    ('detalles_conteo.cantidad_pq < 0', $$INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario) VALUES ('60000000-0000-0000-0000-000000000009', '10000000-0000-0000-0000-00000000000a', '30000000-0000-0000-0000-000000000001'); INSERT INTO detalles_conteo (id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia) VALUES ('60000000-0000-0000-0000-000000000009', '20000000-0000-0000-0000-000000000001', 0, 0, -1, -1)$$, '23514'),
    ('detalles_conteo.diferencia formula', $$INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario) VALUES ('60000000-0000-0000-0000-000000000009', '10000000-0000-0000-0000-00000000000a', '30000000-0000-0000-0000-000000000001'); INSERT INTO detalles_conteo (id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia) VALUES ('60000000-0000-0000-0000-000000000009', '20000000-0000-0000-0000-000000000001', 5, 3, 1, 2)$$, '23514'),
    ('order_follow.nivel = 0', $$UPDATE order_follow SET nivel = 0 WHERE id_orden = '70000000-0000-0000-0000-000000000002'$$, '23514'),
    ('order_follow.nivel = 4', $$UPDATE order_follow SET nivel = 4 WHERE id_orden = '70000000-0000-0000-0000-000000000002'$$, '23514'),
    ('notificaciones.prioridad', $$INSERT INTO notificaciones (id_usuario, titulo, mensaje, tipo, prioridad) VALUES ('30000000-0000-0000-0000-000000000001', 't', 'm', 'x', 'urgente')$$, '23514'),
    ('localizacion_politicas.stock_negativo', $$UPDATE localizacion_politicas SET stock_negativo = 'warn'$$, '23514'),
    ('conflictos.tipo', $$UPDATE conflictos SET tipo = 'otro' WHERE id_conflicto = '70000000-0000-0000-0000-000000000006'$$, '23514'),
    ('sync_changes.op', $$INSERT INTO sync_changes (tabla, clave, op) VALUES ('x', 'y', 'I')$$, '23514'),
    ('sync_mutations.estado', $$INSERT INTO sync_devices (id_dispositivo, id_usuario) VALUES ('80000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000001'); INSERT INTO sync_mutations (id_mutacion, id_dispositivo, seq, id_usuario, nombre, args, realizada_en, estado) VALUES (gen_random_uuid(), '80000000-0000-0000-0000-000000000001', 1, '30000000-0000-0000-0000-000000000001', 'n', '{}', now(), 'pending')$$, '23514'),
    ('repuestos.referencia unique', $$INSERT INTO repuestos (referencia, nombre) VALUES ('SMOKE-MTR-500W', 'Otro')$$, '23505'),
    ('usuarios.email unique ignoring case', $$INSERT INTO usuarios (nombre_completo, email, id_rol) VALUES ('X', 'SMOKE1@Taller.Test', '00000000-0000-0000-0000-00000000a003')$$, '23505'),
    ('inventario (localizacion, repuesto) unique', $$INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ('10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000001')$$, '23505'),
    ('roles.nombre_rol unique', $$INSERT INTO roles (nombre_rol, permisos) VALUES ('admin', '{}')$$, '23505'),
    ('sync_mutations (dispositivo, seq) unique', $$INSERT INTO sync_devices (id_dispositivo, id_usuario) VALUES ('80000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-000000000001'); INSERT INTO sync_mutations (id_mutacion, id_dispositivo, seq, id_usuario, nombre, args, realizada_en, estado) VALUES (gen_random_uuid(), '80000000-0000-0000-0000-000000000001', 1, '30000000-0000-0000-0000-000000000001', 'n', '{}', now(), 'applied'), (gen_random_uuid(), '80000000-0000-0000-0000-000000000001', 1, '30000000-0000-0000-0000-000000000001', 'n', '{}', now(), 'applied')$$, '23505'),
    ('FK: inventario to a missing location', $$INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ('10000000-0000-0000-0000-0000000000ff', '20000000-0000-0000-0000-000000000001')$$, '23503'),
    ('FK: logs_inventario user must exist', $$INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, diferencia) VALUES ('40000000-0000-0000-0000-000000000001', '30000000-0000-0000-0000-0000000000ff', 'AJUSTE_MANUAL', 1, 2, 1)$$, '23503');

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'rejects ' || nombre, pg_temp.falla(sentencia, estado), 'expected SQLSTATE ' || estado
FROM smoke_rechazos;

-- Plain statements: an error here stops the script, which is the failure.
UPDATE inventario SET stock_actual = -2 WHERE id_inventario = '40000000-0000-0000-0000-000000000001';
UPDATE detalles_solicitud SET cantidad_despachada = 0, cantidad_recibida = 0
WHERE id_detalle = '51000000-0000-0000-0000-000000000001';
INSERT INTO trazabilidad_solicitudes (id_solicitud, estado_anterior, estado_nuevo, id_usuario)
VALUES ('50000000-0000-0000-0000-000000000001', NULL, 'PENDIENTE', '00000000-0000-0000-0000-000000000000');

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'accepts valid edge values (negative stock, zero dispatched/received, estado_anterior NULL)',
       (SELECT stock_actual = -2 FROM inventario WHERE id_inventario = '40000000-0000-0000-0000-000000000001')
   AND (SELECT cantidad_despachada = 0 AND cantidad_recibida = 0 FROM detalles_solicitud
        WHERE id_detalle = '51000000-0000-0000-0000-000000000001'),
       NULL;

-- ===========================================================================
-- 10. View
-- ===========================================================================

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'vista_repuestos_inventario: negative stock is Sin Stock, flags computed',
       count(*) = 1 AND bool_and(estado_stock = 'Sin Stock' AND alerta_minimo AND es_nuevo IS NULL
                                 AND nombre_localizacion = 'Taller Norte'),
       string_agg(estado_stock, ',')
FROM vista_repuestos_inventario
WHERE id_repuesto = '20000000-0000-0000-0000-000000000001' AND stock_actual = -2;

-- Walks one item (minimum 5) through the thresholds.
CREATE FUNCTION pg_temp.estados_vista() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s int;
    r text := '';
BEGIN
    FOREACH s IN ARRAY ARRAY[0, 3, 5, 6, 10, 11] LOOP
        UPDATE inventario SET stock_actual = s, cantidad_minima = 5
        WHERE id_inventario = '40000000-0000-0000-0000-000000000002';
        r := r || (SELECT v.estado_stock FROM vista_repuestos_inventario v
                   WHERE v.id_repuesto = '20000000-0000-0000-0000-000000000002'
                     AND v.nombre_localizacion = 'Taller Norte') || ',';
    END LOOP;
    RETURN r;
END;
$$;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'vista_repuestos_inventario: Sin Stock / Bajo / Normal / Alto thresholds (0,3,5,6,10,11 vs min 5)',
       e = 'Sin Stock,Bajo,Bajo,Normal,Normal,Alto,', e
FROM pg_temp.estados_vista() e;

-- ===========================================================================
-- 11. TRUNCATE and replica-mode writers reach the feed
-- ===========================================================================

SELECT coalesce(max(id), 0) AS antes_truncate FROM sync_changes \gset
SELECT count(*) AS filas_order_follow FROM order_follow \gset
TRUNCATE order_follow;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'TRUNCATE order_follow: one global D per row it had',
       count(*) = :filas_order_follow AND :filas_order_follow > 0
   AND bool_and(tabla = 'order_follow' AND op = 'D' AND datos IS NULL AND global),
       format('%s of %s', count(*), :filas_order_follow)
FROM sync_changes WHERE id > :antes_truncate;

SELECT coalesce(max(id), 0) AS antes_truncate2 FROM sync_changes \gset
SELECT count(*) AS filas_logs FROM logs_inventario \gset
SELECT count(*) AS filas_inventario FROM inventario \gset
TRUNCATE inventario CASCADE;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'TRUNCATE inventario CASCADE: D rows for the cascaded ledger too, each with its location',
       count(*) FILTER (WHERE tabla = 'inventario') = :filas_inventario
   AND count(*) FILTER (WHERE tabla = 'logs_inventario') = :filas_logs
   AND bool_and(op = 'D' AND cardinality(locs) = 1),
       string_agg(DISTINCT tabla || ' ' || cardinality(locs), '; ')
FROM sync_changes WHERE id > :antes_truncate2;

SELECT coalesce(max(id), 0) AS antes_truncate3 FROM sync_changes \gset
SELECT count(*) AS asignaciones FROM usuarios_localizacion \gset
SELECT count(*) AS usuarios_total FROM usuarios \gset
TRUNCATE usuarios_localizacion;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'TRUNCATE usuarios_localizacion: a D per assignment, then every user re-imaged with no own locations',
       count(*) FILTER (WHERE tabla = 'usuarios_localizacion' AND op = 'D' AND id_usuario IS NOT NULL) = :asignaciones
   -- What is left of a user's scope is their requests' locations (0012).
   AND count(*) FILTER (WHERE tabla = 'usuarios' AND op = 'U'
                          AND locs = (SELECT s.locs FROM sync_row_scope('usuarios', datos) s)
                          AND NOT locs && (SELECT coalesce(array_agg(id_localizacion), '{}') FROM localizacion
                                            WHERE id_localizacion NOT IN (
                                                SELECT unnest(ARRAY[id_localizacion_origen, id_localizacion_destino])
                                                  FROM solicitudes))) = :usuarios_total
   AND max(id) FILTER (WHERE tabla = 'usuarios_localizacion') < min(id) FILTER (WHERE tabla = 'usuarios'),
       format('%s D of %s, %s U of %s', count(*) FILTER (WHERE tabla = 'usuarios_localizacion'), :asignaciones,
              count(*) FILTER (WHERE tabla = 'usuarios'), :usuarios_total)
FROM sync_changes WHERE id > :antes_truncate3;

SELECT coalesce(max(id), 0) AS antes_replica FROM sync_changes \gset
SELECT count(*) AS logs_antes_replica FROM logs_inventario \gset
SET LOCAL session_replication_role = replica;
INSERT INTO inventario (id_inventario, id_localizacion, id_repuesto, stock_actual)
VALUES ('40000000-0000-0000-0000-0000000000e1', '10000000-0000-0000-0000-00000000000a', '20000000-0000-0000-0000-000000000001', 3);
UPDATE inventario SET stock_actual = 9 WHERE id_inventario = '40000000-0000-0000-0000-0000000000e1';
UPDATE repuestos SET nombre = 'Replicado' WHERE id_repuesto = '20000000-0000-0000-0000-000000000001';
DELETE FROM inventario WHERE id_inventario = '40000000-0000-0000-0000-0000000000e1';
SET LOCAL session_replication_role = origin;

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'replica-mode writes are captured once each (U, U, U, D), with no ledger row of their own',
       string_agg(op || ' ' || tabla, ', ' ORDER BY id) = 'U inventario, U inventario, U repuestos, D inventario'
   AND (SELECT count(*) FROM logs_inventario) = :logs_antes_replica
   AND (array_agg(datos ->> 'stock_actual' ORDER BY id))[2] = '9'
   AND (SELECT c.locs FROM sync_changes c WHERE c.id > :antes_replica ORDER BY c.id LIMIT 1)
       = '{10000000-0000-0000-0000-00000000000a}',
       string_agg(op || ' ' || tabla, ', ' ORDER BY id)
FROM sync_changes WHERE id > :antes_replica;

-- pg_restore --disable-triggers: DISABLE TRIGGER ALL, the load, ENABLE TRIGGER ALL. Every
-- trigger comes back in origin mode; a write is still captured once, and sync_capture_enable()
-- puts the capture modes back.
ALTER TABLE scooter_types DISABLE TRIGGER ALL;
ALTER TABLE scooter_types ENABLE TRIGGER ALL;
SELECT coalesce(max(id), 0) AS antes_restore FROM sync_changes \gset
INSERT INTO scooter_types (id_tipo, nombre, potencia) VALUES ('70000000-0000-0000-0000-0000000000e2', 'Restaurado', '250W');
SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) AS modos_restore FROM pg_trigger
 WHERE tgrelid = 'scooter_types'::regclass AND tgname IN ('sync_capture_replica', 'sync_capture_truncate') \gset
SELECT sync_capture_enable() AS capture_enabled \gset
SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) AS modos_enable FROM pg_trigger
 WHERE tgrelid = 'scooter_types'::regclass AND tgname IN ('sync_capture_replica', 'sync_capture_truncate') \gset

INSERT INTO smoke_results (nombre, ok, detalle)
SELECT 'after ENABLE TRIGGER ALL a write is captured once, and sync_capture_enable() restores the modes',
       count(*) = 1
   AND :'modos_restore' = 'sync_capture_replica=O,sync_capture_truncate=O'
   AND :'modos_enable' = 'sync_capture_replica=R,sync_capture_truncate=A',
       format('%s captured; %s; then %s', count(*), :'modos_restore', :'modos_enable')
FROM sync_changes WHERE id > :antes_restore;

-- ===========================================================================
-- Results
-- ===========================================================================

\pset footer on
\echo
\echo 'Failed checks (none expected):'
SELECT grupo, nombre, detalle FROM smoke_results WHERE NOT ok ORDER BY n;

\echo 'Behaviour checks:'
SELECT n, CASE WHEN ok THEN 'ok' ELSE 'FAIL' END AS r, nombre FROM smoke_results WHERE grupo <> 'columnas' ORDER BY n;

\echo 'Summary:'
SELECT grupo, count(*) AS checks, count(*) FILTER (WHERE ok) AS passed
FROM smoke_results GROUP BY grupo ORDER BY grupo;

DO $$
DECLARE
    fallos bigint;
BEGIN
    SELECT count(*) INTO fallos FROM smoke_results WHERE NOT ok;
    IF fallos > 0 THEN
        RAISE EXCEPTION 'smoke: % check(s) failed', fallos;
    END IF;
END;
$$;

ROLLBACK;
\echo 'smoke: all checks passed (changes rolled back)'
