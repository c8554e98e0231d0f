//! Documents: compact value trees with source positions.
//!
//! A [`Document`] stores one manifest document in two flat buffers: the nodes (32 bytes
//! each, children of a container stored next to each other) and a string arena holding keys
//! and string values. A [`Node`] is a cheap, copyable handle into it. This layout keeps
//! 100k documents in a few hundred megabytes and builds without one allocation per value.
//!
//! Values are stored as Kubernetes sees them after its YAML-to-JSON conversion: scalars are
//! resolved (YAML 1.1: `yes` is `true`, `0644` is 420), keys are strings, merge keys and
//! aliases are expanded (an alias shares its target's children, so expansion is free in
//! memory; the loader still bounds the logical size). Positions are 1-based line and column.
//! The position of a map entry's node is the position of its key: that is the line a
//! finding about the field should point at.

use std::fmt;
use std::sync::LazyLock;

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

/// A string in a document's arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrRef {
    offset: u32,
    len: u32,
}

impl StrRef {
    const NONE: StrRef = StrRef {
        offset: 0,
        len: u32::MAX,
    };
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Payload {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(StrRef),
    Seq { first: u32, len: u32 },
    Map { first: u32, len: u32 },
}

/// One node as stored; `key` is set for the entries of a mapping.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawNode {
    pos: Pos,
    key: StrRef,
    payload: Payload,
}

/// A node that has been built but not yet placed in its parent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pending(RawNode);

impl Pending {
    pub fn pos(&self) -> Pos {
        self.0.pos
    }

    pub fn is_map(&self) -> bool {
        matches!(self.0.payload, Payload::Map { .. })
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.0.payload, Payload::Seq { .. })
    }

    /// Moves the node to another position (an alias takes the place of its use).
    #[must_use]
    pub fn at(mut self, pos: Pos) -> Self {
        self.0.pos = pos;
        self
    }
}

/// A scalar to add to a document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'s> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'s str),
}

/// One document's nodes and strings.
#[derive(Clone, Debug, Default)]
pub struct Document {
    nodes: Vec<RawNode>,
    text: String,
    root: u32,
}

/// Builds a [`Document`] bottom-up: scalars first, then each container from its finished
/// children (which are copied next to each other), then the root.
#[derive(Debug, Default)]
pub struct DocumentBuilder {
    nodes: Vec<RawNode>,
    text: String,
}

impl DocumentBuilder {
    pub fn new() -> Self {
        DocumentBuilder::default()
    }

    pub fn with_capacity(nodes: usize, text: usize) -> Self {
        DocumentBuilder {
            nodes: Vec::with_capacity(nodes),
            text: String::with_capacity(text),
        }
    }

    /// Adds a string to the arena.
    pub fn str(&mut self, s: &str) -> StrRef {
        let offset = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(s);
        StrRef {
            offset,
            len: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    /// The text of a string added earlier.
    pub fn text_of(&self, s: StrRef) -> &str {
        text_at(&self.text, s)
    }

    pub fn scalar(&mut self, value: Scalar<'_>, pos: Pos) -> Pending {
        let payload = match value {
            Scalar::Null => Payload::Null,
            Scalar::Bool(b) => Payload::Bool(b),
            Scalar::Int(i) => Payload::Int(i),
            Scalar::UInt(u) => Payload::UInt(u),
            Scalar::Float(f) => Payload::Float(f),
            Scalar::Str(s) => Payload::Str(self.str(s)),
        };
        Pending(RawNode {
            pos,
            key: StrRef::NONE,
            payload,
        })
    }

    fn place(&mut self, children: impl Iterator<Item = RawNode>) -> (u32, u32) {
        let first = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.extend(children);
        let len = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX) - first;
        (first, len)
    }

    pub fn seq(&mut self, items: &[Pending], pos: Pos) -> Pending {
        let (first, len) = self.place(items.iter().map(|p| p.0));
        Pending(RawNode {
            pos,
            key: StrRef::NONE,
            payload: Payload::Seq { first, len },
        })
    }

    /// A mapping from `(key, key position, value)` entries; keys must already be unique.
    pub fn map(&mut self, entries: &[(StrRef, Pos, Pending)], pos: Pos) -> Pending {
        let (first, len) = self.place(entries.iter().map(|(key, key_pos, value)| RawNode {
            pos: *key_pos,
            key: *key,
            payload: value.0.payload,
        }));
        Pending(RawNode {
            pos,
            key: StrRef::NONE,
            payload: Payload::Map { first, len },
        })
    }

    /// The value of a scalar built earlier; `None` for containers.
    pub fn scalar_of(&self, node: &Pending) -> Option<Scalar<'_>> {
        Some(match node.0.payload {
            Payload::Null => Scalar::Null,
            Payload::Bool(b) => Scalar::Bool(b),
            Payload::Int(i) => Scalar::Int(i),
            Payload::UInt(u) => Scalar::UInt(u),
            Payload::Float(f) => Scalar::Float(f),
            Payload::Str(s) => Scalar::Str(self.text_of(s)),
            Payload::Seq { .. } | Payload::Map { .. } => return None,
        })
    }

    /// The entries of a finished mapping, to merge into another (`<<`): shallow copies
    /// that share their children.
    pub fn entries_of(&self, map: &Pending) -> Vec<(StrRef, Pos, Pending)> {
        match map.0.payload {
            Payload::Map { first, len } => self.nodes[first as usize..(first + len) as usize]
                .iter()
                .map(|n| {
                    (
                        n.key,
                        n.pos,
                        Pending(RawNode {
                            pos: n.pos,
                            key: StrRef::NONE,
                            payload: n.payload,
                        }),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of a finished sequence.
    pub fn items_of(&self, seq: &Pending) -> Vec<Pending> {
        match seq.0.payload {
            Payload::Seq { first, len } => self.nodes[first as usize..(first + len) as usize]
                .iter()
                .map(|n| Pending(*n))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Finishes the document with `root`.
    pub fn finish(mut self, root: Pending) -> Document {
        let root_id = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(root.0);
        self.nodes.shrink_to_fit();
        self.text.shrink_to_fit();
        Document {
            nodes: self.nodes,
            text: self.text,
            root: root_id,
        }
    }
}

/// Byte equality for short slices (keys), without a call into `memcmp`.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[inline]
fn text_at(text: &str, s: StrRef) -> &str {
    let start = s.offset as usize;
    text.get(start..start + s.len as usize).unwrap_or("")
}

static EMPTY_MAP: LazyLock<Document> = LazyLock::new(|| {
    let mut b = DocumentBuilder::new();
    let root = b.map(&[], Pos::default());
    b.finish(root)
});

impl Document {
    pub fn root(&self) -> Node<'_> {
        Node {
            doc: self,
            id: self.root,
        }
    }

    /// A node by id (ids come from [`Node::id`]).
    pub fn node(&self, id: u32) -> Node<'_> {
        Node { doc: self, id }
    }

    /// An empty mapping, for "this field is absent" views.
    pub fn empty_map() -> Node<'static> {
        EMPTY_MAP.root()
    }

    /// Builds a position-less document from JSON (objects from a cluster or an admission
    /// request).
    pub fn from_json(value: &serde_json::Value) -> Document {
        fn build(b: &mut DocumentBuilder, v: &serde_json::Value) -> Pending {
            use serde_json::Value as J;
            let pos = Pos::default();
            match v {
                J::Null => b.scalar(Scalar::Null, pos),
                J::Bool(x) => b.scalar(Scalar::Bool(*x), pos),
                J::Number(n) => {
                    let s = if let Some(i) = n.as_i64() {
                        Scalar::Int(i)
                    } else if let Some(u) = n.as_u64() {
                        Scalar::UInt(u)
                    } else {
                        Scalar::Float(n.as_f64().unwrap_or(f64::NAN))
                    };
                    b.scalar(s, pos)
                }
                J::String(s) => b.scalar(Scalar::Str(s), pos),
                J::Array(items) => {
                    let items: Vec<Pending> = items.iter().map(|i| build(b, i)).collect();
                    b.seq(&items, pos)
                }
                J::Object(obj) => {
                    let entries: Vec<(StrRef, Pos, Pending)> = obj
                        .iter()
                        .map(|(k, v)| {
                            let value = build(b, v);
                            (b.str(k), pos, value)
                        })
                        .collect();
                    b.map(&entries, pos)
                }
            }
        }
        let mut b = DocumentBuilder::new();
        let root = build(&mut b, value);
        b.finish(root)
    }
}

/// A handle to one node of a [`Document`].
#[derive(Clone, Copy)]
pub struct Node<'a> {
    doc: &'a Document,
    id: u32,
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({} @{})", self.to_json(), self.pos())
    }
}

impl PartialEq for Node<'_> {
    /// Equal values (positions not compared).
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

/// A node's value.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a str),
    Seq(Items<'a>),
    Map(Entries<'a>),
}

/// The items of a sequence.
#[derive(Clone, Copy, Debug)]
pub struct Items<'a> {
    doc: &'a Document,
    next: u32,
    end: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        (self.next < self.end).then(|| {
            let n = Node {
                doc: self.doc,
                id: self.next,
            };
            self.next += 1;
            n
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next) as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Items<'_> {}

impl DoubleEndedIterator for Items<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            Node {
                doc: self.doc,
                id: self.end,
            }
        })
    }
}

impl<'a> Items<'a> {
    /// The `len` children stored from `first` on.
    #[inline]
    const fn span(doc: &'a Document, first: u32, len: u32) -> Self {
        Items {
            doc,
            next: first,
            end: first + len,
        }
    }

    const fn empty(doc: &'a Document) -> Self {
        Items {
            doc,
            next: 0,
            end: 0,
        }
    }

    pub fn get(&self, index: usize) -> Option<Node<'a>> {
        let id = self.next.checked_add(u32::try_from(index).ok()?)?;
        (id < self.end).then_some(Node { doc: self.doc, id })
    }
}

/// The entries of a mapping, in document order.
#[derive(Clone, Copy, Debug)]
pub struct Entries<'a> {
    items: Items<'a>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, Node<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.items.next().map(|n| (n.key().unwrap_or(""), n))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl<'a> Entries<'a> {
    /// The entry node for `key` (nulls included). Hot: every rule looks fields up, so this
    /// compares lengths before bytes and skips UTF-8 boundary checks (keys are whole strings).
    pub fn entry(&self, key: &str) -> Option<Node<'a>> {
        let doc = self.items.doc;
        let want = key.as_bytes();
        let text = doc.text.as_bytes();
        let nodes = &doc.nodes[self.items.next as usize..self.items.end as usize];
        nodes
            .iter()
            .position(|n| {
                n.key.len as usize == want.len()
                    && text
                        .get(n.key.offset as usize..n.key.offset as usize + want.len())
                        .is_some_and(|k| short_eq(k, want))
            })
            .map(|i| Node {
                doc,
                id: self.items.next + i as u32,
            })
    }
}

impl<'a> Node<'a> {
    #[inline]
    fn raw(&self) -> &'a RawNode {
        &self.doc.nodes[self.id as usize]
    }

    /// The entries of this node when it is a mapping, read straight from the payload:
    /// the lookups below are the hottest code of an evaluation.
    #[inline]
    fn map_entries(&self) -> Option<Entries<'a>> {
        match self.raw().payload {
            Payload::Map { first, len } => Some(Entries {
                items: Items::span(self.doc, first, len),
            }),
            _ => None,
        }
    }

    /// The node's id within its document.
    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn document(&self) -> &'a Document {
        self.doc
    }

    /// Where the node is written: for a mapping entry, its key; otherwise the value itself.
    pub fn pos(&self) -> Pos {
        self.raw().pos
    }

    /// The key, when this node is an entry of a mapping.
    pub fn key(&self) -> Option<&'a str> {
        let k = self.raw().key;
        (k.len != u32::MAX).then(|| text_at(&self.doc.text, k))
    }

    pub fn value(&self) -> Value<'a> {
        match self.raw().payload {
            Payload::Null => Value::Null,
            Payload::Bool(b) => Value::Bool(b),
            Payload::Int(i) => Value::Int(i),
            Payload::UInt(u) => Value::UInt(u),
            Payload::Float(f) => Value::Float(f),
            Payload::Str(s) => Value::Str(text_at(&self.doc.text, s)),
            Payload::Seq { first, len } => Value::Seq(Items::span(self.doc, first, len)),
            Payload::Map { first, len } => Value::Map(Entries {
                items: Items::span(self.doc, first, len),
            }),
        }
    }

    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self.raw().payload, Payload::Null)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.raw().payload, Payload::Map { .. })
    }

    /// The entry for `key`, with an explicit `null` treated as absent: the API server
    /// decodes into typed Go structs, where both are a nil pointer.
    #[inline]
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.entry(key).filter(|n| !n.is_null())
    }

    /// The entry for `key`, nulls included.
    #[inline]
    pub fn entry(&self, key: &str) -> Option<Node<'a>> {
        self.map_entries()?.entry(key)
    }

    /// Follows a chain of keys (see [`Node::get`]).
    pub fn get_in(&self, keys: &[&str]) -> Option<Node<'a>> {
        keys.iter().try_fold(*self, |node, key| node.get(key))
    }

    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.raw().payload {
            Payload::Str(s) => Some(text_at(&self.doc.text, s)),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.raw().payload {
            Payload::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer as a typed Go int field would receive it. YAML floats with an integral
    /// value count: the YAML-to-JSON conversion prints `8e1` as `80`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.raw().payload {
            Payload::Int(i) => Some(i),
            Payload::UInt(u) => i64::try_from(u).ok(),
            Payload::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                Some(f as i64)
            }
            _ => None,
        }
    }

    /// The entries of a mapping, or `None` when this is not a mapping.
    pub fn as_map(&self) -> Option<Entries<'a>> {
        self.map_entries()
    }

    /// The items of a sequence, or nothing when this is not a sequence.
    #[inline]
    pub fn items(&self) -> Items<'a> {
        match self.raw().payload {
            Payload::Seq { first, len } => Items::span(self.doc, first, len),
            _ => Items::empty(self.doc),
        }
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.raw().payload, Payload::Seq { .. })
    }

    /// The string under `key`, if it is a string.
    #[inline]
    pub fn str_at(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(|n| n.as_str())
    }

    /// The bool under `key`, if it is a bool.
    #[inline]
    pub fn bool_at(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(|n| n.as_bool())
    }

    /// The node at `path`, if every segment exists (nulls count as absent).
    pub fn at(&self, path: &FieldPath) -> Option<Node<'a>> {
        path.segments().try_fold(*self, |node, seg| match seg {
            Segment::Key(k) => node.get(k),
            Segment::Index(i) => node.items().get(i),
        })
    }

    /// Where `path` is written: the key of the deepest map entry (or the sequence item) that
    /// exists along the path. A path to a missing field resolves to its nearest parent.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        let mut node = *self;
        for seg in path.segments() {
            let next = match seg {
                Segment::Key(k) => node.entry(k),
                Segment::Index(i) if node.is_seq() => node.items().get(i),
                Segment::Index(_) => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node.pos()
    }

    /// The JSON value Kubernetes would see.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value() {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::UInt(u) => J::from(u),
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.map(|n| n.to_json()).collect()),
            Value::Map(entries) => {
                J::Object(entries.map(|(k, v)| (k.to_string(), v.to_json())).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_compact() {
        assert_eq!(std::mem::size_of::<RawNode>(), 32);
    }

    #[test]
    fn null_counts_as_absent() {
        let d = Document::from_json(&serde_json::json!({
            "spec": {"containers": [{"name": "a", "securityContext": null}, {"name": "b"}]}
        }));
        let c0 = d
            .root()
            .get_in(&["spec", "containers"])
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert!(c0.get("securityContext").is_none());
        assert!(c0.entry("securityContext").is_some());
        assert_eq!(c0.str_at("name"), Some("a"));
        assert_eq!(
            d.root()
                .get_in(&["spec", "containers"])
                .unwrap()
                .items()
                .len(),
            2
        );
    }

    #[test]
    fn builder_places_children_contiguously() {
        let mut b = DocumentBuilder::new();
        let a = b.scalar(Scalar::Int(1), Pos::new(1, 4));
        let inner = b.seq(&[a, a], Pos::new(2, 3));
        let k1 = b.str("a");
        let k2 = b.str("b");
        let root = b.map(
            &[(k1, Pos::new(1, 1), a), (k2, Pos::new(2, 1), inner)],
            Pos::new(1, 1),
        );
        let d = b.finish(root);
        assert_eq!(d.root().to_json(), serde_json::json!({"a": 1, "b": [1, 1]}));
        assert_eq!(d.root().get("b").unwrap().pos(), Pos::new(2, 1));
        assert_eq!(d.root().locate(&FieldPath::parse("b[1]")), Pos::new(1, 4));
        assert_eq!(d.root().locate(&FieldPath::parse("b[5].x")), Pos::new(2, 1));
    }

    #[test]
    fn integral_floats_read_as_ints() {
        let d = Document::from_json(&serde_json::json!({"a": 80.0, "b": 80.5}));
        assert_eq!(d.root().get("a").unwrap().as_i64(), Some(80));
        assert_eq!(d.root().get("b").unwrap().as_i64(), None);
    }
}
