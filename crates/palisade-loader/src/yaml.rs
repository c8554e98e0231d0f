//! YAML (and JSON, which the same parser reads) into position-carrying value trees.
//!
//! saphyr-parser supplies the events and their positions; this module builds the tree the
//! way sigs.k8s.io/yaml + go-yaml v2 would decode it: plain scalars resolved by YAML 1.1
//! rules, map keys turned into strings, `<<` merge keys applied, aliases expanded. It is
//! iterative (no recursion), so nesting depth costs heap, and every node counts against
//! [`Limits::max_nodes`], so alias bombs stop early.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_model::{Document, DocumentBuilder, Node, Pending, Pos, StrRef, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::error::{ErrorKind, LoadError, LoadWarning};
use crate::limits::Limits;
use crate::resolve::{self, key_string, plain_key, resolve_plain, resolve_tagged};
use crate::split::Chunk;

/// One parsed document and any warnings.
#[derive(Debug)]
pub struct ParsedDocument {
    pub doc: Document,
    pub warnings: Vec<LoadWarning>,
}

/// Parses one chunk of `file` into its documents. Parsing
/// stops at the first error (a YAML parser cannot resynchronise inside a document), which
/// is returned last; empty documents are dropped.
pub fn parse_documents<'a>(
    chunk: &Chunk<'a>,
    file: &'a Arc<str>,
    limits: &'a Limits,
) -> Vec<Result<ParsedDocument, LoadError>> {
    if let Ok(fast) = crate::fast::parse(chunk, file, limits) {
        return fast.into_iter().map(Ok).collect();
    }
    parse_general(chunk, file, limits)
}

/// The general parser alone (the fast path's differential tests compare against it).
pub fn parse_general<'a>(
    chunk: &Chunk<'a>,
    file: &'a Arc<str>,
    limits: &'a Limits,
) -> Vec<Result<ParsedDocument, LoadError>> {
    let mut out = Vec::new();
    let mut builder = Builder::new(chunk, file, limits);
    let mut parser = Parser::new_from_str(chunk.text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => match builder.event(event, span) {
                Ok(Some(doc)) => out.push(Ok(doc)),
                Ok(None) => {}
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            },
            Err(e) => {
                let m = e.marker();
                let pos = builder.pos_of(m.line(), m.col());
                // saphyr bounds flow nesting itself (at 256); report it as the limit it is.
                let error = if e.info() == "recursion limit exceeded" {
                    builder.error_at(
                        pos,
                        ErrorKind::Limit,
                        "nesting deeper than the parser's limit of 256 flow levels (--max-depth)"
                            .into(),
                    )
                } else {
                    builder.error_at(pos, ErrorKind::Syntax, e.info().to_string())
                };
                out.push(Err(error));
                break;
            }
        }
    }
    out
}

enum KeySlot {
    Key(StrRef, Pos),
    Merge(Pos),
}

enum Frame {
    Seq {
        items: Vec<Pending>,
        pos: Pos,
        anchor: usize,
        count: usize,
    },
    Map {
        entries: Vec<(StrRef, Pos, Pending)>,
        pos: Pos,
        anchor: usize,
        count: usize,
        key: Option<KeySlot>,
    },
}

struct Builder<'a> {
    line_offset: u32,
    first_column_offset: u32,
    /// The chunk's text when it is YAML holding a `\/` escape, which YAML 1.2 (saphyr)
    /// accepts and YAML 1.1 (kubectl) refuses; such scalars are checked against the source.
    escape_check: Option<&'a str>,
    file: &'a Arc<str>,
    limits: &'a Limits,
    stack: Vec<Frame>,
    /// Anchored nodes and the logical size of their subtree (aliases share children).
    anchors: HashMap<usize, (Pending, usize)>,
    nodes: usize,
    non_finite: bool,
    doc: DocumentBuilder,
    root: Option<Pending>,
    warnings: Vec<LoadWarning>,
}

impl<'a> Builder<'a> {
    fn new(chunk: &Chunk<'a>, file: &'a Arc<str>, limits: &'a Limits) -> Self {
        Builder {
            escape_check: (!chunk.json && chunk.text.contains("\\/")).then_some(chunk.text),
            line_offset: chunk.first_line.saturating_sub(1),
            first_column_offset: chunk.first_column_offset,
            file,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            non_finite: false,
            doc: DocumentBuilder::with_capacity(chunk.text.len() / 12, chunk.text.len() / 2),
            root: None,
            warnings: Vec::new(),
        }
    }

    fn pos_of(&self, line: usize, col: usize) -> Pos {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let mut col = u32::try_from(col).unwrap_or(u32::MAX - 1).saturating_add(1);
        if line <= 1 {
            col = col.saturating_add(self.first_column_offset);
        }
        Pos::new(line.saturating_add(self.line_offset), col)
    }

    fn span_pos(&self, span: &Span) -> Pos {
        self.pos_of(span.start.line(), span.start.col())
    }

    fn error_at(&self, pos: Pos, kind: ErrorKind, message: String) -> LoadError {
        LoadError {
            file: self.file.clone(),
            pos: Some(pos),
            kind,
            message,
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.nodes = 0;
        self.non_finite = false;
        self.doc = DocumentBuilder::new();
        self.root = None;
        self.warnings.clear();
    }

    /// Feeds one event; returns a document when one is complete.
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<Option<ParsedDocument>, LoadError> {
        let pos = self.span_pos(&span);
        match event {
            Event::DocumentStart(_) => self.reset(),
            Event::DocumentEnd => {
                let Some(root) = self.root.take() else {
                    return Ok(None);
                };
                let doc = std::mem::take(&mut self.doc).finish(root);
                // Only values that survive (a later duplicate key may replace one) reach
                // Kubernetes' JSON encoder, which refuses infinities and NaN.
                if self.non_finite
                    && let Some(at) = find_non_finite(doc.root())
                {
                    return Err(self.error_at(
                        at,
                        ErrorKind::Structure,
                        "`.inf`/`.nan` is not a number JSON can hold; Kubernetes cannot \
                             convert this document"
                            .into(),
                    ));
                }
                return Ok(Some(ParsedDocument {
                    doc,
                    warnings: std::mem::take(&mut self.warnings),
                }));
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count_nodes(1, pos)?;
                if style == ScalarStyle::DoubleQuoted {
                    self.check_yaml_1_1_escapes(&span, pos)?;
                }
                if self.awaiting_key() {
                    self.scalar_key(&text, style, tag.as_deref(), pos)?;
                    if anchor != 0 {
                        let value = self.scalar_value(&text, style, tag.as_deref(), pos)?;
                        let node = self.doc.scalar(value.scalar(), pos);
                        self.anchors.insert(anchor, (node, 1));
                    }
                } else {
                    let value = self.scalar_value(&text, style, tag.as_deref(), pos)?;
                    if matches!(value, resolve::Value::Float(f) if !f.is_finite()) {
                        self.non_finite = true;
                    }
                    let node = self.doc.scalar(value.scalar(), pos);
                    self.complete(node, 1, anchor, pos)?;
                }
            }
            Event::SequenceStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                    count: 1,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    pos,
                    anchor,
                    count: 1,
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, count, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        pos,
                        anchor,
                        count,
                    }) => (self.doc.seq(&items, pos), count, anchor),
                    Some(Frame::Map {
                        entries,
                        pos,
                        anchor,
                        count,
                        ..
                    }) => (self.doc.map(&entries, pos), count, anchor),
                    None => return Ok(None),
                };
                let at = node.pos();
                self.complete(node, count, anchor, at)?;
            }
            Event::Alias(id) => {
                let Some((node, count)) = self.anchors.get(&id) else {
                    return Err(self.error_at(
                        pos,
                        ErrorKind::Structure,
                        "alias refers to an anchor that is not defined before it (or contains itself)"
                            .into(),
                    ));
                };
                let (node, count) = (*node, *count);
                self.count_nodes(count, pos)?;
                if self.awaiting_key() {
                    let key = self
                        .alias_key(&node)
                        .map_err(|m| self.error_at(pos, ErrorKind::Structure, m))?;
                    self.set_key(KeySlot::Key(key, pos));
                } else {
                    self.complete(node.at(pos), count, 0, pos)?;
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    /// Refuses `\/` in a double-quoted YAML scalar, as go-yaml v2 does ("found unknown
    /// escape character"). Only runs for chunks that contain the sequence at all.
    fn check_yaml_1_1_escapes(&self, span: &Span, pos: Pos) -> Result<(), LoadError> {
        let Some(text) = self.escape_check else {
            return Ok(());
        };
        let byte_at = |char_index: usize| {
            text.char_indices()
                .nth(char_index)
                .map_or(text.len(), |(b, _)| b)
        };
        // Walk from the opening quote to its closing quote; the event's span end is not
        // reliable for this (it can reach past the scalar, into a trailing comment).
        let mut chars = text[byte_at(span.start.index())..].chars();
        if chars.next() != Some('"') {
            return Ok(());
        }
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' if chars.next() == Some('/') => {
                    return Err(self.error_at(
                        pos,
                        ErrorKind::Syntax,
                        "found unknown escape character `\\/` in a double-quoted string \
                         (YAML 1.1, which Kubernetes reads, has no such escape; write `/`)"
                            .into(),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn set_key(&mut self, slot: KeySlot) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = Some(slot);
        }
    }

    /// A mapping or sequence starts: it may not be a key, and the depth is bounded.
    fn open(&mut self, pos: Pos) -> Result<(), LoadError> {
        if self.awaiting_key() {
            return Err(self.error_at(
                pos,
                ErrorKind::Structure,
                "invalid map key: a mapping or sequence cannot be a key in Kubernetes manifests"
                    .into(),
            ));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error_at(
                pos,
                ErrorKind::Limit,
                format!(
                    "nesting deeper than {} levels (limit --max-depth)",
                    self.limits.max_depth
                ),
            ));
        }
        self.count_nodes(1, pos)
    }

    fn count_nodes(&mut self, n: usize, pos: Pos) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(self.error_at(
                pos,
                ErrorKind::Limit,
                format!(
                    "document expands to more than {} nodes (limit --max-nodes); \
                     aliases that multiply content (an alias bomb) cause this",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// The key string of an aliased scalar used as a key.
    fn alias_key(&mut self, node: &Pending) -> Result<StrRef, String> {
        let key = match self.doc.scalar_of(node) {
            Some(scalar) => crate::resolve::key_of_scalar(scalar)?.into_owned(),
            None => return Err("invalid map key: a mapping or sequence".to_string()),
        };
        Ok(self.doc.str(&key))
    }

    fn scalar_value<'t>(
        &self,
        text: &'t str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        pos: Pos,
    ) -> Result<resolve::Value<'t>, LoadError> {
        match tag {
            Some(tag) if tag.is_yaml_core_schema() => resolve_tagged(&tag.suffix, text)
                .map_err(|m| self.error_at(pos, ErrorKind::Structure, m)),
            // Any other tag (`!foo`, `!`): go-yaml leaves the scalar a string.
            Some(_) => Ok(resolve::Value::Str(text.into())),
            None if style == ScalarStyle::Plain => Ok(resolve_plain(text)),
            None => Ok(resolve::Value::Str(text.into())),
        }
    }

    fn scalar_key(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        pos: Pos,
    ) -> Result<(), LoadError> {
        let is_merge = match tag {
            Some(t) => t.is_yaml_core_schema() && t.suffix == "merge",
            None => style == ScalarStyle::Plain && text == "<<",
        };
        if is_merge {
            self.set_key(KeySlot::Merge(pos));
            return Ok(());
        }
        let key = match (tag, style) {
            (None, ScalarStyle::Plain) => {
                let key =
                    plain_key(text).map_err(|m| self.error_at(pos, ErrorKind::Structure, m))?;
                self.doc.str(&key)
            }
            _ => {
                let value = self.scalar_value(text, style, tag, pos)?;
                let key =
                    key_string(&value).map_err(|m| self.error_at(pos, ErrorKind::Structure, m))?;
                self.doc.str(&key)
            }
        };
        self.set_key(KeySlot::Key(key, pos));
        Ok(())
    }

    /// A node is finished: remember it if anchored, then attach it to its parent. `count` is
    /// the size of its subtree (already charged to the node budget when created).
    fn complete(
        &mut self,
        node: Pending,
        count: usize,
        anchor: usize,
        pos: Pos,
    ) -> Result<(), LoadError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node, count));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq {
                items, count: c, ..
            }) => {
                *c += count;
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                key,
                count: c,
                ..
            }) => {
                *c += count;
                match key.take() {
                    Some(KeySlot::Key(k, key_pos)) => {
                        if insert(&self.doc, entries, 0, (k, key_pos, node)) {
                            self.warnings.push(duplicate_key_warning(
                                self.file,
                                key_pos,
                                self.doc.text_of(k),
                            ));
                        }
                    }
                    Some(KeySlot::Merge(merge_pos)) => {
                        merge(&self.doc, entries, node).map_err(|m| LoadError {
                            file: self.file.clone(),
                            pos: Some(merge_pos),
                            kind: ErrorKind::Structure,
                            message: m,
                        })?;
                    }
                    None => {
                        return Err(self.error_at(
                            pos,
                            ErrorKind::Structure,
                            "invalid map key: a mapping or sequence cannot be a key".into(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn duplicate_key_warning(file: &Arc<str>, pos: Pos, key: &str) -> LoadWarning {
    LoadWarning {
        file: file.clone(),
        pos,
        message: format!(
            "duplicate key {key:?}: the later value wins, as in kubectl, \
             but readers of the file may see the first"
        ),
    }
}

/// Inserts or replaces an entry; returns true when the key was already there.
/// The mapping's entries are `entries[base..]` (the fast path keeps every open mapping in
/// one buffer; the general parser uses one buffer per mapping, base 0).
pub(crate) fn insert(
    doc: &DocumentBuilder,
    entries: &mut Vec<(StrRef, Pos, Pending)>,
    base: usize,
    entry: (StrRef, Pos, Pending),
) -> bool {
    let key = doc.text_of(entry.0);
    match entries[base..]
        .iter_mut()
        .find(|(k, _, _)| doc.text_of(*k) == key)
    {
        Some(existing) => {
            *existing = entry;
            true
        }
        None => {
            entries.push(entry);
            false
        }
    }
}

fn find_non_finite(node: Node<'_>) -> Option<Pos> {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.value() {
            Value::Float(f) if !f.is_finite() => return Some(n.pos()),
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.map(|(_, v)| v)),
            _ => {}
        }
    }
    None
}

/// go-yaml v2 merge semantics: a mapping's entries are set in order (overwriting keys set
/// before the `<<`, while later explicit keys overwrite them); for a sequence of mappings the
/// items are applied last to first, so the first one wins among them.
fn merge(
    doc: &DocumentBuilder,
    entries: &mut Vec<(StrRef, Pos, Pending)>,
    value: Pending,
) -> Result<(), String> {
    const WANT: &str = "map merge requires map or sequence of maps as the value";
    if value.is_map() {
        for e in doc.entries_of(&value) {
            insert(doc, entries, 0, e);
        }
        return Ok(());
    }
    if !value.is_seq() {
        return Err(WANT.into());
    }
    let items = doc.items_of(&value);
    if items.iter().any(|i| !i.is_map()) {
        return Err(WANT.into());
    }
    for item in items.iter().rev() {
        for e in doc.entries_of(item) {
            insert(doc, entries, 0, e);
        }
    }
    Ok(())
}
