//! Field paths: how rules name the field a finding is about.
//!
//! Rendered the way `kubectl explain` and Kubernetes validation errors write them:
//! `spec.template.spec.containers[1].securityContext.privileged`. Keys that are not plain
//! identifiers (annotation keys, for instance) are bracketed and quoted:
//! `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.
//!
//! Stored as one string of segments (a key is `K<text>`, an index `I<n>`, each ended by a
//! 0x1F unit separator): a finding keeps its path, and there can be hundreds of thousands.

use std::fmt;

const SEP: char = '\u{1f}';

/// One step of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(String::new())
    }

    /// Parses the dotted form (`spec.template.spec`); indexes as `[N]`. Intended for
    /// constants and configuration, so it accepts only plain keys.
    pub fn parse(dotted: &str) -> Self {
        let mut path = FieldPath::root();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            let (key, rest) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                path = path.owned_key(key);
            }
            for idx in rest.split('[') {
                if let Ok(n) = idx.trim_end_matches(']').parse() {
                    path = path.index(n);
                }
            }
        }
        path
    }

    pub fn segments(&self) -> Segments<'_> {
        Segments(&self.0)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn key(self, key: &str) -> Self {
        self.owned_key(key)
    }

    /// Paths grow a segment at a time; reserving generously avoids a reallocation per segment.
    fn room(&mut self, needed: usize) {
        if self.0.capacity() - self.0.len() < needed {
            self.0.reserve(needed.max(64));
        }
    }

    #[must_use]
    pub fn owned_key(mut self, key: impl AsRef<str>) -> Self {
        self.room(key.as_ref().len() + 2);
        self.0.push('K');
        let key = key.as_ref();
        if key.contains(SEP) {
            // A separator inside a key would break the encoding; no Kubernetes key has one.
            self.0
                .extend(key.chars().map(|c| if c == SEP { '\u{fffd}' } else { c }));
        } else {
            self.0.push_str(key);
        }
        self.0.push(SEP);
        self
    }

    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.room(24);
        self.0.push('I');
        self.0.push_str(itoa::Buffer::new().format(index));
        self.0.push(SEP);
        self
    }

    /// `self` followed by `key`, built in one allocation with room for a few more
    /// segments (cloning and then growing would allocate twice).
    #[must_use]
    pub fn child(&self, key: &str) -> Self {
        let mut path = String::with_capacity(self.0.len() + key.len() + 64);
        path.push_str(&self.0);
        FieldPath(path).owned_key(key)
    }

    /// `self` followed by every segment of `rest`.
    #[must_use]
    pub fn join(&self, rest: &FieldPath) -> Self {
        let mut joined = String::with_capacity(self.0.len() + rest.0.len() + 64);
        joined.push_str(&self.0);
        joined.push_str(&rest.0);
        FieldPath(joined)
    }

    /// Keys of the form `[A-Za-z0-9_-]+` print bare; the rest are quoted.
    fn is_plain(key: &str) -> bool {
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

impl FieldPath {
    /// Appends the Kubernetes form (`spec.containers[0].image`) to `out`. Emitters render
    /// hundreds of thousands of paths, so this writes to a buffer rather than a formatter.
    pub fn render_into(&self, out: &mut String) {
        // Works on the encoding directly: an index segment already holds its digits.
        for (i, (tag, text)) in self.raw_segments().enumerate() {
            if tag == b'I' {
                out.push('[');
                out.push_str(text);
                out.push(']');
            } else if FieldPath::is_plain(text) {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(text);
            } else {
                out.push('[');
                out.push_str(&serde_json::Value::from(text).to_string());
                out.push(']');
            }
        }
    }

    /// The encoded segments as (tag, text). Scanned byte by byte: segments are a few bytes
    /// long, too short for a vectorised search to pay for its setup.
    fn raw_segments(&self) -> impl Iterator<Item = (u8, &str)> {
        let mut segments = Segments(&self.0);
        std::iter::from_fn(move || segments.next_raw())
    }
}

/// The segments of a [`FieldPath`], first to last.
#[derive(Clone, Debug)]
pub struct Segments<'a>(&'a str);

impl<'a> Segments<'a> {
    /// The next encoded segment: its tag byte (`K`, `I`) and its text.
    fn next_raw(&mut self) -> Option<(u8, &'a str)> {
        let bytes = self.0.as_bytes();
        let &tag = bytes.first()?;
        let end = bytes
            .iter()
            .position(|&b| b == SEP as u8)
            .unwrap_or(bytes.len());
        let segment = &self.0[..end];
        self.0 = self.0.get(end + 1..).unwrap_or("");
        // The tags and SEP are ASCII, so slicing after a tag is on a char boundary.
        Some(match tag {
            b'I' | b'K' => (tag, &segment[1..]),
            // Never written by this module; read whole as a key.
            _ => (b'K', segment),
        })
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        let (tag, text) = self.next_raw()?;
        Some(if tag == b'I' {
            Segment::Index(text.parse().unwrap_or(usize::MAX))
        } else {
            Segment::Key(text)
        })
    }
}
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.0.len() + 8);
        self.render_into(&mut out);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_kubernetes() {
        let p = FieldPath::root()
            .key("spec")
            .key("containers")
            .index(1)
            .key("securityContext")
            .key("privileged");
        assert_eq!(
            p.to_string(),
            "spec.containers[1].securityContext.privileged"
        );
        let a = FieldPath::root()
            .key("metadata")
            .key("annotations")
            .owned_key("container.apparmor.security.beta.kubernetes.io/app");
        assert_eq!(
            a.to_string(),
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#
        );
        assert_eq!(
            a.segments().collect::<Vec<_>>(),
            [
                Segment::Key("metadata"),
                Segment::Key("annotations"),
                Segment::Key("container.apparmor.security.beta.kubernetes.io/app")
            ]
        );
    }

    #[test]
    fn parse_round_trips_plain_paths() {
        let s = "spec.jobTemplate.spec.template.spec.containers[0].image";
        assert_eq!(FieldPath::parse(s).to_string(), s);
        assert_eq!(FieldPath::parse("a[2][3].b").to_string(), "a[2][3].b");
        let j = FieldPath::parse("a.b").join(&FieldPath::parse("c[1]"));
        assert_eq!(j.to_string(), "a.b.c[1]");
    }

    #[test]
    fn keys_that_look_like_indexes_stay_keys() {
        let p = FieldPath::root().key("I5").key("K").index(5);
        assert_eq!(
            p.segments().collect::<Vec<_>>(),
            [Segment::Key("I5"), Segment::Key("K"), Segment::Index(5)]
        );
    }
}
