//! Administration and notifications: the facts the decisions of
//! `taller_domain::decide::admin` need, read from the replica, and their plans written.
//! (Ending a rejected user's sessions is the server's alone.)

use super::{exists, get, insert, rows, update, uuid_at, LocalCtx, LocalResult};
use serde_json::{json, Value};
use taller_domain::decide::admin as decide;
use taller_protocol::mutations::{LocationPolicy, NotificationRead, UserLocation, UserRef, UserReject};
use uuid::Uuid;

fn user_exists(ctx: &LocalCtx<'_>, id_usuario: Uuid) -> LocalResult<bool> {
    exists(ctx.conn, "usuarios", &id_usuario.to_string())
}

fn location_exists(ctx: &LocalCtx<'_>, id_localizacion: Uuid) -> LocalResult<bool> {
    exists(ctx.conn, "localizacion", &id_localizacion.to_string())
}

/// Marks one of the user's own notifications read.
pub(super) fn notification_read(ctx: &LocalCtx<'_>, args: &NotificationRead) -> LocalResult<Value> {
    let key = args.id_notificacion.to_string();
    let own = get(ctx.conn, "notificaciones", &key)?
        .is_some_and(|(table, row)| uuid_at(table, &row, "id_usuario") == Some(ctx.user.id_usuario));
    decide::notification_read(args, own)?;
    update(ctx.conn, "notificaciones", &key, &[("leida", json!(true))])?;
    Ok(Value::Null)
}

pub(super) fn user_approve(ctx: &LocalCtx<'_>, args: &UserRef) -> LocalResult<Value> {
    decide::user_approve(args, user_exists(ctx, args.id_usuario)?)?;
    let key = args.id_usuario.to_string();
    let approved = get(ctx.conn, "usuarios", &key)?
        .is_some_and(|(table, row)| rows::value(table, &row, "aprobado") == &Value::Bool(true));
    if !approved {
        update(
            ctx.conn,
            "usuarios",
            &key,
            &[
                ("aprobado", json!(true)),
                ("aprobado_por", json!(ctx.user.id_usuario)),
                ("fecha_aprobacion", ctx.now()),
                ("motivo_rechazo", Value::Null),
            ],
        )?;
    }
    Ok(Value::Object(decide::approval_result(true)))
}

pub(super) fn user_reject(ctx: &LocalCtx<'_>, args: &UserReject) -> LocalResult<Value> {
    let motivo = decide::user_reject(ctx.actor(), args, user_exists(ctx, args.id_usuario)?)?;
    update(
        ctx.conn,
        "usuarios",
        &args.id_usuario.to_string(),
        &[
            ("aprobado", json!(false)),
            ("aprobado_por", Value::Null),
            ("fecha_aprobacion", Value::Null),
            ("motivo_rechazo", json!(motivo)),
        ],
    )?;
    Ok(Value::Object(decide::approval_result(false)))
}

pub(super) fn user_assign(ctx: &LocalCtx<'_>, args: &UserLocation) -> LocalResult<Value> {
    decide::user_assign(args, user_exists(ctx, args.id_usuario)?, location_exists(ctx, args.id_localizacion)?)?;
    let key = format!("{}|{}", args.id_usuario, args.id_localizacion);
    if !exists(ctx.conn, "usuarios_localizacion", &key)? {
        insert(
            ctx.conn,
            "usuarios_localizacion",
            &[
                ("id_usuario", json!(args.id_usuario)),
                ("id_localizacion", json!(args.id_localizacion)),
                ("created_at", ctx.now()),
            ],
        )?;
    }
    Ok(Value::Null)
}

pub(super) fn user_unassign(ctx: &LocalCtx<'_>, args: &UserLocation) -> LocalResult<Value> {
    decide::user_unassign(args, user_exists(ctx, args.id_usuario)?)?;
    let key = format!("{}|{}", args.id_usuario, args.id_localizacion);
    if exists(ctx.conn, "usuarios_localizacion", &key)? {
        rows::delete(ctx.conn, rows::table("usuarios_localizacion")?, &key)?;
    }
    Ok(Value::Null)
}

pub(super) fn location_policy(ctx: &LocalCtx<'_>, args: &LocationPolicy) -> LocalResult<Value> {
    decide::location_policy(args, location_exists(ctx, args.id_localizacion)?)?;
    let key = args.id_localizacion.to_string();
    let policy = json!(args.stock_negativo.as_str());
    if !update(ctx.conn, "localizacion_politicas", &key, &[("stock_negativo", policy.clone())])? {
        insert(
            ctx.conn,
            "localizacion_politicas",
            &[("id_localizacion", json!(args.id_localizacion)), ("stock_negativo", policy)],
        )?;
    }
    Ok(Value::Object(decide::policy_result(args)))
}
