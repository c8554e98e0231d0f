//! Splits a YAML stream into its documents before parsing.
//!
//! A line that starts with `---` or `...` followed by white space or the end of the line is
//! always a document marker (YAML forbids such a line inside any scalar), so the stream can be
//! cut there without parsing. That lets documents parse in parallel, lets a syntax error in
//! one document leave the others intact, and bounds each document's size up front.

/// One document's text and where it starts in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    /// 1-based line of the chunk's first line in the file.
    pub first_line: u32,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// True when the lines so far hold something other than blank lines, comments and directives
/// (directives belong to the document that follows them).
fn has_content(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    !(t.is_empty() || t.starts_with('#') || t.starts_with('%') || t == "\r" || t == "\n" || t == "\r\n")
}

pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut content = false;
    let mut offset = 0usize;
    let mut line_no = 1u32;
    for line in text.split_inclusive('\n') {
        if is_marker(line, "---") {
            if content {
                chunks.push(Chunk {
                    text: &text[start..offset],
                    first_line: start_line,
                });
                start = offset;
                start_line = line_no;
            }
            // The marker line may carry content of its own (`--- {a: 1}`, `--- |`).
            content = line[3..].trim_start_matches([' ', '\t']).trim_end().chars().next().is_some_and(|c| c != '#');
        } else if is_marker(line, "...") {
            let end = offset + line.len();
            if content {
                chunks.push(Chunk {
                    text: &text[start..end],
                    first_line: start_line,
                });
            }
            start = end;
            start_line = line_no + 1;
            content = false;
        } else if !content && has_content(line) {
            content = true;
        }
        offset += line.len();
        line_no += 1;
    }
    if content {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(u32, String)> {
        split_documents(text)
            .into_iter()
            .map(|c| (c.first_line, c.text.to_string()))
            .collect()
    }

    #[test]
    fn splits_on_markers_and_keeps_line_numbers() {
        let t = "# head\na: 1\n---\nb: 2\n--- {c: 3}\n---\n# only a comment\n---\nd: 4\n";
        assert_eq!(
            lines(t),
            vec![
                (1, "# head\na: 1\n".to_string()),
                (3, "---\nb: 2\n".to_string()),
                (5, "--- {c: 3}\n".to_string()),
                (6, "---\n# only a comment\n---\nd: 4\n".to_string()),
            ]
        );
    }

    #[test]
    fn directives_stay_with_their_document() {
        let t = "a: 1\n...\n%YAML 1.1\n---\nb: 2\n";
        assert_eq!(
            lines(t),
            vec![(1, "a: 1\n...\n".to_string()), (3, "%YAML 1.1\n---\nb: 2\n".to_string())]
        );
    }

    #[test]
    fn dashes_inside_content_are_not_markers() {
        let t = "a: |\n  ---\n  text\nb: ---x\n----\n";
        assert_eq!(split_documents(t).len(), 1);
    }
}
