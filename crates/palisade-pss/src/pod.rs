//! A pod template seen the way the Go checks see a decoded `PodSpec`.

use palisade_model::workload::{Container, PodTemplate};
use palisade_model::{FieldPath, Node};

/// Read-only view of one pod template, with paths from the object root. The containers and
/// the pod security context are looked up once: all nineteen checks walk them.
#[derive(Clone, Debug)]
pub struct PodView<'a> {
    template: PodTemplate<'a>,
    containers: Vec<Container<'a>>,
    security_context: Option<Node<'a>>,
}

impl<'a> PodView<'a> {
    pub fn new(template: PodTemplate<'a>) -> Self {
        PodView {
            template,
            containers: template.containers().collect(),
            security_context: template.spec.get("securityContext"),
        }
    }

    pub fn template(&self) -> &PodTemplate<'a> {
        &self.template
    }

    pub fn spec(&self) -> Node<'a> {
        self.template.spec
    }

    /// `spec.securityContext`, when set.
    pub fn pod_security_context(&self) -> Option<Node<'a>> {
        self.security_context
    }

    /// Containers in visit order (init, regular, ephemeral).
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        self.containers.iter().copied()
    }

    /// `spec.volumes`, in order.
    pub fn volumes(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        self.template
            .spec
            .get("volumes")
            .into_iter()
            .flat_map(|v| v.items())
    }

    /// String-valued annotations of the template (a non-string value would not decode into
    /// Go's `map[string]string`, so it cannot reach the checks).
    pub fn annotations(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.template
            .annotations()
            .filter_map(|(k, v)| Some((k, v.as_str()?)))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.template.annotation(key)
    }

    /// `spec.os.name == "windows"` (exact).
    pub fn is_windows(&self) -> bool {
        self.template.spec.get("os").and_then(|o| o.str_at("name")) == Some("windows")
    }

    /// `spec.hostUsers` explicitly `false`: a user-namespaced pod.
    pub fn in_user_namespace(&self) -> bool {
        self.template.spec.bool_at("hostUsers") == Some(false)
    }

    /// Path of a pod-spec field from the object root (`spec.template.spec.<rest>`).
    pub fn spec_path(&self) -> FieldPath {
        self.template.spec_path()
    }

    /// Path of a container from the object root.
    pub fn container_path(&self, c: &Container<'_>) -> FieldPath {
        self.template.container_path(c)
    }

    /// Path of an annotation from the object root.
    pub fn annotation_path(&self, key: &str) -> FieldPath {
        self.template
            .metadata_path()
            .key("annotations")
            .owned_key(key)
    }
}

/// `securityContext.<field>` of a container, when the container has a security context.
pub(crate) fn container_sc_field<'a>(c: &Container<'a>, field: &str) -> Option<Node<'a>> {
    c.security_context()?.get(field)
}
