//! The languages people read Taller in. Spanish first.

use serde::{Deserialize, Serialize};

/// A user-facing language. Spanish is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language`-style value or a setting such as `en-US`;
    /// anything not English is Spanish.
    pub fn from_tag(tag: &str) -> Lang {
        let first = tag.split(',').next().unwrap_or_default().trim().to_ascii_lowercase();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::Es
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let cases = [
            ("es", Lang::Es),
            ("en", Lang::En),
            ("en-US,es;q=0.8", Lang::En),
            ("es-CO,en;q=0.5", Lang::Es),
            ("", Lang::Es),
            ("fr", Lang::Es),
        ];
        for (tag, want) in cases {
            assert_eq!(Lang::from_tag(tag), want, "tag {tag:?}");
        }
    }
}
