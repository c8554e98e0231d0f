//! The object model shared by every stage of the pipeline.
//!
//! A manifest document becomes a [`Document`] (a compact tree of [`Node`]s): values exactly as Kubernetes would read them
//! (YAML 1.1 scalars already resolved), each node carrying the [`Pos`] it came from. An
//! [`Object`] wraps one such tree with its identity ([`ObjectRef`]) and origin; the
//! [`Inventory`] holds every object of one evaluation so cross-object rules can look around.
//! [`workload`] is the one place that knows where a pod spec lives in each workload kind.
//!
//! Rules address fields with a [`FieldPath`], never with byte ranges: the path is resolved to a
//! line and column only when a finding is reported, falling back to the nearest parent that
//! exists (so a finding about a missing field still points somewhere useful).

pub mod defaults;
mod inventory;
mod node;
mod object;
mod path;
pub mod selector;
pub mod workload;

pub use inventory::{InputFacts, Inventory, Unlisted};
pub use node::{
    Document, DocumentBuilder, Entries, Items, Node, Pending, Pos, Scalar, StrRef, Value,
};
pub use object::{Object, ObjectRef, Origin};
pub use path::{FieldPath, Segment, Segments};
pub use selector::LabelSelector;
