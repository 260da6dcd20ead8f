//! Administration through mutations (so it works offline like everything else): approving
//! and rejecting accounts, assigning locations, location policies; and notifications.

use super::{check_text, clean, existing_location, Applied, Ctx, Failure, Outcome};
use sqlx::PgConnection;
use taller_domain::Rechazo;
use taller_protocol::mutations::{LocationPolicy, NotificationRead, UserLocation, UserRef, UserReject};
use uuid::Uuid;

async fn existing_user(conn: &mut PgConnection, id_usuario: Uuid) -> Result<(), Failure> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM usuarios WHERE id_usuario = $1)")
        .bind(id_usuario)
        .fetch_one(&mut *conn)
        .await?;
    if exists {
        Ok(())
    } else {
        Err(Rechazo::not_found("usuario", id_usuario).into())
    }
}

pub async fn notification_read(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &NotificationRead) -> Outcome {
    let updated = sqlx::query(
        "UPDATE notificaciones SET leida = true WHERE id_notificacion = $1 AND id_usuario = $2 AND NOT leida",
    )
    .bind(args.id_notificacion)
    .bind(ctx.user.id_usuario)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        let mine: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM notificaciones WHERE id_notificacion = $1 AND id_usuario = $2)",
        )
        .bind(args.id_notificacion)
        .bind(ctx.user.id_usuario)
        .fetch_one(&mut *conn)
        .await?;
        if !mine {
            return Err(Rechazo::not_found("notificacion", args.id_notificacion).into());
        }
    }
    Ok(Applied::default())
}

pub async fn user_approve(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &UserRef) -> Outcome {
    existing_user(conn, args.id_usuario).await?;
    sqlx::query(
        "UPDATE usuarios SET aprobado = true, aprobado_por = $2, fecha_aprobacion = $3, motivo_rechazo = NULL \
          WHERE id_usuario = $1 AND NOT aprobado",
    )
    .bind(args.id_usuario)
    .bind(ctx.user.id_usuario)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    Ok(Applied::default().with("aprobado", true))
}

pub async fn user_reject(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &UserReject) -> Outcome {
    existing_user(conn, args.id_usuario).await?;
    if args.id_usuario == ctx.user.id_usuario {
        return Err(Rechazo::invalid("an administrator cannot reject their own account").into());
    }
    let Some(motivo) = clean(Some(&args.motivo_rechazo)) else {
        return Err(Rechazo::reason_required().into());
    };
    check_text("motivo_rechazo", &motivo)?;
    sqlx::query("UPDATE usuarios SET aprobado = false, aprobado_por = NULL, fecha_aprobacion = NULL, motivo_rechazo = $2 WHERE id_usuario = $1")
        .bind(args.id_usuario)
        .bind(&motivo)
        .execute(&mut *conn)
        .await?;
    crate::auth::revoke_sessions(conn, args.id_usuario).await?;
    Ok(Applied::default().with("aprobado", false))
}

pub async fn user_assign(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &UserLocation) -> Outcome {
    existing_user(conn, args.id_usuario).await?;
    existing_location(conn, args.id_localizacion).await?;
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
    existing_user(conn, args.id_usuario).await?;
    sqlx::query("DELETE FROM usuarios_localizacion WHERE id_usuario = $1 AND id_localizacion = $2")
        .bind(args.id_usuario)
        .bind(args.id_localizacion)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default())
}

pub async fn location_policy(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &LocationPolicy) -> Outcome {
    existing_location(conn, args.id_localizacion).await?;
    sqlx::query(
        "INSERT INTO localizacion_politicas (id_localizacion, stock_negativo) VALUES ($1, $2) \
         ON CONFLICT (id_localizacion) DO UPDATE SET stock_negativo = EXCLUDED.stock_negativo",
    )
    .bind(args.id_localizacion)
    .bind(args.stock_negativo.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(Applied::default().with("stock_negativo", args.stock_negativo.as_str()))
}
