//! The labels' PDF read back (`read_back`): pages for N labels in each format, the text with
//! its accents, and the barcode decoded from the drawn rectangles.

use super::read_back::{decode_code128, read};
use super::*;

fn label(n: usize) -> Label {
    Label {
        referencia: format!("BAT-{n:03}"),
        nombre: format!("Batería de litio nº {n}"),
        posicion: Some(format!("A-{n:02}")),
        localizacion: "Taller Norte".to_owned(),
    }
}

fn labels(n: usize) -> Vec<Label> {
    (0..n).map(label).collect()
}

#[test]
fn the_decoder_reads_the_encoders_modules_and_refuses_a_changed_bar() {
    for reference in ["BAT-48V", "a", "MTR 500W/ñ?".replace('ñ', "n").as_str(), "0123456789~"] {
        let modules: String =
            barcode_modules(reference).expect("modules").iter().map(|m| char::from(b'0' + m)).collect();
        assert_eq!(decode_code128(&modules).as_deref(), Ok(reference));
        // One module flipped inside the data: the symbol or the check digit no longer holds.
        let mut broken = modules.clone().into_bytes();
        broken[20] = if broken[20] == b'1' { b'0' } else { b'1' };
        assert!(decode_code128(&String::from_utf8(broken).expect("ascii")).is_err(), "{reference}");
    }
}

#[test]
fn a_sheet_holds_24_labels_and_a_roll_one_per_page() {
    for (n, sheet_pages) in [(1, 1), (24, 1), (25, 2), (50, 3)] {
        let sheet = read(&to_pdf(&labels(n), LabelFormat::Sheet, Lang::Es, "t").expect("pdf"));
        assert_eq!(sheet.len(), sheet_pages, "{n} labels");
        assert!(sheet
            .iter()
            .all(|page| (page.size_mm.0 - 210.0).abs() < 0.01 && (page.size_mm.1 - 297.0).abs() < 0.01));
        assert_eq!(sheet.iter().map(|page| page.labels.len()).sum::<usize>(), n);
        assert!(sheet.iter().all(|page| page.labels.len() <= 24));
        let roll = read(&to_pdf(&labels(n), LabelFormat::Roll, Lang::Es, "t").expect("pdf"));
        assert_eq!(roll.len(), n);
        assert!(roll.iter().all(|page| page.labels.len() == 1
            && (page.size_mm.0 - 70.0).abs() < 0.01
            && (page.size_mm.1 - 37.0).abs() < 0.01));
    }
}

#[test]
fn each_label_reads_its_reference_name_position_and_barcode() {
    let pages = read(&to_pdf(&labels(30), LabelFormat::Sheet, Lang::Es, "Etiquetas").expect("pdf"));
    let read: Vec<_> = pages.iter().flat_map(|page| page.labels.iter()).collect();
    for (n, label) in read.iter().enumerate() {
        assert_eq!(
            label.lines,
            [format!("BAT-{n:03}"), format!("Batería de litio nº {n}"), format!("Posición A-{n:02} · Taller Norte")]
        );
        assert_eq!(label.barcode().as_deref(), Ok(format!("BAT-{n:03}").as_str()));
        // Real bars: as tall as the band, at least 10 modules of white on each side.
        assert!(label.bars.iter().all(|bar| (bar.3 - 14.5 * MM).abs() < 0.01));
        let (left, right) = label.quiet_zones(LABEL_WIDTH_MM);
        assert!(left >= 10.0 && right >= 10.0, "quiet zones {left} {right}");
        assert!((label.module_mm - MODULE_MM).abs() < 0.001);
    }
}

#[test]
fn english_words_a_missing_position_and_a_long_name_cut_to_the_label() {
    let long = Label {
        referencia: "FRN-01".into(),
        nombre: "Freno de disco hidráulico delantero para patinete de 10 pulgadas con sensor".into(),
        posicion: None,
        localizacion: "Bodega Central".into(),
    };
    let pages = read(&to_pdf(&[long], LabelFormat::Roll, Lang::En, "t").expect("pdf"));
    let lines = &pages[0].labels[0].lines;
    assert_eq!(lines[0], "FRN-01");
    assert!(lines[1].starts_with("Freno de disco hidráulico") && lines[1].ends_with('…'), "{}", lines[1]);
    assert_eq!(lines[2], "Bodega Central (no position)");
}

#[test]
fn nothing_to_print_and_references_a_barcode_cannot_hold_are_refused() {
    assert_eq!(
        to_pdf(&[], LabelFormat::Sheet, Lang::Es, "t").map_err(|e| e.code().to_owned()),
        Err("nothing_to_print".into())
    );
    let mut accented = label(1);
    accented.referencia = "BATERÍA".into();
    let error = to_pdf(&[label(0), accented], LabelFormat::Sheet, Lang::Es, "t").expect_err("refused");
    assert_eq!(error.code(), "labels_failed");
    assert!(error.message(Lang::Es).contains("«BATERÍA»"), "{}", error.message(Lang::Es));
    let mut long = label(2);
    long.referencia = "X".repeat(40);
    let error = to_pdf(&[long], LabelFormat::Roll, Lang::En, "t").expect_err("refused");
    assert_eq!(error.code(), "labels_failed");
    assert!(error.message(Lang::En).contains("too long"));
}

#[test]
fn a_long_reference_narrows_the_module_and_still_decodes() {
    let mut long = label(3);
    long.referencia = "CTL-48V-NINEBOT-G30".into();
    let pages = read(&to_pdf(&[long], LabelFormat::Roll, Lang::Es, "t").expect("pdf"));
    let label = &pages[0].labels[0];
    assert_eq!(label.barcode().as_deref(), Ok("CTL-48V-NINEBOT-G30"));
    assert!(label.module_mm < MODULE_MM && label.module_mm >= MIN_MODULE_MM, "{}", label.module_mm);
    let (left, right) = label.quiet_zones(LABEL_WIDTH_MM);
    assert!(left >= 9.99 && right >= 9.99, "quiet zones {left} {right}");
}
