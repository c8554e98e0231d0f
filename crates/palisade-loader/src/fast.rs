//! The fast path: a parser for the block-style YAML subset that nearly every Kubernetes
//! manifest is written in, several times faster than the general parser.
//!
//! It handles block mappings and sequences (including compact `- key: value` items and
//! sequences indented level with their key), plain and single-line quoted scalars,
//! single-line flow collections, literal block scalars (`|`, `|-`, `|+`) and comments. On
//! anything else (anchors, aliases, tags, merge keys, folded or multi-line scalars, tabs,
//! complex keys, directives, errors of any kind) it gives up and the document goes to the
//! general parser (yaml.rs), which also produces every error message. It never guesses.
//!
//! The contract: when it returns a document, that document is identical (values, keys,
//! positions, duplicate-key warnings) to what the general parser builds. The differential
//! tests (tests/fast_path.rs) and the `fast_path` fuzz target hold it to that.

use std::sync::Arc;

use palisade_model::{DocumentBuilder, Pending, Pos, Scalar, StrRef};

use crate::error::LoadWarning;
use crate::limits::Limits;
use crate::resolve::{self, plain_key, resolve_plain};
use crate::split::Chunk;
use crate::words::{HIGH_BITS, has_byte, has_byte_below};
use crate::yaml::{ParsedDocument, duplicate_key_warning, insert};

/// Why the fast path declined; only used to fall back.
#[derive(Debug)]
pub struct Bail;

type R<T> = Result<T, Bail>;

#[derive(Clone, Copy, Debug)]
struct Line {
    /// Byte range of the line without its newline.
    start: usize,
    end: usize,
    /// Leading spaces.
    indent: usize,
    /// Blank or comment-only.
    empty: bool,
    ascii: bool,
}

struct Fast<'t> {
    text: &'t str,
    lines: Vec<Line>,
    /// Next line to read.
    at: usize,
    line_offset: u32,
    first_column_offset: u32,
    b: DocumentBuilder,
    nodes: usize,
    limits: &'t Limits,
    file: &'t Arc<str>,
    warnings: Vec<LoadWarning>,
    /// Entries of the mappings being built, innermost last (one buffer for the whole
    /// document instead of one per mapping).
    entries: Vec<(StrRef, Pos, Pending)>,
    /// Items of the sequences being built, likewise.
    items: Vec<Pending>,
}

/// Parses one chunk on the fast path, or declines.
pub fn parse(
    chunk: &Chunk<'_>,
    file: &Arc<str>,
    limits: &Limits,
) -> Result<Option<ParsedDocument>, Bail> {
    if chunk.json {
        return Err(Bail);
    }
    let text = chunk.text;
    // One pass over the bytes: split lines, measure indentation, and decline control
    // characters (tabs and carriage returns included), whose rules are subtle.
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut all_ascii = true;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let content = i;
        let mut ascii = true;
        // Eight bytes at a time while none of them ends the line or is a control
        // character; the word that does is finished byte by byte below.
        while let Some(word) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            if has_byte(w, b'\n') || has_byte_below(w, 0x20) || has_byte(w, 0x7f) {
                break;
            }
            ascii &= w & HIGH_BITS == 0;
            i += 8;
        }
        while i < bytes.len() && bytes[i] != b'\n' {
            let b = bytes[i];
            if b < 0x20 || b == 0x7f {
                return Err(Bail);
            }
            ascii &= b < 0x80;
            i += 1;
        }
        lines.push(Line {
            start,
            end: i,
            indent: content - start,
            empty: content == i || bytes[content] == b'#',
            ascii,
        });
        all_ascii &= ascii;
        i += 1;
    }
    // The odd Unicode line separators and specials are left to the general parser too.
    if !all_ascii
        && text.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        })
    {
        return Err(Bail);
    }
    // A document end marker (`...` at column 0, then white space or nothing) ends the
    // document; nothing may follow it, on its line or after. Anything else is left to the
    // general parser.
    if let Some(end) = lines.iter().position(|l| {
        let t = &text[l.start..l.end];
        t.starts_with("...") && t[3..].bytes().next().is_none_or(|b| b == b' ')
    }) {
        let marker = &text[lines[end].start..lines[end].end];
        if !marker[3..].trim().is_empty() || lines[end + 1..].iter().any(|l| !l.empty) {
            return Err(Bail);
        }
        lines.truncate(end);
    }
    let node_estimate = lines.len() + lines.len() / 4;
    let mut p = Fast {
        text,
        lines,
        at: 0,
        line_offset: chunk.first_line.saturating_sub(1),
        first_column_offset: chunk.first_column_offset,
        b: DocumentBuilder::with_capacity(node_estimate, text.len() / 2),
        nodes: 0,
        limits,
        file,
        warnings: Vec::new(),
        entries: Vec::with_capacity(64),
        items: Vec::with_capacity(32),
    };
    p.skip_empty();
    let Some(first) = p.current() else {
        return Ok(None);
    };
    let content = p.content(first);
    if content.starts_with(['%', '!', '&', '*', '?'])
        || content.starts_with("---")
        || content.starts_with("...")
    {
        return Err(Bail);
    }
    let root = p.block_node_at(first.indent, 0, true)?;
    p.skip_empty();
    if p.current().is_some() {
        return Err(Bail);
    }
    let doc = p.b.finish(root);
    Ok(Some(ParsedDocument {
        doc,
        warnings: p.warnings,
    }))
}

/// Indicators a plain scalar cannot start with (quotes, dashes, `?` and `:` are handled
/// where they matter).
fn starts_non_plain(b: u8) -> bool {
    is_flow_indicator(b)
        || matches!(
            b,
            b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`'
        )
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'t> Fast<'t> {
    fn current(&self) -> Option<Line> {
        self.lines.get(self.at).copied()
    }

    fn skip_empty(&mut self) {
        while self.lines.get(self.at).is_some_and(|l| l.empty) {
            self.at += 1;
        }
    }

    /// The next non-empty line, without consuming anything.
    fn peek_content(&self) -> Option<Line> {
        self.lines[self.at.min(self.lines.len())..]
            .iter()
            .find(|l| !l.empty)
            .copied()
    }

    fn content(&self, line: Line) -> &'t str {
        &self.text[line.start + line.indent..line.end]
    }

    /// Position of byte `offset` (within the chunk) on `line`.
    fn pos(&self, line_index: usize, line: Line, offset: usize) -> Pos {
        let col = if line.ascii {
            offset - line.start
        } else {
            self.text[line.start..offset].chars().count()
        };
        let mut column = u32::try_from(col).unwrap_or(u32::MAX - 1) + 1;
        if line_index == 0 {
            column += self.first_column_offset;
        }
        let line_no = u32::try_from(line_index).unwrap_or(u32::MAX - 1) + 1;
        Pos::new(line_no + self.line_offset, column)
    }

    fn count(&mut self, depth: usize) -> R<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes || depth >= self.limits.max_depth {
            return Err(Bail);
        }
        Ok(())
    }

    /// A block node whose first line is the current line, at `indent`: a sequence if the line
    /// starts with a dash, else a mapping if it holds a key, else a single-line scalar.
    fn block_node_at(&mut self, indent: usize, depth: usize, root: bool) -> R<Pending> {
        let line = self.current().ok_or(Bail)?;
        if line.indent != indent {
            return Err(Bail);
        }
        let content = self.content(line);
        if is_dash(content) {
            return self.block_seq(indent, depth);
        }
        if self.find_key(line, line.start + indent)?.is_some() {
            return self.block_map(indent, depth);
        }
        // A lone scalar or flow collection: a document root, or a value on its own line.
        if content.starts_with('|') {
            return Err(Bail);
        }
        let idx = self.at;
        self.at += 1;
        let (node, _) = self.inline_scalar_or_flow(idx, line, line.start + indent, depth)?;
        let _ = root;
        self.ensure_no_continuation(indent)?;
        Ok(node)
    }

    /// After a single-line value, the next content line must not be more indented than the
    /// structure it belongs to (that would continue a multi-line scalar).
    fn ensure_no_continuation(&mut self, parent_indent: usize) -> R<()> {
        match self.peek_content() {
            Some(next) if next.indent > parent_indent => Err(Bail),
            _ => Ok(()),
        }
    }

    fn block_map(&mut self, indent: usize, depth: usize) -> R<Pending> {
        self.count(depth)?;
        let first = self.current().ok_or(Bail)?;
        let map_pos = self.pos(self.at, first, first.start + indent);
        let base = self.entries.len();
        loop {
            self.skip_empty();
            let Some(line) = self.current() else { break };
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(Bail);
            }
            let idx = self.at;
            let Some(token) = self.find_key(line, line.start + indent)? else {
                return Err(Bail);
            };
            let key = self.make_key(&token)?;
            let key_pos = self.pos(idx, line, token.start);
            let value_start = token.value_start;
            self.at += 1;
            let value = self.value_after_key(idx, line, value_start, indent, depth + 1)?;
            self.add_entry(base, (key, key_pos, value));
        }
        let node = self.b.map(&self.entries[base..], map_pos);
        self.entries.truncate(base);
        Ok(node)
    }

    /// Adds an entry to the mapping whose entries start at `base` of the shared buffer
    /// (a duplicate key replaces the earlier value, with a warning).
    fn add_entry(&mut self, base: usize, entry: (StrRef, Pos, Pending)) {
        if insert(&self.b, &mut self.entries, base, entry) {
            self.warnings.push(duplicate_key_warning(
                self.file,
                entry.1,
                self.b.text_of(entry.0),
            ));
        }
    }

    /// The value of `key:` whose remaining text starts at `value_start` on line `idx`.
    fn value_after_key(
        &mut self,
        idx: usize,
        line: Line,
        value_start: usize,
        key_indent: usize,
        depth: usize,
    ) -> R<Pending> {
        let rest = &self.text[value_start..line.end];
        let trimmed = rest.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // The value is on the following lines, or empty.
            self.skip_empty();
            match self.current() {
                Some(next) if next.indent > key_indent => {
                    self.block_node_at(next.indent, depth, false)
                }
                Some(next) if next.indent == key_indent && is_dash(self.content(next)) => {
                    self.block_seq(key_indent, depth)
                }
                _ => {
                    self.count(depth)?;
                    // The general parser puts the empty scalar right after the colon.
                    let pos = self.pos(idx, line, value_start);
                    Ok(self.b.scalar(Scalar::Null, pos))
                }
            }
        } else {
            let start = line.end - trimmed.len();
            if trimmed.starts_with('|') {
                return self.literal(idx, line, start, key_indent, depth);
            }
            let (node, _) = self.inline_scalar_or_flow(idx, line, start, depth)?;
            self.ensure_no_continuation(key_indent)?;
            Ok(node)
        }
    }

    fn block_seq(&mut self, indent: usize, depth: usize) -> R<Pending> {
        self.count(depth)?;
        let first = self.current().ok_or(Bail)?;
        let idx0 = self.at;
        let dash_pos = self.pos(idx0, first, first.start + indent);
        let base = self.items.len();
        loop {
            self.skip_empty();
            let Some(line) = self.current() else { break };
            if line.indent < indent || !is_dash(self.content(line)) {
                if line.indent > indent {
                    return Err(Bail);
                }
                break;
            }
            if line.indent > indent {
                return Err(Bail);
            }
            let idx = self.at;
            let dash = line.start + indent;
            let after = &self.text[dash + 1..line.end];
            let spaces = after.bytes().take_while(|&b| b == b' ').count();
            let item_start = dash + 1 + spaces;
            let rest = &self.text[item_start..line.end];
            let item = if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                self.skip_empty();
                match self.current() {
                    Some(next) if next.indent > indent => {
                        self.block_node_at(next.indent, depth + 1, false)?
                    }
                    _ => {
                        self.count(depth + 1)?;
                        // The general parser places an empty item at the end of its line.
                        let pos = self.pos(idx, line, line.end);
                        self.b.scalar(Scalar::Null, pos)
                    }
                }
            } else {
                let col = item_start - line.start;
                if is_dash(rest) {
                    // `- - a`: a nested sequence whose dashes sit at this column.
                    self.retarget(idx, col)?;
                    self.block_seq(col, depth + 1)?
                } else if self.find_key(line, item_start)?.is_some() {
                    // `- key: value`: a mapping whose keys sit at this column.
                    self.retarget(idx, col)?;
                    self.block_map(col, depth + 1)?
                } else if rest.starts_with('|') {
                    self.at += 1;
                    self.literal(idx, line, item_start, indent, depth + 1)?
                } else {
                    self.at += 1;
                    let (node, _) = self.inline_scalar_or_flow(idx, line, item_start, depth + 1)?;
                    self.ensure_no_continuation(indent)?;
                    node
                }
            };
            self.items.push(item);
        }
        let node = self.b.seq(&self.items[base..], dash_pos);
        self.items.truncate(base);
        Ok(node)
    }

    /// Treats the rest of line `idx` from column `col` as a line of its own (compact nested
    /// collections: `- key: value`, `- - item`).
    fn retarget(&mut self, idx: usize, col: usize) -> R<()> {
        let line = &mut self.lines[idx];
        if col < line.indent {
            return Err(Bail);
        }
        line.indent = col;
        self.at = idx;
        Ok(())
    }

    /// Finds `key:` at `start` on `line`, without building anything. `None` when the line
    /// holds no key; `Bail` for keys the fast path leaves to the general parser.
    fn find_key(&self, line: Line, start: usize) -> R<Option<KeyToken>> {
        let bytes = self.text.as_bytes();
        let s = &self.text[start..line.end];
        let first = *s.as_bytes().first().ok_or(Bail)?;
        if first == b'"' || first == b'\'' {
            let (_, end) = quoted(s, 0)?;
            let after = start + end;
            if after >= line.end || bytes[after] != b':' {
                // A quoted scalar that is not a key (or a key we leave alone).
                return Ok(None);
            }
            if !(after + 1 == line.end || bytes[after + 1] == b' ') {
                return Err(Bail);
            }
            return Ok(Some(KeyToken {
                start,
                end: after,
                quoted: true,
                value_start: after + 1,
            }));
        }
        if starts_non_plain(first) || first == b'?' {
            return Ok(None);
        }
        // Plain key: up to the first ": " (or ":" at the end of the line).
        let sb = s.as_bytes();
        let mut colon = None;
        for i in 0..sb.len() {
            match sb[i] {
                b':' if i + 1 == sb.len() || sb[i + 1] == b' ' => {
                    colon = Some(i);
                    break;
                }
                b'#' if i > 0 && sb[i - 1] == b' ' => return Ok(None),
                _ => {}
            }
        }
        let Some(colon) = colon else { return Ok(None) };
        let raw = s[..colon].trim_end_matches(' ');
        if colon == 0 || raw.len() > 1024 || raw == "<<" || raw == "-" || raw.starts_with("- ") {
            return Err(Bail);
        }
        if (first == b'-' || first == b':') && sb.get(1).is_none_or(|&c| c == b' ') {
            return Err(Bail);
        }
        Ok(Some(KeyToken {
            start,
            end: start + raw.len(),
            quoted: false,
            value_start: start + colon + 1,
        }))
    }

    /// The key string of a found key, in the arena.
    fn make_key(&mut self, key: &KeyToken) -> R<StrRef> {
        let raw = &self.text[key.start..key.end];
        if key.quoted {
            let (text, _) = quoted(raw, 0)?;
            return Ok(self.b.str(&text));
        }
        let key = plain_key(raw).map_err(|_| Bail)?;
        Ok(self.b.str(&key))
    }

    /// A plain or quoted scalar, or a flow collection, that ends the line.
    fn inline_scalar_or_flow(
        &mut self,
        idx: usize,
        line: Line,
        start: usize,
        depth: usize,
    ) -> R<(Pending, usize)> {
        let first = self.text.as_bytes()[start];
        if first == b'[' || first == b'{' {
            let s = &self.text[start..line.end];
            let (node, used) = self.flow(idx, line, start, s, depth)?;
            let after = &s[used..];
            let rest = after.trim_start_matches(' ');
            // Only a comment may follow, and a comment needs white space before it.
            if !(rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len())) {
                return Err(Bail);
            }
            return Ok((node, used));
        }
        self.inline_scalar(idx, line, start, depth)
    }

    /// A single-line scalar at `start` that ends the line (comments allowed).
    fn inline_scalar(
        &mut self,
        idx: usize,
        line: Line,
        start: usize,
        depth: usize,
    ) -> R<(Pending, usize)> {
        self.count(depth)?;
        let s = &self.text[start..line.end];
        let pos = self.pos(idx, line, start);
        let first = *s.as_bytes().first().ok_or(Bail)?;
        if first == b'"' || first == b'\'' {
            let (text, end) = quoted(s, 0)?;
            let rest = s[end..].trim_start_matches(' ');
            if !(rest.is_empty() || (rest.starts_with('#') && s.as_bytes()[end] == b' ')) {
                return Err(Bail);
            }
            let node = self.b.scalar(Scalar::Str(&text), pos);
            return Ok((node, end));
        }
        if starts_non_plain(first) {
            return Err(Bail);
        }
        if matches!(first, b'-' | b'?' | b':') && s.as_bytes().get(1).is_none_or(|&c| c == b' ') {
            return Err(Bail);
        }
        // Plain: to a " #" comment or the end of the line; ": " inside is an error in YAML.
        let sb = s.as_bytes();
        let mut end = sb.len();
        for i in 0..sb.len() {
            if sb[i] == b'#' && i > 0 && sb[i - 1] == b' ' {
                end = i;
                break;
            }
            if sb[i] == b':' && (i + 1 == sb.len() || sb[i + 1] == b' ') {
                return Err(Bail);
            }
        }
        let raw = s[..end].trim_end_matches(' ');
        let value = resolve_plain(raw);
        if matches!(value, resolve::Value::Float(f) if !f.is_finite()) {
            return Err(Bail);
        }
        let node = self.b.scalar(value.scalar(), pos);
        Ok((node, end))
    }

    /// A literal block scalar whose header (`|`, `|-`, `|+`) is at `start`; `parent` is the
    /// indentation of the node that owns it.
    fn literal(
        &mut self,
        idx: usize,
        line: Line,
        start: usize,
        parent: usize,
        depth: usize,
    ) -> R<Pending> {
        self.count(depth)?;
        let header = &self.text[start + 1..line.end];
        let (chomp, after) = match header.as_bytes().first() {
            Some(b'-') => (Chomp::Strip, &header[1..]),
            Some(b'+') => (Chomp::Keep, &header[1..]),
            _ => (Chomp::Clip, header),
        };
        let rest = after.trim_start_matches(' ');
        // Only a comment may follow the indicators, and it needs white space before it.
        if !(rest.is_empty() || (rest.starts_with('#') && after.len() > rest.len())) {
            return Err(Bail);
        }
        self.at = idx + 1;
        // Indentation: that of the first non-blank line.
        let mut first_content = None;
        for i in self.at..self.lines.len() {
            let l = self.lines[i];
            if l.end > l.start + l.indent {
                first_content = Some(i);
                break;
            }
        }
        let Some(fc) = first_content else {
            return Err(Bail);
        };
        let n = self.lines[fc].indent;
        if n <= parent {
            return Err(Bail);
        }
        let mut out = String::new();
        let mut pending_breaks = 0usize;
        let mut i = self.at;
        while i < self.lines.len() {
            let l = self.lines[i];
            let blank = l.end == l.start + l.indent;
            if blank {
                if l.indent > n {
                    return Err(Bail);
                }
                pending_breaks += 1;
                i += 1;
                continue;
            }
            if l.indent < n {
                break;
            }
            if !out.is_empty() || pending_breaks > 0 {
                if !out.is_empty() {
                    out.push('\n');
                }
                for _ in 0..pending_breaks {
                    out.push('\n');
                }
            }
            pending_breaks = 0;
            out.push_str(&self.text[l.start + n..l.end]);
            i += 1;
        }
        // A scalar that runs to the end of a chunk without a final line break has subtle
        // chomping rules (the last line break is missing); leave it to the general parser.
        if i == self.lines.len() && !self.text.ends_with('\n') {
            return Err(Bail);
        }
        // `i` is the first line after the scalar; blank lines just before it are trailing.
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => {
                out.push('\n');
                for _ in 0..pending_breaks {
                    out.push('\n');
                }
            }
        }
        self.at = i;
        let pos = self.pos(fc, self.lines[fc], self.lines[fc].start + n);
        Ok(self.b.scalar(Scalar::Str(&out), pos))
    }

    /// A flow collection on one line, starting at `start`; returns it and the bytes used.
    fn flow(
        &mut self,
        idx: usize,
        line: Line,
        start: usize,
        s: &str,
        depth: usize,
    ) -> R<(Pending, usize)> {
        self.count(depth)?;
        let sb = s.as_bytes();
        let open = sb[0];
        let pos = self.pos(idx, line, start);
        let mut i = 1;
        let skip = |i: &mut usize| {
            while *i < sb.len() && sb[*i] == b' ' {
                *i += 1;
            }
        };
        if open == b'[' {
            let base = self.items.len();
            loop {
                skip(&mut i);
                if sb.get(i) == Some(&b']') {
                    i += 1;
                    break;
                }
                let (item, used) = self.flow_item(idx, line, start + i, &s[i..], depth + 1)?;
                self.items.push(item);
                i += used;
                if after_flow_entry(sb, &mut i, b']')? {
                    break;
                }
            }
            let node = self.b.seq(&self.items[base..], pos);
            self.items.truncate(base);
            Ok((node, i))
        } else {
            let base = self.entries.len();
            loop {
                skip(&mut i);
                if sb.get(i) == Some(&b'}') {
                    i += 1;
                    break;
                }
                let key_pos = self.pos(idx, line, start + i);
                let (key, used) = self.flow_key(&s[i..])?;
                i += used;
                if sb.get(i) != Some(&b':') {
                    return Err(Bail);
                }
                i += 1;
                if sb.get(i) != Some(&b' ') {
                    return Err(Bail);
                }
                skip(&mut i);
                let (value, used) = self.flow_item(idx, line, start + i, &s[i..], depth + 1)?;
                i += used;
                self.add_entry(base, (key, key_pos, value));
                if after_flow_entry(sb, &mut i, b'}')? {
                    break;
                }
            }
            let node = self.b.map(&self.entries[base..], pos);
            self.entries.truncate(base);
            Ok((node, i))
        }
    }

    fn flow_key(&mut self, s: &str) -> R<(StrRef, usize)> {
        let sb = s.as_bytes();
        match sb.first() {
            Some(b'"' | b'\'') => {
                let (text, end) = quoted(s, 0)?;
                Ok((self.b.str(&text), end))
            }
            Some(&c) if !starts_non_plain(c) && !matches!(c, b'?' | b':' | b'-' | b'"' | b'\'') => {
                let mut i = 0;
                while i < sb.len()
                    && !is_flow_indicator(sb[i])
                    && !(sb[i] == b':'
                        && sb
                            .get(i + 1)
                            .is_none_or(|&c| c == b' ' || is_flow_indicator(c)))
                {
                    if sb[i] == b'#' && i > 0 && sb[i - 1] == b' ' {
                        return Err(Bail);
                    }
                    i += 1;
                }
                let raw = s[..i].trim_end_matches(' ');
                if raw.is_empty() || raw == "<<" {
                    return Err(Bail);
                }
                let key = plain_key(raw).map_err(|_| Bail)?;
                Ok((self.b.str(&key), i))
            }
            _ => Err(Bail),
        }
    }

    fn flow_item(
        &mut self,
        idx: usize,
        line: Line,
        start: usize,
        s: &str,
        depth: usize,
    ) -> R<(Pending, usize)> {
        let sb = s.as_bytes();
        match sb.first() {
            Some(b'[' | b'{') => self.flow(idx, line, start, s, depth),
            Some(b'"' | b'\'') => {
                self.count(depth)?;
                let (text, end) = quoted(s, 0)?;
                let pos = self.pos(idx, line, start);
                // `"a": b` inside a flow sequence is a single-pair mapping: leave it.
                if sb.get(end) == Some(&b':') {
                    return Err(Bail);
                }
                Ok((self.b.scalar(Scalar::Str(&text), pos), end))
            }
            Some(&c) if !starts_non_plain(c) && c != b'?' => {
                if matches!(c, b'-' | b':')
                    && sb.get(1).is_none_or(|&n| n == b' ' || is_flow_indicator(n))
                {
                    return Err(Bail);
                }
                self.count(depth)?;
                let mut i = 0;
                while i < sb.len() && !is_flow_indicator(sb[i]) {
                    if sb[i] == b':'
                        && sb
                            .get(i + 1)
                            .is_none_or(|&n| n == b' ' || is_flow_indicator(n))
                    {
                        return Err(Bail);
                    }
                    if sb[i] == b'#' && i > 0 && sb[i - 1] == b' ' {
                        return Err(Bail);
                    }
                    i += 1;
                }
                let raw = s[..i].trim_end_matches(' ');
                let value = resolve_plain(raw);
                if matches!(value, resolve::Value::Float(f) if !f.is_finite()) {
                    return Err(Bail);
                }
                let pos = self.pos(idx, line, start);
                Ok((self.b.scalar(value.scalar(), pos), raw.len()))
            }
            _ => Err(Bail),
        }
    }
}

/// A key found on a line: its text range, whether quoted, and where its value starts.
struct KeyToken {
    start: usize,
    end: usize,
    quoted: bool,
    value_start: usize,
}

/// After an entry of a flow collection: a comma (not followed by the closer: no trailing
/// commas on the fast path) or the closer. Returns true when the collection closed.
fn after_flow_entry(sb: &[u8], i: &mut usize, close: u8) -> R<bool> {
    while *i < sb.len() && sb[*i] == b' ' {
        *i += 1;
    }
    match sb.get(*i) {
        Some(b',') => {
            *i += 1;
            while *i < sb.len() && sb[*i] == b' ' {
                *i += 1;
            }
            if sb.get(*i) == Some(&close) {
                Err(Bail)
            } else {
                Ok(false)
            }
        }
        Some(&c) if c == close => {
            *i += 1;
            Ok(true)
        }
        _ => Err(Bail),
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

fn is_dash(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// A quoted scalar at `s[start..]` that closes on this line: its value and the byte just past
/// the closing quote. Declines escapes YAML 1.1 and 1.2 disagree on and anything unusual.
fn quoted(s: &str, start: usize) -> R<(String, usize)> {
    let sb = s.as_bytes();
    let q = sb[start];
    let mut out = String::new();
    let mut i = start + 1;
    let mut run = i;
    while i < sb.len() {
        let c = sb[i];
        if c == q {
            if q == b'\'' && sb.get(i + 1) == Some(&b'\'') {
                out.push_str(&s[run..=i]);
                i += 2;
                run = i;
                continue;
            }
            out.push_str(&s[run..i]);
            return Ok((out, i + 1));
        }
        if q == b'"' && c == b'\\' {
            out.push_str(&s[run..i]);
            let e = *sb.get(i + 1).ok_or(Bail)?;
            let simple = match e {
                b'0' => Some('\0'),
                b'a' => Some('\x07'),
                b'b' => Some('\x08'),
                b't' => Some('\t'),
                b'n' => Some('\n'),
                b'v' => Some('\x0b'),
                b'f' => Some('\x0c'),
                b'r' => Some('\r'),
                b'e' => Some('\x1b'),
                b' ' => Some(' '),
                b'"' => Some('"'),
                b'\\' => Some('\\'),
                b'N' => Some('\u{85}'),
                b'_' => Some('\u{a0}'),
                b'L' => Some('\u{2028}'),
                b'P' => Some('\u{2029}'),
                _ => None,
            };
            if let Some(ch) = simple {
                out.push(ch);
                i += 2;
            } else {
                let len = match e {
                    b'x' => 2,
                    b'u' => 4,
                    b'U' => 8,
                    _ => return Err(Bail),
                };
                let hex = s.get(i + 2..i + 2 + len).ok_or(Bail)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Bail);
                }
                let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                out.push(char::from_u32(code).ok_or(Bail)?);
                i += 2 + len;
            }
            run = i;
            continue;
        }
        i += 1;
    }
    Err(Bail)
}
