//! Splits a manifest stream into documents before parsing, the way kubectl does.
//!
//! kubectl (apimachinery's `YAMLReader`) cuts a stream at every line that starts with `---`,
//! and refuses such a line when anything but a comment follows the dashes. Each document is
//! then decoded alone, and only its first YAML document counts (text after a `...` end
//! marker is ignored). Splitting up front lets documents parse in parallel, lets a broken
//! document leave the others intact, and bounds each document's size before it is parsed.
//!
//! A stream that starts with `{` is JSON (again as kubectl decides): a sequence of JSON
//! values, split at each top-level value.

use palisade_model::Pos;

/// One document's text and where it starts in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// 1-based line of the chunk's first line in the file.
    pub first_line: u32,
    /// Columns to add to positions on the chunk's first line (a JSON value that starts
    /// after another on the same line).
    pub first_column_offset: u32,
    /// A JSON value (kubectl decodes it with a JSON decoder, not the YAML one).
    pub json: bool,
}

/// A problem found while splitting, at a position in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitIssue {
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Split<'a> {
    pub chunks: Vec<Chunk<'a>>,
    /// Lines kubectl refuses (a document separator followed by content).
    pub errors: Vec<SplitIssue>,
    /// Content kubectl silently ignores (after a `...` marker).
    pub warnings: Vec<SplitIssue>,
}

fn has_content(line: &str) -> bool {
    let t = line.trim();
    !(t.is_empty() || t.starts_with('#'))
}

/// The lines of `text`, each with its `\n` (as `split_inclusive('\n')`), found eight bytes
/// at a time.
fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = crate::words::find_byte(rest.as_bytes(), b'\n').map_or(rest.len(), |i| i + 1);
        // `\n` is ASCII, so `end` is a char boundary.
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

pub fn split_documents<'a>(text: &'a str) -> Split<'a> {
    if text.trim_start().starts_with('{') {
        return split_json(text);
    }
    let mut split = Split::default();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut content = false;
    // After a `...` marker, lines are ignored until the next separator.
    let mut ignoring = false;
    let mut ignored_reported = false;
    let mut offset = 0usize;
    let push = |split: &mut Split<'a>, from: usize, to: usize, line: u32| {
        split.chunks.push(Chunk {
            text: &text[from..to],
            first_line: line,
            first_column_offset: 0,
            json: false,
        });
    };
    for (line_no, line) in (1u32..).zip(lines_inclusive(text)) {
        let next = offset + line.len();
        if let Some(rest) = line.strip_prefix("---") {
            if content && !ignoring {
                push(&mut split, start, offset, start_line);
            }
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                split.errors.push(SplitIssue {
                    pos: Pos::new(line_no, 4),
                    message: format!(
                        "invalid document separator: expected only a comment after `---`, \
                         found {rest:?} (kubectl rejects this line)"
                    ),
                });
            }
            start = next;
            start_line = line_no + 1;
            content = false;
            ignoring = false;
            ignored_reported = false;
        } else if ignoring {
            if has_content(line) && !ignored_reported {
                ignored_reported = true;
                split.warnings.push(SplitIssue {
                    pos: Pos::new(line_no, 1),
                    message: "content after the document end marker `...` is ignored \
                              (kubectl ignores it too); start a new document with `---`"
                        .into(),
                });
            }
        } else if line.starts_with("...") && line[3..].trim().is_empty() {
            if content {
                push(&mut split, start, next, start_line);
            }
            content = false;
            ignoring = true;
        } else if !content && has_content(line) {
            content = true;
        }
        offset = next;
    }
    if content && !ignoring {
        push(&mut split, start, text.len(), start_line);
    }
    split
}

/// Splits a stream of JSON values at top-level value boundaries (strings and escapes
/// respected). Invalid JSON is left to the parser to report.
fn split_json(text: &str) -> Split<'_> {
    let mut split = Split::default();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start: Option<(usize, u32, u32)> = None;
    let (mut line, mut col) = (1u32, 0u32);
    for (i, c) in text.char_indices() {
        if start.is_none() && !c.is_whitespace() {
            start = Some((i, line, col));
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0
                        && let Some((s, l, c0)) = start.take()
                    {
                        split.chunks.push(Chunk {
                            text: &text[s..i + 1],
                            first_line: l,
                            first_column_offset: c0,
                            json: true,
                        });
                    }
                }
                _ => {}
            }
        }
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
    }
    if let Some((s, l, c0)) = start
        && !text[s..].trim().is_empty()
    {
        split.chunks.push(Chunk {
            text: &text[s..],
            first_line: l,
            first_column_offset: c0,
            json: true,
        });
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_of_split_inclusive() {
        for t in ["", "a", "a\n", "a\nb", "\n\n", "é\nü\n\nx", "---\n...\n"] {
            assert_eq!(
                lines_inclusive(t).collect::<Vec<_>>(),
                t.split_inclusive('\n').collect::<Vec<_>>(),
                "{t:?}"
            );
        }
    }

    fn chunks(text: &str) -> Vec<(u32, String)> {
        split_documents(text)
            .chunks
            .into_iter()
            .map(|c| (c.first_line, c.text.to_string()))
            .collect()
    }

    #[test]
    fn splits_on_separator_lines_and_keeps_line_numbers() {
        let t = "# head\na: 1\n---\nb: 2\n--- # note\n---\n# only a comment\n---\nd: 4\n";
        assert_eq!(
            chunks(t),
            vec![
                (1, "# head\na: 1\n".to_string()),
                (4, "b: 2\n".to_string()),
                (9, "d: 4\n".to_string()),
            ]
        );
        assert!(split_documents(t).errors.is_empty());
    }

    #[test]
    fn content_after_separator_is_an_error_like_kubectl() {
        let s = split_documents("a: 1\n--- {b: 2}\nc: 3\n----\n");
        assert_eq!(s.errors.len(), 2);
        assert_eq!(s.errors[0].pos, Pos::new(2, 4));
        assert_eq!(s.chunks.len(), 2);
    }

    #[test]
    fn text_after_document_end_is_ignored_with_a_warning() {
        let s = split_documents("a: 1\n...\nb: 2\n---\nc: 3\n");
        assert_eq!(s.chunks.len(), 2);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].pos, Pos::new(3, 1));
    }

    #[test]
    fn indented_dashes_are_content() {
        assert_eq!(
            split_documents("a: |\n  ---\n  text\nb: ---x\n")
                .chunks
                .len(),
            1
        );
    }

    #[test]
    fn json_streams_split_per_value() {
        let s = split_documents("{\"a\": \"}{\"}\n  {\"b\": [1, {\"c\": 2}]} {\"d\": 3}\n");
        let got: Vec<_> = s
            .chunks
            .iter()
            .map(|c| (c.first_line, c.first_column_offset, c.text))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 0, "{\"a\": \"}{\"}"),
                (2, 2, "{\"b\": [1, {\"c\": 2}]}"),
                (2, 23, "{\"d\": 3}")
            ]
        );
    }
}
