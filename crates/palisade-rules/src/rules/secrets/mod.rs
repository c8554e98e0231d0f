//! Rules of the `secrets` area: credentials kept out of manifests, out of environment
//! variables, and sourced from an external manager in regulated namespaces.
//!
//! No finding ever contains a secret value: messages name the object, the field and the
//! key, and describe a value only by its shape (see [`detect`]). A test runs every rule over
//! the fixtures' fake secrets and checks none of them appears in any message or path.

mod detect;
mod rules;

pub use rules::RULES;
