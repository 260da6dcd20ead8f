//! Test support: a labels PDF read back as a scanner and a reader would see it, with `lopdf`
//! (a test-only dependency of every crate that includes this file). Each label is its lines
//! of text, decoded through the font's ToUnicode map, and its barcode: the filled
//! rectangles' widths turned back into modules and decoded as Code 128 with the symbology's
//! own table (start code, values, check digit, stop), so a wrong, shifted or missing bar
//! fails. The writer's order is relied on only for grouping: a label's texts, then its bars.
//! (Included by path from the CLI's and the desktop's tests.)

#![allow(dead_code, clippy::unwrap_used)]

use lopdf::content::Content;
use lopdf::{Document, Object, ObjectId};
use std::collections::BTreeMap;

/// Points in a millimetre.
const MM: f32 = 72.0 / 25.4;

/// The Code 128 patterns (bar, space, bar, ... widths in modules) of values 0 to 106 (106:
/// the stop, with its final bar).
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

/// One label as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadLabel {
    /// Its lines of text, top first.
    pub lines: Vec<String>,
    /// Its barcode's modules, first bar to last ('1' bar, '0' space).
    pub modules: String,
    /// Its bars: (x, y, width, height) in points.
    pub bars: Vec<(f32, f32, f32, f32)>,
    /// The module's width, in millimetres.
    pub module_mm: f32,
}

impl ReadLabel {
    /// The barcode decoded (Code 128, set B), or why it does not decode.
    pub fn barcode(&self) -> Result<String, String> {
        decode_code128(&self.modules)
    }

    /// The white before the first bar and after the last, in modules, within a label of
    /// `label_width_mm` that starts at a multiple of it on the page.
    pub fn quiet_zones(&self, label_width_mm: f32) -> (f32, f32) {
        let first = self.bars.iter().map(|bar| bar.0).fold(f32::MAX, f32::min);
        let last = self.bars.iter().map(|bar| bar.0 + bar.2).fold(f32::MIN, f32::max);
        let width = label_width_mm * MM;
        let left = (first / width).floor() * width;
        let module = self.module_mm * MM;
        ((first - left) / module, (left + width - last) / module)
    }
}

/// One page: its size in millimetres and its labels in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadPage {
    pub size_mm: (f32, f32),
    pub labels: Vec<ReadLabel>,
}

/// Every page of a labels PDF; panics on a file that is not one.
pub fn read(bytes: &[u8]) -> Vec<ReadPage> {
    let doc = Document::load_mem(bytes).expect("a PDF");
    doc.get_pages().values().map(|page| read_page(&doc, *page)).collect()
}

fn number(object: &Object) -> f32 {
    object.as_float().expect("a number")
}

fn read_page(doc: &Document, page: ObjectId) -> ReadPage {
    let dict = doc.get_dictionary(page).expect("page");
    let media: Vec<f32> =
        dict.get(b"MediaBox").and_then(Object::as_array).expect("media box").iter().map(number).collect();
    let size_mm = ((media[2] - media[0]) / MM, (media[3] - media[1]) / MM);
    let fonts = doc.get_page_fonts(page).expect("fonts");
    let mut maps: BTreeMap<Vec<u8>, BTreeMap<u16, String>> = BTreeMap::new();
    for (name, font) in fonts {
        let cmap = font.get(b"ToUnicode").and_then(Object::as_reference).expect("a ToUnicode map");
        let stream = doc.get_object(cmap).and_then(Object::as_stream).expect("cmap stream");
        maps.insert(name, to_unicode(&String::from_utf8_lossy(&stream.get_plain_content().expect("cmap"))));
    }
    let content = Content::decode(&doc.get_page_content(page).expect("content")).expect("operations");
    let (mut labels, mut lines, mut rects) = (Vec::new(), Vec::new(), Vec::new());
    let mut font: Vec<u8> = Vec::new();
    for operation in content.operations {
        match operation.operator.as_str() {
            "Tf" => font = operation.operands[0].as_name().expect("font name").to_vec(),
            "Tj" => {
                let bytes = operation.operands[0].as_str().expect("string");
                let map = &maps[&font];
                let text: String = bytes
                    .chunks(2)
                    .map(|pair| {
                        map.get(&u16::from_be_bytes([pair[0], pair[1]])).cloned().unwrap_or_else(|| "\u{FFFD}".into())
                    })
                    .collect();
                lines.push(text);
            }
            "re" => {
                let values: Vec<f32> = operation.operands.iter().map(number).collect();
                rects.push((values[0], values[1], values[2], values[3]));
            }
            "f" => {
                let (modules, module_mm) = modules_of(&rects);
                labels.push(ReadLabel {
                    lines: std::mem::take(&mut lines),
                    modules,
                    bars: std::mem::take(&mut rects),
                    module_mm,
                });
            }
            _ => {}
        }
    }
    assert!(lines.is_empty() && rects.is_empty(), "text or bars outside a label");
    ReadPage { size_mm, labels }
}

/// A ToUnicode map's `bfchar` pairs: glyph → text.
fn to_unicode(cmap: &str) -> BTreeMap<u16, String> {
    let mut map = BTreeMap::new();
    let mut inside = false;
    for line in cmap.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") {
            inside = true;
        } else if line == "endbfchar" {
            inside = false;
        } else if inside {
            let hex: Vec<&str> = line.split(['<', '>', ' ']).filter(|part| !part.is_empty()).collect();
            let glyph = u16::from_str_radix(hex[0], 16).expect("glyph");
            let units: Vec<u16> = (0..hex[1].len() / 4)
                .map(|i| u16::from_str_radix(&hex[1][i * 4..i * 4 + 4], 16).expect("utf-16"))
                .collect();
            map.insert(glyph, String::from_utf16(&units).expect("text"));
        }
    }
    map
}

/// Bars (sorted by x) as modules: the narrowest bar is one module.
fn modules_of(rects: &[(f32, f32, f32, f32)]) -> (String, f32) {
    if rects.is_empty() {
        return (String::new(), 0.0);
    }
    let mut bars = rects.to_vec();
    bars.sort_by(|a, b| a.0.total_cmp(&b.0));
    let module = bars.iter().map(|bar| bar.2).fold(f32::MAX, f32::min);
    let mut modules = String::new();
    let mut end = bars[0].0;
    for (x, _, width, _) in bars {
        modules.push_str(&"0".repeat(((x - end) / module).round() as usize));
        modules.push_str(&"1".repeat((width / module).round() as usize));
        end = x + width;
    }
    (modules, module / MM)
}

/// Code 128 modules decoded: start B, values, check digit, stop; set B only.
pub fn decode_code128(modules: &str) -> Result<String, String> {
    let mut widths = Vec::new();
    let bytes = modules.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let run = bytes[index..].iter().take_while(|byte| **byte == bytes[index]).count();
        widths.push(char::from(b'0' + u8::try_from(run).map_err(|_| "a run too wide")?));
        index += run;
    }
    let widths: String = widths.into_iter().collect();
    if widths.len() < 6 * 3 + 7 || (widths.len() - 7) / 6 * 6 + 7 != widths.len() {
        return Err(format!("{} bars and spaces are not whole symbols", widths.len()));
    }
    let (symbols, stop) = widths.split_at(widths.len() - 7);
    if stop != PATTERNS[106] {
        return Err(format!("no stop pattern at the end ({stop})"));
    }
    let values: Vec<usize> = symbols
        .as_bytes()
        .chunks(6)
        .map(|chunk| {
            let chunk = std::str::from_utf8(chunk).unwrap_or("");
            PATTERNS.iter().position(|pattern| *pattern == chunk).ok_or_else(|| format!("no symbol {chunk}"))
        })
        .collect::<Result<_, _>>()?;
    if values[0] != 104 {
        return Err(format!("start code {} is not set B's (104)", values[0]));
    }
    let (data, check) = values[1..].split_at(values.len() - 2);
    let sum: usize = 104 + data.iter().enumerate().map(|(i, value)| (i + 1) * value).sum::<usize>();
    if sum % 103 != check[0] {
        return Err(format!("check digit {} is not {}", check[0], sum % 103));
    }
    data.iter()
        .map(|value| {
            if *value < 95 {
                Ok(char::from(u8::try_from(value + 32).unwrap_or(b'?')))
            } else {
                Err(format!("value {value} is not a set B character"))
            }
        })
        .collect()
}
