//! Recognising secret values without ever repeating them.
//!
//! Two tests, each returning a *hint* that describes the value's shape (what it looks like
//! and its length), never any of its characters:
//! - well-known credential formats anywhere in a value (AWS access key IDs, GitHub, Slack
//!   and Stripe live tokens, Google API keys, private key PEM blocks, JWTs, URLs with an
//!   embedded password);
//! - a value of at least [`MIN_LENGTH`] characters with a Shannon entropy of at least
//!   [`MIN_ENTROPY`] bits per character, under a name that says it is secret (`password`,
//!   `token`, `api_key`, ...), excluding references (`$(VAR)`, `${VAR}`), paths, URLs without
//!   credentials, placeholders and Kubernetes-style names (`my-app-secret`).

/// Minimum length of a value judged by entropy.
pub const MIN_LENGTH: usize = 8;
/// Minimum Shannon entropy, in bits per character, of a value judged by entropy. A random
/// 8-character alphanumeric string scores about 2.8-3.0; `changeme` 2.75; `password123` 3.28;
/// a 20-character random token about 4.
pub const MIN_ENTROPY: f64 = 3.0;

/// A detected secret: what it looks like, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint(pub String);

/// Shannon entropy of `s` in bits per character.
pub fn entropy(s: &str) -> f64 {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Name components that mark a value as secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
    "accesskey",
    "secretkey",
    "clientsecret",
    "authkey",
    "signingkey",
    "encryptionkey",
];

/// Name suffixes that say the value is about a secret, not the secret (`TOKEN_URL`,
/// `SECRET_NAME`, `PASSWORD_FILE`).
const REFERENCE_SUFFIXES: &[&str] = &[
    "name",
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "ttl",
    "type",
    "ref",
    "id",
    "mode",
    "enabled",
    "length",
    "size",
    "version",
    "expiry",
    "expires",
    "header",
    "location",
    "namespace",
    "field",
    "key_name",
    "policy",
    "provider",
    "format",
    "hash",
    "algorithm",
];

/// Splits a name into lower-case words (`DB_PASSWORD`, `dbPassword`, `db.password`,
/// `db-password` all give `db`, `password`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a variable or key name says its value is a secret.
pub fn is_secret_name(name: &str) -> bool {
    let w = words(name);
    if w.is_empty() {
        return false;
    }
    let last = w.last().map(String::as_str).unwrap_or("");
    if REFERENCE_SUFFIXES.contains(&last) {
        return false;
    }
    // Single words and adjacent pairs (`api`,`key` -> `apikey`; `private`,`key`).
    let joined_pairs = w.windows(2).map(|p| format!("{}{}", p[0], p[1]));
    w.iter()
        .cloned()
        .chain(joined_pairs)
        .any(|x| SECRET_WORDS.contains(&x.as_str()))
}

fn is_placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    (v.contains('<') && v.contains('>'))
        || v.starts_with("$(")
        || v.starts_with("${")
        || v.starts_with("{{")
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("file:")
        || v.starts_with("vault:")
        || v.starts_with("ref+")
        || v.starts_with("arn:")
        || v.chars().all(|c| c == v.chars().next().unwrap_or(' '))
        || [
            "changeme",
            "change-me",
            "change_me",
            "replaceme",
            "replace-me",
            "replace_me",
            "placeholder",
            "example",
            "redacted",
            "notasecret",
            "dummy",
            "xxxxxxxx",
            "todo",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// `my-app-secret`, `db.example.com`: lower-case identifiers joined by `-` or `.`.
fn is_kubernetes_style_name(v: &str) -> bool {
    (v.contains('-') || v.contains('.'))
        && v.split(['-', '.']).all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Entropy test for a value under a secret-like name.
pub fn high_entropy_secret(name: &str, value: &str) -> Option<Hint> {
    let v = value.trim();
    if !is_secret_name(name)
        || v.chars().count() < MIN_LENGTH
        || v.chars().any(char::is_whitespace)
        || is_placeholder(v)
        || is_kubernetes_style_name(v)
        || (v.contains("://") && !v.contains('@'))
        || v.parse::<f64>().is_ok()
    {
        return None;
    }
    let e = entropy(v);
    (e >= MIN_ENTROPY).then(|| {
        Hint(format!(
            "a {}-character value with {e:.1} bits of entropy per character under a secret-like name",
            v.chars().count()
        ))
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Length of the run starting at `i` of bytes satisfying `f`.
fn run(bytes: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    bytes[i..].iter().take_while(|&&b| f(b)).count()
}

/// Finds well-known credential formats in `value`. Returns the first one found.
pub fn known_format(value: &str) -> Option<Hint> {
    let b = value.as_bytes();
    if value.contains("-----BEGIN ") && value.contains("PRIVATE KEY") {
        return Some(Hint("a PEM private key block".to_string()));
    }
    for i in 0..b.len() {
        if !value.is_char_boundary(i) {
            continue;
        }
        // Token boundaries: the start of the value or a non-word character before.
        if i > 0 && is_word_byte(b[i - 1]) && b[i - 1] != b'-' {
            continue;
        }
        let rest = &value[i..];
        let upper_digit = |x: u8| x.is_ascii_uppercase() || x.is_ascii_digit();
        let alnum = |x: u8| x.is_ascii_alphanumeric();
        for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
            if rest.starts_with(prefix) {
                let n = run(b, i + 4, upper_digit);
                let end = i + 4 + n;
                if n == 16 && (end == b.len() || !alnum(b[end])) {
                    return Some(Hint("an AWS access key ID (20 characters)".to_string()));
                }
            }
        }
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            if rest.starts_with(prefix) {
                let n = run(b, i + 4, alnum);
                if n >= 36 {
                    return Some(Hint(format!("a GitHub token ({} characters)", 4 + n)));
                }
            }
        }
        if rest.starts_with("github_pat_") {
            let n = run(b, i + 11, |x| alnum(x) || x == b'_');
            if n >= 22 {
                return Some(Hint(format!(
                    "a GitHub fine-grained personal access token ({} characters)",
                    11 + n
                )));
            }
        }
        if rest.len() > 5
            && rest.starts_with("xox")
            && matches!(b[i + 3], b'b' | b'p' | b'a' | b's' | b'r')
            && b[i + 4] == b'-'
        {
            let n = run(b, i + 5, |x| alnum(x) || x == b'-');
            if n >= 10 {
                return Some(Hint(format!("a Slack token ({} characters)", 5 + n)));
            }
        }
        for prefix in ["sk_live_", "rk_live_"] {
            if rest.starts_with(prefix) {
                let n = run(b, i + 8, alnum);
                if n >= 16 {
                    return Some(Hint(format!(
                        "a Stripe live secret key ({} characters)",
                        8 + n
                    )));
                }
            }
        }
        if rest.starts_with("AIza") {
            let n = run(b, i + 4, |x| alnum(x) || x == b'_' || x == b'-');
            if n == 35 {
                return Some(Hint("a Google API key (39 characters)".to_string()));
            }
        }
        if rest.starts_with("eyJ")
            && let Some(len) = jwt_len(rest)
        {
            return Some(Hint(format!("a JSON Web Token ({len} characters)")));
        }
    }
    if url_with_password(value) {
        return Some(Hint("a URL with an embedded password".to_string()));
    }
    None
}

/// `eyJ<header>.eyJ<payload>.<signature>`, base64url segments.
fn jwt_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let seg = |i: usize| {
        run(b, i, |x| {
            x.is_ascii_alphanumeric() || x == b'_' || x == b'-'
        })
    };
    let h = seg(0);
    if h < 10 || b.get(h) != Some(&b'.') || !s[h + 1..].starts_with("eyJ") {
        return None;
    }
    let p = seg(h + 1);
    if p < 10 || b.get(h + 1 + p) != Some(&b'.') {
        return None;
    }
    let sig = seg(h + p + 2);
    Some(h + p + 2 + sig)
}

/// `scheme://user:password@host` with a literal (non-reference) password.
fn url_with_password(value: &str) -> bool {
    value.split_whitespace().any(|word| {
        let Some((_, rest)) = word.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let Some((userinfo, _host)) = authority.rsplit_once('@') else {
            return false;
        };
        let Some((_user, password)) = userinfo.split_once(':') else {
            return false;
        };
        !password.is_empty() && !is_placeholder(password) && !password.starts_with('$')
    })
}

/// Lines of a file-like value (`application.properties`, `config.yaml`, `.env`) that assign a
/// secret-like key: `(1-based line, key, hint)`.
pub fn assignments(text: &str) -> Vec<(usize, String, Hint)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line
            .trim()
            .trim_start_matches("export ")
            .trim_start_matches("- ");
        if l.starts_with('#') || l.starts_with("//") {
            continue;
        }
        let split = [':', '=']
            .iter()
            .filter_map(|&sep| l.find(sep).map(|p| (p, sep)))
            .min_by_key(|(p, _)| *p);
        let Some((pos, _)) = split else {
            continue;
        };
        let key = l[..pos].trim().trim_matches(['"', '\'']);
        let value = l[pos + 1..]
            .trim()
            .trim_end_matches(',')
            .trim_matches(['"', '\'']);
        if key.is_empty() || key.contains(char::is_whitespace) || value.is_empty() {
            continue;
        }
        if let Some(h) = high_entropy_secret(key, value) {
            out.push((i + 1, key.to_string(), h));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in [
            "DB_PASSWORD",
            "dbPassword",
            "api-key",
            "API_KEY",
            "apikey",
            "GITHUB_TOKEN",
            "client_secret",
            "AWS_SECRET_ACCESS_KEY",
            "private.key",
            "credentials",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "SECRET_NAME",
            "TOKEN_URL",
            "PASSWORD_FILE",
            "LOG_LEVEL",
            "PASSPORT",
            "bypass",
            "KEY_ID",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn entropy_values() {
        assert!(entropy("aaaa") == 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
        assert!(high_entropy_secret("DB_PASSWORD", "Xk9#mQ2!vL7p").is_some());
        assert!(high_entropy_secret("DB_PASSWORD", "changeme").is_none());
        assert!(high_entropy_secret("DB_PASSWORD", "$(OTHER)").is_none());
        assert!(high_entropy_secret("SECRET", "my-app-secret").is_none());
        assert!(high_entropy_secret("TOKEN", "/var/run/secrets/token").is_none());
        assert!(high_entropy_secret("LOG_LEVEL", "Xk9#mQ2!vL7p").is_none());
        assert!(high_entropy_secret("PASSWORD", "short").is_none());
    }

    #[test]
    fn formats() {
        let f = |s: &str| known_format(s).map(|h| h.0);
        assert_eq!(
            f("AKIAIOSFODNN7EXAMPLE").as_deref(),
            Some("an AWS access key ID (20 characters)")
        );
        assert_eq!(f("xAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(f("AKIAIOSFODNN7EXAMPLEX"), None);
        assert!(f(&format!("ghp_{}", "a1B2".repeat(9))).is_some());
        assert!(f("xoxb-123456789012-abcdefghij").is_some());
        assert!(f(&format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc")).is_some());
        assert!(f("sk_test_4eC39HqLyjWDarjtT1zdp7dc").is_none());
        assert!(f(&format!("AIza{}", "S".repeat(35))).is_some());
        assert!(f("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----").is_some());
        assert!(f("-----BEGIN CERTIFICATE-----").is_none());
        assert!(f("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc_def-123").is_some());
        assert!(f("postgres://app:S3cr3tPw@db:5432/app").is_some());
        assert!(f("postgres://app:$(DB_PASSWORD)@db:5432/app").is_none());
        assert!(f("https://example.com/a@b").is_none());
        assert!(f("plain value").is_none());
    }

    #[test]
    fn file_assignments() {
        let text = "server.port=8080\nspring.datasource.password=Xk9mQ2vL7pWz\n# api_key: Xk9mQ2vL7pWz\ndb:\n  password: \"Rt5#kLm9!qZ\"\n";
        let got: Vec<(usize, String)> = assignments(text)
            .into_iter()
            .map(|(l, k, _)| (l, k))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "spring.datasource.password".to_string()),
                (5, "password".to_string())
            ]
        );
    }
}
