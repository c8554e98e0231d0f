//! Value trees with source positions.
//!
//! Values are stored as Kubernetes sees them after its YAML-to-JSON conversion: scalars are
//! already resolved (YAML 1.1: `yes` is `true`, `0644` is 420), map keys are strings, merge
//! keys and aliases are expanded. Positions are 1-based line and column (in characters).

use std::fmt;

use crate::path::{FieldPath, Segment};

/// A 1-based line and column in a source file. `Pos::default()` (0:0) means "no position",
/// which is what objects from a live cluster or an admission request carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }

    pub const fn is_known(self) -> bool {
        self.line != 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One value in a document, with where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A resolved value. `Int`/`UInt`/`Float` mirror what go-yaml v2 produces (and therefore
/// what the API server decodes); timestamps stay strings, as they do there.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Box<str>),
    Seq(Vec<Node>),
    Map(Map),
}

/// A mapping in document order. Keys are unique (a duplicate key replaces the earlier value
/// in place, as Kubernetes' non-strict decoding does). Lookups are linear: Kubernetes maps
/// are small and a scan beats hashing at these sizes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Box<str>,
    pub key_pos: Pos,
    pub value: Node,
}

impl Map {
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| &*e.key == key)
    }

    /// Inserts or replaces; returns true when the key was already present.
    pub fn insert(&mut self, entry: Entry) -> bool {
        if let Some(existing) = self.entries.iter_mut().find(|e| e.key == entry.key) {
            *existing = entry;
            true
        } else {
            self.entries.push(entry);
            false
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|e| (&*e.key, &e.value))
    }
}

static EMPTY_SEQ: [Node; 0] = [];

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Node { value, pos }
    }

    /// The value under `key`, treating an explicit `null` as absent: the API server decodes
    /// into typed Go structs, where both are a nil pointer.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.get_entry(key).map(|e| &e.value).filter(|n| !n.is_null()),
            _ => None,
        }
    }

    /// Follows a chain of keys (see [`Node::get`]).
    pub fn get_in(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer as a typed Go int field would receive it. YAML floats with an integral
    /// value count: the YAML-to-JSON conversion prints `8e1` as `80`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::UInt(u) => i64::try_from(u).ok(),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                Some(f as i64)
            }
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a sequence, or nothing when the value is absent or not a sequence.
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&EMPTY_SEQ)
    }

    /// The string under `key`, if it is a string.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The bool under `key`, if it is a bool.
    pub fn bool_at(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Node::as_bool)
    }

    /// The node at `path`, if every segment exists (nulls count as absent).
    pub fn at(&self, path: &FieldPath) -> Option<&Node> {
        path.segments().iter().try_fold(self, |node, seg| match seg {
            Segment::Key(k) => node.get(k),
            Segment::Index(i) => node.as_seq().and_then(|s| s.get(*i)),
        })
    }

    /// Where `path` is written: the key of the deepest map entry (or the sequence item) that
    /// exists along the path. A path to a missing field resolves to its nearest parent.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for seg in path.segments() {
            match (seg, &node.value) {
                (Segment::Key(k), Value::Map(m)) => match m.get_entry(k) {
                    Some(e) => {
                        pos = e.key_pos;
                        node = &e.value;
                    }
                    None => break,
                },
                (Segment::Index(i), Value::Seq(items)) => match items.get(*i) {
                    Some(item) => {
                        pos = item.pos;
                        node = item;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        pos
    }

    /// Number of nodes in the tree (this one included).
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(m) => m.entries.iter().map(|e| e.value.count()).sum(),
            _ => 0,
        }
    }

    /// The JSON value Kubernetes would see (used by tests that compare with upstream).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a position-less tree from JSON (objects from a cluster or an admission request).
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match value {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::Str(s.as_str().into()),
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(obj) => Value::Map(Map {
                entries: obj
                    .iter()
                    .map(|(k, v)| Entry {
                        key: k.as_str().into(),
                        key_pos: Pos::default(),
                        value: Node::from_json(v),
                    })
                    .collect(),
            }),
        };
        Node::new(value, Pos::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        Node::from_json(&serde_json::json!({
            "spec": {"containers": [{"name": "a", "securityContext": null}, {"name": "b"}]}
        }))
    }

    #[test]
    fn null_counts_as_absent() {
        let n = sample();
        let c0 = &n.get_in(&["spec", "containers"]).unwrap().items()[0];
        assert!(c0.get("securityContext").is_none());
        assert_eq!(c0.str_at("name"), Some("a"));
    }

    #[test]
    fn integral_floats_read_as_ints() {
        assert_eq!(Node::new(Value::Float(80.0), Pos::default()).as_i64(), Some(80));
        assert_eq!(Node::new(Value::Float(80.5), Pos::default()).as_i64(), None);
    }

    #[test]
    fn duplicate_insert_replaces_in_place() {
        let mut m = Map::default();
        let e = |k: &str, v: i64| Entry {
            key: k.into(),
            key_pos: Pos::default(),
            value: Node::new(Value::Int(v), Pos::default()),
        };
        assert!(!m.insert(e("a", 1)));
        assert!(!m.insert(e("b", 2)));
        assert!(m.insert(e("a", 3)));
        let keys: Vec<_> = m.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.get_entry("a").unwrap().value.as_i64(), Some(3));
    }
}
