//! Administration through mutations (so it works offline like everything else): approving
//! and rejecting accounts, assigning locations, location policies; and notifications. The
//! facts the decisions of `taller_domain::decide::admin` need, and their plans written.

use super::{Applied, Ctx, Outcome};
use sqlx::PgConnection;
use taller_domain::decide::admin as decide;
use taller_protocol::mutations::{LocationPolicy, NotificationRead, UserLocation, UserRef, UserReject};
use uuid::Uuid;

async fn user_exists(conn: &mut PgConnection, id_usuario: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM usuarios WHERE id_usuario = $1)")
        .bind(id_usuario)
        .fetch_one(&mut *conn)
        .await
}

async fn location_exists(conn: &mut PgConnection, id_localizacion: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1)")
        .bind(id_localizacion)
        .fetch_one(&mut *conn)
        .await
}

pub async fn notification_read(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &NotificationRead) -> Outcome {
    let updated = sqlx::query(
        "UPDATE notificaciones SET leida = true WHERE id_notificacion = $1 AND id_usuario = $2 AND NOT leida",
    )
    .bind(args.id_notificacion)
    .bind(ctx.user.id_usuario)
    .execute(&mut *conn)
    .await?;
    // Nothing to write: either it was read already (the intent is fulfilled) or it is not theirs.
    let own = updated.rows_affected() > 0
        || sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM notificaciones WHERE id_notificacion = $1 AND id_usuario = $2)",
        )
        .bind(args.id_notificacion)
        .bind(ctx.user.id_usuario)
        .fetch_one(&mut *conn)
        .await?;
    decide::notification_read(args, own)?;
    Ok(Applied::default())
}

pub async fn user_approve(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &UserRef) -> Outcome {
    decide::user_approve(args, user_exists(conn, args.id_usuario).await?)?;
    sqlx::query(
        "UPDATE usuarios SET aprobado = true, aprobado_por = $2, fecha_aprobacion = $3, motivo_rechazo = NULL \
          WHERE id_usuario = $1 AND NOT aprobado",
    )
    .bind(args.id_usuario)
    .bind(ctx.user.id_usuario)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    Ok(Applied { result: decide::approval_result(true) })
}

pub async fn user_reject(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &UserReject) -> Outcome {
    let motivo = decide::user_reject(ctx.actor, args, user_exists(conn, args.id_usuario).await?)?;
    sqlx::query(
        "UPDATE usuarios SET aprobado = false, aprobado_por = NULL, fecha_aprobacion = NULL, motivo_rechazo = $2 \
          WHERE id_usuario = $1",
    )
    .bind(args.id_usuario)
    .bind(&motivo)
    .execute(&mut *conn)
    .await?;
    crate::auth::revoke_sessions(conn, args.id_usuario).await?;
    Ok(Applied { result: decide::approval_result(false) })
}

pub async fn user_assign(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &UserLocation) -> Outcome {
    let user = user_exists(conn, args.id_usuario).await?;
    let location = location_exists(conn, args.id_localizacion).await?;
    decide::user_assign(args, user, location)?;
    sqlx::query(
        "INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(args.id_usuario)
    .bind(args.id_localizacion)
    .execute(&mut *conn)
    .await?;
    Ok(Applied::default())
}

pub async fn user_unassign(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &UserLocation) -> Outcome {
    decide::user_unassign(args, user_exists(conn, args.id_usuario).await?)?;
    sqlx::query("DELETE FROM usuarios_localizacion WHERE id_usuario = $1 AND id_localizacion = $2")
        .bind(args.id_usuario)
        .bind(args.id_localizacion)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default())
}

pub async fn location_policy(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &LocationPolicy) -> Outcome {
    decide::location_policy(args, location_exists(conn, args.id_localizacion).await?)?;
    sqlx::query(
        "INSERT INTO localizacion_politicas (id_localizacion, stock_negativo) VALUES ($1, $2) \
         ON CONFLICT (id_localizacion) DO UPDATE SET stock_negativo = EXCLUDED.stock_negativo",
    )
    .bind(args.id_localizacion)
    .bind(args.stock_negativo.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(Applied { result: decide::policy_result(args) })
}
