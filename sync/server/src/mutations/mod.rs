//! Applying domain mutations on the server. Each handler reads the facts its mutation's
//! decision takes (locking the rows it decides on), asks `taller_domain::decide` for the
//! decision (the same the replicas make, decision 0014), and writes the plan with the effects
//! only the server has (conflicts, notifications, aliases). Handlers never commit: the push
//! engine owns the transaction.

mod admin;
pub mod batch;
mod counts;
mod edits;
mod inventory;
pub mod ledger;
mod orders;
mod parts;
mod requests;
mod warranties;

use crate::auth::AuthUser;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgConnection;
use taller_domain::decide::inventory::PartAt;
use taller_domain::{Actor, Lang, Rechazo};
use taller_protocol::mutations::Mutation;
use uuid::Uuid;

/// Who is acting, when, and on whose behalf: everything a handler needs besides the database.
pub struct Ctx<'a> {
    pub user: &'a AuthUser,
    /// The user as the decisions take them: permissions and the locations in scope now.
    pub actor: &'a Actor,
    /// When the person did it (already checked against the server's clock).
    pub at: DateTime<Utc>,
    pub id_mutacion: Uuid,
    pub lang: Lang,
}

/// Why a mutation did not apply.
#[derive(Debug)]
pub enum Failure {
    /// A final, domain-level refusal: recorded as the mutation's outcome.
    Rejected(Rechazo),
    /// The database failed; the push engine decides whether that is the client's doing
    /// (constraint violations become rejections) or transient.
    Db(sqlx::Error),
}

impl From<Rechazo> for Failure {
    fn from(rechazo: Rechazo) -> Failure {
        Failure::Rejected(rechazo)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Failure {
        Failure::Db(error)
    }
}

pub type Outcome = Result<Applied, Failure>;

/// What an applied mutation reports back.
#[derive(Debug, Default)]
pub struct Applied {
    pub result: serde_json::Map<String, Value>,
}

impl Applied {
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Applied {
        self.result.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a conflict summary to the outcome (the full entry is in `conflictos`).
    pub fn conflict(&mut self, entry: Value) {
        let list = self.result.entry("conflicts".to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(entry);
        }
    }
}

/// Applies one parsed mutation inside the caller's transaction.
pub async fn apply(conn: &mut PgConnection, ctx: &Ctx<'_>, mutation: &Mutation) -> Outcome {
    // The role's permission, then every text against its column's limit, as the client
    // admitted it offline: the same field has the same bound whichever mutation writes it,
    // and no text reaches an index it cannot fit.
    mutation.admit(ctx.actor)?;
    match mutation {
        Mutation::PartCreate(args) => parts::create(conn, ctx, args).await,
        Mutation::PartEdit(args) => parts::edit(conn, ctx, args).await,
        Mutation::PartDiscontinue(args) => parts::discontinue(conn, ctx, args).await,
        Mutation::InventorySettings(args) => inventory::settings(conn, ctx, args).await,
        Mutation::InventoryAdjust(args) => inventory::adjust(conn, ctx, args).await,
        Mutation::MovementRecord(args) => inventory::movement(conn, ctx, args).await,
        Mutation::CartAdd(args) => requests::cart_add(conn, ctx, args).await,
        Mutation::CartSet(args) => requests::cart_set(conn, ctx, args).await,
        Mutation::CartRemove(args) => requests::cart_remove(conn, ctx, args).await,
        Mutation::RequestCreate(args) => requests::create(conn, ctx, args).await,
        Mutation::RequestPick(args) => requests::pick(conn, ctx, args).await,
        Mutation::RequestDispatch(args) => requests::dispatch(conn, ctx, args).await,
        Mutation::RequestReceive(args) => requests::receive(conn, ctx, args).await,
        Mutation::RequestCancel(args) => requests::cancel(conn, ctx, args).await,
        Mutation::CountStart(args) => counts::start(conn, ctx, args).await,
        Mutation::CountLine(args) => counts::line(conn, ctx, args).await,
        Mutation::CountClose(args) => counts::close(conn, ctx, args).await,
        Mutation::WarrantyCreate(args) => warranties::create(conn, ctx, args).await,
        Mutation::WarrantyEdit(args) => warranties::edit(conn, ctx, args).await,
        Mutation::WarrantySubmit(args) => warranties::submit(conn, ctx, args).await,
        Mutation::WarrantyApprove(args) => warranties::resolve(conn, ctx, args, true).await,
        Mutation::WarrantyReject(args) => warranties::resolve(conn, ctx, args, false).await,
        Mutation::NotificationRead(args) => admin::notification_read(conn, ctx, args).await,
        Mutation::UserApprove(args) => admin::user_approve(conn, ctx, args).await,
        Mutation::UserReject(args) => admin::user_reject(conn, ctx, args).await,
        Mutation::UserAssign(args) => admin::user_assign(conn, ctx, args).await,
        Mutation::UserUnassign(args) => admin::user_unassign(conn, ctx, args).await,
        Mutation::LocationPolicy(args) => admin::location_policy(conn, ctx, args).await,
        Mutation::ModelCreate(args) => orders::model_create(conn, ctx, args).await,
        Mutation::ModelEdit(args) => orders::model_edit(conn, ctx, args).await,
        Mutation::OrderCreate(args) => orders::order_create(conn, ctx, args).await,
        Mutation::OrderAdvance(args) => orders::order_advance(conn, ctx, args).await,
        Mutation::OrderEdit(args) => orders::order_edit(conn, ctx, args).await,
    }
}

/// Sets the transaction-local context the triggers read (acting user, the person's time,
/// comment) and tells the ledger trigger that the server writes ledger rows itself.
pub async fn set_trigger_context(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    comentario: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT set_config('taller.id_usuario', $1, true), set_config('taller.fecha', $2, true), \
                set_config('taller.comentario', $3, true), set_config('taller.ledger', 'app', true)",
    )
    .bind(ctx.user.id_usuario.to_string())
    .bind(ctx.at.to_rfc3339())
    .bind(comentario.unwrap_or(""))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a conflict for a user to review (their conflict inbox on every replica).
#[allow(clippy::too_many_arguments)]
pub async fn record_conflict(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    id_usuario: Uuid,
    tipo: &str,
    tabla: &str,
    clave: &str,
    campo: Option<&str>,
    values: [Option<&Value>; 3],
    otro_usuario: Option<Uuid>,
    detalles: Value,
) -> Result<Value, sqlx::Error> {
    let [reemplazado, servidor, nuevo] = values;
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO conflictos (id_usuario, id_mutacion, tipo, tabla, clave, campo, valor_reemplazado, \
                                 valor_servidor, valor_nuevo, otro_usuario, detalles) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id_conflicto",
    )
    .bind(id_usuario)
    .bind(ctx.id_mutacion)
    .bind(tipo)
    .bind(tabla)
    .bind(clave)
    .bind(campo)
    .bind(reemplazado)
    .bind(servidor)
    .bind(nuevo)
    .bind(otro_usuario)
    .bind(&detalles)
    .fetch_one(&mut *conn)
    .await?;
    Ok(json!({"id_conflicto": id, "tipo": tipo, "tabla": tabla, "clave": clave, "campo": campo,
              "valor_reemplazado": reemplazado, "valor_servidor": servidor, "valor_nuevo": nuevo,
              "otro_usuario": otro_usuario, "detalles": detalles}))
}

/// Sends a notification to one user.
#[allow(clippy::too_many_arguments)]
pub async fn notify(
    conn: &mut PgConnection,
    id_usuario: Uuid,
    id_localizacion: Option<Uuid>,
    titulo: &str,
    mensaje: &str,
    tipo: &str,
    prioridad: &str,
    datos: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notificaciones (id_usuario, id_localizacion, titulo, mensaje, tipo, prioridad, datos) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id_usuario)
    .bind(id_localizacion)
    .bind(titulo)
    .bind(mensaje)
    .bind(tipo)
    .bind(prioridad)
    .bind(datos)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A part id as the server knows it: an id created offline and merged into an existing part
/// (duplicate `referencia`) resolves to the surviving part.
pub async fn resolve_part(conn: &mut PgConnection, id_repuesto: Uuid) -> Result<Uuid, sqlx::Error> {
    let real: Option<Uuid> =
        sqlx::query_scalar("SELECT id_real FROM sync_id_alias WHERE tabla = 'repuestos' AND id_alias = $1")
            .bind(id_repuesto)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(real.unwrap_or(id_repuesto))
}

/// The SQL of the part fact: the id the part `$n` has (an id merged into another part resolves
/// to the survivor) when it exists, else NULL; as a literal for `concat!`.
macro_rules! found_part {
    ($n:literal) => {
        concat!(
            "(SELECT r.id FROM (SELECT COALESCE((SELECT id_real FROM sync_id_alias \
                                                  WHERE tabla = 'repuestos' AND id_alias = ",
            $n,
            "), ",
            $n,
            ") AS id) r WHERE EXISTS (SELECT 1 FROM repuestos WHERE id_repuesto = r.id))"
        )
    };
}
pub(crate) use found_part;

/// The part fact of the decisions (one statement).
pub async fn part_fact(conn: &mut PgConnection, id_repuesto: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(concat!("SELECT ", found_part!("$1"))).bind(id_repuesto).fetch_one(&mut *conn).await
}

/// A location and a part, as the decisions take them (one statement).
pub async fn part_at(conn: &mut PgConnection, id_localizacion: Uuid, id_repuesto: Uuid) -> Result<PartAt, sqlx::Error> {
    let (location_exists, part): (bool, Option<Uuid>) = sqlx::query_as(concat!(
        "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), ",
        found_part!("$2")
    ))
    .bind(id_localizacion)
    .bind(id_repuesto)
    .fetch_one(&mut *conn)
    .await?;
    Ok(PartAt { location_exists, part })
}

/// Resolves a part id and checks that it exists.
pub async fn existing_part(conn: &mut PgConnection, id_repuesto: Uuid) -> Result<Uuid, Failure> {
    Ok(taller_domain::decide::part_exists(part_fact(conn, id_repuesto).await?, id_repuesto)?)
}
