//! Where a check reports: the [`Sink`] collects one rule run's findings (locating field
//! paths as it goes) and whether the rule could be evaluated at all.

use std::sync::Arc;

use palisade_model::{FieldPath, Object, ObjectRef, Pos};

use crate::finding::{AdmissionDetail, Finding, Location, PssFinding, Related};
use crate::rule::RuleMeta;

/// Collects the findings of one rule run. Locations are resolved here, so rules only ever
/// name field paths.
pub struct Sink {
    pub(crate) rule: &'static RuleMeta,
    pub(crate) findings: Vec<Finding>,
    pub(crate) not_evaluated: Option<String>,
}

impl Sink {
    pub(crate) fn new(rule: &'static RuleMeta) -> Self {
        Sink {
            rule,
            findings: Vec::new(),
            not_evaluated: None,
        }
    }

    /// Declares that the rule could not be evaluated on this input, and why ("no
    /// kube-apiserver manifest in the input"). A rule that says so must not also pass:
    /// the compliance view shows it as not evaluated, never as passed. Inventory rules
    /// call this; object rules are not evaluated when no object is in their scope.
    pub fn not_evaluated(&mut self, reason: impl Into<String>) {
        self.not_evaluated = Some(reason.into());
    }

    /// Reports `message` about `path` of `object` (the nearest existing parent is located
    /// when the field is absent).
    pub fn report(
        &mut self,
        object: &Object,
        path: FieldPath,
        message: impl Into<String>,
    ) -> &mut Finding {
        // Findings are kept until the report is written, hundreds of thousands of them:
        // messages built by formatting can hold twice the room they need. Paths keep
        // theirs (at most a few dozen bytes; shrinking each would cost a reallocation).
        let mut message = message.into();
        if message.capacity() - message.len() > 32 {
            message.shrink_to_fit();
        }
        let location = Location::of(object, path);
        self.push(object.id.clone(), location, message)
    }

    /// Reports something the input lacks, about `subject` (a namespace with no default-deny
    /// policy, [`ObjectRef::cluster`] for what is missing everywhere). When `subject` is in
    /// the input, report on the object instead, so the finding points at a line.
    pub fn report_absent(
        &mut self,
        subject: ObjectRef,
        message: impl Into<String>,
    ) -> &mut Finding {
        let location = Location {
            file: None,
            pos: Pos::default(),
            path: FieldPath::root(),
        };
        self.push(Arc::new(subject), location, message.into())
    }

    /// A new open finding of this rule, for the caller to add details to.
    fn push(
        &mut self,
        object: Arc<ObjectRef>,
        location: Location,
        message: String,
    ) -> &mut Finding {
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message,
            object,
            location,
            related: Vec::new(),
            pss: None,
            admission: None,
            waiver: None,
            baselined: false,
        });
        self.findings.last_mut().expect("just pushed")
    }
}

impl Finding {
    /// Adds secondary locations (other offending fields of the same object).
    pub fn with_related(
        &mut self,
        object: &Object,
        paths: impl IntoIterator<Item = FieldPath>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) -> &mut Self {
        let message = message.into();
        for path in paths {
            let location = Location::of(object, path);
            self.related.push(Related {
                location,
                message: message.clone(),
            });
        }
        self
    }

    pub fn with_pss(&mut self, pss: PssFinding) -> &mut Self {
        self.pss = Some(pss);
        self
    }

    pub fn with_admission(&mut self, admission: AdmissionDetail) -> &mut Self {
        self.admission = Some(Box::new(admission));
        self
    }
}
