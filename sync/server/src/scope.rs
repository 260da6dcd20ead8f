//! A user's read scope: every location for admins, the assigned ones for everyone else.
//! The same rule decides which rows a pull serves (through the SQL function
//! `sync_row_scope`) and which locations a mutation may touch.

use sqlx::PgConnection;
use taller_domain::permisos::ADMIN_ROLE;
use taller_protocol::cursor::{Scope, Snapshot};
use uuid::Uuid;

pub async fn load_scope(conn: &mut PgConnection, id_usuario: Uuid, is_admin: bool) -> Result<Scope, sqlx::Error> {
    let locs: Vec<Uuid> = if is_admin {
        sqlx::query_scalar("SELECT id_localizacion FROM localizacion ORDER BY id_localizacion")
            .fetch_all(&mut *conn)
            .await?
    } else {
        sqlx::query_scalar(
            "SELECT id_localizacion FROM usuarios_localizacion WHERE id_usuario = $1 ORDER BY id_localizacion",
        )
        .bind(id_usuario)
        .fetch_all(&mut *conn)
        .await?
    };
    Ok(Scope { admin: is_admin, locs })
}

/// The scope `id_usuario` had in the transaction snapshot `at`, rebuilt from the change feed,
/// which holds every write of `usuarios`, `roles`, `localizacion` and `usuarios_localizacion`
/// in the writing transaction. A cursor records only the digest of the scope loaded in the
/// snapshot `from` was taken in; when the user's scope has changed since, a pull rebuilds that
/// scope here to know which rows the replica holds (and checks it against the digest).
pub async fn scope_at(conn: &mut PgConnection, id_usuario: Uuid, at: &Snapshot) -> Result<Scope, sqlx::Error> {
    let at = at.to_string();
    let admin: bool = sqlx::query_scalar(
        "WITH u AS (SELECT datos FROM sync_changes \
                     WHERE tabla = 'usuarios' AND clave = $1 AND pg_visible_in_snapshot(txid, $2::pg_snapshot) \
                     ORDER BY id DESC LIMIT 1), \
              r AS (SELECT c.datos FROM sync_changes c, u \
                     WHERE c.tabla = 'roles' AND c.clave = u.datos ->> 'id_rol' AND pg_visible_in_snapshot(c.txid, $2::pg_snapshot) \
                     ORDER BY c.id DESC LIMIT 1) \
         SELECT COALESCE((SELECT datos ->> 'nombre_rol' FROM r) = $3, false)",
    )
    .bind(id_usuario.to_string())
    .bind(&at)
    .bind(ADMIN_ROLE)
    .fetch_one(&mut *conn)
    .await?;
    // Keys whose latest change visible in `at` is an upsert: the rows that existed then.
    let (tabla, filter, key) = if admin {
        ("localizacion", "true", "k.clave")
    } else {
        ("usuarios_localizacion", "c.id_usuario = $3", "split_part(k.clave, '|', 2)")
    };
    let mut locs: Vec<Uuid> = sqlx::query_scalar(&format!(
        "SELECT ({key})::uuid FROM (SELECT DISTINCT c.clave FROM sync_changes c \
                                 WHERE c.tabla = $1 AND {filter} AND pg_visible_in_snapshot(c.txid, $2::pg_snapshot)) k \
           CROSS JOIN LATERAL (SELECT op FROM sync_changes l \
                                WHERE l.tabla = $1 AND l.clave = k.clave AND pg_visible_in_snapshot(l.txid, $2::pg_snapshot) \
                                ORDER BY l.id DESC LIMIT 1) l \
          WHERE l.op = 'U' AND $3::uuid IS NOT NULL"
    ))
    .bind(tabla)
    .bind(&at)
    .bind(id_usuario)
    .fetch_all(&mut *conn)
    .await?;
    locs.sort_unstable();
    Ok(Scope { admin, locs })
}
