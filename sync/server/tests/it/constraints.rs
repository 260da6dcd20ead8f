//! A mutation the database refuses for a constraint gets a rejection with a human message
//! and no SQL names (contract: constraint violations in push).

use crate::harness::*;
use serde_json::json;
use uuid::Uuid;

/// Another application's rules on `repuestos`: one named by PostgreSQL's default rule
/// (`{table}_{column}_check`, read as the field it guards) and one with a name of its own (a
/// generic rejection). Neither name reaches the outcome's message.
#[tokio::test]
async fn a_pushed_mutation_refused_by_a_constraint_gets_a_human_rejection() {
    let world = World::new().await;
    sqlx::raw_sql(
        "ALTER TABLE repuestos ADD CONSTRAINT repuestos_marca_check CHECK (marca IS DISTINCT FROM 'Prohibida'); \
         ALTER TABLE repuestos ADD CONSTRAINT regla_de_otra_app CHECK (descripcion IS DISTINCT FROM 'prohibida')",
    )
    .execute(&world.db.pool)
    .await
    .expect("another application's constraints");
    let device = Device::new();
    let part = |referencia: &str, marca: &str, descripcion: &str| {
        json!({"id_repuesto": Uuid::new_v4(), "referencia": referencia, "nombre": "Repuesto", "marca": marca,
               "descripcion": descripcion})
    };
    let by_field = world.admin.push_one(&device, "part.create", part("RC-1", "Prohibida", "ok")).await;
    assert_rejected(&by_field, "value_not_allowed");
    assert_eq!(by_field.message.as_deref(), Some("El valor del campo «marca» no está permitido."));
    let generic = world.admin.push_one(&device, "part.create", part("RC-2", "Buena", "prohibida")).await;
    assert_rejected(&generic, "invalid_arguments");
    for outcome in [&by_field, &generic] {
        let message = outcome.message.as_deref().unwrap_or_default();
        for internal in ["regla_de_otra_app", "repuestos_marca_check", "_check", "?"] {
            assert!(!message.contains(internal), "{message:?} shows {internal:?}");
        }
    }
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM repuestos WHERE referencia IN ('RC-1', 'RC-2')")
        .fetch_one(&world.db.pool)
        .await
        .expect("count");
    assert_eq!(created, 0, "nothing of the refused mutations was written");
    assert_applied(&world.admin.push_one(&device, "part.create", part("RC-3", "Buena", "ok")).await);
}
