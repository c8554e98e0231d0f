//! WL006-WL010: pod-level hardening: hostAliases, shared process namespace, writable
//! hostPath mounts, and health probes of long-running workloads.

use std::collections::BTreeMap;

use palisade_model::workload::{ContainerList, PodSpecLocator};
use palisade_model::{FieldPath, Object};

use super::container_label;
use crate::context::ObjectCtx;
use crate::rule::{Area, Check, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const POD_SPEC_DOC: &str =
    "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/";
const HOST_ALIASES_DOC: &str =
    "https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/";
const SHARE_PROCESS_DOC: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/";
const HOST_PATH_DOC: &str = "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath";
const PROBES_DOC: &str =
    "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/";

pub(super) const WL006: Rule = Rule {
    meta: RuleMeta {
        id: "WL006",
        name: "host-aliases",
        title: "Pod overrides name resolution with hostAliases",
        area: Area::Workload,
        severity: Severity::Low,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "`hostAliases` writes entries into the pod's `/etc/hosts`, which takes precedence over cluster DNS. Names then resolve differently in this pod than everywhere else: traffic can be silently redirected (to an interception proxy or an old address after a migration), DNS-based egress controls and monitoring no longer see the lookups, and the override is easy to miss in review. Legitimate uses exist but should be deliberate.",
        remediation: "Remove `spec.hostAliases` and publish the names through DNS (a Service, an ExternalName Service or the cluster DNS configuration); waive the finding where a static override is truly required.",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  hostAliases:\n    - ip: 10.1.2.3\n      hostnames: [payments.example.com]\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        evidence: &[],
        no_controls_reason: Some(
            "No framework control addresses per-pod name-resolution overrides; this is configuration hygiene that keeps traffic where DNS-based controls expect it.",
        ),
        references: &[HOST_ALIASES_DOC],
        pss: None,
    },
    check: Check::Object(check_host_aliases),
};

pub(super) const WL007: Rule = Rule {
    meta: RuleMeta {
        id: "WL007",
        name: "shared-process-namespace",
        title: "Pod shares one process namespace between its containers",
        area: Area::Workload,
        severity: Severity::Medium,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "With `shareProcessNamespace: true` every container of the pod sees every other container's processes: it can signal them, read their command lines and environment in `/proc`, and, running as the same user or with `CAP_SYS_PTRACE`, trace them and reach their filesystems through `/proc/<pid>/root`, including mounted Secrets. A compromise of the least trusted container (a sidecar, a debug tool) becomes a compromise of all of them.",
        remediation: "Remove `spec.shareProcessNamespace` (or set it to false); use it only for debugging, and waive the finding where a sidecar truly needs to see the application's processes.",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  shareProcessNamespace: true\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
        evidence: &["wl.process_isolation"],
        no_controls_reason: None,
        references: &[SHARE_PROCESS_DOC],
        pss: None,
    },
    check: Check::Object(check_share_process_namespace),
};

pub(super) const WL008: Rule = Rule {
    meta: RuleMeta {
        id: "WL008",
        name: "writable-host-path",
        title: "Container mounts a hostPath volume writable",
        area: Area::Workload,
        severity: Severity::High,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "A hostPath volume is a directory of the node. Mounted writable, it lets the container change the node itself: plant binaries or cron jobs, rewrite kubelet or container runtime configuration, tamper with other pods' data or logs. Baseline Pod Security forbids hostPath volumes altogether, but namespaces running at privileged (system agents, log collectors) still admit them; this rule holds whatever the configured level and asks that the mounts which remain at least be read-only.",
        remediation: "Set `readOnly: true` on every `volumeMounts` entry that mounts a hostPath volume, or replace the hostPath volume (an `emptyDir`, a PersistentVolumeClaim, a CSI driver).",
        example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      volumeMounts:\n        - name: logs\n          mountPath: /var/log/host\n  volumes:\n    - name: logs\n      hostPath:\n        path: /var/log\n",
        example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n      volumeMounts:\n        - name: logs\n          mountPath: /var/log/host\n          readOnly: true\n  volumes:\n    - name: logs\n      hostPath:\n        path: /var/log\n",
        evidence: &["pss.host_path_volumes"],
        no_controls_reason: None,
        references: &[HOST_PATH_DOC],
        pss: None,
    },
    check: Check::Object(check_writable_host_path),
};

pub(super) const WL009: Rule = Rule {
    meta: RuleMeta {
        id: "WL009",
        name: "liveness-probe-missing",
        title: "Long-running container has no liveness probe",
        area: Area::Workload,
        severity: Severity::Low,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "Without a liveness probe the kubelet restarts a container only when its process exits; a deadlocked or wedged process keeps its pod 'running' and serving errors indefinitely. Checked for the regular containers of long-running controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController and custom kinds configured with `workload-kind`), not for Jobs, CronJobs or bare Pods, which are expected to finish.",
        remediation: "Add a `livenessProbe` (an HTTP, gRPC, TCP or exec check of the process's health) to each container.",
        example_fail: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n",
        example_pass: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n          livenessProbe:\n            httpGet: {path: /healthz, port: 8080}\n",
        evidence: &["wl.health_probes"],
        no_controls_reason: None,
        references: &[PROBES_DOC],
        pss: None,
    },
    check: Check::Object(check_liveness),
};

pub(super) const WL010: Rule = Rule {
    meta: RuleMeta {
        id: "WL010",
        name: "readiness-probe-missing",
        title: "Long-running container has no readiness probe",
        area: Area::Workload,
        severity: Severity::Low,
        scope: Scope::Workloads,
        reads: &[],
        rationale: "Without a readiness probe a pod receives Service traffic as soon as its containers start, before the application can serve it, and keeps receiving it when it becomes unable to; rolling updates then proceed on pods that are not actually working. Checked for the regular containers of long-running controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController and custom kinds configured with `workload-kind`), not for Jobs, CronJobs or bare Pods.",
        remediation: "Add a `readinessProbe` to each container that checks the application can serve requests.",
        example_fail: "# settings: workload-kind=argoproj.io/Rollout=spec.template\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n",
        example_pass: "# settings: workload-kind=argoproj.io/Rollout=spec.template\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n",
        evidence: &["wl.health_probes"],
        no_controls_reason: None,
        references: &[PROBES_DOC, POD_SPEC_DOC],
        pss: None,
    },
    check: Check::Object(check_readiness),
};

fn check_host_aliases(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    let Some(aliases) = template
        .spec
        .get("hostAliases")
        .filter(|a| a.items().len() > 0)
    else {
        return;
    };
    let entries: Vec<String> = aliases
        .items()
        .map(|a| {
            let names: Vec<&str> = a
                .get("hostnames")
                .into_iter()
                .flat_map(|h| h.items())
                .filter_map(|h| h.as_str())
                .collect();
            format!("{} -> {}", names.join(","), a.str_at("ip").unwrap_or("?"))
        })
        .collect();
    sink.report(
        ctx.object,
        template.spec_path().key("hostAliases"),
        format!(
            "spec.hostAliases overrides name resolution in /etc/hosts: {}",
            entries.join("; ")
        ),
    );
}

fn check_share_process_namespace(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    if template.spec.bool_at("shareProcessNamespace") == Some(true) {
        sink.report(
            ctx.object,
            template.spec_path().key("shareProcessNamespace"),
            "spec.shareProcessNamespace is true: every container can see, signal and (as the same user) trace the others' processes",
        );
    }
}

fn check_writable_host_path(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    // Volume name -> (index in spec.volumes, host path). The last definition of a name
    // wins, as the API server would refuse duplicates anyway.
    let mut host_paths: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (i, volume) in template
        .spec
        .get("volumes")
        .into_iter()
        .flat_map(|v| v.items())
        .enumerate()
    {
        if let (Some(name), Some(host_path)) = (volume.str_at("name"), volume.get("hostPath")) {
            host_paths.insert(name, (i, host_path.str_at("path").unwrap_or("")));
        }
    }
    if host_paths.is_empty() {
        return;
    }
    for container in template.containers() {
        for (m, mount) in container
            .node
            .get("volumeMounts")
            .into_iter()
            .flat_map(|v| v.items())
            .enumerate()
        {
            let Some(&(volume_index, host_path)) =
                mount.str_at("name").and_then(|n| host_paths.get(n))
            else {
                continue;
            };
            if mount.bool_at("readOnly") == Some(true) {
                continue;
            }
            let mount_path = template
                .container_path(&container)
                .key("volumeMounts")
                .index(m);
            sink.report(
                ctx.object,
                mount_path.key("readOnly"),
                format!(
                    "{} mounts hostPath {host_path:?} at {:?} writable (readOnly is not true)",
                    container_label(container.list.field(), container.node),
                    mount.str_at("mountPath").unwrap_or("")
                ),
            )
            .with_related(
                ctx.object,
                [template
                    .spec_path()
                    .key("volumes")
                    .index(volume_index)
                    .key("hostPath")],
                "the hostPath volume",
            );
        }
    }
}

/// Whether the object is a long-running controller: the built-in controller kinds, or a
/// custom kind added to the locator by configuration. Pods, PodTemplates, Jobs and
/// CronJobs are not.
fn is_long_running(ctx: &ObjectCtx<'_>) -> bool {
    let object: &Object = ctx.object;
    if !PodSpecLocator::builtin().is_workload(object) {
        return ctx.settings.locator.is_workload(object);
    }
    matches!(
        (object.id.group(), object.kind()),
        (
            "apps" | "extensions",
            "Deployment" | "ReplicaSet" | "DaemonSet"
        ) | ("apps", "StatefulSet")
            | ("", "ReplicationController")
    )
}

fn check_probe(ctx: &ObjectCtx<'_>, sink: &mut Sink, probe: &str) {
    if !is_long_running(ctx) {
        return;
    }
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for container in template
        .containers()
        .filter(|c| c.list == ContainerList::Containers)
    {
        if container.node.get(probe).is_some() {
            continue;
        }
        let path: FieldPath = template.container_path(&container).key(probe);
        sink.report(
            ctx.object,
            path,
            format!(
                "{} of {} {:?} has no {probe}",
                container_label(container.list.field(), container.node),
                ctx.object.kind(),
                ctx.object.id.name
            ),
        );
    }
}

fn check_liveness(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    check_probe(ctx, sink, "livenessProbe");
}

fn check_readiness(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    check_probe(ctx, sink, "readinessProbe");
}
