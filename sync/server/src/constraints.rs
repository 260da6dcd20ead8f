//! The rejection of a mutation the database refused for what it carries or the rows it met
//! (contract: constraint violations in push). A constraint of the schema becomes the domain
//! rejection it stands for, with the value from the mutation's arguments (or PostgreSQL's
//! report of the key); anything else is a generic rejection. No constraint, table or SQL
//! name reaches the message.

use serde_json::Value;
use sqlx::postgres::PgDatabaseError;
use taller_domain::{Rechazo, RejectionCode};
use taller_protocol::tables::TABLES;

/// The entity a key column points to, as the handlers name it in `not_found`.
fn entity_of_column(column: &str) -> Option<&'static str> {
    Some(match column {
        "id_localizacion" | "id_localizacion_origen" | "id_localizacion_destino" => "localizacion",
        "id_repuesto" => "repuesto",
        "id_usuario"
        | "id_usuario_solicitante"
        | "id_usuario_responsable"
        | "id_usuario_reporta"
        | "id_tecnico_asignado"
        | "id_tecnico_asociado"
        | "id_admin"
        | "aprobado_por"
        | "otro_usuario" => "usuario",
        "id_rol" => "rol",
        "id_inventario" => "inventario",
        "id_solicitud" => "solicitud",
        "id_conteo" => "conteo",
        "id_tipo_scooter" => "tipo_scooter",
        _ => return None,
    })
}

/// The entity a row of `table` is, as the handlers name it.
fn entity_of_table(table: &str) -> &'static str {
    match table {
        "roles" => "rol",
        "localizacion" | "localizacion_politicas" => "localizacion",
        "repuestos" => "repuesto",
        "scooter_types" => "tipo_scooter",
        "order_follow" => "orden",
        "usuarios" => "usuario",
        "usuarios_localizacion" => "asignacion",
        "admin_notifications" => "suscripcion",
        "inventario" => "inventario",
        "logs_inventario" => "registro_inventario",
        "carrito_solicitudes" => "item_carrito",
        "solicitudes" => "solicitud",
        "detalles_solicitud" => "detalle_solicitud",
        "trazabilidad_solicitudes" => "trazabilidad",
        "movimientos_tecnicos" => "movimiento",
        "garantias" => "garantia",
        "registro_conteo" | "conteos_cerrados" => "conteo",
        "detalles_conteo" => "detalle_conteo",
        "notificaciones" => "notificacion",
        "conflictos" => "conflicto",
        _ => "registro",
    }
}

/// Splits a constraint named by PostgreSQL's default rule (`{table}_{column}_{suffix}`) into
/// a replicated table of the schema and the rest; the longest table name wins
/// (`usuarios_localizacion_…` is not `usuarios`).
fn split_constraint<'a>(constraint: &'a str, suffix: &str) -> Option<(&'static str, &'a str)> {
    let body = constraint.strip_suffix(suffix)?;
    TABLES
        .iter()
        .filter_map(|table| {
            let rest = body.strip_prefix(table.name)?.strip_prefix('_')?;
            Some((table.name, rest))
        })
        .max_by_key(|(table, _)| table.len())
}

/// The value PostgreSQL reports for the key, from `Key (col)=(value) …` (in any language the
/// server speaks, the parentheses are the same).
fn reported_value(db: &dyn sqlx::error::DatabaseError) -> Option<String> {
    let detail = db.try_downcast_ref::<PgDatabaseError>()?.detail()?;
    let start = detail.find(")=(")? + 3;
    let end = detail[start..].rfind(')')? + start;
    Some(detail[start..end].to_owned())
}

/// The value a mutation's arguments give `column`, as text.
fn argument(args: &Value, column: &str) -> Option<String> {
    match args.get(column)? {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The rejection of a mutation with arguments `args` that the database refused with `error`.
pub(crate) fn content_rejection(error: &sqlx::Error, args: &Value) -> Rechazo {
    let sqlx::Error::Database(db) = error else {
        return invalid_detail("a value cannot be stored or read back");
    };
    let code = db.code().unwrap_or_default().into_owned();
    let constraint = db.constraint().unwrap_or_default();
    match code.as_str() {
        "23503" => match split_constraint(constraint, "_fkey") {
            Some((_, column)) => match entity_of_column(column) {
                Some(entity) => {
                    let id = argument(args, column).or_else(|| reported_value(db.as_ref()));
                    Rechazo::new(RejectionCode::NotFound).with("entity", entity).with("id", id.unwrap_or_default())
                }
                None => generic(),
            },
            None => generic(),
        },
        "23505" if constraint == "idx_repuestos_referencia" => {
            let referencia = argument(args, "referencia").or_else(|| reported_value(db.as_ref()));
            Rechazo::new(RejectionCode::DuplicateReference).with("referencia", referencia.unwrap_or_default())
        }
        "23505" => {
            let table = db.table().filter(|table| TABLES.iter().any(|t| t.name == *table));
            match table {
                Some(table) => Rechazo::new(RejectionCode::AlreadyExists)
                    .with("entity", entity_of_table(table))
                    .with("id", reported_value(db.as_ref()).unwrap_or_default()),
                None => generic(),
            }
        }
        "23514" => {
            // Checks named by the default rule name their column; the two named checks of the
            // schema name the field a person would correct.
            let field = match constraint {
                "solicitudes_origen_destino_check" => Some("id_localizacion_destino"),
                "logs_inventario_diferencia_check" | "detalles_conteo_diferencia_check" => Some("diferencia"),
                _ => split_constraint(constraint, "_check").map(|(_, column)| column),
            };
            match field {
                Some(field) if !field.is_empty() => Rechazo::new(RejectionCode::ValueNotAllowed).with("field", field),
                _ => generic(),
            }
        }
        "23502" => {
            let column = db.try_downcast_ref::<PgDatabaseError>().and_then(PgDatabaseError::column);
            let known = db.table().is_some_and(|table| TABLES.iter().any(|t| t.name == table));
            match column {
                Some(column) if known => Rechazo::new(RejectionCode::ValueNotAllowed).with("field", column),
                _ => generic(),
            }
        }
        "22001" | "54000" => invalid_detail("a value is too large to be stored"),
        "22003" => invalid_detail("a number is out of range"),
        "22007" | "22008" => invalid_detail("a date or time is out of range"),
        "22021" | "22P05" => invalid_detail("a text holds a character that cannot be stored"),
        "22P02" => invalid_detail("a value does not have the form its field needs"),
        _ if code.starts_with("22") => invalid_detail("a value cannot be stored"),
        _ => generic(),
    }
}

/// A refusal the schema does not explain (another application's constraint or trigger).
fn generic() -> Rechazo {
    invalid_detail("the current data does not allow this action")
}

fn invalid_detail(detail: impl Into<String>) -> Rechazo {
    Rechazo::new(RejectionCode::InvalidArguments).with("detail", detail.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use serde_json::json;
    use taller_domain::i18n::Lang;

    /// What the database answers to `sql`, run in a transaction that is rolled back.
    async fn refusal(db: &TestDb, sql: &str) -> sqlx::Error {
        let mut tx = db.pool.begin().await.expect("begin");
        let error = sqlx::raw_sql(sql).execute(&mut *tx).await.expect_err(sql);
        tx.rollback().await.expect("rollback");
        error
    }

    fn no_internals(rechazo: &Rechazo) {
        for lang in [Lang::Es, Lang::En] {
            let message = rechazo.message(lang);
            for internal in ["_fkey", "_check", "_key", "_pkey", "idx_", "?", "violates"] {
                assert!(!message.contains(internal), "{message:?} shows {internal:?}");
            }
        }
    }

    /// Real violations of the schema's constraints, from a real PostgreSQL, become the domain
    /// rejections they stand for, in both languages, with no SQL names in the message.
    #[tokio::test]
    async fn the_schemas_constraints_become_domain_rejections() {
        let db = TestDb::new().await;
        let loc = "10000000-0000-0000-0000-0000000000aa";
        let part = "20000000-0000-0000-0000-0000000000aa";
        sqlx::raw_sql(&format!(
            "INSERT INTO localizacion (id_localizacion, nombre) VALUES ('{loc}', 'Taller Prueba'); \
             INSERT INTO repuestos (id_repuesto, referencia, nombre) VALUES ('{part}', 'MTR-1', 'Motor')"
        ))
        .execute(&db.pool)
        .await
        .expect("fixture");

        // A foreign key: the missing part, named from the arguments, else from the database.
        let missing = "20000000-0000-0000-0000-0000000000bb";
        let sql = format!("INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ('{loc}', '{missing}')");
        let error = refusal(&db, &sql).await;
        let rechazo = content_rejection(&error, &json!({"id_repuesto": missing}));
        assert_eq!(rechazo.code, RejectionCode::NotFound);
        assert_eq!(rechazo.message(Lang::Es), format!("No existe repuesto {missing}."));
        assert_eq!(rechazo.message(Lang::En), format!("There is no repuesto {missing}."));
        no_internals(&rechazo);
        let rechazo = content_rejection(&error, &json!({}));
        assert_eq!(rechazo.message(Lang::En), format!("There is no repuesto {missing}."), "from the database's report");

        // A foreign key of a composite table (longest table name wins).
        let sql = format!(
            "INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES ('00000000-0000-0000-0000-000000000000', '{missing}')"
        );
        let rechazo = content_rejection(&refusal(&db, &sql).await, &json!({"id_localizacion": missing}));
        assert_eq!(rechazo.message(Lang::En), format!("There is no localizacion {missing}."));

        // The unique reference.
        let sql = "INSERT INTO repuestos (referencia, nombre) VALUES ('MTR-1', 'Otro motor')";
        let rechazo = content_rejection(&refusal(&db, sql).await, &json!({"referencia": "MTR-1"}));
        assert_eq!(rechazo.code, RejectionCode::DuplicateReference);
        assert_eq!(rechazo.message(Lang::Es), "La referencia MTR-1 ya pertenece a otro repuesto.");
        no_internals(&rechazo);

        // Another unique key: the item of that location and part exists.
        sqlx::raw_sql(&format!("INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ('{loc}', '{part}')"))
            .execute(&db.pool)
            .await
            .expect("item");
        let sql = format!("INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ('{loc}', '{part}')");
        let rechazo = content_rejection(&refusal(&db, &sql).await, &json!({}));
        assert_eq!(rechazo.code, RejectionCode::AlreadyExists);
        assert_eq!(rechazo.message(Lang::En), format!("inventario {loc}, {part} already exists."));
        no_internals(&rechazo);

        // Checks: a column's own, and the named ones.
        let sql = format!("UPDATE inventario SET cantidad_minima = -1 WHERE id_repuesto = '{part}'");
        let rechazo = content_rejection(&refusal(&db, &sql).await, &json!({}));
        assert_eq!(rechazo.code, RejectionCode::ValueNotAllowed);
        assert_eq!(rechazo.message(Lang::Es), "El valor del campo «cantidad_minima» no está permitido.");
        assert_eq!(rechazo.message(Lang::En), "The value of the field \"cantidad_minima\" is not allowed.");
        no_internals(&rechazo);
        let sql = format!(
            "INSERT INTO solicitudes (id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado) \
             VALUES ('{loc}', '{loc}', '00000000-0000-0000-0000-000000000000', 'PENDIENTE')"
        );
        let rechazo = content_rejection(&refusal(&db, &sql).await, &json!({}));
        assert_eq!(rechazo.params.get("field"), Some(&json!("id_localizacion_destino")));

        // A required field.
        let sql = "INSERT INTO repuestos (referencia, nombre) VALUES ('X-1', NULL)";
        let rechazo = content_rejection(&refusal(&db, sql).await, &json!({}));
        assert_eq!(rechazo.code, RejectionCode::ValueNotAllowed);
        assert_eq!(rechazo.params.get("field"), Some(&json!("nombre")));

        // A constraint the schema does not have (another application's): generic, no name.
        sqlx::raw_sql(
            "ALTER TABLE repuestos ADD CONSTRAINT regla_de_otra_app CHECK (marca IS DISTINCT FROM 'Prohibida')",
        )
        .execute(&db.pool)
        .await
        .expect("foreign constraint");
        let sql = "INSERT INTO repuestos (referencia, nombre, marca) VALUES ('X-2', 'x', 'Prohibida')";
        let rechazo = content_rejection(&refusal(&db, sql).await, &json!({}));
        assert_eq!(rechazo.code, RejectionCode::InvalidArguments);
        assert!(!rechazo.message(Lang::En).contains("regla_de_otra_app"), "{}", rechazo.message(Lang::En));
        no_internals(&rechazo);
    }
}
