//! `taller import parts` as a script uses it: a Spanish spreadsheet's CSV with errors is
//! refused with every error on its row (exit 1, nothing queued), the corrected file is
//! previewed clean (exit 0, nothing queued) and applied (exit 0, one `part.create` each); the
//! parts reach the server and a second workstation.

use crate::harness::{json_of, ok, replica_of, taller_output, Net};
use std::path::Path;

fn signed_in(dir: &Path, net: &Net, email: &str) {
    ok(dir, &["connect", "--server", &net.server.base], None);
    ok(dir, &["login", "--email", email, "--password-stdin"], Some(taller_server::demo::DEMO_PASSWORD));
    ok(dir, &["sync"], None);
}

fn outbox_len(dir: &Path) -> i64 {
    replica_of(dir).query_row("SELECT count(*) FROM outbox", [], |row| row.get(0)).expect("outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_a_file_with_errors_whole_and_applies_the_corrected_one() {
    let net = Net::new().await;
    let home = tempfile::tempdir().expect("dir");
    let (office, bodega) = (home.path().join("office"), home.path().join("bodega"));
    signed_in(&office, &net, "admin@taller.test");
    let existing = net.parts[0].1.clone();

    let bad = home.path().join("repuestos.csv");
    std::fs::write(
        &bad,
        format!(
            "\u{feff}Referencia;Nombre;Marca;Fecha estimada;Precio\r\n\
             IMP-001;Tornillo M5;Acme;31/12/2026;0,15\r\n\
             IMP-002;;Acme;;\r\n\
             imp-001;Tornillo repetido;;;\r\n\
             {};Ya existe;;;\r\n\
             IMP-003;Cable;;mañana;\r\n",
            existing.to_lowercase()
        ),
    )
    .expect("write");
    let before = outbox_len(&office);
    let (code, out) = taller_output(&office, true, &["import", "parts", &bad.to_string_lossy(), "--apply"], None);
    assert_eq!(code, 1, "{out}");
    let refused = json_of(&out);
    assert_eq!(refused["code"], "import_has_errors", "{refused}");
    let errors: Vec<(u64, &str)> = refused["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["code"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        errors,
        [(3, "missing_name"), (4, "duplicate_reference"), (5, "reference_exists"), (6, "bad_date")],
        "{refused}"
    );
    assert_eq!(outbox_len(&office), before, "nothing queued, not even the good row");

    // As text: a table of the errors, then the refusal (exit 1).
    let (code, table) = taller_output(&office, false, &["import", "parts", &bad.to_string_lossy()], None);
    assert_eq!(code, 1);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("fila") && lines[0].contains("código"), "{table}");
    assert!(
        lines.iter().any(|l| l.starts_with('4') && l.contains("La referencia IMP-001 ya está en la fila 2")),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "the header and one line per error: {table}");

    let good = home.path().join("corregido.csv");
    std::fs::write(
        &good,
        "Reference,Name,Brand,Estimated date\nIMP-001,Tornillo M5,Acme,2026-12-31\nIMP-002,Tuerca M5,Acme,\nIMP-003,Cable de freno,,46387\n",
    )
    .expect("write");
    let previewed = ok(&office, &["import", "parts", &good.to_string_lossy()], None);
    assert_eq!((previewed["ready"].as_bool(), previewed["rows"].as_array().map(Vec::len)), (Some(true), Some(3)));
    assert_eq!(outbox_len(&office), before, "a preview writes nothing");
    let done = ok(&office, &["import", "parts", &good.to_string_lossy(), "--apply"], None);
    assert_eq!(done["created"], 3, "{done}");
    assert_eq!(outbox_len(&office), before + 3, "one part.create each");
    let synced = ok(&office, &["sync"], None);
    assert_eq!(
        (synced["report"]["applied"].as_u64(), synced["report"]["rejected"].as_u64()),
        (Some(3), Some(0)),
        "{synced}"
    );

    let fecha: Option<chrono::NaiveDate> =
        sqlx::query_scalar("SELECT fecha_estimada FROM repuestos WHERE referencia = 'IMP-003'")
            .fetch_one(&net.db.pool)
            .await
            .expect("on the server");
    assert_eq!(fecha, chrono::NaiveDate::from_ymd_opt(2026, 12, 31));

    signed_in(&bodega, &net, "bodega@taller.test");
    let shown = ok(&bodega, &["parts", "show", "imp-002"], None);
    assert_eq!((shown["nombre"].as_str(), shown["marca"].as_str()), (Some("Tuerca M5"), Some("Acme")), "{shown}");
}
