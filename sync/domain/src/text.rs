//! Text a person typed, as every decision treats it: trimmed, empty meaning none, bounded.

use crate::rechazo::Rechazo;

/// Longest free text accepted in a field that has no bound of its own (the column limits of
/// `taller_protocol::validate::TEXT_LIMITS` are at most this).
pub const MAX_TEXT: usize = 2000;

/// Text a person typed: trimmed, and `None` when empty.
pub fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// A text against `max` characters (`too_long` naming `field` otherwise).
pub fn check_limit(field: &str, text: &str, max: usize) -> Result<(), Rechazo> {
    // Counting stops one past the limit: a megabyte of text is not walked to the end.
    let length = text.chars().take(max + 1).count();
    if length > max {
        return Err(Rechazo::too_long(field, max, text.chars().count()));
    }
    Ok(())
}

/// A free text against [`MAX_TEXT`], trimmed as it is stored.
pub fn check_text(field: &str, text: &str) -> Result<(), Rechazo> {
    check_limit(field, text.trim(), MAX_TEXT)
}

/// References are compared without surrounding spaces and in upper case (`mtr-500w-48v` is
/// `MTR-500W-48V`).
pub fn normalize_reference(referencia: &str) -> String {
    referencia.trim().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rechazo::RejectionCode;

    #[test]
    fn typed_text_is_trimmed_and_empty_is_none() {
        assert_eq!(clean(Some("  rotura  ")), Some("rotura".to_owned()));
        assert_eq!(clean(Some(" \t\n")), None);
        assert_eq!(clean(None), None);
    }

    #[test]
    fn texts_are_bounded_as_stored() {
        assert!(check_text("motivo", &format!("  {}  ", "x".repeat(MAX_TEXT))).is_ok());
        let refused = check_text("motivo", &"x".repeat(MAX_TEXT + 1)).err();
        assert_eq!(refused.as_ref().map(|r| r.code), Some(RejectionCode::TooLong));
        let params = refused.map(|r| r.params).unwrap_or_default();
        assert_eq!(params.get("length"), Some(&serde_json::json!(MAX_TEXT + 1)));
        assert_eq!(params.get("field"), Some(&serde_json::json!("motivo")));
        // Characters, not bytes.
        assert!(check_limit("nombre", &"ñ".repeat(200), 200).is_ok());
        assert!(check_limit("nombre", &"ñ".repeat(201), 200).is_err());
    }

    #[test]
    fn references_are_normalised() {
        assert_eq!(normalize_reference("  mtr-500w-48v "), "MTR-500W-48V");
    }
}
