//! Where the pod spec lives: the one place that knows, for every workload kind.
//!
//! Pod Security Admission reads the pod template of exactly these built-in kinds; the same
//! table serves every rule that looks at containers. Custom kinds that embed a pod template
//! (Argo Rollouts and the like) are added with [`PodSpecLocator::with_kind`].

use std::sync::LazyLock;

use crate::defaults::Defaulting;
use crate::node::{Document, Node};
use crate::object::Object;
use crate::path::FieldPath;

/// A pod template found in an object: its metadata and spec with their paths from the
/// object root (so findings point into the right place of a Deployment or CronJob).
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    /// The template's `metadata` (annotations, labels); `None` when absent.
    pub metadata: Option<Node<'a>>,
    /// The pod spec; an empty map when the template has no `spec`.
    pub spec: Node<'a>,
    /// Path of the template (`""` for a Pod, `spec.template` for a Deployment, ...).
    pub prefix: &'a FieldPath,
    /// Which API-server defaults apply to this pod spec (see [`crate::defaults`]).
    pub defaulting: Defaulting,
}

impl<'a> PodTemplate<'a> {
    /// The path of a field of the pod spec, from the object root.
    pub fn spec_path(&self) -> FieldPath {
        self.prefix.child("spec")
    }

    pub fn metadata_path(&self) -> FieldPath {
        self.prefix.child("metadata")
    }

    /// The path of a container from the object root (`spec.template.spec.containers[0]`).
    pub fn container_path(&self, container: &Container<'_>) -> FieldPath {
        self.spec_path()
            .key(container.list.field())
            .index(container.index)
    }

    /// Annotation value on the template, if present and a string.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("annotations")?.str_at(key)
    }

    pub fn annotations(&self) -> impl Iterator<Item = (&'a str, Node<'a>)> + 'a {
        self.metadata
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.as_map())
            .into_iter()
            .flatten()
    }

    /// The pod template's string-valued labels (as [`Object::labels`] for an object).
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.metadata
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.as_map())
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k, v.as_str()?)))
    }

    /// Every container in the order Pod Security Admission visits them: init containers,
    /// then containers, then ephemeral containers.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        let spec = self.spec;
        ContainerList::ALL.iter().flat_map(move |&list| {
            spec.get(list.field())
                .into_iter()
                .flat_map(|l| l.items())
                .enumerate()
                .map(move |(index, node)| Container { list, index, node })
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerList {
    InitContainers,
    Containers,
    EphemeralContainers,
}

impl ContainerList {
    pub const ALL: [ContainerList; 3] = [
        ContainerList::InitContainers,
        ContainerList::Containers,
        ContainerList::EphemeralContainers,
    ];

    pub const fn field(self) -> &'static str {
        match self {
            ContainerList::InitContainers => "initContainers",
            ContainerList::Containers => "containers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }
}

/// One container of a pod spec.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    pub list: ContainerList,
    pub index: usize,
    pub node: Node<'a>,
}

impl<'a> Container<'a> {
    /// The container name as the API server would decode it (empty when missing).
    pub fn name(&self) -> &'a str {
        self.node.str_at("name").unwrap_or("")
    }

    pub fn security_context(&self) -> Option<Node<'a>> {
        self.node.get("securityContext")
    }
}

/// Where the pod template sits in one kind.
#[derive(Clone, Debug)]
struct TemplateLocation {
    /// API groups the kind is served from (`""` is the core group).
    groups: Vec<String>,
    kind: String,
    /// Path of the pod template (the object holding `metadata` and `spec`).
    template: FieldPath,
    /// The same path as keys and indexes, walked for every object of the kind.
    steps: Vec<Step>,
    defaulting: Defaulting,
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

impl TemplateLocation {
    fn new(groups: Vec<String>, kind: &str, template: &str) -> TemplateLocation {
        let template = FieldPath::parse(template);
        let steps = template
            .segments()
            .map(|s| match s {
                crate::path::Segment::Key(k) => Step::Key(k.to_string()),
                crate::path::Segment::Index(i) => Step::Index(i),
            })
            .collect();
        // Only the core Pod is a pod; every other location holds a pod template.
        let defaulting = if kind == "Pod" && groups.iter().any(|g| g.is_empty()) {
            Defaulting::Pod
        } else {
            Defaulting::Template
        };
        TemplateLocation {
            groups,
            kind: kind.to_string(),
            template,
            steps,
            defaulting,
        }
    }

    fn find<'a>(&self, root: Node<'a>) -> Option<Node<'a>> {
        self.steps.iter().try_fold(root, |node, step| match step {
            Step::Key(k) => node.get(k),
            Step::Index(i) => node.items().get(*i),
        })
    }
}

/// Finds pod templates in objects.
#[derive(Clone, Debug)]
pub struct PodSpecLocator {
    locations: Vec<TemplateLocation>,
}

static BUILTIN: LazyLock<PodSpecLocator> = LazyLock::new(PodSpecLocator::new_builtin);

impl PodSpecLocator {
    /// The kinds Pod Security Admission evaluates, with the API groups that served them
    /// (`extensions` and the beta `batch` group included for old manifests).
    pub fn builtin() -> &'static PodSpecLocator {
        &BUILTIN
    }

    fn new_builtin() -> Self {
        let loc = |groups: &[&str], kind: &str, template: &str| {
            TemplateLocation::new(
                groups.iter().map(|g| g.to_string()).collect(),
                kind,
                template,
            )
        };
        PodSpecLocator {
            locations: vec![
                loc(&[""], "Pod", ""),
                loc(&[""], "PodTemplate", "template"),
                loc(&[""], "ReplicationController", "spec.template"),
                loc(&["apps", "extensions"], "Deployment", "spec.template"),
                loc(&["apps", "extensions"], "ReplicaSet", "spec.template"),
                loc(&["apps", "extensions"], "DaemonSet", "spec.template"),
                loc(&["apps"], "StatefulSet", "spec.template"),
                loc(&["batch"], "Job", "spec.template"),
                loc(&["batch"], "CronJob", "spec.jobTemplate.spec.template"),
            ],
        }
    }

    /// Adds a custom kind whose pod template sits at `template` (dotted path).
    #[must_use]
    pub fn with_kind(mut self, group: &str, kind: &str, template: &str) -> Self {
        self.locations.push(TemplateLocation::new(
            vec![group.to_string()],
            kind,
            template,
        ));
        self
    }

    /// Whether `object` runs pods: every workload kind except the core `PodTemplate`, which
    /// only stores a template for others to copy (pod-level views such as NetworkPolicy
    /// selection and mesh injection leave it out).
    pub fn runs_pods(object: &Object) -> bool {
        !(object.id.kind == "PodTemplate" && object.id.group().is_empty())
    }

    /// True when objects of this kind carry a pod template (whether or not this one does).
    pub fn is_workload(&self, object: &Object) -> bool {
        self.location(object).is_some()
    }

    /// Whether objects of `kind` in API group `group` have a pod template here.
    pub fn knows(&self, group: &str, kind: &str) -> bool {
        self.locations
            .iter()
            .any(|l| l.kind == kind && l.groups.iter().any(|g| g == group))
    }

    fn location(&self, object: &Object) -> Option<&TemplateLocation> {
        let group = object.id.group();
        self.locations
            .iter()
            .find(|l| l.kind == object.id.kind && l.groups.iter().any(|g| g == group))
    }

    /// The pod template of `object`, or `None` when the kind has none or the template is
    /// absent (a ReplicationController without `spec.template` is allowed by PSA).
    pub fn pod_template<'a>(&'a self, object: &'a Object) -> Option<PodTemplate<'a>> {
        let location = self.location(object)?;
        let template = location.find(object.root())?;
        if !template.is_map() {
            return None;
        }
        Some(PodTemplate {
            metadata: template.get("metadata"),
            spec: template.get("spec").unwrap_or(Document::empty_map()),
            prefix: &location.template,
            defaulting: location.defaulting,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Origin;

    fn object(json: serde_json::Value) -> Object {
        Object::from_json(&json, Origin::Cluster).unwrap()
    }

    #[test]
    fn finds_cronjob_template_and_visits_containers_in_psa_order() {
        let cj = object(serde_json::json!({
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "x"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "ephemeralContainers": [{"name": "e"}],
                "containers": [{"name": "c1"}, {"name": "c2"}],
                "initContainers": [{"name": "i"}]
            }}}}}
        }));
        let t = PodSpecLocator::builtin().pod_template(&cj).unwrap();
        let names: Vec<_> = t.containers().map(|c| c.name()).collect();
        assert_eq!(names, ["i", "c1", "c2", "e"]);
        let c2 = t.containers().nth(2).unwrap();
        assert_eq!(
            t.container_path(&c2).to_string(),
            "spec.jobTemplate.spec.template.spec.containers[1]"
        );
    }

    #[test]
    fn group_must_match() {
        let fake = object(serde_json::json!({
            "apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}
        }));
        assert!(PodSpecLocator::builtin().pod_template(&fake).is_none());
        let custom = PodSpecLocator::builtin().clone().with_kind(
            "example.com",
            "Deployment",
            "spec.template",
        );
        assert!(custom.pod_template(&fake).is_some());
    }

    #[test]
    fn missing_template_spec_is_an_empty_pod() {
        let d = object(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"template": {"metadata": {}}}
        }));
        let t = PodSpecLocator::builtin().pod_template(&d).unwrap();
        assert_eq!(t.containers().count(), 0);
    }
}
