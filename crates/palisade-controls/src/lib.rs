//! The control catalogue: frameworks, their controls, and evidence groups.
//!
//! The data lives in `data/controls.yaml` (embedded at build time) so compliance people can
//! review and change mappings without reading Rust. A rule names evidence groups; the
//! controls a finding evidences are looked up here. `Catalogue::problems` lists every
//! dangling reference, and the test suite requires it to be empty.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use palisade_loader::{Limits, load_str, parse_str};
use palisade_model::Node;

const DATA: &str = include_str!("../data/controls.yaml");

/// A compliance framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framework {
    Hipaa,
    PciDss,
    Soc2,
    Cis,
    Nsa,
}

impl Framework {
    pub const ALL: [Framework; 5] = [
        Framework::Hipaa,
        Framework::PciDss,
        Framework::Soc2,
        Framework::Cis,
        Framework::Nsa,
    ];

    /// The identifier used in output and on the command line (`pci-dss`).
    pub fn id(self) -> &'static str {
        match self {
            Framework::Hipaa => "hipaa",
            Framework::PciDss => "pci-dss",
            Framework::Soc2 => "soc2",
            Framework::Cis => "cis",
            Framework::Nsa => "nsa",
        }
    }

    pub fn parse(s: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|f| f.id() == s)
    }

    /// How a control of this framework is cited to people (`45 CFR 164.312(a)(1)`).
    pub fn cite(self, id: &str) -> String {
        match self {
            Framework::Hipaa => format!("45 CFR {id}"),
            Framework::PciDss => format!("PCI DSS {id}"),
            Framework::Soc2 => format!("SOC 2 {id}"),
            Framework::Cis => format!("CIS {id}"),
            Framework::Nsa => format!("NSA/CISA {id}"),
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How strongly a check evidences a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// Directly evidences (part of) the control.
    Primary,
    /// Partial or indirect evidence; never sufficient alone.
    Supporting,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Primary => "primary",
            Relation::Supporting => "supporting",
        }
    }
}

/// A reference to one control.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControlRef {
    pub framework: Framework,
    pub id: String,
    pub relation: Relation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    pub framework: Framework,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct FrameworkInfo {
    pub framework: Framework,
    pub name: String,
    pub edition: String,
    pub controls: Vec<Control>,
}

/// A named set of controls that one kind of check evidences (`pss.no_privileged`).
#[derive(Clone, Debug)]
pub struct EvidenceGroup {
    pub key: String,
    pub title: String,
    pub area: String,
    pub controls: Vec<ControlRef>,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub frameworks: Vec<FrameworkInfo>,
    pub evidence: BTreeMap<String, EvidenceGroup>,
    problems: Vec<String>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::parse(DATA));

/// The built-in catalogue.
pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

impl Catalogue {
    pub fn framework(&self, framework: Framework) -> Option<&FrameworkInfo> {
        self.frameworks.iter().find(|f| f.framework == framework)
    }

    pub fn control(&self, framework: Framework, id: &str) -> Option<&Control> {
        self.framework(framework)?
            .controls
            .iter()
            .find(|c| c.id == id)
    }

    pub fn evidence(&self, key: &str) -> Option<&EvidenceGroup> {
        self.evidence.get(key)
    }

    /// The controls evidenced by these groups, de-duplicated (a primary relation wins),
    /// ordered by framework then control.
    pub fn controls_for(&self, groups: &[&str]) -> Vec<ControlRef> {
        let mut by_control: BTreeMap<(Framework, &str), Relation> = BTreeMap::new();
        for g in groups.iter().filter_map(|g| self.evidence(g)) {
            for c in &g.controls {
                let r = by_control.entry((c.framework, &c.id)).or_insert(c.relation);
                *r = (*r).min(c.relation);
            }
        }
        by_control
            .into_iter()
            .map(|((framework, id), relation)| ControlRef {
                framework,
                id: id.to_string(),
                relation,
            })
            .collect()
    }

    /// Everything wrong with the data: parse errors, unknown frameworks, evidence that
    /// points at controls the catalogue does not define.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.problems.clone();
        for g in self.evidence.values() {
            for c in &g.controls {
                if self.control(c.framework, &c.id).is_none() {
                    out.push(format!(
                        "evidence {} refers to unknown control {} {}",
                        g.key, c.framework, c.id
                    ));
                }
            }
        }
        out
    }

    fn parse(text: &str) -> Catalogue {
        fn entries(n: Option<Node<'_>>) -> impl Iterator<Item = (&str, Node<'_>)> {
            n.and_then(|n| n.as_map()).into_iter().flatten()
        }
        let mut cat = Catalogue::default();
        // Duplicated keys parse (the last wins, as in manifests) but here they would
        // silently drop mappings: the loader's warnings say where.
        for w in load_str("controls.yaml", text, &Limits::default()).warnings {
            cat.problems.push(w.to_string());
        }
        let doc = match parse_str("controls.yaml", text, &Limits::default())
            .into_iter()
            .next()
        {
            Some(Ok(doc)) => doc,
            other => {
                cat.problems
                    .push(format!("controls.yaml does not parse: {other:?}"));
                return cat;
            }
        };
        let root = doc.root();
        let str_of = |n: Node<'_>, k: &str| n.str_at(k).unwrap_or_default().to_string();

        for (fid, f) in entries(root.get("frameworks")) {
            let Some(framework) = Framework::parse(fid) else {
                cat.problems.push(format!("unknown framework {fid}"));
                continue;
            };
            let controls = entries(f.get("controls"))
                .map(|(id, title)| Control {
                    framework,
                    id: id.to_string(),
                    title: title.as_str().unwrap_or_default().to_string(),
                })
                .collect();
            cat.frameworks.push(FrameworkInfo {
                framework,
                name: str_of(f, "name"),
                edition: str_of(f, "edition"),
                controls,
            });
        }
        for (key, g) in entries(root.get("evidence")) {
            let mut controls = Vec::new();
            for (fid, list) in entries(g.get("controls")) {
                let Some(framework) = Framework::parse(fid) else {
                    cat.problems
                        .push(format!("evidence {key}: unknown framework {fid}"));
                    continue;
                };

                for item in list.items() {
                    let relation = match item.str_at("relation") {
                        Some("primary") => Relation::Primary,
                        Some("supporting") => Relation::Supporting,
                        other => {
                            cat.problems
                                .push(format!("evidence {key}: bad relation {other:?}"));
                            continue;
                        }
                    };
                    controls.push(ControlRef {
                        framework,
                        id: str_of(item, "id"),
                        relation,
                    });
                }
            }
            cat.evidence.insert(
                key.to_string(),
                EvidenceGroup {
                    key: key.to_string(),
                    title: str_of(g, "title"),
                    area: str_of(g, "area"),
                    controls,
                },
            );
        }
        cat
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_framework_listed_twice_in_a_group_is_a_problem() {
        let cat = Catalogue::parse(
            "frameworks:\n  cis: {name: CIS, edition: x, controls: {'1.2.3': t, '1.2.4': u}}\nevidence:\n  g:\n    title: t\n    area: a\n    controls:\n      cis: [{id: 1.2.3, relation: primary}]\n      cis: [{id: 1.2.4, relation: primary}]\n",
        );
        assert!(
            cat.problems().iter().any(|p| p.contains("duplicate")),
            "{:?}",
            cat.problems()
        );
    }

    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        let cat = catalogue();
        assert_eq!(cat.problems(), Vec::<String>::new());
        assert_eq!(cat.frameworks.len(), 5);
        assert!(cat.evidence.len() > 40);
    }

    #[test]
    fn numeric_looking_ids_stay_strings() {
        // "1.10" would become the float 1.1 if the file were read carelessly.
        let cat = catalogue();
        assert!(cat.control(Framework::Cis, "5.2.10").is_some());
        assert!(cat.control(Framework::Hipaa, "164.312(a)(1)").is_some());
        assert!(
            cat.control(Framework::PciDss, "10.2.1").is_some()
                || cat.control(Framework::PciDss, "10.2.1.1").is_some()
        );
    }

    #[test]
    fn controls_for_merges_groups_and_prefers_primary() {
        let cat = catalogue();
        let refs = cat.controls_for(&["pss.no_privileged", "pss.kernel_hardening"]);
        let c = refs
            .iter()
            .find(|c| c.framework == Framework::PciDss && c.id == "2.2.6")
            .unwrap();
        assert_eq!(c.relation, Relation::Primary);
        let mut sorted = refs.clone();
        sorted.sort();
        assert_eq!(refs, sorted);
    }
}
