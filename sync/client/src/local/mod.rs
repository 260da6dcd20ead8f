//! Optimistic local application of mutations: the server's own decision
//! (`taller_domain::decide`, one pure function per mutation, decision 0014) over facts read
//! from the replica, its plan written through `rows::put`/`update`/`delete` so that a pull can
//! undo it (shadow rows) and replay what is still pending.
//!
//! Each submodule loads, for the mutations of its area, the facts the decision takes (the
//! rows that matter, as the replica has them) and writes the plan, so the same situation is
//! refused with the same [`RejectionCode`](taller_domain::RejectionCode) and parameters as on
//! the server. What only the server can know or write is left out: notifications,
//! `conflictos` rows, the part alias table, server-side clocks. Where the client has to
//! approximate a fact (a count line's time, who set a warranty's state, ids of rows the server
//! creates) the submodule says how.
//!
//! [`apply`] runs inside a SQLite savepoint of its own, so a refused mutation leaves nothing
//! behind even when the caller keeps its transaction going (the engine's replay does).

mod admin;
mod counts;
mod edits;
mod inventory;
mod ledger;
mod orders;
mod parts;
mod requests;
mod warranties;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

use crate::error::ClientError;
use crate::rows;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::fmt;
use taller_domain::permisos::ADMIN_ROLE;
use taller_domain::{Actor, Permisos, Rechazo};
use taller_protocol::mutations::{Mutation, PartCreate};
use taller_protocol::tables::Table;
use uuid::Uuid;

/// The acting user as the replica knows them: the domain's [`Actor`] (role permissions and
/// location scope), loaded from the replica's own rows.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalUser(Actor);

impl std::ops::Deref for LocalUser {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl LocalUser {
    /// From the replica itself: the user's `usuarios` row, their role's `permisos` (`roles`),
    /// admin when the role is named `admin` (then every `localizacion` row is in scope), else
    /// their `usuarios_localizacion` rows. `None` when the replica has no such user.
    pub fn load(conn: &Connection, id_usuario: Uuid) -> crate::error::Result<Option<LocalUser>> {
        let usuarios = rows::table("usuarios")?;
        let Some(user) = rows::get(conn, usuarios, &id_usuario.to_string())? else {
            return Ok(None);
        };
        let roles = rows::table("roles")?;
        let role = match rows::value(usuarios, &user, "id_rol").as_str() {
            Some(id_rol) => rows::get(conn, roles, id_rol)?,
            None => None,
        };
        let permisos =
            role.as_ref().map(|role| Permisos::from_json(rows::value(roles, role, "permisos"))).unwrap_or_default();
        let is_admin =
            role.as_ref().is_some_and(|role| rows::value(roles, role, "nombre_rol").as_str() == Some(ADMIN_ROLE));
        let localizaciones: Vec<String> = if is_admin {
            let mut statement =
                conn.prepare_cached("SELECT id_localizacion FROM localizacion ORDER BY id_localizacion")?;
            let ids = statement.query_map([], |row| row.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        } else {
            let mut statement = conn.prepare_cached(
                "SELECT id_localizacion FROM usuarios_localizacion WHERE id_usuario = ?1 ORDER BY id_localizacion",
            )?;
            let ids = statement.query_map([id_usuario.to_string()], |row| row.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        };
        let localizaciones = localizaciones.iter().filter_map(|text| text.parse().ok()).collect();
        Ok(Some(LocalUser(Actor { id_usuario, permisos, is_admin, localizaciones })))
    }

    /// The domain's actor, as every decision takes it.
    pub fn actor(&self) -> &Actor {
        &self.0
    }
}

/// Who acts, on which replica, when (the person's time), and as which mutation.
pub struct LocalCtx<'a> {
    pub conn: &'a Connection,
    pub user: &'a LocalUser,
    pub at: DateTime<Utc>,
    pub id_mutacion: Uuid,
}

impl LocalCtx<'_> {
    /// Who acts, as the decisions take it.
    fn actor(&self) -> &Actor {
        self.user.actor()
    }

    /// The person's time as a stored timestamp.
    fn now(&self) -> Value {
        timestamp(self.at)
    }
}

/// Why a mutation did not apply locally.
#[derive(Debug)]
pub enum LocalFailure {
    /// Refused by the rule the server would apply: the action is not queued.
    Rejected(Rechazo),
    /// The replica failed.
    Db(ClientError),
}

impl From<ClientError> for LocalFailure {
    fn from(error: ClientError) -> LocalFailure {
        match error {
            ClientError::Rejected(rechazo) => LocalFailure::Rejected(rechazo),
            other => LocalFailure::Db(other),
        }
    }
}

impl From<rusqlite::Error> for LocalFailure {
    fn from(error: rusqlite::Error) -> LocalFailure {
        LocalFailure::Db(ClientError::Db(error))
    }
}

impl From<serde_json::Error> for LocalFailure {
    fn from(error: serde_json::Error) -> LocalFailure {
        LocalFailure::Db(ClientError::Json(error))
    }
}

impl From<Rechazo> for LocalFailure {
    fn from(rechazo: Rechazo) -> LocalFailure {
        LocalFailure::Rejected(rechazo)
    }
}

impl From<LocalFailure> for ClientError {
    fn from(failure: LocalFailure) -> ClientError {
        match failure {
            LocalFailure::Rejected(rechazo) => ClientError::Rejected(rechazo),
            LocalFailure::Db(error) => error,
        }
    }
}

impl fmt::Display for LocalFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalFailure::Rejected(rechazo) => write!(f, "{rechazo}"),
            LocalFailure::Db(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LocalFailure {}

pub type LocalResult<T> = Result<T, LocalFailure>;

/// Applies one mutation to the replica (inside the caller's transaction, if any). Checks the
/// role permission first, then each handler checks location scope and the domain rules like
/// the server. All or nothing: a refusal or an error rolls back whatever the handler wrote.
/// Returns a small result (ids, new state, new stock) or `Null`.
pub fn apply(ctx: &LocalCtx<'_>, mutation: &Mutation) -> Result<Value, LocalFailure> {
    // The role's permission and every text's bound, as the server admits it.
    mutation.admit(ctx.actor())?;
    ctx.conn.prepare_cached("SAVEPOINT taller_local_apply")?.execute([])?;
    let outcome = dispatch(ctx, mutation);
    if outcome.is_ok() {
        ctx.conn.prepare_cached("RELEASE taller_local_apply")?.execute([])?;
    } else {
        ctx.conn.execute_batch("ROLLBACK TO taller_local_apply; RELEASE taller_local_apply")?;
    }
    outcome.map(|value| match value {
        Value::Object(map) if map.is_empty() => Value::Null,
        other => other,
    })
}

fn dispatch(ctx: &LocalCtx<'_>, mutation: &Mutation) -> LocalResult<Value> {
    match mutation {
        Mutation::PartCreate(args) => parts::create(ctx, args),
        Mutation::PartEdit(args) => parts::edit(ctx, args),
        Mutation::PartDiscontinue(args) => parts::discontinue(ctx, args),
        Mutation::InventorySettings(args) => inventory::settings(ctx, args),
        Mutation::InventoryAdjust(args) => inventory::adjust(ctx, args),
        Mutation::MovementRecord(args) => inventory::movement(ctx, args),
        Mutation::CartAdd(args) => requests::cart_add(ctx, args),
        Mutation::CartSet(args) => requests::cart_set(ctx, args),
        Mutation::CartRemove(args) => requests::cart_remove(ctx, args),
        Mutation::RequestCreate(args) => requests::create(ctx, args),
        Mutation::RequestPick(args) => requests::pick(ctx, args),
        Mutation::RequestDispatch(args) => requests::dispatch(ctx, args),
        Mutation::RequestReceive(args) => requests::receive(ctx, args),
        Mutation::RequestCancel(args) => requests::cancel(ctx, args),
        Mutation::CountStart(args) => counts::start(ctx, args),
        Mutation::CountLine(args) => counts::line(ctx, args),
        Mutation::CountClose(args) => counts::close(ctx, args),
        Mutation::WarrantyCreate(args) => warranties::create(ctx, args),
        Mutation::WarrantyEdit(args) => warranties::edit(ctx, args),
        Mutation::WarrantySubmit(args) => warranties::submit(ctx, args),
        Mutation::WarrantyApprove(args) => warranties::resolve(ctx, args, true),
        Mutation::WarrantyReject(args) => warranties::resolve(ctx, args, false),
        Mutation::NotificationRead(args) => admin::notification_read(ctx, args),
        Mutation::UserApprove(args) => admin::user_approve(ctx, args),
        Mutation::UserReject(args) => admin::user_reject(ctx, args),
        Mutation::UserAssign(args) => admin::user_assign(ctx, args),
        Mutation::UserUnassign(args) => admin::user_unassign(ctx, args),
        Mutation::LocationPolicy(args) => admin::location_policy(ctx, args),
        Mutation::ModelCreate(args) => orders::model_create(ctx, args),
        Mutation::ModelEdit(args) => orders::model_edit(ctx, args),
        Mutation::OrderCreate(args) => orders::order_create(ctx, args),
        Mutation::OrderAdvance(args) => orders::order_advance(ctx, args),
        Mutation::OrderEdit(args) => orders::order_edit(ctx, args),
    }
}

// ---------------------------------------------------------------------------------------------
// Rows.
// ---------------------------------------------------------------------------------------------

/// A timestamp as the replica stores the ones it writes.
fn timestamp(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Micros, false))
}

/// A stored timestamp (any RFC 3339 spelling) as an instant.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|at| at.with_timezone(&Utc))
}

fn optional_text(text: Option<String>) -> Value {
    text.map(Value::String).unwrap_or(Value::Null)
}

/// A new row of `table` from named values; columns not named are NULL. Naming a column the
/// table lacks is a programming error, reported rather than written.
fn new_row(table: &Table, values: &[(&str, Value)]) -> LocalResult<Vec<Value>> {
    let mut row = vec![Value::Null; table.columns.len()];
    for (column, value) in values {
        let index = table
            .column_index(column)
            .ok_or_else(|| ClientError::Invalid(format!("{} has no column {column}", table.name)))?;
        row[index] = value.clone();
    }
    Ok(row)
}

/// A new row written locally (shadowed).
fn insert(conn: &Connection, table_name: &str, values: &[(&str, Value)]) -> LocalResult<()> {
    let table = rows::table(table_name)?;
    rows::put(conn, table, &new_row(table, values)?)?;
    Ok(())
}

/// Changes some columns of an existing row locally (shadowed). `false` if there is no row.
fn update(conn: &Connection, table_name: &str, key: &str, values: &[(&str, Value)]) -> LocalResult<bool> {
    let table = rows::table(table_name)?;
    let Some(row) = rows::get(conn, table, key)? else {
        return Ok(false);
    };
    let mut changed: Vec<(usize, Value)> = Vec::new();
    for (column, value) in values {
        let Some(index) = table.column_index(column) else {
            return Err(ClientError::Invalid(format!("{} has no column {column}", table_name)).into());
        };
        changed.retain(|(earlier, _)| *earlier != index);
        if row.get(index) != Some(value) {
            changed.push((index, value.clone()));
        }
    }
    // Only the columns that change are written (shadowed first), as a whole-row put would
    // have left the row; indexes over the other columns are not rewritten.
    rows::update(conn, table, key, &changed)?;
    Ok(true)
}

/// One row by key, or `None`.
fn get(conn: &Connection, table_name: &str, key: &str) -> LocalResult<Option<(&'static Table, Vec<Value>)>> {
    let table = rows::table(table_name)?;
    Ok(rows::get(conn, table, key)?.map(|row| (table, row)))
}

fn exists(conn: &Connection, table_name: &str, key: &str) -> LocalResult<bool> {
    Ok(rows::exists(conn, rows::table(table_name)?, key)?)
}

fn uuid_at(table: &Table, row: &[Value], column: &str) -> Option<Uuid> {
    rows::value(table, row, column).as_str().and_then(|text| text.parse().ok())
}

fn int_at(table: &Table, row: &[Value], column: &str) -> Option<i32> {
    rows::value(table, row, column).as_i64().and_then(|n| i32::try_from(n).ok())
}

fn text_at<'a>(table: &Table, row: &'a [Value], column: &str) -> Option<&'a str> {
    rows::value(table, row, column).as_str()
}

// ---------------------------------------------------------------------------------------------
// Facts the decisions take: references as the server resolves them.
// ---------------------------------------------------------------------------------------------

use taller_domain::text::normalize_reference;

/// The part that has this reference in the replica.
fn part_with_reference(conn: &Connection, referencia: &str) -> LocalResult<Option<Uuid>> {
    let id: Option<String> = conn
        .query_row("SELECT id_repuesto FROM repuestos WHERE referencia = ?1 LIMIT 1", [referencia], |row| row.get(0))
        .optional()?;
    Ok(id.and_then(|text| text.parse().ok()))
}

/// The earlier entries of one mutation about one subject (`?1` name, `?2` subject, `?3` the
/// mutation being applied, `?4` its place in the outbox), through `idx_outbox_subject`
/// (migration 0004): what an action reads does not grow with the outbox.
pub(super) const EARLIER_IN_OUTBOX: &str = "SELECT args, at FROM outbox \
     WHERE name = ?1 AND subject = ?2 AND status IN ('pending', 'applied') AND id <> ?3 AND seq < ?4 ORDER BY seq";

/// The outbox entries named `name` about `subject` (the outbox's generated `subject` column:
/// a count.line's count, a warranty mutation's claim, a part.create's part) that come before
/// the mutation being applied (all of them when it is not in the outbox yet), oldest first,
/// with their time. Rejected ones are left out: their effect is gone.
fn earlier_in_outbox(
    ctx: &LocalCtx<'_>,
    name: &str,
    subject: Uuid,
) -> LocalResult<Vec<(Value, Option<DateTime<Utc>>)>> {
    let own_seq: Option<i64> = ctx
        .conn
        .query_row("SELECT seq FROM outbox WHERE id = ?1", [ctx.id_mutacion.to_string()], |row| row.get(0))
        .optional()?;
    let mut statement = ctx.conn.prepare_cached(EARLIER_IN_OUTBOX)?;
    let entries = statement.query_map(
        params![name, subject.to_string(), ctx.id_mutacion.to_string(), own_seq.unwrap_or(i64::MAX)],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
    )?;
    let mut out = Vec::new();
    for entry in entries {
        let (args, at) = entry?;
        let args: Value = serde_json::from_str(&args).unwrap_or(Value::Null);
        out.push((args, parse_timestamp(&at)));
    }
    Ok(out)
}

/// A part id as the server will know it. The server resolves an id created offline and
/// merged into an existing part through its alias table, which replicas do not have; the
/// replica knows the same thing from its outbox: a still-unacknowledged `part.create` of
/// this id whose reference another part already has locally. (Once the server answers, the
/// engine rewrites pending arguments to the survivor's id.)
fn resolve_part(ctx: &LocalCtx<'_>, id_repuesto: Uuid) -> LocalResult<Uuid> {
    if exists(ctx.conn, "repuestos", &id_repuesto.to_string())? {
        return Ok(id_repuesto);
    }
    for (args, _) in earlier_in_outbox(ctx, "part.create", id_repuesto)?.into_iter().rev() {
        // Entries about this part only (the outbox's subject).
        let Ok(created) = serde_json::from_value::<PartCreate>(args) else { continue };
        if let Some(survivor) = part_with_reference(ctx.conn, &normalize_reference(&created.referencia))? {
            return Ok(survivor);
        }
    }
    Ok(id_repuesto)
}

/// The part as the server will know it ([`resolve_part`]), when the replica has it: the
/// `part` fact of the decisions.
fn found_part(ctx: &LocalCtx<'_>, id_repuesto: Uuid) -> LocalResult<Option<Uuid>> {
    let id = resolve_part(ctx, id_repuesto)?;
    Ok(exists(ctx.conn, "repuestos", &id.to_string())?.then_some(id))
}

/// Resolves a part id and checks that the part exists.
fn existing_part(ctx: &LocalCtx<'_>, id_repuesto: Uuid) -> LocalResult<Uuid> {
    Ok(taller_domain::decide::part_exists(found_part(ctx, id_repuesto)?, id_repuesto)?)
}

/// A user's display name in the replica (empty when the replica does not have the user).
fn user_name(conn: &Connection, id_usuario: Uuid) -> LocalResult<String> {
    Ok(get(conn, "usuarios", &id_usuario.to_string())?
        .and_then(|(table, row)| text_at(table, &row, "nombre_completo").map(str::to_owned))
        .unwrap_or_default())
}
