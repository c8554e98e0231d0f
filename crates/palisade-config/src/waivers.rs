//! Waivers: accepted risks, stated where an auditor can read them.
//!
//! A waiver names a rule, the objects it covers, why, who owns the decision, and when it
//! ends. Applying waivers marks matching findings as waived (they stay in the report); a
//! waiver past its expiry date waives nothing (its findings fail again and say so); a waiver
//! that matched nothing is reported as unused, so stale entries don't pile up. An object can
//! also carry its own waiver as an annotation, `palisade.dev/waive.<RULE-ID>: <reason>`,
//! optionally followed by `; expires=YYYY-MM-DD`, `; owner=...` and `; ticket=...`.
//! The scan, the cluster scan and the webhook all call [`apply`].

use std::collections::HashMap;
use std::sync::Arc;

use palisade_model::{FieldPath, Inventory, LabelSelector, Object, ObjectRef};
use palisade_rules::{Finding, Rule, WaiverNote, WaiverSource, glob_match};

use crate::date::Date;

/// The annotation prefix of inline waivers.
pub const INLINE_PREFIX: &str = "palisade.dev/waive.";

/// Which objects a waiver covers; an unset field matches anything. `namespace` and `name`
/// are globs.
#[derive(Clone, Debug, Default)]
pub struct ObjectMatch {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub labels: Option<LabelSelector>,
}

impl ObjectMatch {
    fn matches(&self, id: &ObjectRef, object: Option<&Object>) -> bool {
        if self.kind.as_ref().is_some_and(|k| *k != id.kind) {
            return false;
        }
        if let Some(ns) = &self.namespace {
            match id.effective_namespace() {
                Some(actual) if glob_match(ns, actual) => {}
                _ => return false,
            }
        }
        if self.name.as_ref().is_some_and(|n| !glob_match(n, &id.name)) {
            return false;
        }
        if let Some(selector) = &self.labels {
            let labels: Vec<(&str, &str)> =
                object.map(|o| o.labels().collect()).unwrap_or_default();
            if !selector.matches(&labels) {
                return false;
            }
        }
        true
    }
}

/// One waiver of the configuration file.
#[derive(Clone, Debug)]
pub struct Waiver {
    /// The rules it waives (one, or several for one accepted risk).
    pub rules: Vec<&'static Rule>,
    pub objects: ObjectMatch,
    pub expires: Option<Date>,
    pub note: Arc<WaiverNote>,
}

impl Waiver {
    /// The waived rule IDs, comma-separated, for messages.
    pub fn rule_ids(&self) -> String {
        let ids: Vec<&str> = self.rules.iter().map(|r| r.meta.id).collect();
        ids.join(", ")
    }
}

/// What applying waivers found out about the waivers themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaiverOutcome {
    /// Waivers (by index) that matched no finding.
    pub unused: Vec<usize>,
    /// Waivers (by index) past their expiry that matched findings (which now fail).
    pub expired: Vec<usize>,
    /// Findings waived.
    pub waived: usize,
    /// Inline waiver annotations that could not be used, and why.
    pub invalid_inline: Vec<(AnnotationAt, String)>,
    /// Inline waivers past their expiry that matched findings (which now fail).
    pub expired_inline: Vec<(AnnotationAt, Arc<WaiverNote>)>,
}

/// Where an inline waiver annotation is: its object, and its file and line when the object
/// came from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationAt {
    pub object: Arc<ObjectRef>,
    pub file: Option<Arc<str>>,
    pub line: u32,
}

impl AnnotationAt {
    fn of(object: &Object, key: &str) -> Self {
        let path = FieldPath::root()
            .key("metadata")
            .key("annotations")
            .owned_key(key);
        AnnotationAt {
            object: object.id.clone(),
            file: object.file_arc().cloned(),
            line: object.file_arc().map_or(0, |_| object.locate(&path).line),
        }
    }
}

/// Marks findings covered by `waivers` or by inline annotations (when `inline` is on).
/// `today` decides expiry: a waiver holds through its `expires` day.
pub fn apply(
    findings: &mut [Finding],
    inventory: &Inventory,
    waivers: &[Waiver],
    inline: bool,
    today: Date,
) -> WaiverOutcome {
    let mut outcome = WaiverOutcome::default();
    let expired: Vec<bool> = waivers
        .iter()
        .map(|w| w.expires.is_some_and(|d| d < today))
        .collect();
    let expired_notes: Vec<Arc<WaiverNote>> = waivers
        .iter()
        .map(|w| {
            Arc::new(WaiverNote {
                expired: true,
                ..(*w.note).clone()
            })
        })
        .collect();
    // Objects by identity, for label selectors; built only when a waiver needs labels.
    let needs_labels = waivers.iter().any(|w| w.objects.labels.is_some());
    let by_id: HashMap<&ObjectRef, &Object> = if needs_labels {
        inventory.objects().iter().map(|o| (&*o.id, o)).collect()
    } else {
        HashMap::new()
    };
    let inline_waivers = if inline {
        inline_notes(inventory, today, &mut outcome)
    } else {
        HashMap::new()
    };
    let mut inline_expired_used: Vec<(AnnotationAt, Arc<WaiverNote>)> = Vec::new();
    let mut used = vec![false; waivers.len()];
    let mut expired_used = vec![false; waivers.len()];
    for finding in findings.iter_mut() {
        if let Some((note, at)) = inline_waivers.get(&(&*finding.object, finding.rule.id)) {
            finding.waiver = Some(note.clone());
            if note.expired {
                // Like an expired waiver of the file: the finding fails again, and says so.
                if !inline_expired_used
                    .iter()
                    .any(|(_, n)| Arc::ptr_eq(n, note))
                {
                    inline_expired_used.push((at.clone(), note.clone()));
                }
            } else {
                outcome.waived += 1;
            }
            continue;
        }
        let object = by_id.get(&*finding.object).copied();
        let mut expired_match = None;
        let mut waived = false;
        for (i, w) in waivers.iter().enumerate() {
            if !w.rules.iter().any(|r| r.meta.id == finding.rule.id)
                || !w.objects.matches(&finding.object, object)
            {
                continue;
            }
            if expired[i] {
                expired_match.get_or_insert(i);
                continue;
            }
            used[i] = true;
            finding.waiver = Some(w.note.clone());
            outcome.waived += 1;
            waived = true;
            break;
        }
        if let (false, Some(i)) = (waived, expired_match) {
            expired_used[i] = true;
            finding.waiver = Some(expired_notes[i].clone());
        }
    }
    outcome.expired_inline = inline_expired_used;
    for i in 0..waivers.len() {
        if expired_used[i] {
            outcome.expired.push(i);
        } else if !used[i] {
            outcome.unused.push(i);
        }
    }
    outcome
}

/// An inline waiver's note (marked expired when its `expires` date is before today) and
/// where its annotation is.
type InlineNotes<'a> = HashMap<(&'a ObjectRef, &'static str), (Arc<WaiverNote>, AnnotationAt)>;

/// `palisade.dev/waive.<RULE>` annotations, by object and rule ID.
fn inline_notes<'a>(
    inventory: &'a Inventory,
    today: Date,
    outcome: &mut WaiverOutcome,
) -> InlineNotes<'a> {
    let mut notes = HashMap::new();
    for object in inventory.objects() {
        let Some(annotations) = object
            .root()
            .get_in(&["metadata", "annotations"])
            .and_then(|a| a.as_map())
        else {
            continue;
        };
        for (key, value) in annotations {
            let Some(rule_key) = key.strip_prefix(INLINE_PREFIX) else {
                continue;
            };
            let invalid = |why: String| {
                (
                    AnnotationAt::of(object, key),
                    format!("annotation {key}: {why}"),
                )
            };
            let Some(rule) = palisade_rules::registry::find(rule_key) else {
                outcome
                    .invalid_inline
                    .push(invalid(format!("unknown rule {rule_key:?}")));
                continue;
            };
            let inline = match InlineWaiver::parse(value.as_str().unwrap_or_default()) {
                Ok(inline) => inline,
                Err(why) => {
                    outcome.invalid_inline.push(invalid(why));
                    continue;
                }
            };
            let note = Arc::new(WaiverNote {
                source: WaiverSource::Annotation {
                    key: key.to_string(),
                },
                justification: inline.reason.to_string(),
                owner: inline.owner.map(str::to_string),
                ticket: inline.ticket.map(str::to_string),
                expires: inline.expires.map(|d| d.to_string()),
                expired: inline.expires.is_some_and(|d| d < today),
            });
            notes.insert(
                (&*object.id, rule.meta.id),
                (note, AnnotationAt::of(object, key)),
            );
        }
    }
    notes
}

/// The value of an inline waiver annotation: the reason, then optional `; key=value` fields.
#[derive(Debug, PartialEq, Eq)]
struct InlineWaiver<'a> {
    reason: &'a str,
    expires: Option<Date>,
    owner: Option<&'a str>,
    ticket: Option<&'a str>,
}

impl<'a> InlineWaiver<'a> {
    /// Fields are read from the end, so a reason may itself contain `;`.
    fn parse(value: &'a str) -> Result<Self, String> {
        let mut waiver = InlineWaiver {
            reason: value.trim(),
            expires: None,
            owner: None,
            ticket: None,
        };
        while let Some((rest, field)) = waiver.reason.rsplit_once(';') {
            let Some((key, v)) = field.split_once('=') else {
                break;
            };
            let (key, v) = (key.trim(), v.trim());
            let slot = match key {
                "expires" => {
                    let date = Date::parse(v).ok_or_else(|| {
                        format!("expires={v:?} is not a date; expected YYYY-MM-DD")
                    })?;
                    waiver.expires = Some(date);
                    None
                }
                "owner" => Some(&mut waiver.owner),
                "ticket" => Some(&mut waiver.ticket),
                // Not a field: part of the reason.
                _ => break,
            };
            if let Some(slot) = slot {
                *slot = Some(v);
            }
            waiver.reason = rest.trim_end();
        }
        if waiver.reason.is_empty() {
            return Err("a waiver needs a reason as its value".to_string());
        }
        Ok(waiver)
    }
}

/// Something about the team's own decisions a person should act on (an unused, expired or
/// invalid waiver); reported, never failing the scan by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// `unused-waiver`, `expired-waiver` or `invalid-waiver`.
    pub kind: &'static str,
    pub file: Option<Arc<str>>,
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(file) if self.line > 0 => write!(f, "{file}:{}: {}", self.line, self.message),
            Some(file) => write!(f, "{file}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl WaiverOutcome {
    /// The notices for people: expired waivers, unused ones, invalid inline annotations.
    pub fn notices(&self, waivers: &[Waiver]) -> Vec<Notice> {
        let at = |w: &Waiver| match &w.note.source {
            WaiverSource::Config { file, line } => (Some(file.clone()), *line),
            WaiverSource::Annotation { .. } => (None, 0),
        };
        let mut notices = Vec::new();
        for w in self.expired.iter().map(|&i| &waivers[i]) {
            let (file, line) = at(w);
            notices.push(Notice {
                kind: "expired-waiver",
                file,
                line,
                message: format!(
                    "waiver for {} expired on {}: its findings fail again (owner {})",
                    w.rule_ids(),
                    w.note.expires.as_deref().unwrap_or("?"),
                    w.note.owner.as_deref().unwrap_or("?")
                ),
            });
        }
        for w in self.unused.iter().map(|&i| &waivers[i]) {
            let (file, line) = at(w);
            notices.push(Notice {
                kind: "unused-waiver",
                file,
                line,
                message: format!(
                    "waiver for {} matched no finding: remove it, or check its object selector",
                    w.rule_ids()
                ),
            });
        }
        for (at, note) in &self.expired_inline {
            let WaiverSource::Annotation { key } = &note.source else {
                continue;
            };
            notices.push(Notice {
                kind: "expired-waiver",
                file: at.file.clone(),
                line: at.line,
                message: format!(
                    "{}: annotation {key} expired on {}: its findings fail again (owner {})",
                    at.object,
                    note.expires.as_deref().unwrap_or("?"),
                    note.owner.as_deref().unwrap_or("?")
                ),
            });
        }
        for (at, message) in &self.invalid_inline {
            notices.push(Notice {
                kind: "invalid-waiver",
                file: at.file.clone(),
                line: at.line,
                message: format!("{}: {message}", at.object),
            });
        }
        notices
    }
}
