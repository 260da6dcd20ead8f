-- Used by run.sh after all migrations on top of backfill_fixture.sql: every
-- pre-existing row is in the feed exactly once, with its scope; seeds once too.
\set ON_ERROR_STOP 1
SET TimeZone = 'America/Bogota';
DO $$
DECLARE
    t text;
    filas bigint;
    cambios bigint;
    total_filas bigint := 0;
BEGIN
    FOREACH t IN ARRAY sync_replicated_tables() LOOP
        EXECUTE format('SELECT count(*) FROM %I', t) INTO filas;
        EXECUTE format(
            'SELECT count(*) FROM sync_changes c JOIN (SELECT sync_row_clave(%1$L, sync_row_image(x)) AS clave, sync_row_image(x) AS img FROM %1$I x) r
               ON c.tabla = %1$L AND c.clave = r.clave AND c.op = ''U'' AND c.datos = r.img', t) INTO cambios;
        IF filas <> cambios THEN
            RAISE EXCEPTION 'backfill: % has % rows but % matching feed rows', t, filas, cambios;
        END IF;
        total_filas := total_filas + filas;
    END LOOP;
    IF (SELECT count(*) FROM sync_changes) <> total_filas THEN
        RAISE EXCEPTION 'backfill: % feed rows for % rows', (SELECT count(*) FROM sync_changes), total_filas;
    END IF;
    -- The session runs in America/Bogota: any -05:00 offset means a local image.
    IF (SELECT count(*) FROM sync_changes WHERE datos::text ~ 'T[0-9:.]+-05:00') > 0
       OR (SELECT count(*) FROM sync_changes WHERE datos::text ~ 'T[0-9:.]+\+00:00') = 0 THEN
        RAISE EXCEPTION 'backfill: non-UTC image';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM sync_changes WHERE tabla = 'usuarios'
                   AND clave = '90000000-0000-0000-0000-000000000002'
                   AND locs = '{90000000-0000-0000-0000-000000000003}'
                   AND id_usuario = '90000000-0000-0000-0000-000000000002') THEN
        RAISE EXCEPTION 'backfill: usuarios scope wrong';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM sync_changes WHERE tabla = 'logs_inventario'
                   AND locs = '{90000000-0000-0000-0000-000000000003}') THEN
        RAISE EXCEPTION 'backfill: logs_inventario scope wrong';
    END IF;
    RAISE NOTICE 'backfill: % rows, % feed rows, each exactly once', total_filas, (SELECT count(*) FROM sync_changes);
END;
$$;
