//! WL001-WL005: per-container hardening: read-only root filesystem, root group, memory and
//! CPU limits, image pull policy of mutable tags.

use palisade_model::workload::{ContainerList, PodTemplate};
use palisade_model::{FieldPath, Node};

use super::{container_label, is_windows};
use crate::context::ObjectCtx;
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const SECURITY_CONTEXT_DOC: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
const RESOURCES_DOC: &str =
    "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";
const LIMIT_RANGE_DOC: &str = "https://kubernetes.io/docs/concepts/policy/limit-range/";
const IMAGES_DOC: &str = "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy";

pub(super) const WL001: Rule = Rule {
    meta: RuleMeta {
        id: "WL001",
        name: "writable-root-filesystem",
        title: "Container root filesystem is writable",
        area: Area::Workload,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "A writable root filesystem lets an attacker who gains code execution in the container drop tools, modify binaries or configuration, and persist until the container restarts. With `readOnlyRootFilesystem: true` the image stays immutable and every writable location is an explicit volume (an `emptyDir` for scratch space), which also makes tampering visible. Regular and init containers are checked (init containers run the same images with the same access); ephemeral debug containers are not, and Windows pods are skipped because the API server forbids the field there.",
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` on the container and mount an `emptyDir` volume at each path the application must write to (for example `/tmp`).",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      securityContext:\n        readOnlyRootFilesystem: true\n      volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n  volumes:\n    - name: tmp\n      emptyDir: {}\n",
        evidence: &["pss.read_only_root_fs"],
        no_controls_reason: None,
        references: &[SECURITY_CONTEXT_DOC],
        pss: None,
    },
    check: Check::Object(check_read_only_root),
};

pub(super) const WL002: Rule = Rule {
    meta: RuleMeta {
        id: "WL002",
        name: "root-group",
        title: "Container runs with group ID 0 (runAsGroup, fsGroup or supplementalGroups)",
        area: Area::Workload,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "Pod Security's restricted level requires a non-root user but says nothing about groups. A process whose primary or supplementary group is 0 can read and write every file owned by the root group: many images and host paths grant group 0 access (`/etc`, sockets, files created with a 0770 umask), and `fsGroup: 0` makes every volume the pod mounts group-owned by root. Running as a non-root user in the root group gives back much of what non-root took away.",
        remediation: "Set `runAsGroup` (pod or container `securityContext`; the container's value overrides the pod's) and `fsGroup` to a non-zero group ID, and remove 0 from `supplementalGroups`.",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  securityContext:\n    runAsUser: 10001\n    runAsGroup: 0\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  securityContext:\n    runAsUser: 10001\n    runAsGroup: 10001\n    fsGroup: 10001\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        evidence: &["pss.run_as_non_root"],
        no_controls_reason: None,
        references: &[SECURITY_CONTEXT_DOC],
        pss: None,
    },
    check: Check::Object(check_root_group),
};

pub(super) const WL003: Rule = Rule {
    meta: RuleMeta {
        id: "WL003",
        name: "memory-limit-missing",
        title: "Container has no memory limit",
        area: Area::Workload,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[Input::kind("", "LimitRange")],
        rationale: "Without a memory limit a container can use all the memory of its node: a leak, a hostile input or a compromised process then starves every other pod there and triggers node-level out-of-memory kills, a denial of service that crosses application and tenant boundaries. A limit makes the kernel kill only the offending container. The check is satisfied by the container's own `resources.limits.memory`, by a pod-level `spec.resources.limits.memory`, or by a LimitRange in the same namespace (in the input) whose `Container` item sets a `default` or `max` memory (the API server fills the limit in from it). Regular and init containers are checked; requests are not required.",
        remediation: "Set `resources.limits.memory` on every container (or a default through a LimitRange in the namespace).",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      resources:\n        limits:\n          memory: 256Mi\n",
        evidence: &["wl.resource_limits"],
        no_controls_reason: None,
        references: &[RESOURCES_DOC, LIMIT_RANGE_DOC],
        pss: None,
    },
    check: Check::Object(check_memory_limit),
};

pub(super) const WL004: Rule = Rule {
    meta: RuleMeta {
        id: "WL004",
        name: "cpu-limit-missing",
        title: "Container has no CPU limit",
        area: Area::Workload,
        severity: Severity::Low,
        scope: Scope::Workloads,
        reads: &[Input::kind("", "LimitRange")],
        rationale: "Without a CPU limit a busy or compromised container (a crypto miner is the classic case) can take every idle CPU cycle of its node. CPU is compressible, so the harm is slowness rather than kills, and CPU requests already guarantee each pod its share; hence the low severity. Some teams deliberately run without CPU limits to avoid throttling: waive the rule for them. Satisfied as for memory: the container's own limit, a pod-level limit, or a LimitRange `default`/`max` for `Container` in the namespace.",
        remediation: "Set `resources.limits.cpu` on every container (or a default through a LimitRange in the namespace).",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      resources:\n        limits:\n          cpu: 500m\n",
        evidence: &["wl.resource_limits"],
        no_controls_reason: None,
        references: &[RESOURCES_DOC, LIMIT_RANGE_DOC],
        pss: None,
    },
    check: Check::Object(check_cpu_limit),
};

pub(super) const WL005: Rule = Rule {
    meta: RuleMeta {
        id: "WL005",
        name: "mutable-image-not-always-pulled",
        title: "Image referenced by a mutable tag is not pulled with imagePullPolicy: Always",
        area: Area::Workload,
        severity: Severity::Low,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "A tag can be moved to another image at any time. With `IfNotPresent` (Kubernetes' default for any tag other than `latest`) or `Never`, each node keeps running whatever it pulled first under that tag, so nodes may run different images, a rollback to the tag may not be what was reviewed, and the registry's access checks are skipped for images already cached on the node: any pod there can use a private image without pull credentials. Pinning the image by digest (`@sha256:...`) removes the ambiguity; otherwise `Always` makes the kubelet resolve the tag against the registry on every start.",
        remediation: "Pin the image by digest (`image: registry.example.com/app@sha256:...`), or set `imagePullPolicy: Always`.",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app@sha256:4b1c0bf7a2d6e6e5a3c8d4a1b52f0c3e9d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b\n",
        evidence: &["sc.image_signing_verification"],
        no_controls_reason: None,
        references: &[IMAGES_DOC],
        pss: None,
    },
    check: Check::Object(check_pull_policy),
};

/// The path of a container field from the object root.
fn at(template: &PodTemplate<'_>, list: ContainerList, index: usize) -> FieldPath {
    template.spec_path().key(list.field()).index(index)
}

/// Containers of the given lists, with their list and index.
fn containers<'a>(
    template: &PodTemplate<'a>,
    lists: &'static [ContainerList],
) -> impl Iterator<Item = (ContainerList, usize, Node<'a>)> + 'a {
    let spec = template.spec;
    lists.iter().flat_map(move |&list| {
        spec.get(list.field())
            .into_iter()
            .flat_map(|l| l.items())
            .enumerate()
            .map(move |(i, node)| (list, i, node))
    })
}

const REGULAR_AND_INIT: &[ContainerList] =
    &[ContainerList::InitContainers, ContainerList::Containers];

fn check_read_only_root(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    if is_windows(&template) {
        return;
    }
    for (list, index, node) in containers(&template, REGULAR_AND_INIT) {
        let field = node
            .get("securityContext")
            .and_then(|sc| sc.get("readOnlyRootFilesystem"));
        if field.and_then(|f| f.as_bool()) == Some(true) {
            continue;
        }
        let what = match field {
            Some(_) => "sets securityContext.readOnlyRootFilesystem to false",
            None => "does not set securityContext.readOnlyRootFilesystem: true",
        };
        sink.report(
            ctx.object,
            at(&template, list, index)
                .key("securityContext")
                .key("readOnlyRootFilesystem"),
            format!(
                "{} {what}; its root filesystem is writable",
                container_label(list.field(), node)
            ),
        );
    }
}

fn check_root_group(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    if is_windows(&template) {
        return;
    }
    let pod_sc = template.spec.get("securityContext");
    let pod_sc_path = template.spec_path().key("securityContext");
    let pod_group = pod_sc
        .and_then(|sc| sc.get("runAsGroup"))
        .and_then(|g| g.as_i64());
    let mut inheriting = Vec::new();
    for (list, index, node) in containers(&template, &ContainerList::ALL) {
        let own = node
            .get("securityContext")
            .and_then(|sc| sc.get("runAsGroup"))
            .and_then(|g| g.as_i64());
        match own {
            Some(0) => {
                sink.report(
                    ctx.object,
                    at(&template, list, index)
                        .key("securityContext")
                        .key("runAsGroup"),
                    format!(
                        "{} sets securityContext.runAsGroup: 0; its processes run with the root group",
                        container_label(list.field(), node)
                    ),
                );
            }
            // The container's own value overrides the pod's.
            Some(_) => {}
            None if pod_group == Some(0) => inheriting.push(node.str_at("name").unwrap_or("")),
            None => {}
        }
    }
    if !inheriting.is_empty() {
        sink.report(
            ctx.object,
            pod_sc_path.clone().key("runAsGroup"),
            format!(
                "spec.securityContext.runAsGroup is 0 and {} {} not override it: those processes run with the root group",
                if inheriting.len() == 1 { "container" } else { "containers" },
                inheriting
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if inheriting.len() == 1 { " does" } else { " do" }
            ),
        );
    }
    if pod_sc
        .and_then(|sc| sc.get("fsGroup"))
        .and_then(|g| g.as_i64())
        == Some(0)
    {
        sink.report(
            ctx.object,
            pod_sc_path.clone().key("fsGroup"),
            "spec.securityContext.fsGroup is 0: the pod's volumes are group-owned by root and every container gets the root group as a supplementary group",
        );
    }
    if let Some(groups) = pod_sc.and_then(|sc| sc.get("supplementalGroups")) {
        for (i, group) in groups.items().enumerate() {
            if group.as_i64() == Some(0) {
                sink.report(
                    ctx.object,
                    pod_sc_path.clone().key("supplementalGroups").index(i),
                    "spec.securityContext.supplementalGroups contains 0: every container process gets the root group",
                );
            }
        }
    }
}

/// Whether a LimitRange in `namespace` gives containers a default limit for `resource`.
/// Upstream (`SetDefaults_LimitRangeItem`, pkg/apis/core/v1/defaults.go) defaults a
/// `Container` item's `default` to its `max` where `default` is unset, and the LimitRanger
/// admission plugin then fills missing container limits from `default`.
fn limit_range_default(ctx: &ObjectCtx<'_>, namespace: &str, resource: &str) -> bool {
    ctx.inventory
        .of_kind("LimitRange")
        .filter(|o| o.id.api_version == "v1" && o.id.effective_namespace() == Some(namespace))
        .flat_map(|o| {
            o.root()
                .get("spec")
                .and_then(|s| s.get("limits"))
                .map(|l| l.items())
        })
        .flatten()
        .any(|item| {
            item.str_at("type") == Some("Container")
                && ["default", "max"]
                    .iter()
                    .any(|k| item.get(k).and_then(|m| m.get(resource)).is_some())
        })
}

fn check_limit(ctx: &ObjectCtx<'_>, sink: &mut Sink, resource: &str) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    // Pod-level resources (`spec.resources`) bound the whole pod.
    if template
        .spec
        .get_in(&["resources", "limits", resource])
        .is_some()
    {
        return;
    }
    if let Some(ns) = ctx.namespace()
        && limit_range_default(ctx, ns, resource)
    {
        return;
    }
    for (list, index, node) in containers(&template, REGULAR_AND_INIT) {
        if node.get_in(&["resources", "limits", resource]).is_some() {
            continue;
        }
        sink.report(
            ctx.object,
            at(&template, list, index)
                .key("resources")
                .key("limits")
                .key(resource),
            format!(
                "{} has no resources.limits.{resource} (nor a pod-level limit or a LimitRange default in its namespace)",
                container_label(list.field(), node)
            ),
        );
    }
}

fn check_memory_limit(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    check_limit(ctx, sink, "memory");
}

fn check_cpu_limit(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    check_limit(ctx, sink, "cpu");
}

/// How an image is referenced.
#[derive(Debug, PartialEq, Eq)]
struct ImageRef<'a> {
    /// The tag as upstream's `parsers.ParseImageName` returns it: `latest` when the
    /// reference has neither tag nor digest, empty when it has a digest only.
    tag: &'a str,
    digest: bool,
}

/// Splits an image reference the way the kubelet reads it: `name[:tag][@digest]`, where a
/// `:` in the registry host (`host:5000/app`) is a port, not a tag.
fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = match last.split_once(':') {
        Some((_, tag)) => tag,
        None if digest => "",
        None => "latest",
    };
    ImageRef { tag, digest }
}

/// The pull policy the API server defaults to when the field is absent
/// (`SetDefaults_Container`, pkg/apis/core/v1/defaults.go): `Always` for the `latest` tag
/// (which an untagged reference is), `IfNotPresent` otherwise.
fn default_pull_policy(image: &ImageRef<'_>) -> &'static str {
    if image.tag == "latest" {
        "Always"
    } else {
        "IfNotPresent"
    }
}

fn check_pull_policy(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for (list, index, node) in containers(&template, &ContainerList::ALL) {
        let Some(image) = node.str_at("image").filter(|i| !i.is_empty()) else {
            continue;
        };
        let parsed = parse_image(image);
        if parsed.digest {
            continue;
        }
        let path = at(&template, list, index);
        let label = container_label(list.field(), node);
        match node.str_at("imagePullPolicy").filter(|p| !p.is_empty()) {
            Some("Always") => {}
            Some(policy) => {
                sink.report(
                    ctx.object,
                    path.key("imagePullPolicy"),
                    format!(
                        "{label} pulls image {image:?} (mutable tag, no digest) with imagePullPolicy: {policy}; nodes may run a stale or different image under that tag"
                    ),
                );
            }
            None => {
                let policy = default_pull_policy(&parsed);
                if policy != "Always" {
                    sink.report(
                        ctx.object,
                        path.key("image"),
                        format!(
                            "{label} pulls image {image:?} (mutable tag, no digest) with no imagePullPolicy, which Kubernetes defaults to {policy} for tag {:?}; nodes may run a stale or different image under that tag",
                            parsed.tag
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_parse_like_the_kubelet() {
        let p = parse_image;
        assert_eq!(
            p("nginx"),
            ImageRef {
                tag: "latest",
                digest: false
            }
        );
        assert_eq!(
            p("nginx:1.25"),
            ImageRef {
                tag: "1.25",
                digest: false
            }
        );
        assert_eq!(
            p("registry:5000/app"),
            ImageRef {
                tag: "latest",
                digest: false
            }
        );
        assert_eq!(
            p("registry:5000/team/app:v2"),
            ImageRef {
                tag: "v2",
                digest: false
            }
        );
        assert_eq!(
            p("app@sha256:abc"),
            ImageRef {
                tag: "",
                digest: true
            }
        );
        assert_eq!(
            p("app:1.0@sha256:abc"),
            ImageRef {
                tag: "1.0",
                digest: true
            }
        );
    }

    #[test]
    fn default_pull_policy_follows_upstream() {
        assert_eq!(default_pull_policy(&parse_image("nginx")), "Always");
        assert_eq!(default_pull_policy(&parse_image("nginx:latest")), "Always");
        assert_eq!(
            default_pull_policy(&parse_image("nginx:1.25")),
            "IfNotPresent"
        );
        assert_eq!(
            default_pull_policy(&parse_image("host:5000/nginx")),
            "Always"
        );
        // A digest without a tag: upstream's tag is empty, so IfNotPresent.
        assert_eq!(
            default_pull_policy(&parse_image("nginx@sha256:abc")),
            "IfNotPresent"
        );
    }
}
