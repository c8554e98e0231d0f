//! Rules of the `mesh` area.

use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: &[Rule] = &[];
