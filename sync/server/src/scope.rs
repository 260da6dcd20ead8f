//! A user's read scope: every location for admins, the assigned ones for everyone else.
//! The same rule decides which rows a pull serves (through the SQL function
//! `sync_row_scope`) and which locations a mutation may touch.

use sqlx::PgConnection;
use taller_protocol::cursor::Scope;
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
