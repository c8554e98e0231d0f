//! The configuration file: `.palisade.yaml`, found upward from the scanned path or given
//! with `--config`. Read with the same YAML reader as manifests (so positions are exact),
//! validated strictly: an unknown key, a wrong type or an unknown rule is an error that
//! points at its line, never silently ignored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade_controls::Framework;
use palisade_loader::{Limits, parse_str};
use palisade_model::{LabelSelector, Node, Pos};
use palisade_pss::{Level, LevelVersion, Version};
use palisade_rules::{
    RegulatedNamespaces, Rule, Settings, Severity, WaiverNote, WaiverSource, registry,
};

use crate::date::Date;
use crate::waivers::{ObjectMatch, Waiver};

/// The file name looked for, from the scanned path up to the filesystem root.
pub const CONFIG_FILE: &str = ".palisade.yaml";

/// A problem in the configuration file, at a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pos.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.pos.line, self.pos.column, self.message
            )
        }
    }
}

/// A custom kind that embeds a pod template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadKind {
    pub group: String,
    pub kind: String,
    pub pod_template: String,
}

/// The configuration, validated.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from (`None` for the built-in defaults).
    pub path: Option<Arc<str>>,
    /// Frameworks whose per-control view the scan shows (`--framework` overrides).
    pub frameworks: Vec<Framework>,
    /// Rules to run (IDs, names or areas); empty = all.
    pub select: Vec<&'static Rule>,
    /// Rules not to run.
    pub ignore: Vec<&'static Rule>,
    /// Severity overrides per rule.
    pub severity: Vec<(&'static Rule, Severity)>,
    pub pss: Option<LevelVersion>,
    pub regulated: RegulatedNamespaces,
    pub regulated_pss_level: Option<Level>,
    pub registries: Vec<String>,
    pub log_retention_days: Option<u32>,
    pub runtime_agents: Vec<String>,
    pub istio_root_namespace: Option<String>,
    /// The scanned paths hold the cluster's whole configuration.
    pub complete_inventory: bool,
    pub workload_kinds: Vec<WorkloadKind>,
    pub waivers: Vec<Waiver>,
    /// Whether `palisade.dev/waive.<RULE>` annotations on objects waive findings.
    pub inline_waivers: bool,
}

/// Days of audit log retention when the configuration does not say: PCI DSS 10.5.1 wants
/// three months immediately available; otherwise the CIS Kubernetes Benchmark's 30 days.
pub const PCI_RETENTION_DAYS: u32 = 90;

impl Config {
    /// The defaults, as when no file is found.
    pub fn builtin() -> Config {
        Config {
            inline_waivers: true,
            ..Config::default()
        }
    }

    /// The nearest `.palisade.yaml` in `start` (a file's folder, or the folder itself) or
    /// any parent folder.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_dir() {
            start.to_path_buf()
        } else {
            start.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let start = if start.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            start
        };
        let absolute = std::fs::canonicalize(&start).unwrap_or(start);
        let found = absolute
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE))
            .find(|candidate| candidate.is_file())?;
        // Shown relative to the working folder when it is below it, as manifests are.
        let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
        Some(
            match cwd.as_deref().and_then(|c| found.strip_prefix(c).ok()) {
                Some(relative) => relative.to_path_buf(),
                None => found,
            },
        )
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
        let name: Arc<str> = path.display().to_string().into();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError {
                file: name.clone(),
                pos: Pos::default(),
                message: format!("cannot read the configuration: {e}"),
            }]
        })?;
        Config::parse(&name, &text)
    }

    /// Validates configuration text; `name` is used in errors and waiver sources.
    pub fn parse(name: &Arc<str>, text: &str) -> Result<Config, Vec<ConfigError>> {
        let mut docs = parse_str(name, text, &Limits::default());
        let mut errors = Errors {
            file: name.clone(),
            list: Vec::new(),
        };
        let doc = match docs.len() {
            0 => {
                return Ok(Config {
                    path: Some(name.clone()),
                    ..Config::builtin()
                });
            }
            1 => match docs.remove(0) {
                Ok(doc) => doc,
                Err(e) => {
                    return Err(vec![ConfigError {
                        file: name.clone(),
                        pos: e.pos.unwrap_or_default(),
                        message: e.message,
                    }]);
                }
            },
            _ => {
                return Err(vec![ConfigError {
                    file: name.clone(),
                    pos: Pos::default(),
                    message: "expected one YAML document, found several".to_string(),
                }]);
            }
        };
        let mut config = Config {
            path: Some(name.clone()),
            ..Config::builtin()
        };
        let root = doc.root();
        if root.is_null() {
            return Ok(config);
        }
        for (key, value) in errors.entries(root, "the configuration", TOP_KEYS) {
            match key {
                "version" if value.as_i64() != Some(1) => {
                    errors.at(value, "version must be 1");
                }
                "frameworks" => {
                    for item in errors.strings(value, "frameworks") {
                        match Framework::parse(item.1) {
                            Some(f) => config.frameworks.push(f),
                            None if item.1 == "all" => config.frameworks = Framework::ALL.to_vec(),
                            None => errors.at(
                                item.0,
                                format!(
                                    "unknown framework {:?} (expected hipaa, pci-dss, soc2, cis, nsa or all)",
                                    item.1
                                ),
                            ),
                        }
                    }
                }
                "rules" => parse_rules(&mut errors, value, &mut config),
                "podSecurity" => {
                    let mut level = Level::Restricted;
                    let mut version = Version::Latest;
                    for (k, v) in errors.entries(value, "podSecurity", &["level", "version"]) {
                        let Some(s) = errors.string(v, k) else {
                            continue;
                        };
                        match k {
                            "level" => match Level::parse(s) {
                                Ok(l) if l != Level::Privileged => level = l,
                                _ => errors.at(v, "level must be baseline or restricted"),
                            },
                            _ => match Version::parse(s) {
                                Ok(ver) => version = ver,
                                Err(e) => errors.at(v, format!("version: {e}")),
                            },
                        }
                    }
                    config.pss = Some(LevelVersion::new(level, version));
                }
                "regulatedNamespaces" => {
                    for (k, v) in errors.entries(
                        value,
                        "regulatedNamespaces",
                        &["names", "selector", "podSecurityLevel"],
                    ) {
                        match k {
                            "names" => config.regulated.names = errors.owned_strings(v, "names"),
                            "selector" => match LabelSelector::from_node(v) {
                                Ok(s) if v.is_map() => config.regulated.selector = Some(s),
                                Ok(_) => errors.at(v, "selector must be a label selector map"),
                                Err(e) => errors.at(v, format!("selector: {e}")),
                            },
                            _ => {
                                if let Some(s) = errors.string(v, k) {
                                    match Level::parse(s) {
                                        Ok(l) if l != Level::Privileged => {
                                            config.regulated_pss_level = Some(l)
                                        }
                                        _ => errors.at(
                                            v,
                                            "podSecurityLevel must be baseline or restricted",
                                        ),
                                    }
                                }
                            }
                        }
                    }
                }
                "registries" => config.registries = errors.owned_strings(value, "registries"),
                "auditLog" => {
                    for (_, v) in errors.entries(value, "auditLog", &["retentionDays"]) {
                        match v.as_i64() {
                            Some(d) if (1..=36_500).contains(&d) => {
                                config.log_retention_days = Some(d as u32)
                            }
                            _ => errors.at(
                                v,
                                "retentionDays must be a whole number of days (1 or more)",
                            ),
                        }
                    }
                }
                "runtimeAgents" => {
                    config.runtime_agents = errors.owned_strings(value, "runtimeAgents")
                }
                "istioRootNamespace" => {
                    config.istio_root_namespace = errors
                        .string(value, "istioRootNamespace")
                        .map(str::to_string)
                }
                "workloadKinds" => {
                    for item in errors.items(value, "workloadKinds") {
                        let mut api_version = None;
                        let mut kind = None;
                        let mut template = None;
                        for (k, v) in errors.entries(
                            item,
                            "a workload kind",
                            &["apiVersion", "kind", "podTemplate"],
                        ) {
                            let s = errors.string(v, k).map(str::to_string);
                            match k {
                                "apiVersion" => api_version = s,
                                "kind" => kind = s,
                                _ => template = s,
                            }
                        }
                        match (api_version, kind, template) {
                            (Some(a), Some(k), Some(t)) => config.workload_kinds.push(WorkloadKind {
                                group: a.rsplit_once('/').map_or("", |(g, _)| g).to_string(),
                                kind: k,
                                pod_template: t,
                            }),
                            _ => errors.at(item, "a workload kind needs apiVersion, kind and podTemplate (e.g. spec.template)"),
                        }
                    }
                }
                "completeInventory" => match value.as_bool() {
                    Some(b) => config.complete_inventory = b,
                    None => errors.at(value, "completeInventory must be true or false"),
                },
                "inlineWaivers" => match value.as_bool() {
                    Some(b) => config.inline_waivers = b,
                    None => errors.at(value, "inlineWaivers must be true or false"),
                },
                "waivers" => {
                    for item in errors.items(value, "waivers") {
                        if let Some(w) = parse_waiver(&mut errors, item) {
                            config.waivers.push(w);
                        }
                    }
                }
                _ => {} // entries() yields only the keys listed above
            }
        }
        if errors.list.is_empty() {
            Ok(config)
        } else {
            errors.list.sort_by_key(|e| e.pos);
            Err(errors.list)
        }
    }

    /// The settings rules run with: the defaults, overridden by this configuration.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        if let Some(pss) = self.pss {
            settings.pss = pss;
        }
        settings.regulated = self.regulated.clone();
        if let Some(level) = self.regulated_pss_level {
            settings.regulated_pss_level = level;
        }
        settings.registries = self.registries.clone();
        settings.log_retention_days = match self.log_retention_days {
            Some(days) => days,
            None if self.frameworks.contains(&Framework::PciDss) => PCI_RETENTION_DAYS,
            None => settings.log_retention_days,
        };
        settings.runtime_agents = self.runtime_agents.clone();
        if let Some(root) = &self.istio_root_namespace {
            settings.istio_root_namespace = root.clone();
        }
        for k in &self.workload_kinds {
            settings.locator =
                settings
                    .locator
                    .clone()
                    .with_kind(&k.group, &k.kind, &k.pod_template);
        }
        settings
    }
}

const TOP_KEYS: &[&str] = &[
    "version",
    "frameworks",
    "rules",
    "podSecurity",
    "regulatedNamespaces",
    "registries",
    "auditLog",
    "runtimeAgents",
    "istioRootNamespace",
    "completeInventory",
    "workloadKinds",
    "inlineWaivers",
    "waivers",
];

fn parse_rules(errors: &mut Errors, value: Node<'_>, config: &mut Config) {
    for (k, v) in errors.entries(value, "rules", &["select", "ignore", "severity"]) {
        match k {
            "select" => config.select = errors.rules(v, k),
            "ignore" => config.ignore = errors.rules(v, k),
            _ => {
                let Some(entries) = v.as_map() else {
                    errors.at(v, "severity must map rule IDs to severities");
                    continue;
                };
                for (rule_key, sev) in entries {
                    let Some(rule) = registry::find(rule_key) else {
                        errors.at(
                            sev,
                            format!("unknown rule {rule_key:?} (see `palisade rules`)"),
                        );
                        continue;
                    };
                    match sev.as_str().map(str::parse::<Severity>) {
                        Some(Ok(s)) => config.severity.push((rule, s)),
                        Some(Err(e)) => errors.at(sev, e),
                        None => errors.at(sev, "a severity must be a string"),
                    }
                }
            }
        }
    }
}

const WAIVER_KEYS: &[&str] = &[
    "rule",
    "rules",
    "objects",
    "justification",
    "owner",
    "ticket",
    "expires",
];

fn parse_waiver(errors: &mut Errors, item: Node<'_>) -> Option<Waiver> {
    let before = errors.list.len();
    let mut rules: Vec<&'static Rule> = Vec::new();
    let mut objects = ObjectMatch::default();
    let (mut justification, mut owner, mut ticket, mut expires) = (None, None, None, None);
    for (k, v) in errors.entries(item, "a waiver", WAIVER_KEYS) {
        match k {
            "rule" => {
                if let Some(s) = errors.string(v, k) {
                    match registry::find(s) {
                        Some(r) => rules.push(r),
                        None => errors.at(v, format!("unknown rule {s:?} (see `palisade rules`)")),
                    }
                }
            }
            // Several rules (IDs, names or areas) for one accepted risk, such as the host
            // access a control-plane static pod needs.
            "rules" => rules.extend(errors.rules(v, k)),
            "objects" => {
                for (ok, ov) in
                    errors.entries(v, "objects", &["kind", "namespace", "name", "labels"])
                {
                    if ok == "labels" {
                        match LabelSelector::from_node(ov) {
                            Ok(s) if ov.is_map() => objects.labels = Some(s),
                            Ok(_) => errors.at(ov, "labels must be a label selector map"),
                            Err(e) => errors.at(ov, format!("labels: {e}")),
                        }
                        continue;
                    }
                    let Some(s) = errors.string(ov, ok) else {
                        continue;
                    };
                    let s = Some(s.to_string());
                    match ok {
                        "kind" => objects.kind = s,
                        "namespace" => objects.namespace = s,
                        _ => objects.name = s,
                    }
                }
            }
            "expires" => {
                if let Some(s) = errors.string(v, k) {
                    match Date::parse(s) {
                        Some(d) => expires = Some(d),
                        None => errors.at(v, format!("expires {s:?} is not a date (YYYY-MM-DD)")),
                    }
                }
            }
            _ => {
                let s = errors.string(v, k).map(str::trim).filter(|s| !s.is_empty());
                if s.is_none() {
                    errors.at(v, format!("{k} must be a non-empty string"));
                }
                let s = s.map(str::to_string);
                match k {
                    "justification" => justification = s,
                    "owner" => owner = s,
                    _ => ticket = s,
                }
            }
        }
    }
    let mut missing = Vec::new();
    for (present, key) in [
        (!rules.is_empty(), "rule (or rules)"),
        (justification.is_some(), "justification"),
        (owner.is_some(), "owner"),
        (expires.is_some(), "expires"),
    ] {
        if !present {
            missing.push(key);
        }
    }
    if !missing.is_empty() && errors.list.len() == before {
        errors.at(
            item,
            format!(
                "a waiver needs {} (rule or rules, objects, justification, owner, expires; ticket optional)",
                missing.join(", ")
            ),
        );
    }
    if errors.list.len() != before {
        return None;
    }
    Some(Waiver {
        rules,
        objects,
        expires,
        note: Arc::new(WaiverNote {
            source: WaiverSource::Config {
                file: errors.file.clone(),
                line: item.pos().line,
            },
            justification: justification?,
            owner,
            ticket,
            expires: expires.map(|d| d.to_string()),
            expired: false,
        }),
    })
}

/// Error collection with typed accessors that report what they expected.
struct Errors {
    file: Arc<str>,
    list: Vec<ConfigError>,
}

impl Errors {
    fn at(&mut self, node: Node<'_>, message: impl Into<String>) {
        self.list.push(ConfigError {
            file: self.file.clone(),
            pos: node.pos(),
            message: message.into(),
        });
    }

    /// The entries of a map whose keys are in `allowed`; other keys are errors.
    fn entries<'a>(
        &mut self,
        node: Node<'a>,
        what: &str,
        allowed: &[&str],
    ) -> Vec<(&'a str, Node<'a>)> {
        let Some(entries) = node.as_map() else {
            self.at(node, format!("{what} must be a map"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            match allowed.iter().find(|a| **a == key) {
                Some(_) => out.push((key, value)),
                None => self.at(
                    value,
                    format!(
                        "unknown key {key:?} in {what}; expected one of: {}",
                        allowed.join(", ")
                    ),
                ),
            }
        }
        out
    }

    fn items<'a>(&mut self, node: Node<'a>, what: &str) -> Vec<Node<'a>> {
        if !node.is_seq() {
            if !node.is_null() {
                self.at(node, format!("{what} must be a list"));
            }
            return Vec::new();
        }
        node.items().collect()
    }

    fn string<'a>(&mut self, node: Node<'a>, what: &str) -> Option<&'a str> {
        let s = node.as_str();
        if s.is_none() {
            self.at(node, format!("{what} must be a string"));
        }
        s
    }

    fn owned_strings(&mut self, node: Node<'_>, what: &str) -> Vec<String> {
        self.strings(node, what)
            .into_iter()
            .map(|(_, s)| s.to_string())
            .collect()
    }

    /// A list of rule IDs, names or areas, resolved against the registry.
    fn rules(&mut self, node: Node<'_>, what: &str) -> Vec<&'static Rule> {
        let mut rules = Vec::new();
        for (item, key) in self.strings(node, what) {
            match registry::select(&[key.to_string()]) {
                Ok(found) => rules.extend(found),
                Err(_) => self.at(
                    item,
                    format!("unknown rule, name or area {key:?} (see `palisade rules`)"),
                ),
            }
        }
        rules
    }

    fn strings<'a>(&mut self, node: Node<'a>, what: &str) -> Vec<(Node<'a>, &'a str)> {
        self.items(node, what)
            .into_iter()
            .filter_map(|item| self.string(item, what).map(|s| (item, s)))
            .collect()
    }
}
