//! Rules of the `supply-chain` area: where images come from and whether the cluster checks
//! them. SC001-SC003 read image references ([`images`]); SC004 looks for an enforcing
//! signature verifier per regulated namespace ([`signing`]).

mod coverage;
mod images;
mod signing;

use std::sync::LazyLock;

use crate::rule::Rule;

/// This area's rules, in ID order.
pub static RULES: LazyLock<Vec<&'static Rule>> =
    LazyLock::new(|| images::RULES.iter().chain(signing::RULES.iter()).collect());
