//! What a run will do: the rules it evaluates, the settings they read, the frameworks of
//! the compliance view and the gating thresholds, worked out once from the configuration
//! and what the caller asked for.

use palisade_config::{Baseline, Config};
use palisade_controls::Framework;
use palisade_model::{InputFacts, Inventory, Object};
use palisade_pss::{Level, Version};
use palisade_rules::{Rule, Settings, Severity, registry};

/// What the caller asks of a run beyond the configuration (a CLI's flags, a webhook's
/// options). Empty fields leave the configuration's choice.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Rule IDs, names or areas to run; empty: the configuration's `rules.select`, else all.
    pub rules: Vec<String>,
    /// Rule IDs, names or areas not to run.
    pub skip_rules: Vec<String>,
    /// Only the Pod Security checks of this level, at the policy level of this name
    /// (exactly what Pod Security Admission would say).
    pub pss_level: Option<Level>,
    /// The Pod Security policy version (`v1.30`, `latest`).
    pub pss_version: Option<String>,
    /// Frameworks of the per-control view (`hipaa`, `pci-dss`, ..., `all`); empty: the
    /// configuration's.
    pub frameworks: Vec<String>,
    /// Declares the input the whole configuration, whatever the configuration says.
    pub complete_inventory: bool,
    /// Findings below this severity are left out of the report.
    pub min_severity: Option<Severity>,
    /// The severity from which an open finding fails the run; `None`: any.
    pub fail_on: Option<Severity>,
    /// Findings this baseline knows are reported as baselined, not open.
    pub baseline: Option<Baseline>,
    /// Record the findings (after waivers) as a new baseline, and apply it.
    pub write_baseline: bool,
}

/// One run, planned.
#[derive(Debug)]
pub struct Plan {
    pub config: Config,
    pub settings: Settings,
    /// The rules evaluated, in registry order.
    pub rules: Vec<&'static Rule>,
    pub frameworks: Vec<Framework>,
    /// The input is declared the whole configuration (configuration or request).
    pub declared_complete: bool,
    pub min_severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    pub baseline: Option<Baseline>,
    pub write_baseline: bool,
}

impl Plan {
    /// Plans a run. Errors name what is wrong in the request (an unknown rule or
    /// framework, a bad policy version), worded for a person.
    pub fn new(config: Config, request: Request) -> Result<Plan, String> {
        let mut settings = config.settings();
        if let Some(v) = &request.pss_version {
            settings.pss.version =
                Version::parse(v).map_err(|e| format!("invalid --pss-version {v:?}: {e}"))?;
        }
        if let Some(level) = request.pss_level {
            settings.pss.level = level;
        }
        let rules = select_rules(&request, &config)?;
        let frameworks = if request.frameworks.is_empty() {
            config.frameworks.clone()
        } else {
            frameworks(&request.frameworks)?
        };
        Ok(Plan {
            declared_complete: config.complete_inventory || request.complete_inventory,
            config,
            settings,
            rules,
            frameworks,
            min_severity: request.min_severity,
            fail_on: request.fail_on,
            baseline: request.baseline,
            write_baseline: request.write_baseline,
        })
    }

    /// The inventory of `objects`, with the facts their source knows and the
    /// configuration's declaration that the input is complete.
    pub fn inventory(&self, objects: Vec<Object>, mut facts: InputFacts) -> Inventory {
        facts.complete |= self.declared_complete;
        Inventory::new(objects).with_facts(facts)
    }
}

/// The rules a run evaluates: `rules` (else the configuration's `rules.select`, else all),
/// narrowed to the Pod Security checks of `pss_level` when given, minus the
/// configuration's `rules.ignore` and `skip_rules`.
fn select_rules(request: &Request, config: &Config) -> Result<Vec<&'static Rule>, String> {
    let unknown = |keys: Vec<String>| {
        format!(
            "unknown rule, name or area: {} (see `palisade rules`)",
            keys.join(", ")
        )
    };
    let mut rules: Vec<&'static Rule> = if !request.rules.is_empty() {
        registry::select(&request.rules).map_err(unknown)?
    } else if !config.select.is_empty() {
        config.select.clone()
    } else {
        registry::all().to_vec()
    };
    rules.retain(|r| !config.ignore.iter().any(|i| i.meta.id == r.meta.id));
    if let Some(level) = request.pss_level {
        // Exactly the checks Pod Security Admission runs at that level; at restricted that
        // includes the baseline checks (the version decides which are overridden).
        rules.retain(|r| {
            matches!(
                (r.meta.pss_check(), level),
                (Some((_, Level::Baseline)), _) | (Some((_, Level::Restricted)), Level::Restricted)
            )
        });
    }
    if !request.skip_rules.is_empty() {
        let skip = registry::select(&request.skip_rules).map_err(unknown)?;
        rules.retain(|r| !skip.iter().any(|s| s.meta.id == r.meta.id));
    }
    Ok(rules)
}

/// Framework names, each once, in the order given; `all` is every framework.
fn frameworks(names: &[String]) -> Result<Vec<Framework>, String> {
    let mut frameworks = Vec::new();
    for f in names {
        match (f.as_str(), Framework::parse(f)) {
            ("all", _) => frameworks = Framework::ALL.to_vec(),
            (_, Some(f)) if !frameworks.contains(&f) => frameworks.push(f),
            (_, Some(_)) => {}
            (_, None) => {
                return Err(format!(
                    "unknown framework {f:?} (expected hipaa, pci-dss, soc2, cis, nsa or all)"
                ));
            }
        }
    }
    Ok(frameworks)
}
