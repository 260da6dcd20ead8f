-- Two assignments of one user committing at the same time each re-imaged the user's row from
-- their own snapshot, so the later image could miss the other's location (and a concurrent
-- approval could be overwritten by a stale image). Lock the user's row before re-imaging it:
-- the second transaction waits for the first, and its next statement sees the first's
-- assignment. FOR NO KEY UPDATE, not FOR UPDATE: the assignment's foreign-key check already
-- holds FOR KEY SHARE on the same row, which FOR UPDATE would deadlock against.
CREATE OR REPLACE FUNCTION sync_capture() RETURNS trigger
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

    -- The user's own scope (locs) changed: replicate a fresh image of them, under the lock.
    IF TG_TABLE_NAME = 'usuarios_localizacion' THEN
        FOR usuario_afectado IN
            SELECT DISTINCT x.id
            FROM (VALUES ((nueva ->> 'id_usuario')::uuid), ((vieja ->> 'id_usuario')::uuid)) AS x(id)
            WHERE x.id IS NOT NULL
            ORDER BY x.id
        LOOP
            PERFORM 1 FROM usuarios WHERE id_usuario = usuario_afectado FOR NO KEY UPDATE;
            PERFORM sync_append_change('usuarios', 'U', to_jsonb(u))
            FROM usuarios u
            WHERE u.id_usuario = usuario_afectado;
        END LOOP;
    END IF;

    RETURN NULL;
END;
$$;
