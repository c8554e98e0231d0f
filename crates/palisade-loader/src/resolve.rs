//! Plain-scalar resolution exactly as Kubernetes reads manifests.
//!
//! kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml, which decodes with
//! go-yaml v2 (YAML 1.1 rules): `yes`/`on`/`y` are booleans, `0644` is octal, `1_000` is an
//! integer, timestamps stay strings. This is a transcription of go-yaml v2's `resolve()` and
//! of Go's `strconv.ParseInt`/`ParseUint` with base 0; the differential test against the Go
//! oracle (tests/yaml_oracle.rs) keeps it honest.

use std::borrow::Cow;

use palisade_model::Scalar;

/// A resolved scalar: what go-yaml hands to the JSON conversion.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'t> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'t, str>),
}

impl Value<'_> {
    /// The value as a document scalar.
    pub fn scalar(&self) -> Scalar<'_> {
        match self {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Int(i) => Scalar::Int(*i),
            Value::UInt(u) => Scalar::UInt(*u),
            Value::Float(f) => Scalar::Float(*f),
            Value::Str(s) => Scalar::Str(s),
        }
    }
}

/// Resolves an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Value<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => parse_dot_float(text).map_or_else(|| Value::Str(Cow::Borrowed(text)), Value::Float),
        b'0'..=b'9' | b'+' | b'-' => resolve_number(text),
        _ => Value::Str(Cow::Borrowed(text)),
    }
}

/// Resolves a scalar with an explicit core-schema tag (`!!str`, `!!int`, ...). Returns an
/// error message when the text does not fit the tag, as go-yaml does.
pub fn resolve_tagged<'t>(tag: &str, text: &'t str) -> Result<Value<'t>, String> {
    match tag {
        "str" => Ok(Value::Str(Cow::Borrowed(text))),
        "binary" => base64_decode(text)
            .map(|s| Value::Str(Cow::Owned(s)))
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_string()),
        "bool" | "int" | "float" | "null" | "timestamp" => {
            let resolved = resolve_plain(text);
            let got = match &resolved {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Int(_) | Value::UInt(_) => "int",
                Value::Float(_) => "float",
                _ => "str",
            };
            match (tag, &resolved) {
                (t, _) if t == got => Ok(resolved),
                ("float", Value::Int(i)) => Ok(Value::Float(*i as f64)),
                // A timestamp-looking value stays a string for interface{} targets.
                ("timestamp", Value::Str(_)) => Ok(resolved),
                _ => Err(format!("cannot decode !!{got} `{text}` as a !!{tag}")),
            }
        }
        // Tags outside the core schema leave the scalar as a string.
        _ => Ok(Value::Str(Cow::Borrowed(text))),
    }
}

/// The map-key string sigs.k8s.io/yaml makes of a resolved key.
pub fn key_string<'t>(value: &Value<'t>) -> Result<Cow<'t, str>, String> {
    match value {
        Value::Str(s) => Ok(s.clone()),
        other => key_of_scalar(other.scalar()).map(|k| Cow::Owned(k.into_owned())),
    }
}

/// Plain keys that cannot resolve to anything but themselves skip the resolver (the
/// overwhelmingly common case: `metadata`, `name`, ...).
fn needs_resolution(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(c) => matches!(
            c,
            b'0'..=b'9'
                | b'+'
                | b'-'
                | b'.'
                | b'~'
                | b'y'
                | b'Y'
                | b'n'
                | b'N'
                | b't'
                | b'T'
                | b'f'
                | b'F'
                | b'o'
                | b'O'
        ),
    }
}

/// The key string of a plain, untagged key as Kubernetes sees it (`yes` becomes `true`,
/// `0x10` becomes `16`); both parsers read keys through this.
pub fn plain_key(raw: &str) -> Result<Cow<'_, str>, String> {
    if needs_resolution(raw) {
        key_string(&resolve_plain(raw))
    } else {
        Ok(Cow::Borrowed(raw))
    }
}

/// [`key_string`] for a scalar already in a document (an alias used as a key).
pub fn key_of_scalar(value: Scalar<'_>) -> Result<Cow<'_, str>, String> {
    match value {
        Scalar::Str(s) => Ok(Cow::Borrowed(s)),
        Scalar::Int(i) => Ok(Cow::Owned(i.to_string())),
        Scalar::Bool(b) => Ok(Cow::Borrowed(if b { "true" } else { "false" })),
        Scalar::Float(f) => Ok(Cow::Owned(go_format_g32(f))),
        Scalar::Null => Err("unsupported map key: null".to_string()),
        Scalar::UInt(u) => Err(format!("unsupported map key of type uint64: {u}")),
    }
}

/// go-yaml's `D`/`S` branch: integer (base-0 Go syntax, underscores dropped), unsigned,
/// YAML-style float, then the `0b` forms.
fn resolve_number(text: &str) -> Value<'_> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Value::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Value::UInt(u);
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = parse_finite(&plain)
    {
        return Value::Float(f);
    }
    // `0b`/`-0b` were already covered by Go's base-0 parsing above; go-yaml's explicit
    // branch only matters for forms ParseInt rejects, and those fail here too.
    Value::Str(Cow::Borrowed(text))
}

/// Go `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(digits)?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go `strconv.ParseUint(s, 0, 64)` (no sign; `0x`, `0o`, `0b` and leading-`0` octal).
fn go_parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b[0] == b'0' {
        match b.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if b.len() >= 3 => (2, &s[2..]),
            Some(b'o') if b.len() >= 3 => (8, &s[2..]),
            Some(b'x') if b.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `ParseFloat` on text starting with `.`: only `.digits[exponent]` parses.
fn parse_dot_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == 1 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    parse_finite(s)
}

/// Go returns a range error (so go-yaml keeps the string) where the value overflows.
fn parse_finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's spellings of the specials.
pub fn go_format_g32(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let f32v = f as f32;
    if f32v == 0.0 {
        return if f32v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest round-trip digits of the float32, in scientific form: "d.ddddde±x".
    let sci = format!("{f32v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    // Go's %g with shortest precision switches to an exponent outside [-4, 6).
    let eprec = 6;
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    // Plain decimal.
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!(
            "{sign}{digits}{}",
            "0".repeat(point as usize - digits.len())
        )
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

/// Standard base64 (with padding), as Go's `base64.StdEncoding`.
fn base64_decode(text: &str) -> Option<String> {
    // go-yaml passes the scalar as is; Go's decoder skips newlines only.
    let clean: Vec<u8> = text.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for (n, chunk) in clean.chunks(4).enumerate() {
        let last = n == clean.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Value<'_> {
        resolve_plain(s)
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls() {
        for t in [
            "yes", "Yes", "YES", "y", "Y", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(r(t), Value::Bool(true), "{t}");
        }
        for f in ["no", "n", "N", "off", "OFF", "false", "False"] {
            assert_eq!(r(f), Value::Bool(false), "{f}");
        }
        for s in ["yES", "oN", "tRue", "Y2", "nope"] {
            assert_eq!(r(s), Value::Str(s.into()), "{s}");
        }
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(r(n), Value::Null);
        }
        assert_eq!(r("nULL"), Value::Str("nULL".into()));
    }

    #[test]
    fn go_base0_integers() {
        assert_eq!(r("0644"), Value::Int(420));
        assert_eq!(r("0x1F"), Value::Int(31));
        assert_eq!(r("0o17"), Value::Int(15));
        assert_eq!(r("0b101"), Value::Int(5));
        assert_eq!(r("-0b101"), Value::Int(-5));
        assert_eq!(r("+12"), Value::Int(12));
        assert_eq!(r("1_000"), Value::Int(1000));
        assert_eq!(r("0"), Value::Int(0));
        assert_eq!(r("-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(r("18446744073709551615"), Value::UInt(u64::MAX));
    }

    #[test]
    fn floats_and_near_misses() {
        assert_eq!(r("08"), Value::Float(8.0));
        assert_eq!(r("1e3"), Value::Float(1000.0));
        assert_eq!(r(".5"), Value::Float(0.5));
        assert_eq!(r("-.5"), Value::Float(-0.5));
        assert_eq!(r("1."), Value::Float(1.0));
        assert_eq!(r("1e400"), Value::Str("1e400".into()));
        assert_eq!(r("99999999999999999999"), Value::Float(1e20));
        assert_eq!(r("1:20"), Value::Str("1:20".into()));
        assert_eq!(r("0x"), Value::Str("0x".into()));
        assert_eq!(r("2001-12-14"), Value::Str("2001-12-14".into()));
        assert_eq!(r("-"), Value::Str("-".into()));
        assert_eq!(r("1.2.3"), Value::Str("1.2.3".into()));
        assert!(matches!(r(".nan"), Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn tagged_scalars() {
        assert_eq!(resolve_tagged("str", "yes"), Ok(Value::Str("yes".into())));
        assert_eq!(resolve_tagged("int", "0x10"), Ok(Value::Int(16)));
        assert_eq!(resolve_tagged("float", "3"), Ok(Value::Float(3.0)));
        assert!(resolve_tagged("int", "abc").is_err());
        assert_eq!(
            resolve_tagged("binary", "aGk="),
            Ok(Value::Str("hi".into()))
        );
        assert_eq!(resolve_tagged("custom", "5"), Ok(Value::Str("5".into())));
    }

    #[test]
    fn float_keys_format_like_go() {
        assert_eq!(go_format_g32(1.5), "1.5");
        assert_eq!(go_format_g32(100000.0), "100000");
        assert_eq!(go_format_g32(1e6), "1e+06");
        assert_eq!(go_format_g32(0.0001), "0.0001");
        assert_eq!(go_format_g32(0.00001), "1e-05");
        assert_eq!(go_format_g32(0.1), "0.1");
        assert_eq!(go_format_g32(1234567.0), "1.234567e+06");
    }
}
