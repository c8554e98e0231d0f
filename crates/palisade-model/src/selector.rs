//! Label selectors, with the semantics of apimachinery's `metav1.LabelSelectorAsSelector`.
//!
//! NetworkPolicy selection, webhook namespace selectors, PeerAuthentication and waivers all
//! select objects by labels; they must agree with the API server, so the rules live here
//! once. The distinction upstream draws between an *absent* selector and an *empty* one is
//! the caller's: an absent field is `None` before a `LabelSelector` is ever built; an empty
//! selector (`{}`) selects everything.

use std::fmt;

use crate::node::Node;

/// A parsed `metav1.LabelSelector`: all requirements must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// One requirement: `key op values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Operator,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Operator {
    fn parse(s: &str) -> Option<Operator> {
        Some(match s {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
        }
    }
}

impl LabelSelector {
    /// The selector that selects everything (`{}`).
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// A selector from `matchLabels` pairs only.
    pub fn from_labels<'k>(pairs: impl IntoIterator<Item = (&'k str, &'k str)>) -> Self {
        LabelSelector {
            requirements: pairs
                .into_iter()
                .map(|(k, v)| Requirement {
                    key: k.to_string(),
                    op: Operator::In,
                    values: vec![v.to_string()],
                })
                .collect(),
        }
    }

    /// Reads a selector node (`{matchLabels: ..., matchExpressions: [...]}`). Errors are
    /// the ones the API server's conversion would return; a null node is the empty
    /// selector, as `{}` is.
    pub fn from_node(node: Node<'_>) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        if node.is_null() {
            return Ok(LabelSelector::default());
        }
        if !node.is_map() {
            return Err("a label selector must be a map".to_string());
        }
        if let Some(labels) = node.get("matchLabels") {
            let Some(entries) = labels.as_map() else {
                return Err("matchLabels must be a map of strings".to_string());
            };
            for (k, v) in entries {
                let Some(v) = v.as_str() else {
                    return Err(format!("matchLabels[{k}] must be a string"));
                };
                check_key(k)?;
                check_value(v)?;
                requirements.push(Requirement {
                    key: k.to_string(),
                    op: Operator::In,
                    values: vec![v.to_string()],
                });
            }
        }
        if let Some(exprs) = node.get("matchExpressions") {
            if !exprs.is_seq() {
                return Err("matchExpressions must be a list".to_string());
            }
            for expr in exprs.items() {
                let key = expr.str_at("key").unwrap_or_default();
                let op_text = expr.str_at("operator").unwrap_or_default();
                let Some(op) = Operator::parse(op_text) else {
                    return Err(format!(
                        "{op_text:?} is not a valid label selector operator"
                    ));
                };
                let mut values = Vec::new();
                for v in expr.get("values").map(|v| v.items()).into_iter().flatten() {
                    match v.as_str() {
                        Some(s) => values.push(s.to_string()),
                        None => return Err(format!("values of {key:?} must be strings")),
                    }
                }
                check_key(key)?;
                for v in &values {
                    check_value(v)?;
                }
                match op {
                    Operator::In | Operator::NotIn if values.is_empty() => {
                        return Err(format!(
                            "for 'in', 'notin' operators, values set can't be empty (key {key:?})"
                        ));
                    }
                    Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                        return Err(format!(
                            "values set must be empty for exists and does not exist (key {key:?})"
                        ));
                    }
                    _ => {}
                }
                requirements.push(Requirement {
                    key: key.to_string(),
                    op,
                    values,
                });
            }
        }
        Ok(LabelSelector { requirements })
    }

    /// True for `{}`: it selects every object.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether an object with `labels` is selected. `labels` is looked up by key.
    pub fn matches_with<'l>(&self, label: impl Fn(&str) -> Option<&'l str>) -> bool {
        self.requirements.iter().all(|r| {
            let value = label(&r.key);
            match r.op {
                Operator::In => value.is_some_and(|v| r.values.iter().any(|x| x == v)),
                // NotIn holds for objects without the key, as upstream's selector does.
                Operator::NotIn => value.is_none_or(|v| r.values.iter().all(|x| x != v)),
                Operator::Exists => value.is_some(),
                Operator::DoesNotExist => value.is_none(),
            }
        })
    }

    /// Whether a label set given as pairs is selected.
    pub fn matches<'l>(&self, labels: &[(&'l str, &'l str)]) -> bool {
        self.matches_with(|k| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v))
    }
}

/// A label key as apimachinery validates it: an optional DNS-subdomain prefix and `/`, then
/// a name of at most 63 characters, alphanumeric at both ends, `-`, `_` and `.` inside.
fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let valid_prefix = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    });
    if !valid_prefix || name.is_empty() || !is_label_name(name) {
        return Err(format!("invalid label key {key:?}"));
    }
    Ok(())
}

/// A label value: empty, or a name as in [`check_key`].
fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() || is_label_name(value) {
        Ok(())
    } else {
        Err(format!("invalid label value {value:?}"))
    }
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

impl fmt::Display for LabelSelector {
    /// The selector in kubectl's string syntax (`app=web,tier in (a,b)`); `{}` is shown as
    /// `<all>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("<all>");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match r.op {
                Operator::In if r.values.len() == 1 => write!(f, "{}={}", r.key, r.values[0])?,
                Operator::In | Operator::NotIn => {
                    write!(f, "{} {} ({})", r.key, r.op.as_str(), r.values.join(","))?
                }
                Operator::Exists => f.write_str(&r.key)?,
                Operator::DoesNotExist => write!(f, "!{}", r.key)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;

    fn sel(json: serde_json::Value) -> Result<LabelSelector, String> {
        let doc = Document::from_json(&json);
        LabelSelector::from_node(doc.root())
    }

    #[test]
    fn empty_selects_everything() {
        let s = sel(serde_json::json!({})).unwrap();
        assert!(s.is_empty());
        assert!(s.matches(&[]));
        assert!(s.matches(&[("app", "x")]));
    }

    #[test]
    fn requirements_are_anded() {
        let s = sel(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
            ]
        }))
        .unwrap();
        assert!(s.matches(&[("app", "web"), ("tier", "a")]));
        assert!(s.matches(&[("app", "web"), ("tier", "b"), ("env", "prod")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "c")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "a"), ("legacy", "")]));
        assert!(!s.matches(&[("app", "web"), ("tier", "a"), ("env", "dev")]));
        assert!(!s.matches(&[("tier", "a")]));
        assert_eq!(
            s.to_string(),
            "app=web,tier in (a,b),!legacy,env notin (dev)"
        );
    }

    #[test]
    fn invalid_selectors_are_refused() {
        assert!(
            sel(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "In"}]})).is_err()
        );
        assert!(sel(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})).is_err());
        assert!(
            sel(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Equals"}]}))
                .is_err()
        );
    }
}
