//! Push: a device's batch of mutations, applied in the device's order, each exactly once.
//!
//! Each chunk of the batch is one PostgreSQL transaction; each mutation runs under a savepoint,
//! so a rejection undoes only that mutation and is recorded, in the same transaction, as its
//! final outcome (contract invariants 2 and 3). A re-sent mutation id returns the recorded
//! outcome and changes nothing. A transient database failure aborts the chunk being applied
//! and stops the batch there: nothing after it is applied, and the client retries later.
//!
//! Ordinary contention never stops a push (contract invariant 13): a chunk locks the inventory
//! rows and parts its mutations will change up front, in one global order, so two devices
//! moving the same items in opposite orders queue instead of deadlocking; and a chunk the
//! database still aborts for contention (deadlock, serialization failure, a mutation id
//! recorded meanwhile by another device) is tried again inside the server. Whatever else the
//! database refuses inside a mutation's savepoint is that mutation's rejection.

use crate::auth::AuthUser;
use crate::constraints::content_rejection;
use crate::error::{is_transient, ApiFailure, ApiResult};
use crate::json::ApiJson;
use crate::mutations::batch::RunMovement;
use crate::mutations::{self, Ctx, Failure};
use crate::scope::load_scope;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde_json::{json, Value};
use sqlx::{PgConnection, Postgres, Transaction};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use taller_domain::decide::inventory::check_movement;
use taller_domain::tiempo::check_action_time;
use taller_domain::{Actor, Rechazo};
use taller_protocol::messages::{ApiError, ErrorCode, Outcome, OutcomeStatus, PushRequest, PushResponse};
use taller_protocol::mutations::{push_traits, Mutation, MutationEnvelope, RowLock};
use taller_protocol::MAX_PUSH_MUTATIONS;
use uuid::Uuid;

#[utoipa::path(post, path = "/v1/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 413, body = ApiError),
              (status = 422, body = ApiError), (status = 503, body = ApiError)),
    security(("bearer" = [])))]
pub async fn push(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    if request.mutations.len() > MAX_PUSH_MUTATIONS {
        return Err(ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BatchTooLarge,
            format!("At most {MAX_PUSH_MUTATIONS} mutations per push; send the rest in another request."),
        ));
    }
    check_batch_shape(&request.mutations)?;
    let owner: Uuid = sqlx::query_scalar(
        "INSERT INTO sync_devices (id_dispositivo, id_usuario, visto_en) VALUES ($1, $2, now()) \
         ON CONFLICT (id_dispositivo) DO UPDATE SET visto_en = now() RETURNING id_usuario",
    )
    .bind(request.device_id)
    .bind(user.id_usuario)
    .fetch_one(&state.pool)
    .await?;
    if owner != user.id_usuario {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::DeviceMismatch,
            "This device id belongs to another user: each user needs their own replica.",
        ));
    }
    let mut outcomes = Vec::with_capacity(request.mutations.len());
    let mut stopped = None;
    for chunk in request.mutations.chunks(state.config.push_chunk.max(1)) {
        let mut attempt = 1;
        let result = loop {
            match apply_chunk(&state, &user, request.device_id, chunk).await {
                Err(ChunkError::Contention(error)) if attempt < CHUNK_ATTEMPTS => {
                    tracing::debug!(%error, attempt, device = %request.device_id, "chunk tried again after contention");
                    tokio::time::sleep(contention_backoff(attempt)).await;
                    attempt += 1;
                }
                result => break result,
            }
        };
        match result {
            Ok(mut applied) => outcomes.append(&mut applied),
            Err(ChunkError::Transient(error) | ChunkError::Contention(error)) => {
                tracing::warn!(%error, device = %request.device_id, "push stopped by a transient failure");
                stopped = Some(ApiError {
                    code: ErrorCode::Unavailable,
                    message: "The server could not finish the batch; the rest will be sent again later.".into(),
                });
                break;
            }
            Err(ChunkError::Failure(failure)) => {
                if outcomes.is_empty() {
                    return Err(failure);
                }
                // Earlier chunks are committed: report them and say why the batch stopped.
                stopped = Some(ApiError { code: failure.code, message: failure.message });
                break;
            }
        }
    }
    Ok(Json(PushResponse { outcomes, stopped, server_time: Utc::now() }))
}

/// Sequence numbers strictly increasing and ids unique within one batch: anything else is a
/// broken client, refused whole before anything is applied.
fn check_batch_shape(mutations: &[MutationEnvelope]) -> ApiResult<()> {
    let mut ids = HashSet::with_capacity(mutations.len());
    let mut previous: Option<u64> = None;
    for mutation in mutations {
        if !ids.insert(mutation.id) {
            return Err(ApiFailure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidRequest,
                format!("Mutation {} appears twice in the batch.", mutation.id),
            ));
        }
        if mutation.seq == 0 || mutation.seq > i64::MAX as u64 || previous.is_some_and(|p| mutation.seq <= p) {
            return Err(ApiFailure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidRequest,
                "Sequence numbers must be positive and strictly increasing within a batch.",
            ));
        }
        previous = Some(mutation.seq);
    }
    Ok(())
}

/// How many times one chunk is tried when the database aborts it for contention.
const CHUNK_ATTEMPTS: u32 = 6;

/// The pause before trying a chunk again: doubling from 10 ms, jittered so that the
/// transactions that collided do not collide again in step.
fn contention_backoff(attempt: u32) -> Duration {
    let ceiling = 10u64 << attempt.saturating_sub(1).min(6);
    Duration::from_millis(rand::thread_rng().gen_range(ceiling / 2..=ceiling))
}

enum ChunkError {
    /// The chunk lost to another transaction; trying it again is expected to succeed.
    Contention(sqlx::Error),
    Transient(sqlx::Error),
    Failure(ApiFailure),
}

impl From<sqlx::Error> for ChunkError {
    fn from(error: sqlx::Error) -> ChunkError {
        match fault(&error) {
            Fault::Contention => ChunkError::Contention(error),
            Fault::Transient => ChunkError::Transient(error),
            Fault::Server | Fault::Content => ChunkError::Failure(error.into()),
        }
    }
}

/// Whose fault a database error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Another transaction got in the way (deadlock, serialization failure, a mutation id the
    /// other device recorded first): the chunk is tried again.
    Contention,
    /// The database cannot work right now (connection, resources, shutdown, cancellation, lock
    /// timeout, I/O or internal errors): the batch stops, the client retries later.
    Transient,
    /// The server's own statement is wrong (syntax, undefined objects, privileges, transaction
    /// state): no content can cause these, since every statement is static and every value is
    /// bound, so the batch stops rather than reject a mutation the server failed.
    Server,
    /// Anything else depends on the values the mutation carries or the rows it meets (data
    /// exceptions, constraints, program limits such as index row size, trigger errors).
    Content,
}

fn fault(error: &sqlx::Error) -> Fault {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // Two devices pushing one new mutation id at once: the unique index makes the
            // later wait for the earlier, and fail once it commits. Tried again, the chunk
            // finds the id recorded for the other device (`sequence_conflict`).
            if code == "40001" || code == "40P01" || (code == "23505" && db.constraint() == Some("sync_mutations_pkey"))
            {
                return Fault::Contention;
            }
            match code.get(..2).unwrap_or_default() {
                "08" | "40" | "53" | "55" | "57" | "58" | "F0" | "XX" => Fault::Transient,
                "0A" | "25" | "26" | "28" | "2D" | "34" | "3B" | "3D" | "3F" | "42" => Fault::Server,
                _ => Fault::Content,
            }
        }
        // A value the driver cannot encode, or a row that does not decode as the server
        // expects (another application may write the tables).
        sqlx::Error::Encode(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::RowNotFound => Fault::Content,
        other if is_transient(other) => Fault::Transient,
        _ => Fault::Server,
    }
}

type Recorded = (Uuid, i64, String, Option<String>, Option<String>, Option<Value>, String);

fn recorded_outcome((id, seq, estado, codigo, mensaje, resultado, txid): Recorded) -> Outcome {
    Outcome {
        id,
        seq: u64::try_from(seq).unwrap_or_default(),
        status: if estado == "applied" { OutcomeStatus::Applied } else { OutcomeStatus::Rejected },
        code: codigo,
        message: mensaje,
        result: resultado.unwrap_or(Value::Null),
        txid,
    }
}

async fn apply_chunk(
    state: &AppState,
    user: &AuthUser,
    device: Uuid,
    chunk: &[MutationEnvelope],
) -> Result<Vec<Outcome>, ChunkError> {
    let mut tx: Transaction<'_, Postgres> = state.pool.begin().await?;
    let txid: String = sqlx::query_scalar("SELECT pg_current_xact_id()::text").fetch_one(&mut *tx).await?;
    // The device row lock serialises concurrent pushes of one device, so order holds even when
    // a client retries while its first request is still running.
    let mut last_seq: i64 =
        sqlx::query_scalar("SELECT ultimo_seq FROM sync_devices WHERE id_dispositivo = $1 FOR UPDATE")
            .bind(device)
            .fetch_one(&mut *tx)
            .await?;
    let ids: Vec<Uuid> = chunk.iter().map(|m| m.id).collect();
    let recorded: Vec<Recorded> = sqlx::query_as(
        "SELECT id_mutacion, seq, estado, codigo, mensaje, resultado, txid::text FROM sync_mutations \
          WHERE id_mutacion = ANY($1) AND id_dispositivo = $2",
    )
    .bind(&ids)
    .bind(device)
    .fetch_all(&mut *tx)
    .await?;
    // An outcome belongs to the device that sent the mutation: an id recorded for another
    // device is a broken (or prying) client, not a re-send.
    let foreign: Option<Uuid> = sqlx::query_scalar(
        "SELECT id_mutacion FROM sync_mutations WHERE id_mutacion = ANY($1) AND id_dispositivo <> $2 LIMIT 1",
    )
    .bind(&ids)
    .bind(device)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = foreign {
        return Err(ChunkError::Failure(ApiFailure::new(
            StatusCode::CONFLICT,
            ErrorCode::SequenceConflict,
            format!("Mutation id {id} was already used by another device; give every mutation a new id."),
        )));
    }
    let mut recorded: HashMap<Uuid, Outcome> = recorded.into_iter().map(|r| (r.0, recorded_outcome(r))).collect();
    let mut actor = load_actor(&mut tx, user).await?;
    lock_chunk_rows(&mut tx, chunk, &recorded, &actor).await?;
    let now = Utc::now();
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut records = Records::default();
    // Runs of movements are tried set-based from `i`, but not again inside a run that had to
    // go one at a time.
    let mut no_run_before = 0;
    let mut i = 0;
    while i < chunk.len() {
        let envelope = &chunk[i];
        if let Some(outcome) = recorded.remove(&envelope.id) {
            outcomes.push(outcome);
            i += 1;
            continue;
        }
        let seq = i64::try_from(envelope.seq).unwrap_or(i64::MAX);
        if seq <= last_seq {
            return Err(ChunkError::Failure(ApiFailure::new(
                StatusCode::CONFLICT,
                ErrorCode::SequenceConflict,
                format!("Sequence number {seq} of this device was already used by another mutation (last applied: {last_seq})."),
            )));
        }
        if state.config.batch_movements && i >= no_run_before {
            let run = movement_run(&chunk[i..], &recorded, state, &actor, now);
            if run.len() >= MIN_RUN {
                match apply_run(&mut tx, user, &actor, &run).await? {
                    Some(results) if !results.is_empty() => {
                        let applied = results.len();
                        for (envelope, result) in chunk[i..i + applied].iter().zip(results) {
                            let seq = i64::try_from(envelope.seq).unwrap_or(i64::MAX);
                            records.add(envelope, seq, "applied", &None, &None, &result);
                            last_seq = seq;
                            outcomes.push(Outcome {
                                id: envelope.id,
                                seq: envelope.seq,
                                status: OutcomeStatus::Applied,
                                code: None,
                                message: None,
                                result,
                                txid: txid.clone(),
                            });
                        }
                        i += applied;
                        continue;
                    }
                    // The first movement goes alone; a run is tried again after it.
                    Some(_) => no_run_before = i + 1,
                    // The database refused the run: all of it goes one at a time.
                    None => no_run_before = i + run.len(),
                }
            }
        }
        let traits = push_traits(&envelope.name);
        if traits.reads_recorded_outcomes {
            // Warranty handlers read earlier outcomes (who set a claim's state).
            records.flush(&mut tx, device, user.id_usuario).await?;
        }
        let (status, rechazo, result) = apply_one(&mut tx, state, user, &actor, envelope, now).await?;
        // What is recorded (and answered) must be storable whatever the client sent: the
        // rejection facts may quote its text, NULs included.
        let (code, message, result) = match &rechazo {
            Some(rechazo) => (
                Some(rechazo.code.as_str().to_owned()),
                Some(storable_text(&rechazo.message(user.lang))),
                storable_value(&json!({"params": rechazo.params})),
            ),
            None => (None, None, result),
        };
        let estado = if status == OutcomeStatus::Applied { "applied" } else { "rejected" };
        records.add(envelope, seq, estado, &code, &message, &result);
        last_seq = seq;
        if status == OutcomeStatus::Applied && traits.may_change_own_scope {
            // An assignment may have changed this user's own scope for the next mutations.
            actor = load_actor(&mut tx, user).await?;
        }
        outcomes.push(Outcome {
            id: envelope.id,
            seq: envelope.seq,
            status,
            code,
            message,
            result,
            txid: txid.clone(),
        });
        i += 1;
    }
    records.flush(&mut tx, device, user.id_usuario).await?;
    sqlx::query("UPDATE sync_devices SET ultimo_seq = $2, visto_en = now() WHERE id_dispositivo = $1")
        .bind(device)
        .bind(last_seq)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Outcomes to record in `sync_mutations`, written in one statement per chunk (or before a
/// mutation that reads them) rather than one per mutation: still in the chunk's transaction,
/// so an outcome commits with the effects it describes (contract invariant 2).
#[derive(Default)]
struct Records {
    ids: Vec<Uuid>,
    seqs: Vec<i64>,
    names: Vec<String>,
    args: Vec<Value>,
    times: Vec<DateTime<Utc>>,
    states: Vec<&'static str>,
    codes: Vec<Option<String>>,
    messages: Vec<Option<String>>,
    results: Vec<Option<Value>>,
}

impl Records {
    fn add(
        &mut self,
        envelope: &MutationEnvelope,
        seq: i64,
        estado: &'static str,
        code: &Option<String>,
        message: &Option<String>,
        result: &Value,
    ) {
        self.ids.push(envelope.id);
        self.seqs.push(seq);
        self.names.push(storable_text(&envelope.name));
        self.args.push(storable_value(&envelope.args));
        self.times.push(storable_time(envelope.at));
        self.states.push(estado);
        self.codes.push(code.clone());
        self.messages.push(message.clone());
        self.results.push(if result.is_null() { None } else { Some(result.clone()) });
    }

    async fn flush(&mut self, conn: &mut PgConnection, device: Uuid, user: Uuid) -> Result<(), sqlx::Error> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO sync_mutations (id_mutacion, id_dispositivo, seq, id_usuario, nombre, args, realizada_en, estado, \
                 codigo, mensaje, resultado) \
             SELECT m.id, $2, m.seq, $3, m.nombre, m.args, m.at, m.estado, m.codigo, m.mensaje, m.resultado \
               FROM unnest($1::uuid[], $4::bigint[], $5::text[], $6::jsonb[], $7::timestamptz[], $8::text[], \
                           $9::text[], $10::text[], $11::jsonb[]) \
                    AS m(id, seq, nombre, args, at, estado, codigo, mensaje, resultado)",
        )
        .bind(&self.ids)
        .bind(device)
        .bind(user)
        .bind(&self.seqs)
        .bind(&self.names)
        .bind(&self.args)
        .bind(&self.times)
        .bind(&self.states)
        .bind(&self.codes)
        .bind(&self.messages)
        .bind(&self.results)
        .execute(&mut *conn)
        .await?;
        *self = Records::default();
        Ok(())
    }
}

/// The pushing user as the decisions take them: their permissions and the locations in their
/// scope now (read in the chunk's transaction).
async fn load_actor(conn: &mut PgConnection, user: &AuthUser) -> Result<Actor, sqlx::Error> {
    let scope = load_scope(conn, user.id_usuario, user.is_admin).await?;
    Ok(Actor {
        id_usuario: user.id_usuario,
        permisos: user.permisos,
        is_admin: scope.admin,
        localizaciones: scope.locs,
    })
}

/// The shortest run of movements worth applying set-based (a run costs about a dozen
/// statements, one movement alone about eight).
const MIN_RUN: usize = 4;

/// The movements at the start of `envelopes` that can go set-based: new (not re-sent),
/// of a mutation the catalogue runs set-based (`push_traits`), and passing every check one
/// movement gets before touching the database ([`received`], `Mutation::admit`,
/// `check_movement`). The first that does not
/// ends the run; it goes through its handler, which rejects it as usual.
fn movement_run(
    envelopes: &[MutationEnvelope],
    recorded: &HashMap<Uuid, Outcome>,
    state: &AppState,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Vec<RunMovement> {
    let mut run = Vec::new();
    for envelope in envelopes {
        if !push_traits(&envelope.name).runs_set_based || recorded.contains_key(&envelope.id) {
            break;
        }
        let Ok(mutation) = received(envelope, now, state) else { break };
        if mutation.admit(actor).is_err() {
            break;
        }
        let Mutation::MovementRecord(args) = mutation else { break };
        if check_movement(actor, &args).is_err() {
            break;
        }
        run.push(RunMovement { id_mutacion: envelope.id, at: envelope.at, args });
    }
    run
}

/// Applies the set-based prefix of a run under a savepoint (see `mutations::batch`): its
/// results, empty when nothing was applied (and nothing changed), or `None` when the database
/// refused the run (nothing changed either).
async fn apply_run(
    tx: &mut PgConnection,
    user: &AuthUser,
    actor: &Actor,
    run: &[RunMovement],
) -> Result<Option<Vec<Value>>, ChunkError> {
    let Some(first) = run.first() else { return Ok(Some(Vec::new())) };
    sqlx::query("SAVEPOINT run").execute(&mut *tx).await?;
    let ctx = Ctx { user, actor, at: first.at, id_mutacion: first.id_mutacion, lang: user.lang };
    // The ledger context (the server writes its own ledger rows); the rows carry their times.
    mutations::set_trigger_context(tx, &ctx, None).await?;
    let outcome = match mutations::batch::movements(tx, actor, run).await {
        Ok(results) if !results.is_empty() => {
            sqlx::query("RELEASE SAVEPOINT run").execute(&mut *tx).await?;
            return Ok(Some(results));
        }
        Ok(_) => Some(Vec::new()),
        Err(error) if matches!(fault(&error), Fault::Contention | Fault::Transient) => return Err(error.into()),
        Err(error) => {
            // One at a time finds (and rejects) the movement the database refused.
            tracing::debug!(%error, "a run of movements goes one at a time");
            None
        }
    };
    sqlx::query("ROLLBACK TO SAVEPOINT run").execute(&mut *tx).await?;
    sqlx::query("RELEASE SAVEPOINT run").execute(&mut *tx).await?;
    Ok(outcome)
}

/// What the push engine checks of a mutation as received, before the catalogue's admission
/// and its decision: the person's time within bounds (contract invariant 10), a mutation the
/// catalogue knows with arguments of its shape, and no text PostgreSQL cannot store.
fn received(envelope: &MutationEnvelope, now: DateTime<Utc>, state: &AppState) -> Result<Mutation, Rechazo> {
    check_action_time(envelope.at, now, state.config.backdate_window)?;
    let mutation = Mutation::parse(&envelope.name, &envelope.args)?;
    if has_nul(&envelope.args) {
        // PostgreSQL cannot store U+0000 in text or jsonb: no handler could keep such a value.
        return Err(Rechazo::invalid("a text contains the NUL character (U+0000)"));
    }
    Ok(mutation)
}

/// Applies one mutation under a savepoint. `Err` only for failures that are not the client's
/// doing (they abort the chunk).
async fn apply_one(
    tx: &mut PgConnection,
    state: &AppState,
    user: &AuthUser,
    actor: &Actor,
    envelope: &MutationEnvelope,
    now: chrono::DateTime<Utc>,
) -> Result<(OutcomeStatus, Option<Rechazo>, Value), ChunkError> {
    let mutation = match received(envelope, now, state) {
        Ok(mutation) => mutation,
        Err(rechazo) => return Ok((OutcomeStatus::Rejected, Some(rechazo), Value::Null)),
    };
    let ctx = Ctx { user, actor, at: envelope.at, id_mutacion: envelope.id, lang: user.lang };
    sqlx::query("SAVEPOINT mutation").execute(&mut *tx).await?;
    mutations::set_trigger_context(tx, &ctx, None).await?;
    match mutations::apply(tx, &ctx, &mutation).await {
        Ok(applied) => {
            sqlx::query("RELEASE SAVEPOINT mutation").execute(&mut *tx).await?;
            Ok((OutcomeStatus::Applied, None, Value::Object(applied.result)))
        }
        Err(Failure::Rejected(rechazo)) => {
            sqlx::query("ROLLBACK TO SAVEPOINT mutation").execute(&mut *tx).await?;
            Ok((OutcomeStatus::Rejected, Some(rechazo), Value::Null))
        }
        Err(Failure::Db(error)) => match fault(&error) {
            Fault::Contention => Err(ChunkError::Contention(error)),
            Fault::Transient => Err(ChunkError::Transient(error)),
            Fault::Server => {
                tracing::error!(%error, mutation = %envelope.id, name = %envelope.name, "mutation failed on the server");
                Err(ChunkError::Failure(ApiFailure::internal()))
            }
            Fault::Content => {
                // The details stay in the log; the rejection says what kind of value it was.
                tracing::warn!(%error, mutation = %envelope.id, name = %envelope.name, "the database refused a mutation");
                sqlx::query("ROLLBACK TO SAVEPOINT mutation").execute(&mut *tx).await?;
                Ok((OutcomeStatus::Rejected, Some(content_rejection(&error, &envelope.args)), Value::Null))
            }
        },
    }
}

/// Locks, in one global order, the rows the chunk's new mutations will lock one by one in
/// their own order (each mutation's `row_lock` in the catalogue): inventory rows (key order),
/// then parts (key order). Two chunks moving the same items in opposite orders then wait for each other
/// at the start instead of deadlocking halfway. Only rows that exist and lie in the user's
/// scope are locked; the handlers still lock what they change (a no-op when held), and what
/// cannot be known up front (rows created by the chunk itself) is left to the retry.
async fn lock_chunk_rows(
    tx: &mut PgConnection,
    chunk: &[MutationEnvelope],
    recorded: &HashMap<Uuid, Outcome>,
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    let mut locs = Vec::new();
    let mut reps = Vec::new();
    let mut dispatched = Vec::new();
    let mut received = Vec::new();
    let mut approved = Vec::new();
    let mut closed = Vec::new();
    let mut edited = Vec::new();
    for envelope in chunk.iter().filter(|envelope| !recorded.contains_key(&envelope.id)) {
        let Ok(mutation) = Mutation::parse(&envelope.name, &envelope.args) else { continue };
        match mutation.row_lock() {
            Some(RowLock::Item { id_localizacion, id_repuesto }) => {
                locs.push(id_localizacion);
                reps.push(id_repuesto);
            }
            Some(RowLock::RequestOrigin(id_solicitud)) => dispatched.push(id_solicitud),
            Some(RowLock::RequestDestination(id_solicitud)) => received.push(id_solicitud),
            Some(RowLock::Claim(id_garantia)) => approved.push(id_garantia),
            Some(RowLock::Count(id_conteo)) => closed.push(id_conteo),
            Some(RowLock::Part(id_repuesto)) => edited.push(id_repuesto),
            None => {}
        }
    }
    if !(locs.is_empty() && dispatched.is_empty() && received.is_empty() && approved.is_empty() && closed.is_empty()) {
        sqlx::query(
            "WITH wanted (loc, rep) AS ( \
                 SELECT k.loc, COALESCE(a.id_real, k.rep) FROM unnest($1::uuid[], $2::uuid[]) k(loc, rep) \
                   LEFT JOIN sync_id_alias a ON a.tabla = 'repuestos' AND a.id_alias = k.rep \
                 UNION SELECT s.id_localizacion_origen, d.id_repuesto FROM solicitudes s \
                   JOIN detalles_solicitud d ON d.id_solicitud = s.id_solicitud WHERE s.id_solicitud = ANY($3) \
                 UNION SELECT s.id_localizacion_destino, d.id_repuesto FROM solicitudes s \
                   JOIN detalles_solicitud d ON d.id_solicitud = s.id_solicitud WHERE s.id_solicitud = ANY($4) \
                 UNION SELECT g.id_localizacion, g.id_repuesto FROM garantias g WHERE g.id_garantia = ANY($5) \
                 UNION SELECT r.id_localizacion, d.id_repuesto FROM registro_conteo r \
                   JOIN detalles_conteo d ON d.id_conteo = r.id_conteo WHERE r.id_conteo = ANY($6)) \
             SELECT i.id_inventario FROM inventario i JOIN wanted w ON i.id_localizacion = w.loc AND i.id_repuesto = w.rep \
              WHERE $7 OR i.id_localizacion = ANY($8) \
              ORDER BY i.id_inventario FOR UPDATE OF i",
        )
        .bind(&locs)
        .bind(&reps)
        .bind(&dispatched)
        .bind(&received)
        .bind(&approved)
        .bind(&closed)
        .bind(actor.is_admin)
        .bind(&actor.localizaciones)
        .execute(&mut *tx)
        .await?;
    }
    if !edited.is_empty() {
        // The lock `part.edit` takes (a reference is a key other tables could point to).
        sqlx::query(
            "SELECT 1 FROM repuestos WHERE id_repuesto IN ( \
                 SELECT COALESCE(a.id_real, k.id) FROM unnest($1::uuid[]) k(id) \
                   LEFT JOIN sync_id_alias a ON a.tabla = 'repuestos' AND a.id_alias = k.id) \
              ORDER BY id_repuesto FOR UPDATE",
        )
        .bind(&edited)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Whether a JSON value holds U+0000 in any string or key.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(key, item)| key.contains('\0') || has_nul(item)),
        _ => false,
    }
}

/// Text as PostgreSQL can store it: U+0000 becomes U+FFFD.
fn storable_text(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

/// A JSON value as PostgreSQL's `jsonb` can store it (no U+0000 in strings or keys).
fn storable_value(value: &Value) -> Value {
    if !has_nul(value) {
        return value.clone();
    }
    match value {
        Value::String(text) => Value::String(storable_text(text)),
        Value::Array(items) => Value::Array(items.iter().map(storable_value).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(key, item)| (storable_text(key), storable_value(item))).collect())
        }
        other => other.clone(),
    }
}

/// The person's time as `timestamptz` can hold it. Only rejected mutations can carry a time
/// outside PostgreSQL's range (it starts in 4714 BC; chrono's reaches further back), and
/// their rejection facts keep the time as sent.
fn storable_time(at: DateTime<Utc>) -> DateTime<Utc> {
    let earliest =
        NaiveDate::from_ymd_opt(-4713, 12, 1).and_then(|date| date.and_hms_opt(0, 0, 0)).map(|naive| naive.and_utc());
    match earliest {
        Some(earliest) if at < earliest => earliest,
        _ => at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn values_are_made_storable() {
        let value = json!({"a\0b": ["x\0", 1, {"k": "ok"}], "n": null});
        assert!(has_nul(&value));
        let clean = storable_value(&value);
        assert!(!has_nul(&clean));
        assert_eq!(clean, json!({"a\u{fffd}b": ["x\u{fffd}", 1, {"k": "ok"}], "n": null}));
        assert_eq!(storable_value(&json!({"k": "v"})), json!({"k": "v"}));
    }

    #[test]
    fn times_before_postgres_are_clamped() {
        let now = Utc::now();
        assert_eq!(storable_time(now), now);
        let ancient = NaiveDate::from_ymd_opt(-200_000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|n| n.and_utc());
        let ancient = ancient.expect("valid");
        assert!(storable_time(ancient) > ancient);
        assert_eq!(storable_time(ancient).year_ce(), (false, 4714));
    }
}
