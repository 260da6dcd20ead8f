//! `taller labels` and `taller warranties edit` as a script uses them: the shelf of a
//! location as a PDF read back (one label per part `stock list` lists, in position order,
//! each barcode decoding to its reference), one part's label on a roll, refusals with their
//! codes and no file; a draft claim edited, then refused once submitted.

#[path = "../../../client/src/labels/read_back.rs"]
mod read_back;

use crate::harness::{ok, taller, Net};
use serde_json::Value;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_print_the_shelf_and_a_draft_claim_is_edited_until_submitted() {
    let net = Net::new().await;
    let home = tempfile::tempdir().expect("dir");
    let dir = home.path().join("workstation");
    ok(&dir, &["connect", "--server", &net.server.base], None);
    ok(
        &dir,
        &["login", "--email", "tecnico.norte@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    );
    ok(&dir, &["sync"], None);

    // What the shelf holds, as `stock list` lists it, in the labels' order.
    let listed = ok(&dir, &["stock", "list", "--location", "Taller Norte"], None);
    let mut want: Vec<(Option<String>, String, String)> = listed
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row["posicion"].as_str().map(str::to_owned),
                row["referencia"].as_str().unwrap_or_default().to_owned(),
                row["nombre"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    want.sort_by(|a, b| (a.0.is_none(), &a.0, &a.1).cmp(&(b.0.is_none(), &b.0, &b.1)));
    assert!(want.len() > 1, "the demo stocks Taller Norte");

    let out = home.path().join("estanteria.pdf");
    let done = ok(&dir, &["labels", "--location", "taller norte", "--out", &out.to_string_lossy()], None);
    assert_eq!(done["labels"].as_u64(), Some(want.len() as u64), "{done}");
    assert_eq!(done["pages"].as_u64(), Some(want.len().div_ceil(24) as u64), "{done}");
    let pages = read_back::read(&std::fs::read(&out).expect("the PDF"));
    assert_eq!(pages.len(), want.len().div_ceil(24));
    let labels: Vec<_> = pages.iter().flat_map(|page| page.labels.iter()).collect();
    assert_eq!(labels.len(), want.len());
    for (label, (posicion, referencia, nombre)) in labels.iter().zip(&want) {
        assert_eq!(label.barcode().as_deref(), Ok(referencia.as_str()));
        assert_eq!((&label.lines[0], &label.lines[1]), (referencia, nombre));
        match posicion {
            Some(posicion) => assert_eq!(label.lines[2], format!("Posición {posicion} · Taller Norte")),
            None => assert_eq!(label.lines[2], "Taller Norte (sin posición)"),
        }
    }

    // One part on a roll, into the downloads folder (HOME's ~/Descargas).
    let (_, first, _) = &want[0];
    let (code, done) = {
        let output = Command::new(env!("CARGO_BIN_EXE_taller"))
            .env("HOME", home.path())
            .env_remove("XDG_CONFIG_HOME")
            .args(["--data-dir", &dir.to_string_lossy(), "--json", "labels", "--location", "Taller Norte"])
            .args(["--part", first, "--format", "roll"])
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&output.stdout).to_string();
        (output.status.code(), serde_json::from_str::<Value>(text.trim()).unwrap_or(Value::Null))
    };
    assert_eq!(code, Some(0), "{done}");
    assert_eq!((done["labels"].as_u64(), done["format"].as_str()), (Some(1), Some("roll")), "{done}");
    let path = done["path"].as_str().expect("path");
    assert!(path.starts_with(&home.path().join("Descargas").to_string_lossy().to_string()), "{path}");
    let page = &read_back::read(&std::fs::read(path).expect("the PDF"))[0];
    assert_eq!((page.labels.len(), page.labels[0].barcode().as_deref()), (1, Ok(first.as_str())));

    // Refusals: nothing to print, a usage mistake; no file either way.
    let none = home.path().join("none.pdf");
    let (code, out) = taller(
        &dir,
        &["labels", "--location", "Taller Norte", "--prefix", "ZZZ-", "--out", &none.to_string_lossy()],
        None,
    );
    assert_eq!((code, out["code"].as_str()), (1, Some("nothing_to_print")), "{out}");
    let (code, out) = taller(&dir, &["labels", "--location", "Taller Norte", "--format", "a3"], None);
    assert_eq!((code, out["code"].as_str()), (2, Some("usage")), "{out}");
    assert!(!none.exists());

    // A draft claim edited, then refused once submitted.
    let created = ok(
        &dir,
        &[
            "warranty",
            "create",
            "--location",
            "Taller Norte",
            "--ref",
            first,
            "--qty",
            "1",
            "--reason",
            "no carga",
            "--order",
            "OT-1",
        ],
        None,
    );
    let id = created["result"]["id_garantia"].as_str().expect("id").to_owned();
    ok(
        &dir,
        &[
            "warranties",
            "edit",
            &id,
            "--qty",
            "2",
            "--reason",
            "no carga más",
            "--order",
            "",
            "--customer",
            "Ana Núñez",
        ],
        None,
    );
    let shown = ok(&dir, &["warranty", "show", &id], None);
    assert_eq!(
        (shown["cantidad"].as_i64(), shown["motivo_falla"].as_str(), shown["numero_orden"].as_str()),
        (Some(2), Some("no carga más"), None),
        "{shown}"
    );
    assert_eq!(shown["solicitante"].as_str(), Some("Ana Núñez"));
    let (code, out) = taller(&dir, &["warranties", "edit", &id], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "no field: {out}");
    ok(&dir, &["warranty", "submit", &id], None);
    let (code, out) = taller(&dir, &["warranties", "edit", &id, "--qty", "5"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("not_editable")), "{out}");
    ok(&dir, &["sync"], None);
    let shown = ok(&dir, &["warranty", "show", &id], None);
    assert_eq!((shown["cantidad"].as_i64(), shown["estado"].as_str()), (Some(2), Some("PENDIENTE")), "{shown}");
}
