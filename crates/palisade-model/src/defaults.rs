//! The API server's defaulting that can change a rule's answer, read through accessors.
//!
//! Pod Security Admission, like every admission plugin, judges an object after the API
//! server has decoded and defaulted it (`pkg/apis/core/v1/defaults.go`, Kubernetes v1.37,
//! applied during decoding, before admission, and the Pod strategy's `PrepareForCreate`).
//! Most defaults fill fields no rule reads; three change a Pod Security answer and are
//! applied here, where every reader of the field goes through them:
//!
//! - `SetDefaults_Volume`: a volume with no source set (every source field absent or `null`;
//!   unknown fields are dropped by decoding) becomes `emptyDir: {}`. Every kind with a pod
//!   spec.
//! - `SetDefaults_Pod`: on a Pod with `hostNetwork: true`, a container or init container
//!   port without `hostPort` (or with 0) gets `hostPort = containerPort`. Pods only: pod
//!   templates are not defaulted this way, so a Deployment's template keeps `hostPort` unset
//!   (its pods get the default when they are created).
//! - `applyAppArmorVersionSkew` (`PrepareForCreate`, `pkg/registry/core/pod/strategy.go`): a
//!   Pod's `container.apparmor.security.beta.kubernetes.io/<container>` annotation is copied
//!   into that container's `securityContext.appArmorProfile` when the field is unset and the
//!   pod-level profile differs. Pods only, on create.
//!
//! Documents are not rewritten: an accessor answers "as defaulted" and says when the value
//! came from a default, so a finding can point at the field the author wrote. Defaulting is
//! idempotent, so objects from a live cluster or an admission request (already defaulted)
//! read the same. The defaults rules handle themselves (imagePullPolicy, serviceAccount,
//! NetworkPolicy policyTypes, the namespace name label) are listed in docs/defaulting.md.

use crate::Node;
use crate::workload::{Container, ContainerList, PodTemplate};

/// How the API server defaults the pod spec of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defaulting {
    /// A core `Pod`: `SetDefaults_Pod` and `SetDefaults_PodSpec`.
    Pod,
    /// A pod template of a built-in workload (or of a custom kind configured as one, whose
    /// pods the API server will default when they are created): `SetDefaults_PodSpec` only.
    Template,
}

impl Defaulting {
    /// `pod` or `template`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Defaulting::Pod => "pod",
            Defaulting::Template => "template",
        }
    }
}

/// The fields of `VolumeSource` (k8s.io/api core/v1, v0.37), the only ones that survive
/// decoding.
pub const VOLUME_SOURCES: [&str; 30] = [
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// True when the API server turns this volume into `emptyDir: {}`: none of its source
/// fields is set (`ptr.AllPtrFieldsNil(&volume.VolumeSource)`).
pub fn volume_defaults_to_empty_dir(volume: Node<'_>) -> bool {
    volume.is_map() && !VOLUME_SOURCES.iter().any(|s| volume.get(s).is_some())
}

/// A container port's `hostPort` after defaulting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostPort {
    /// Unset or 0, and not defaulted.
    None,
    /// Written in the manifest.
    Set(i64),
    /// Filled from `containerPort` because the Pod has `hostNetwork: true`.
    FromContainerPort(i64),
}

impl HostPort {
    /// The port number, 0 when there is none (as the Go field reads).
    pub fn value(self) -> i64 {
        match self {
            HostPort::None => 0,
            HostPort::Set(p) | HostPort::FromContainerPort(p) => p,
        }
    }
}

/// `hostPort` of `port` (an item of `container.ports`) as the API server stores it.
pub fn host_port(
    template: &PodTemplate<'_>,
    container: &Container<'_>,
    port: Node<'_>,
) -> HostPort {
    let written = port.get("hostPort").and_then(|n| n.as_i64()).unwrap_or(0);
    if written != 0 {
        return HostPort::Set(written);
    }
    let defaulted = template.defaulting == Defaulting::Pod
        && container.list != ContainerList::EphemeralContainers
        && template.spec.bool_at("hostNetwork") == Some(true);
    match port.get("containerPort").and_then(|n| n.as_i64()) {
        Some(p) if defaulted && p != 0 => HostPort::FromContainerPort(p),
        _ => HostPort::None,
    }
}

/// An `AppArmorProfile` value: `type` and, for `Localhost`, `localhostProfile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppArmorProfile<'a> {
    pub profile_type: &'a str,
    pub localhost_profile: Option<&'a str>,
}

/// The annotation the API server still reads for a container's AppArmor profile.
pub const APP_ARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// The profile the API server writes into a container's `securityContext.appArmorProfile`
/// when it creates a Pod (`applyAppArmorVersionSkew` in `pkg/registry/core/pod/strategy.go`,
/// run by `PrepareForCreate`, before validating admission): when the container has no
/// profile field, its deprecated annotation maps to a valid profile
/// (`ApparmorFieldForAnnotation`: `unconfined`, `runtime/default`, `localhost/<name>`), and
/// that profile differs from the pod-level one. Not for Windows pods, and Pods only: the
/// workload strategies leave templates alone (their pods get it when created).
pub fn app_armor_from_annotation<'a>(
    template: &PodTemplate<'a>,
    container: &Container<'a>,
) -> Option<AppArmorProfile<'a>> {
    if template.defaulting != Defaulting::Pod
        || template.spec.get("os").and_then(|o| o.str_at("name")) == Some("windows")
    {
        return None;
    }
    // `get` reads an explicit null as absent, as decoding into a nil pointer does.
    let has_field = container
        .security_context()
        .and_then(|sc| sc.get("appArmorProfile"))
        .is_some();
    if has_field {
        return None;
    }
    let name = container.name();
    let annotation = template
        .metadata?
        .get("annotations")?
        .as_map()?
        .find(|(k, _)| k.strip_prefix(APP_ARMOR_ANNOTATION_PREFIX) == Some(name))?
        .1
        .as_str()?;
    let profile = match annotation {
        "unconfined" => AppArmorProfile {
            profile_type: "Unconfined",
            localhost_profile: None,
        },
        "runtime/default" => AppArmorProfile {
            profile_type: "RuntimeDefault",
            localhost_profile: None,
        },
        _ => {
            let local = annotation.strip_prefix("localhost/")?;
            // ValidateAppArmorProfileField: non-empty, not padded, at most PATH_MAX - 1.
            if local.is_empty() || local.trim() != local || local.len() > 4095 {
                return None;
            }
            AppArmorProfile {
                profile_type: "Localhost",
                localhost_profile: Some(local),
            }
        }
    };
    let pod_profile = template
        .spec
        .get_in(&["securityContext", "appArmorProfile"])
        .map(|p| AppArmorProfile {
            profile_type: p.str_at("type").unwrap_or(""),
            localhost_profile: p.str_at("localhostProfile"),
        });
    (pod_profile != Some(profile)).then_some(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::PodSpecLocator;
    use crate::{Object, Origin};
    use serde_json::json;

    fn object(v: serde_json::Value) -> Object {
        Object::from_json(&v, Origin::Cluster).unwrap()
    }

    #[test]
    fn source_less_volumes_become_empty_dir() {
        for (volume, defaulted) in [
            (json!({"name": "v"}), true),
            (json!({"name": "v", "hostPath": null}), true),
            (json!({"name": "v", "notASource": {}}), true),
            (json!({"name": "v", "emptyDir": {}}), false),
            (json!({"name": "v", "hostPath": {"path": "/"}}), false),
            (json!({"name": "v", "image": {"reference": "x"}}), false),
        ] {
            let o = object(
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"volumes": [volume.clone()]}}),
            );
            let v = o
                .root()
                .get_in(&["spec", "volumes"])
                .unwrap()
                .items()
                .get(0)
                .unwrap();
            assert_eq!(volume_defaults_to_empty_dir(v), defaulted, "{volume}");
        }
    }

    fn ports_of(kind: &str, api: &str, spec: serde_json::Value) -> Vec<HostPort> {
        let mut root = json!({"apiVersion": api, "kind": kind, "metadata": {"name": "p"}});
        if kind == "Pod" {
            root["spec"] = spec;
        } else {
            root["spec"] = json!({"template": {"spec": spec}});
        }
        let o = object(root);
        let t = PodSpecLocator::builtin().pod_template(&o).unwrap();
        t.containers()
            .flat_map(|c| {
                c.node
                    .get("ports")
                    .into_iter()
                    .flat_map(|p| p.items())
                    .map(move |p| host_port(&t, &c, p))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn host_network_pods_get_host_ports_from_container_ports() {
        let spec = json!({"hostNetwork": true,
            "initContainers": [{"name": "i", "ports": [{"containerPort": 53}]}],
            "containers": [{"name": "c", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 9}, {"name": "none"}]}],
            "ephemeralContainers": [{"name": "e", "ports": [{"containerPort": 82}]}]});
        assert_eq!(
            ports_of("Pod", "v1", spec.clone()),
            [
                HostPort::FromContainerPort(53),
                HostPort::FromContainerPort(80),
                HostPort::Set(9),
                HostPort::None,
                HostPort::None
            ]
        );
        // Pod templates are not defaulted this way.
        assert_eq!(
            ports_of("Deployment", "apps/v1", spec),
            [
                HostPort::None,
                HostPort::None,
                HostPort::Set(9),
                HostPort::None,
                HostPort::None
            ]
        );
        let no_host_network =
            json!({"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]});
        assert_eq!(ports_of("Pod", "v1", no_host_network), [HostPort::None]);
    }

    #[test]
    fn app_armor_annotations_become_container_fields_when_a_pod_is_created() {
        let profile = |t, l| {
            Some(AppArmorProfile {
                profile_type: t,
                localhost_profile: l,
            })
        };
        let cases = [
            // (annotation, container field, pod field, windows, expected)
            ("unconfined", None, None, false, profile("Unconfined", None)),
            (
                "runtime/default",
                None,
                None,
                false,
                profile("RuntimeDefault", None),
            ),
            (
                "localhost/p",
                None,
                None,
                false,
                profile("Localhost", Some("p")),
            ),
            // Invalid values are not copied.
            ("localhost/", None, None, false, None),
            ("localhost/ p", None, None, false, None),
            ("something", None, None, false, None),
            // The field wins; a null field is no field.
            (
                "unconfined",
                Some(json!({"type": "RuntimeDefault"})),
                None,
                false,
                None,
            ),
            (
                "unconfined",
                Some(json!(null)),
                None,
                false,
                profile("Unconfined", None),
            ),
            // Not copied when equal to the pod's profile.
            (
                "runtime/default",
                None,
                Some(json!({"type": "RuntimeDefault"})),
                false,
                None,
            ),
            (
                "unconfined",
                None,
                Some(json!({"type": "RuntimeDefault"})),
                false,
                profile("Unconfined", None),
            ),
            (
                "localhost/p",
                None,
                Some(json!({"type": "Localhost", "localhostProfile": "p"})),
                false,
                None,
            ),
            (
                "localhost/p",
                None,
                Some(json!({"type": "Localhost", "localhostProfile": "q"})),
                false,
                profile("Localhost", Some("p")),
            ),
            ("unconfined", None, None, true, None),
        ];
        for (annotation, field, pod_field, windows, expected) in cases {
            for kind in ["Pod", "Deployment"] {
                let mut container = json!({"name": "c"});
                if let Some(f) = &field {
                    container["securityContext"] = json!({"appArmorProfile": f});
                }
                let mut spec = json!({"containers": [container]});
                if let Some(p) = &pod_field {
                    spec["securityContext"] = json!({"appArmorProfile": p});
                }
                if windows {
                    spec["os"] = json!({"name": "windows"});
                }
                let meta = json!({"name": "p", "annotations": {
                    format!("{APP_ARMOR_ANNOTATION_PREFIX}c"): annotation,
                    format!("{APP_ARMOR_ANNOTATION_PREFIX}other"): "unconfined"}});
                let root = if kind == "Pod" {
                    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
                } else {
                    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                        "spec": {"template": {"metadata": meta, "spec": spec}}})
                };
                let o = object(root);
                let t = PodSpecLocator::builtin().pod_template(&o).unwrap();
                let c = t.containers().next().unwrap();
                let want = if kind == "Pod" { expected } else { None };
                assert_eq!(
                    app_armor_from_annotation(&t, &c),
                    want,
                    "{kind} {annotation} {field:?} {pod_field:?} {windows}"
                );
            }
        }
    }
}
