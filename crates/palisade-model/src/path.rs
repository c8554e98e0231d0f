//! Field paths: how rules name the field a finding is about.
//!
//! Rendered the way `kubectl explain` and Kubernetes validation errors write them:
//! `spec.template.spec.containers[1].securityContext.privileged`. Keys that are not plain
//! identifiers (annotation keys, for instance) are bracketed and quoted:
//! `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.

use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// Parses the dotted form (`spec.template.spec`); indexes as `[N]`. Intended for
    /// constants and configuration, so it accepts only plain keys.
    pub fn parse(dotted: &str) -> Self {
        let mut path = FieldPath::root();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            let (key, rest) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                path.0.push(Segment::Key(Cow::Owned(key.to_string())));
            }
            for idx in rest.split('[') {
                if let Some(n) = idx.trim_end_matches(']').parse().ok().filter(|_| !idx.is_empty()) {
                    path.0.push(Segment::Index(n));
                }
            }
        }
        path
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn key(mut self, key: &'static str) -> Self {
        self.0.push(Segment::Key(Cow::Borrowed(key)));
        self
    }

    #[must_use]
    pub fn owned_key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(Cow::Owned(key.into())));
        self
    }

    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    /// `self` followed by every segment of `rest`.
    #[must_use]
    pub fn join(&self, rest: &FieldPath) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + rest.0.len());
        segments.extend_from_slice(&self.0);
        segments.extend_from_slice(&rest.0);
        FieldPath(segments)
    }

    /// Keys of the form `[A-Za-z0-9_-]+` print bare; the rest are quoted.
    fn is_plain(key: &str) -> bool {
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if FieldPath::is_plain(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_ref()))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
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
        assert_eq!(p.to_string(), "spec.containers[1].securityContext.privileged");
        let a = FieldPath::root()
            .key("metadata")
            .key("annotations")
            .owned_key("container.apparmor.security.beta.kubernetes.io/app");
        assert_eq!(
            a.to_string(),
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#
        );
    }

    #[test]
    fn parse_round_trips_plain_paths() {
        let s = "spec.jobTemplate.spec.template.spec.containers[0].image";
        assert_eq!(FieldPath::parse(s).to_string(), s);
        assert_eq!(FieldPath::parse("a[2][3].b").to_string(), "a[2][3].b");
    }
}
