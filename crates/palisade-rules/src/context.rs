//! What a check sees (the object, the inventory, the settings) and where it reports.

use palisade_model::workload::{PodSpecLocator, PodTemplate};
use std::sync::{Arc, OnceLock};

use palisade_model::{FieldPath, Inventory, LabelSelector, Object, ObjectRef, Pos};
use palisade_pss::{Level, LevelVersion, PodView, Version};

use crate::finding::{AdmissionDetail, Finding, Location, PssFinding, Related};
use crate::rule::RuleMeta;

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
    /// The input is the cluster's whole configuration (a platform repository, a live
    /// cluster): only then can a rule conclude that something is absent (no runtime agent,
    /// no policy engine, a role nobody binds). On partial input (an application's
    /// manifests) such rules are not evaluated.
    pub complete_inventory: bool,
    /// DaemonSet names (globs) recognised as runtime protection agents besides Falco.
    pub runtime_agents: Vec<String>,
    /// Istio's root namespace (`meshConfig.rootNamespace`): where mesh-wide
    /// PeerAuthentication and AuthorizationPolicy live.
    pub istio_root_namespace: String,
    /// Resource types a cluster scan could not list (forbidden, or an error). Rules that
    /// read them are "not evaluated", never passed, and nothing is concluded from an
    /// absence while any is missing.
    pub unlisted: Vec<Unlisted>,
}

/// A resource type the input could not include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlisted {
    /// `apps/v1`, `v1`.
    pub api_version: String,
    pub kind: String,
    /// The plural resource name (`deployments`).
    pub resource: String,
    /// The namespace the list was for, when the scan was limited to one.
    pub namespace: Option<String>,
    /// `forbidden`, or the error met.
    pub reason: String,
}

impl Unlisted {
    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `deployments.apps (forbidden)`.
    pub fn describe(&self) -> String {
        let group = self.group();
        let resource = if group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{group}", self.resource)
        };
        match &self.namespace {
            Some(ns) => format!("{resource} in namespace {ns} ({})", self.reason),
            None => format!("{resource} ({})", self.reason),
        }
    }
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
            complete_inventory: false,
            runtime_agents: Vec::new(),
            istio_root_namespace: "istio-system".to_string(),
            unlisted: Vec::new(),
        }
    }
}

impl Settings {
    /// Applies `# settings: key=value; key=value` comment lines found in `text`: rule
    /// examples and test fixtures use them to state the configuration they assume. Keys:
    /// `regulated` (name globs, comma-separated), `regulated-pss-level`, `registries`,
    /// `log-retention-days`, `runtime-agents`, `istio-root-namespace`, `complete`
    /// (true/false), `workload-kind`
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
            "complete" => {
                self.complete_inventory = value
                    .parse()
                    .map_err(|_| format!("complete {value:?} is not true or false"))?
            }
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

/// Shell-style glob with `*` (any run) and `?` (one character); everything else literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// What an object rule sees.
pub struct ObjectCtx<'a> {
    pub object: &'a Object,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    /// The pod template, found once per object however many rules ask.
    template: std::cell::OnceCell<Option<PodTemplate<'a>>>,
    pod: std::cell::OnceCell<Option<PodView<'a>>>,
    images: std::cell::OnceCell<Vec<crate::rules::supply_chain::ContainerImage<'a>>>,
}

impl<'a> ObjectCtx<'a> {
    pub fn new(object: &'a Object, inventory: &'a Inventory, settings: &'a Settings) -> Self {
        ObjectCtx {
            object,
            inventory,
            settings,
            template: std::cell::OnceCell::new(),
            pod: std::cell::OnceCell::new(),
            images: std::cell::OnceCell::new(),
        }
    }

    /// The pod template as the Pod Security checks read it, built once per object.
    pub fn pod_view(&self) -> Option<&PodView<'a>> {
        self.pod
            .get_or_init(|| self.pod_template().map(PodView::new))
            .as_ref()
    }

    /// The namespace the object lives in (`default` when a namespaced manifest names
    /// none; `None` for cluster-scoped kinds).
    pub fn namespace(&self) -> Option<&'a str> {
        self.object.id.effective_namespace()
    }

    /// Whether the object lives in a regulated namespace.
    pub fn is_regulated(&self) -> bool {
        self.namespace()
            .is_some_and(|ns| self.settings.regulated.contains(ns, self.inventory))
    }

    /// The pod template's container images, parsed once for all the rules that read them
    /// (empty when the object is not a workload).
    pub(crate) fn images(&self) -> &[crate::rules::supply_chain::ContainerImage<'a>] {
        self.images.get_or_init(|| {
            self.pod_template()
                .map(crate::rules::supply_chain::images::images)
                .unwrap_or_default()
        })
    }

    /// The object's pod template, if it is a workload.
    pub fn pod_template(&self) -> Option<PodTemplate<'a>> {
        *self
            .template
            .get_or_init(|| self.settings.locator.pod_template(self.object))
    }
}

/// What an inventory rule sees.
pub struct InventoryCtx<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    pub(crate) views: &'a Views<'a>,
}

/// Views of the inventory that several inventory rules derive (every workload with its pod
/// template, every kube-apiserver and its flags, the pods NetworkPolicies select, the pods
/// a mesh sees): computed once per evaluation on first use and shared by all rules and
/// threads. Walking 100,000 objects costs about as much as a rule's whole check; doing it
/// once instead of per rule is most of the inventory rules' speed.
#[derive(Default)]
pub(crate) struct Views<'a> {
    pub(crate) workloads: OnceLock<Vec<(&'a Object, PodTemplate<'a>)>>,
    pub(crate) apiservers: OnceLock<Vec<crate::rules::control_plane::flags::ApiServer<'a>>>,
    pub(crate) network_pods: OnceLock<Vec<crate::rules::network::policy::PodRef<'a>>>,
    pub(crate) network_policies: OnceLock<Vec<crate::rules::network::policy::NetworkPolicy<'a>>>,
    pub(crate) mesh_pods: OnceLock<Vec<crate::rules::mesh::MeshPod<'a>>>,
    pub(crate) istio_in_use: OnceLock<bool>,
    pub(crate) linkerd_in_use: OnceLock<bool>,
}

impl<'a> InventoryCtx<'a> {
    /// A context over `inventory` with its own (empty) views.
    pub(crate) fn new(
        inventory: &'a Inventory,
        settings: &'a Settings,
        views: &'a Views<'a>,
    ) -> Self {
        InventoryCtx {
            inventory,
            settings,
            views,
        }
    }

    /// Every object with a pod template, in input order, with the template: found once per
    /// evaluation (in parallel) for every inventory rule that walks the workloads.
    pub fn workloads(&self) -> &'a [(&'a Object, PodTemplate<'a>)] {
        let (inventory, locator) = (self.inventory, &self.settings.locator);
        self.views.workloads.get_or_init(|| {
            use rayon::prelude::*;
            inventory
                .objects()
                .par_iter()
                .filter_map(|o| Some((o, locator.pod_template(o)?)))
                .collect()
        })
    }

    /// Every namespace the input mentions: Namespace objects and the namespaces of
    /// namespaced objects (`default` for those that name none), sorted.
    pub fn namespaces(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = self
            .inventory
            .objects()
            .iter()
            .filter_map(|o| {
                if o.kind() == "Namespace" && o.id.api_version == "v1" {
                    Some(o.id.name.as_str())
                } else {
                    o.id.effective_namespace()
                }
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Whether namespace `name` is regulated.
    pub fn is_regulated(&self, name: &str) -> bool {
        self.settings.regulated.contains(name, self.inventory)
    }

    /// Reports that something every cluster should run (a runtime agent, a policy engine)
    /// is missing, when the input allows that conclusion: it holds workloads (it looks like
    /// a cluster's manifests) and is the whole configuration. Otherwise records why the
    /// rule is not evaluated.
    pub fn report_missing_from_cluster(&self, sink: &mut Sink, message: &str) {
        let has_workloads = self
            .inventory
            .objects()
            .iter()
            .any(|o| self.settings.locator.is_workload(o));
        if !has_workloads {
            sink.not_evaluated(
                "the input has no workloads, so it does not look like a cluster's manifests",
            );
        } else if self.absence_provable(sink) {
            sink.report_absent(ObjectRef::cluster(), message);
        }
    }

    /// For rules that conclude something is absent: true when the input is the whole
    /// configuration; otherwise records the rule as not evaluated and returns false.
    pub fn absence_provable(&self, sink: &mut Sink) -> bool {
        if !self.settings.complete_inventory {
            sink.not_evaluated(PARTIAL_INPUT);
            return false;
        }
        if !self.settings.unlisted.is_empty() {
            let what: Vec<String> = self
                .settings
                .unlisted
                .iter()
                .map(Unlisted::describe)
                .collect();
            sink.not_evaluated(format!(
                "the cluster scan could not list {}, so an absence proves nothing",
                what.join(", ")
            ));
            return false;
        }
        true
    }
}

/// Why absence-based rules are not evaluated on partial input.
pub const PARTIAL_INPUT: &str = "the input may be only part of the cluster's configuration, so an absence proves nothing; set `completeInventory: true` when the scanned paths hold all of it";

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
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message,
            object: object.id.clone(),
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

impl Sink {
    /// Reports something the input lacks, about `subject` (a namespace with no default-deny
    /// policy, [`ObjectRef::cluster`] for what is missing everywhere). When `subject` is in
    /// the input, report on the object instead, so the finding points at a line.
    pub fn report_absent(
        &mut self,
        subject: ObjectRef,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message: message.into(),
            object: Arc::new(subject),
            location: Location {
                file: None,
                pos: Pos::default(),
                path: FieldPath::root(),
            },
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
