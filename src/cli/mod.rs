//! Non-interactive commands: they reuse the collectors and print instead of drawing.
//!
//! Everything they print that came from a host or the config goes through [`shown`] (text)
//! or [`json`] (documents): secrets redacted, then the screen's sanitiser, so a hostile
//! host's escape sequences or bidi controls never reach the terminal or a CI log raw.

pub mod check;
pub mod status;

use crate::config::secret::{redact, redact_json};
use crate::model::text::plain;

/// One line of text fit for a terminal: secrets redacted, control and invisible characters
/// and escape sequences shown as `·`.
pub fn shown(text: &str) -> String {
    plain(&redact(text))
}

/// A JSON document fit for a terminal or a file: every string (and key) redacted and
/// sanitised before it is serialised, so no escaped secret or raw control survives.
pub fn json<T: serde::Serialize>(doc: &T) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(doc)?;
    redact_json(&mut value);
    sanitise_json(&mut value);
    serde_json::to_string_pretty(&value)
}

fn sanitise_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if s.chars()
                .any(|c| c.is_control() || crate::model::text::is_invisible(c))
            {
                *s = s.lines().map(plain).collect::<Vec<_>>().join("\n");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sanitise_json),
        Value::Object(map) => map.values_mut().for_each(sanitise_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_neutralised_in_text_and_json() {
        let evil = "ok\u{1b}]52;c;cm0gLXJm\u{7}\u{202e}txt.exe\u{1b}[2J";
        assert_eq!(shown(evil), "ok··txt.exe·");
        let doc = serde_json::json!({ "detail": evil, "lines": [format!("a\n{evil}")] });
        let text = json(&doc).unwrap();
        assert!(!text.contains("\\u001b"), "{text}");
        assert!(!text.contains('\u{202e}'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["lines"][0], "a\nok··txt.exe·");
    }
}
