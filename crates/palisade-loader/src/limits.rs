//! Bounds on what the loader accepts, so hostile input fails cleanly instead of exhausting
//! memory: alias bombs, absurd nesting and oversized files are refused with an error.

/// Input limits. The defaults fit any real manifest with a wide margin: the API server
/// refuses requests over 3 MiB and etcd stores objects up to 1.5 MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file (or standard input) read, in bytes.
    pub max_file_bytes: u64,
    /// Largest single YAML document, in bytes.
    pub max_document_bytes: usize,
    /// Deepest nesting of mappings and sequences in a document.
    pub max_depth: usize,
    /// Most nodes a document may hold after aliases are expanded; this is what stops
    /// "billion laughs" alias bombs.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * 1024 * 1024,
            max_document_bytes: 32 * 1024 * 1024,
            max_depth: 128,
            max_nodes: 1_000_000,
        }
    }
}
