//! Problems with the input: what went wrong, in which file, and where.

use std::fmt;
use std::sync::Arc;

use palisade_model::Pos;

/// What kind of problem a [`LoadError`] is; each kind is a reason for exit code 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file or folder could not be read (missing, permission denied, ...).
    Io,
    /// The bytes are not UTF-8 text.
    Encoding,
    /// The text is not valid YAML or JSON.
    Syntax,
    /// A configured limit was exceeded (file or document size, nesting depth, alias expansion).
    Limit,
    /// Valid YAML that Kubernetes could not turn into JSON (a null or non-scalar map key, a
    /// bad merge key, a scalar that does not fit its explicit tag).
    Structure,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Encoding => "encoding",
            ErrorKind::Syntax => "syntax",
            ErrorKind::Limit => "limit",
            ErrorKind::Structure => "structure",
        }
    }
}

/// A file, or a document in it, that could not be loaded. The rest of the input is still
/// loaded: one bad document does not hide the findings of the others.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub file: Arc<str>,
    /// Where the problem was detected; `None` for problems with the file as a whole.
    pub pos: Option<Pos>,
    pub kind: ErrorKind,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{}:{}: {}", self.file, pos, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Something suspicious that Kubernetes accepts (a duplicated key: the later value wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadWarning {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.pos, self.message)
    }
}
