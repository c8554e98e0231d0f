//! Upstream's message building blocks: `joinQuote`, `pluralize`, Go's `%q`, and the
//! aggregation of check results into one line.

use std::fmt::Write;

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// `"a", "b"` — items wrapped in double quotes, not escaped (upstream `joinQuote`).
pub fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from("\"");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str("\", \"");
        }
        out.push_str(item.as_ref());
    }
    out.push('"');
    out
}

pub fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

/// Go's `strconv.Quote` (`%q`): printable runes (letters, marks, numbers, punctuation,
/// symbols, ASCII space) stay; the rest are escaped the way Go escapes them.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' ' => out.push(' '),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn is_go_printable(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter
            | GeneralCategoryGroup::Mark
            | GeneralCategoryGroup::Number
            | GeneralCategoryGroup::Punctuation
            | GeneralCategoryGroup::Symbol
    )
}

/// Upstream's `ForbiddenDetail()` of an aggregate: `reason (detail), reason (detail)`.
pub fn aggregate_detail<'a>(failures: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (reason, detail)) in failures.into_iter().enumerate() {
        // Room for this failure at once (a finding's message is usually one failure).
        out.reserve(reason.len().max(24) + detail.len() + 5);
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(if reason.is_empty() {
            "unknown forbidden reason"
        } else {
            reason
        });
        if !detail.is_empty() {
            out.push_str(" (");
            out.push_str(detail);
            out.push(')');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("unconfined"), r#""unconfined""#);
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\0\x01\n\x7f"), r#""\x00\x01\n\x7f""#);
        assert_eq!(go_quote("\u{a0}é\u{200b}"), r#""\u00a0é\u200b""#);
        assert_eq!(go_quote("\u{e000}\u{f0000}"), r#""\ue000\U000f0000""#);
    }

    #[test]
    fn join_quote_does_not_escape() {
        assert_eq!(join_quote(&["a", "b\"c"]), r#""a", "b"c""#);
        assert_eq!(join_quote::<&str>(&[]), "");
    }
}
