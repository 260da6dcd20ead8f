//! Administration and notifications, as the server's `mutations/admin.rs`. (Ending a rejected
//! user's sessions is the server's alone.)

use super::{
    check_text, clean, existing_location, existing_user, get, insert, rows, update, uuid_at, LocalCtx, LocalResult,
};
use serde_json::{json, Value};
use taller_domain::Rechazo;
use taller_protocol::mutations::{LocationPolicy, NotificationRead, UserLocation, UserRef, UserReject};

/// Marks one of the user's own notifications read; another user's is `not_found`.
pub(super) fn notification_read(ctx: &LocalCtx<'_>, args: &NotificationRead) -> LocalResult<Value> {
    let key = args.id_notificacion.to_string();
    let mine = get(ctx.conn, "notificaciones", &key)?
        .is_some_and(|(table, row)| uuid_at(table, &row, "id_usuario") == Some(ctx.user.id_usuario));
    if !mine {
        return Err(Rechazo::not_found("notificacion", args.id_notificacion).into());
    }
    update(ctx.conn, "notificaciones", &key, &[("leida", json!(true))])?;
    Ok(Value::Null)
}

pub(super) fn user_approve(ctx: &LocalCtx<'_>, args: &UserRef) -> LocalResult<Value> {
    existing_user(ctx.conn, args.id_usuario)?;
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
    Ok(json!({"aprobado": true}))
}

pub(super) fn user_reject(ctx: &LocalCtx<'_>, args: &UserReject) -> LocalResult<Value> {
    existing_user(ctx.conn, args.id_usuario)?;
    if args.id_usuario == ctx.user.id_usuario {
        return Err(Rechazo::invalid("an administrator cannot reject their own account").into());
    }
    let Some(motivo) = clean(Some(&args.motivo_rechazo)) else {
        return Err(Rechazo::reason_required().into());
    };
    check_text("motivo_rechazo", &motivo)?;
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
    Ok(json!({"aprobado": false}))
}

pub(super) fn user_assign(ctx: &LocalCtx<'_>, args: &UserLocation) -> LocalResult<Value> {
    existing_user(ctx.conn, args.id_usuario)?;
    existing_location(ctx.conn, args.id_localizacion)?;
    let key = format!("{}|{}", args.id_usuario, args.id_localizacion);
    if !super::exists(ctx.conn, "usuarios_localizacion", &key)? {
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
    existing_user(ctx.conn, args.id_usuario)?;
    let key = format!("{}|{}", args.id_usuario, args.id_localizacion);
    if super::exists(ctx.conn, "usuarios_localizacion", &key)? {
        rows::delete(ctx.conn, rows::table("usuarios_localizacion")?, &key)?;
    }
    Ok(Value::Null)
}

pub(super) fn location_policy(ctx: &LocalCtx<'_>, args: &LocationPolicy) -> LocalResult<Value> {
    existing_location(ctx.conn, args.id_localizacion)?;
    let key = args.id_localizacion.to_string();
    let policy = json!(args.stock_negativo.as_str());
    if !update(ctx.conn, "localizacion_politicas", &key, &[("stock_negativo", policy.clone())])? {
        insert(
            ctx.conn,
            "localizacion_politicas",
            &[("id_localizacion", json!(args.id_localizacion)), ("stock_negativo", policy)],
        )?;
    }
    Ok(json!({"stock_negativo": args.stock_negativo.as_str()}))
}
