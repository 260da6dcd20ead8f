//! Labels on the seeded workstation of `tests.rs` (Taller Norte: BAT-48V at A-1, CTL-48V at
//! C-3, MTR-500W without a position), read back from the PDF: which parts, in which order,
//! with which position; the file goes into a folder under a readable name, never over another.

use super::tests::workstation;
use super::*;
use crate::error::ClientError;
use crate::labels::read_back::read;
use chrono::NaiveDate;

fn shelf(location: &str) -> LabelsInput {
    LabelsInput { location: location.into(), ..LabelsInput::default() }
}

/// The labels of a file: (barcode, lines).
fn read_labels(path: &str) -> Vec<(String, Vec<String>)> {
    let bytes = std::fs::read(path).expect("the file");
    read(&bytes)
        .into_iter()
        .flat_map(|page| page.labels)
        .map(|label| (label.barcode().expect("a barcode that decodes"), label.lines))
        .collect()
}

#[test]
fn a_shelf_is_labelled_by_position_then_reference_and_a_part_with_its_position() {
    let (dir, client) = workstation();
    let out = dir.path().join("Descargas");
    let done = client.labels_to_folder(&shelf("taller norte"), &out).expect("labels");
    assert_eq!((done.labels, done.pages, done.format), (3, 1, LabelFormat::Sheet));
    assert!(
        done.file_name.starts_with("etiquetas-taller-norte-") && done.file_name.ends_with(".pdf"),
        "{}",
        done.file_name
    );
    let labels = read_labels(&done.path);
    assert_eq!(
        labels,
        [
            ("BAT-48V".into(), vec!["BAT-48V".into(), "Batería 48V".into(), "Posición A-1 · Taller Norte".into()]),
            ("CTL-48V".into(), vec!["CTL-48V".into(), "Controlador 48V".into(), "Posición C-3 · Taller Norte".into()]),
            ("MTR-500W".into(), vec!["MTR-500W".into(), "Motor 500W".into(), "Taller Norte (sin posición)".into()]),
        ]
    );

    // Again: a second file beside the first, never over it.
    let again = client.labels_to_folder(&shelf("taller norte"), &out).expect("again");
    assert_ne!(again.path, done.path);
    assert!(std::path::Path::new(&done.path).exists());

    // One part, at a location: its position there; in Bodega Central BAT-48V is at B-2.
    let one = LabelsInput { part: Some("bat-48v".into()), format: LabelFormat::Roll, ..shelf("Bodega Central") };
    let done = client.labels_to(&one, &dir.path().join("bat.pdf")).expect("one label");
    assert_eq!((done.labels, done.pages), (1, 1));
    assert_eq!(read_labels(&done.path)[0].1[2], "Posición B-2 · Bodega Central");
    // A part the location does not stock: its label, without a position.
    let frn = LabelsInput { part: Some("FRN-01".into()), ..shelf("Taller Norte") };
    assert_eq!(client.labels(&frn).expect("labels")[0].posicion, None);
}

#[test]
fn a_position_prefix_keeps_its_positions_and_nothing_matching_is_nothing_to_print() {
    let (dir, client) = workstation();
    let only_c = LabelsInput { position_prefix: Some("c".into()), ..shelf("Taller Norte") };
    let labels = client.labels(&only_c).expect("labels");
    assert_eq!(labels.iter().map(|label| label.referencia.as_str()).collect::<Vec<_>>(), ["CTL-48V"]);

    let none = LabelsInput { position_prefix: Some("Z".into()), ..shelf("Taller Norte") };
    let refused = client.labels_to_folder(&none, dir.path());
    assert!(matches!(refused, Err(ClientError::NothingToPrint)), "{refused:?}");
    assert_eq!(
        std::fs::read_dir(dir.path())
            .expect("dir")
            .filter(|e| { e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|ext| ext == "pdf")) })
            .count(),
        0,
        "no file for nothing"
    );
    let unknown = client.labels(&shelf("Sede Fantasma"));
    assert!(matches!(unknown, Err(ClientError::Invalid(_))), "{unknown:?}");
    let unknown_part = client.labels(&LabelsInput { part: Some("NO-EXISTE".into()), ..shelf("Taller Norte") });
    assert!(matches!(unknown_part, Err(ClientError::Invalid(_))), "{unknown_part:?}");
}

#[test]
fn a_folder_that_cannot_be_written_is_labels_failed_and_names_it() {
    let (dir, client) = workstation();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("file");
    let refused = client.labels_to_folder(&shelf("Taller Norte"), &file.join("sub")).expect_err("refused");
    assert_eq!(refused.code(), "labels_failed");
    assert!(
        refused.message(Lang::Es).starts_with("No se pudieron guardar las etiquetas en "),
        "{}",
        refused.message(Lang::Es)
    );
}

#[test]
fn file_names_name_the_shelf_the_prefix_or_the_part() {
    let at = NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|d| d.and_hms_opt(15, 30, 0)).expect("time");
    let label = Label {
        referencia: "BAT-48V".into(),
        nombre: "Batería".into(),
        posicion: None,
        localizacion: "Taller Norte".into(),
    };
    let shelf_input = LabelsInput { position_prefix: Some("A-".into()), ..shelf("x") };
    assert_eq!(
        labels_file_name(Lang::Es, std::slice::from_ref(&label), &shelf_input, at),
        "etiquetas-taller-norte-a-2026-12-03-1530.pdf"
    );
    let part = LabelsInput { part: Some("bat-48v".into()), ..shelf("x") };
    assert_eq!(labels_file_name(Lang::En, &[label], &part, at), "label-bat-48v-2026-12-03-1530.pdf");
}
