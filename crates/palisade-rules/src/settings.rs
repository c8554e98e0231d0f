//! The settings a run uses: what the team's configuration decides about how rules judge
//! (policy levels, regulated namespaces, registries, retention, custom workload kinds).
//! Facts about the input (complete or not, what could not be listed) are not settings:
//! they travel with the [`Inventory`](palisade_model::Inventory).

use palisade_model::workload::PodSpecLocator;
use palisade_model::{Inventory, LabelSelector};
use palisade_pss::{Level, LevelVersion, Version};

use crate::models::glob::glob_match;

/// Evaluation settings that change what rules report. The configuration file fills them;
/// the defaults are the strict reading a regulated workload needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The Pod Security Standards level and version the PSS rules hold workloads to.
    pub pss: LevelVersion,
    /// Where pod templates live (built-in kinds plus configured custom kinds).
    pub locator: PodSpecLocator,
    /// Which namespaces hold regulated workloads (stricter rules apply there).
    pub regulated: RegulatedNamespaces,
    /// The Pod Security level regulated namespaces must enforce.
    pub regulated_pss_level: Level,
    /// Image registries workloads may pull from, as prefixes (`registry.example.com/`,
    /// `ghcr.io/acme/`). Empty: no allowlist configured, the registry rule is not
    /// evaluated.
    pub registries: Vec<String>,
    /// How many days audit logs must be kept on the API server (`--audit-log-maxage`).
    pub log_retention_days: u32,
    /// DaemonSet names (globs) recognised as runtime protection agents besides Falco.
    pub runtime_agents: Vec<String>,
    /// Istio's root namespace (`meshConfig.rootNamespace`): where mesh-wide
    /// PeerAuthentication and AuthorizationPolicy live.
    pub istio_root_namespace: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss: LevelVersion::new(Level::Restricted, Version::Latest),
            locator: PodSpecLocator::builtin().clone(),
            regulated: RegulatedNamespaces::default(),
            regulated_pss_level: Level::Restricted,
            registries: Vec::new(),
            // CIS Kubernetes Benchmark 1.2.17: at least 30 days.
            log_retention_days: 30,
            runtime_agents: Vec::new(),
            istio_root_namespace: "istio-system".to_string(),
        }
    }
}

impl Settings {
    /// Applies `# settings: key=value; key=value` comment lines found in `text`: rule
    /// examples and test fixtures use them to state the configuration they assume. Keys:
    /// `regulated` (name globs, comma-separated), `regulated-pss-level`, `registries`,
    /// `log-retention-days`, `runtime-agents`, `istio-root-namespace`, `workload-kind`
    /// (`group/Kind=path.to.template`, group empty for core), `pss` (`level:version`).
    pub fn with_directives(mut self, text: &str) -> Result<Settings, String> {
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("# settings:") else {
                continue;
            };
            for pair in rest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("settings directive {pair:?} is not key=value"))?;
                self.apply(key.trim(), value.trim())?;
            }
        }
        Ok(self)
    }

    /// Sets one setting from its directive form (see [`Settings::with_directives`]).
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), String> {
        let list = || -> Vec<String> {
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        match key {
            "regulated" => self.regulated.names = list(),
            "regulated-pss-level" => self.regulated_pss_level = Level::parse(value)?,
            "registries" => self.registries = list(),
            "log-retention-days" => {
                self.log_retention_days = value
                    .parse()
                    .map_err(|_| format!("log-retention-days {value:?} is not a number"))?
            }
            "runtime-agents" => self.runtime_agents = list(),
            "istio-root-namespace" => self.istio_root_namespace = value.to_string(),
            "workload-kind" => {
                let (kind, path) = value
                    .split_once('=')
                    .ok_or("workload-kind is group/Kind=path")?;
                let (group, kind) = kind.rsplit_once('/').unwrap_or(("", kind));
                self.locator = self.locator.clone().with_kind(group, kind, path);
            }
            "pss" => {
                let (level, version) = value.split_once(':').ok_or("pss is level:version")?;
                self.pss = LevelVersion::new(Level::parse(level)?, Version::parse(version)?);
            }
            _ => return Err(format!("unknown setting {key:?}")),
        }
        Ok(())
    }
}

/// The namespaces that hold regulated workloads: named ones (globs), ones whose labels a
/// selector matches, or (the default, when neither is configured) every namespace except
/// the system ones.
#[derive(Clone, Debug, Default)]
pub struct RegulatedNamespaces {
    /// Name globs (`clinic-*`).
    pub names: Vec<String>,
    /// A selector over the Namespace object's labels.
    pub selector: Option<LabelSelector>,
}

/// Namespaces Kubernetes itself runs in; never regulated by default.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

impl RegulatedNamespaces {
    /// True when nothing is configured: every non-system namespace is regulated.
    pub fn is_default(&self) -> bool {
        self.names.is_empty() && self.selector.is_none()
    }

    /// Whether namespace `name` is regulated. The selector reads the labels of the
    /// Namespace object in the inventory (a namespace absent from the input has none).
    pub fn contains(&self, name: &str, inventory: &Inventory) -> bool {
        if self.is_default() {
            return !SYSTEM_NAMESPACES.contains(&name);
        }
        if self.names.iter().any(|g| glob_match(g, name)) {
            return true;
        }
        match &self.selector {
            Some(selector) => {
                let labels: Vec<(&str, &str)> = inventory
                    .namespace(name)
                    .map(|ns| ns.labels().collect())
                    .unwrap_or_default();
                selector.matches(&labels)
            }
            None => false,
        }
    }
}
