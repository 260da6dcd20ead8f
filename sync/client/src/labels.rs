//! Labels as a PDF: for each part its reference (as text and as a Code 128 barcode), its name
//! and where it sits (the position on the location's shelf, and the location), so the scanner
//! flow has something to scan. Pure but for nothing: [`to_pdf`] returns the bytes, which the
//! use case (`app::labels`) writes like an export (`crate::export::place`: atomically, into
//! the downloads folder, never over a file). The layout is decision 0021's:
//!
//! - A label is 70 × 37 mm. [`LabelFormat::Sheet`]: A4 sheets of 3 × 8 labels edge to edge
//!   (the common 24-up sheet, e.g. Apli 1274, Avery 3474; a 0.5 mm band top and bottom);
//!   [`LabelFormat::Roll`]: one label per 70 × 37 mm page, for a label printer.
//! - On a label, from the top: the reference (12 pt), the name (8 pt, cut with "…" to the
//!   label's width), "Posición A-03 · Taller Norte" (8 pt), then the barcode from 3 to 17.5 mm
//!   above the label's bottom: Code 128 (character set B) of the reference, black filled rectangles, one per bar,
//!   with a quiet zone of 10 modules either side; a module is 0.33 mm, narrower (down to
//!   0.19 mm) when a long reference would not fit.
//! - The text is DejaVu Sans Condensed, embedded whole (a CID font, Identity-H, with a
//!   ToUnicode map: the PDF's text can be searched and copied, accents and all).

use crate::error::{ClientError, Result};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use taller_domain::Lang;

/// The embedded font (see `fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed.ttf");
const FONT_NAME: &[u8] = b"DejaVuSansCondensed";

/// Points in a millimetre.
const MM: f32 = 72.0 / 25.4;

/// A label's size, in millimetres.
pub const LABEL_WIDTH_MM: f32 = 70.0;
pub const LABEL_HEIGHT_MM: f32 = 37.0;
/// An A4 sheet, and its grid of labels.
pub const A4_WIDTH_MM: f32 = 210.0;
pub const A4_HEIGHT_MM: f32 = 297.0;
pub const SHEET_COLUMNS: usize = 3;
pub const SHEET_ROWS: usize = 8;
/// The band above the first row of a sheet (297 − 8 × 37 = 1 mm, half above, half below).
const SHEET_TOP_MM: f32 = 0.5;

/// The text's margin inside a label, in millimetres.
const MARGIN_MM: f32 = 4.0;
/// The barcode's band: from this high above the label's bottom ...
const BARS_BOTTOM_MM: f32 = 3.0;
/// ... to this high.
const BARS_TOP_MM: f32 = 17.5;
/// Modules of white on each side of the bars.
pub const QUIET_ZONE_MODULES: usize = 10;
/// A module's width: the wanted one, and the narrowest a common scanner still reads.
const MODULE_MM: f32 = 0.33;
const MIN_MODULE_MM: f32 = 0.19;

/// Font sizes, in points.
const REFERENCE_PT: f32 = 12.0;
const TEXT_PT: f32 = 8.0;

/// How labels are laid out on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum LabelFormat {
    /// A4 sheets of 3 × 8 labels of 70 × 37 mm.
    #[default]
    Sheet,
    /// One 70 × 37 mm label per page (a label printer's roll).
    Roll,
}

impl LabelFormat {
    /// `sheet`/`a4` or `roll` (any case); anything else is `None`.
    pub fn parse(text: &str) -> Option<LabelFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sheet" | "a4" | "hoja" => Some(LabelFormat::Sheet),
            "roll" | "rollo" => Some(LabelFormat::Roll),
            _ => None,
        }
    }

    /// Labels on one page.
    pub fn per_page(self) -> usize {
        match self {
            LabelFormat::Sheet => SHEET_COLUMNS * SHEET_ROWS,
            LabelFormat::Roll => 1,
        }
    }

    /// Pages for `labels` labels.
    pub fn pages(self, labels: usize) -> usize {
        labels.div_ceil(self.per_page())
    }

    /// A page's size, in millimetres.
    fn page_mm(self) -> (f32, f32) {
        match self {
            LabelFormat::Sheet => (A4_WIDTH_MM, A4_HEIGHT_MM),
            LabelFormat::Roll => (LABEL_WIDTH_MM, LABEL_HEIGHT_MM),
        }
    }

    /// The bottom-left corner of the `index`-th label of a page, in millimetres from the
    /// page's bottom-left corner (labels fill a sheet row by row, from the top left).
    pub fn origin_mm(self, index: usize) -> (f32, f32) {
        match self {
            LabelFormat::Roll => (0.0, 0.0),
            LabelFormat::Sheet => {
                let (column, row) = (index % SHEET_COLUMNS, index / SHEET_COLUMNS);
                let x = column as f32 * LABEL_WIDTH_MM;
                let y = A4_HEIGHT_MM - SHEET_TOP_MM - (row as f32 + 1.0) * LABEL_HEIGHT_MM;
                (x, y)
            }
        }
    }
}

/// One label: a part, where it sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Label {
    pub referencia: String,
    pub nombre: String,
    /// Its position on the location's shelf, when it has one.
    pub posicion: Option<String>,
    /// The location's name.
    pub localizacion: String,
}

/// The barcode's data for a reference: Code 128 character set B (printable ASCII). A
/// reference with another character (an accent, a tab) cannot be encoded: `labels_failed`
/// ([`ClientError::NotBarcodable`]).
pub fn barcode_data(reference: &str) -> Result<String> {
    if reference.is_empty() || !reference.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(ClientError::NotBarcodable { referencia: reference.to_owned(), too_long: false });
    }
    Ok(format!("\u{0181}{reference}"))
}

/// The barcode's modules for a reference (1 a bar's module, 0 a space's), start to stop.
pub fn barcode_modules(reference: &str) -> Result<Vec<u8>> {
    let code = barcoders::sym::code128::Code128::new(barcode_data(reference)?)
        .map_err(|error| ClientError::LabelsFailed { path: String::new(), reason: format!("{error:?}") })?;
    Ok(code.encode())
}

/// The embedded font, parsed, with what a PDF needs of it.
struct Font<'a> {
    face: ttf_parser::Face<'a>,
    units: f32,
    /// Every glyph used, with the character it shows (for the ToUnicode map).
    used: BTreeMap<u16, char>,
}

impl<'a> Font<'a> {
    fn load() -> Result<Font<'static>> {
        let face = ttf_parser::Face::parse(FONT, 0).map_err(|error| ClientError::LabelsFailed {
            path: String::new(),
            reason: format!("the embedded font cannot be read: {error}"),
        })?;
        let units = f32::from(face.units_per_em());
        Ok(Font { face, units, used: BTreeMap::new() })
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |glyph| glyph.0)
    }

    /// A glyph's advance, in thousandths of the font size (the PDF's widths).
    fn advance(&self, glyph: u16) -> f32 {
        f32::from(self.face.glyph_hor_advance(ttf_parser::GlyphId(glyph)).unwrap_or(0)) * 1000.0 / self.units
    }

    /// A text's width at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }

    /// `text` cut (with "…") to at most `max` points at `size`.
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut cut: String = text.to_owned();
        while !cut.is_empty() && self.width(&format!("{}…", cut.trim_end()), size) > max {
            cut.pop();
        }
        format!("{}…", cut.trim_end())
    }

    /// The text as the PDF shows it: two bytes per glyph (Identity-H), each glyph noted.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let glyph = self.glyph(c);
            self.used.entry(glyph).or_insert(c);
            bytes.extend_from_slice(&glyph.to_be_bytes());
        }
        bytes
    }
}

/// What a label says under its reference: "Posición A-03 · Taller Norte".
fn where_text(label: &Label, lang: Lang) -> String {
    let word = if lang == Lang::En { "Position" } else { "Posición" };
    match label.posicion.as_deref().map(str::trim).filter(|position| !position.is_empty()) {
        Some(position) => format!("{word} {position} · {}", label.localizacion),
        None => {
            let none = if lang == Lang::En { "no position" } else { "sin posición" };
            format!("{} ({none})", label.localizacion)
        }
    }
}

/// Draws one label whose bottom-left corner is at (`x`, `y`) points.
fn draw_label(content: &mut Content, font: &mut Font<'_>, label: &Label, lang: Lang, x: f32, y: f32) -> Result<()> {
    let width = LABEL_WIDTH_MM * MM;
    let text_width = width - 2.0 * MARGIN_MM * MM;
    let left = x + MARGIN_MM * MM;
    let lines = [
        (REFERENCE_PT, font.fit(&label.referencia, REFERENCE_PT, text_width), 30.0),
        (TEXT_PT, font.fit(&label.nombre, TEXT_PT, text_width), 25.5),
        (TEXT_PT, font.fit(&where_text(label, lang), TEXT_PT, text_width), 21.0),
    ];
    content.set_fill_gray(0.0);
    for (size, text, baseline_mm) in lines {
        let shown = font.encode(&text);
        content.begin_text();
        content.set_font(Name(b"F1"), size);
        content.next_line(left, y + baseline_mm * MM);
        content.show(Str(&shown));
        content.end_text();
    }
    let modules = barcode_modules(&label.referencia)?;
    let span = modules.len() + 2 * QUIET_ZONE_MODULES;
    let module_mm = (LABEL_WIDTH_MM / span as f32).min(MODULE_MM);
    if module_mm < MIN_MODULE_MM {
        return Err(ClientError::NotBarcodable { referencia: label.referencia.clone(), too_long: true });
    }
    let module = module_mm * MM;
    // Centred on the label, its quiet zones inside it.
    let start = x + (width - modules.len() as f32 * module) / 2.0;
    let (bottom, height) = (y + BARS_BOTTOM_MM * MM, (BARS_TOP_MM - BARS_BOTTOM_MM) * MM);
    let mut index = 0;
    while index < modules.len() {
        if modules[index] == 1 {
            let run = modules[index..].iter().take_while(|module| **module == 1).count();
            content.rect(start + index as f32 * module, bottom, run as f32 * module, height);
            index += run;
        } else {
            index += 1;
        }
    }
    content.fill_nonzero();
    Ok(())
}

fn failed(reason: impl std::fmt::Display) -> ClientError {
    ClientError::LabelsFailed { path: String::new(), reason: reason.to_string() }
}

/// The PDF of `labels` in `format`, the fixed words ("Posición") in `lang`. No label is
/// `nothing_to_print`; a reference a barcode cannot hold is `labels_failed`.
pub fn to_pdf(labels: &[Label], format: LabelFormat, lang: Lang, title: &str) -> Result<Vec<u8>> {
    if labels.is_empty() {
        return Err(ClientError::NothingToPrint);
    }
    let mut font = Font::load()?;
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut new_ref = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let (catalog, pages, info) = (new_ref(), new_ref(), new_ref());
    let (type0, cid, descriptor, font_file, cmap) = (new_ref(), new_ref(), new_ref(), new_ref(), new_ref());
    let (page_w, page_h) = format.page_mm();

    let mut page_ids = Vec::new();
    for chunk in labels.chunks(format.per_page()) {
        let (page, contents) = (new_ref(), new_ref());
        let mut content = Content::new();
        for (index, label) in chunk.iter().enumerate() {
            let (x, y) = format.origin_mm(index);
            draw_label(&mut content, &mut font, label, lang, x * MM, y * MM)?;
        }
        let mut page_writer = pdf.page(page);
        page_writer.media_box(Rect::new(0.0, 0.0, page_w * MM, page_h * MM)).parent(pages).contents(contents);
        page_writer.resources().fonts().pair(Name(b"F1"), type0);
        page_writer.finish();
        pdf.stream(contents, &deflate(content.finish().as_slice())?).filter(Filter::FlateDecode);
        page_ids.push(page);
    }
    pdf.catalog(catalog).pages(pages);
    let count = i32::try_from(page_ids.len()).map_err(failed)?;
    pdf.pages(pages).kids(page_ids).count(count);
    pdf.document_info(info).title(pdf_writer::TextStr(title)).producer(pdf_writer::TextStr("Taller"));

    // The font: a Type 0 font over a CID TrueType font, glyph ids as character codes.
    let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(Name(FONT_NAME))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(Name(FONT_NAME))
        .system_info(system_info)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = cid_font.widths();
    for glyph in font.used.keys() {
        widths.consecutive(*glyph, [font.advance(*glyph)]);
    }
    widths.finish();
    cid_font.finish();
    let scale = |value: i16| f32::from(value) * 1000.0 / font.units;
    let bbox = font.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(FONT_NAME))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(scale(font.face.ascender()))
        .descent(scale(font.face.descender()))
        .cap_height(scale(font.face.capital_height().unwrap_or(font.face.ascender())))
        .stem_v(80.0)
        .font_file2(font_file);
    let mut unicode = UnicodeCmap::new(Name(b"Taller-UTF16"), system_info);
    for (glyph, c) in &font.used {
        unicode.pair(*glyph, *c);
    }
    pdf.cmap(cmap, unicode.finish().as_slice());
    let font_bytes = deflate(FONT)?;
    pdf.stream(font_file, &font_bytes)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), i32::try_from(FONT.len()).map_err(failed)?);
    Ok(pdf.finish())
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).map_err(failed)?;
    encoder.finish().map_err(failed)
}

#[cfg(test)]
pub(crate) mod read_back;
#[cfg(test)]
mod tests;
