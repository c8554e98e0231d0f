//! PSS001-PSS019: the upstream Pod Security Admission checks as rules.
//!
//! One parameterised detector, nineteen instances: each rule runs its upstream check (via
//! `palisade_pss`) at the configured level and version and reports upstream's reason and
//! detail verbatim, at the first offending field, with the others as related locations.

use palisade_pss::{CheckId, aggregate_detail, evaluate_check};

use super::PSS_DOC;
use crate::context::ObjectCtx;
use crate::finding::PssFinding;
use crate::rule::{Area, Check, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

fn check_pss(check: CheckId, ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(pod) = ctx.pod_view() else {
        return;
    };
    let policy = ctx.settings.pss;
    let Some(failure) = evaluate_check(check, policy, pod) else {
        return;
    };
    let mut fields = failure.fields.into_iter();
    let primary = fields.next().unwrap_or_else(|| pod.spec_path());
    sink.report(
        ctx.object,
        primary,
        aggregate_detail([(failure.reason.as_str(), failure.detail.as_str())]),
    )
    .with_related(ctx.object, fields, "also violates this check")
    .with_pss(PssFinding {
        check,
        level: check.info().level,
        policy,
    });
}

/// A compliant pod with one part replaced; keeps the examples short and honest.
macro_rules! pod {
    (pod: $pod:expr, container: $container:expr) => {
        concat!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n",
            $pod,
            "  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
            $container
        )
    };
}

/// The pod-level security context every passing example starts from.
macro_rules! restricted_pod_sc {
    () => {
        "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n"
    };
}

/// The container security context every passing example starts from.
macro_rules! restricted_container_sc {
    () => {
        "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [\"ALL\"]\n"
    };
}

pub static PSS_RULES: [Rule; 19] = [
    Rule {
        meta: RuleMeta {
            id: "PSS001",
            name: "forbidden-apparmor-profile",
            title: "AppArmor profile overridden to an unconfined or unknown profile",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "AppArmor confines what a container process may do with files, capabilities and the network. Setting the profile to `Unconfined` (in `appArmorProfile` or the beta `container.apparmor.security.beta.kubernetes.io/*` annotations) removes that layer, so a compromised process meets only the remaining defences. Pod Security Admission baseline forbids it (check `appArmorProfile`).",
            remediation: "Remove the profile override, or set `appArmorProfile.type` to `RuntimeDefault` or `Localhost`.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    appArmorProfile:\n      type: Unconfined\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    appArmorProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            evidence: &["pss.kernel_hardening"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::AppArmorProfile),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::AppArmorProfile, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS002",
            name: "non-default-capabilities",
            title: "Container adds capabilities beyond the runtime's default set",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Capabilities such as `SYS_ADMIN`, `NET_ADMIN` or `NET_RAW` hand a container slices of root power over the node's kernel: mounting filesystems, reconfiguring networking, crafting packets. Pod Security Admission baseline allows only the container runtime's default set to be added (check `capabilities_baseline`). At restricted from policy v1.22 the stricter PSS014 takes this check's place.",
            remediation: "Remove capabilities outside the default set from `securityContext.capabilities.add`; grant the workload only what it needs.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          add: [\"SYS_ADMIN\"]\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          add: [\"CHOWN\"]\n"),
            evidence: &["pss.drop_all_capabilities"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::CapabilitiesBaseline),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::CapabilitiesBaseline, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS003",
            name: "host-namespaces",
            title: "Pod shares the node's network, PID or IPC namespace",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "`hostNetwork`, `hostPID` and `hostIPC` remove the isolation between the pod and the node: the pod can bind node ports and sniff node traffic, see and signal every process on the node, or read other processes' shared memory. Pod Security Admission baseline forbids all three (check `hostNamespaces`).",
            remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC`, or set them to `false`.",
            example_fail: pod!(pod: "  hostNetwork: true\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: "  hostNetwork: false\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            evidence: &["pss.no_host_namespaces"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::HostNamespaces),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::HostNamespaces, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS004",
            name: "hostpath-volume",
            title: "Pod mounts a hostPath volume",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A hostPath volume exposes part of the node's filesystem to the pod; a writable mount of `/`, `/var/run/docker.sock` or `/etc` is a direct path to node takeover, and even read-only mounts leak credentials of other workloads. Pod Security Admission baseline forbids hostPath volumes (check `hostPathVolumes`); at restricted, PSS016 takes this check's place.",
            remediation: "Replace the hostPath volume with an emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: node-root\n      hostPath:\n        path: /\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n  volumes:\n    - name: scratch\n      emptyDir: {}\n",
            evidence: &["pss.host_path_volumes"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::HostPathVolumes),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::HostPathVolumes, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS005",
            name: "host-port",
            title: "Container binds a port on the node",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A `hostPort` publishes the container directly on the node's network interface, bypassing Services and most NetworkPolicy implementations, and ties the pod to nodes where the port is free. Pod Security Admission baseline forbids any non-zero `hostPort` (check `hostPorts`). On a Pod with `hostNetwork: true` the API server sets `hostPort` to `containerPort` for every port that leaves it unset before admission, so such a Pod is reported here too (pod templates are not defaulted that way).",
            remediation: "Remove `hostPort` (and `hostNetwork`) and expose the container through a Service.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      ports:\n        - containerPort: 8080\n          hostPort: 8080\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      ports:\n        - containerPort: 8080\n"),
            evidence: &["pss.host_ports"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::HostPorts),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::HostPorts, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS006",
            name: "probe-or-lifecycle-host",
            title: "Probe or lifecycle handler targets another host",
            area: Area::PodSecurity,
            severity: Severity::Low,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Probes and lifecycle handlers run from the kubelet, on the node. Setting `httpGet.host` or `tcpSocket.host` makes the kubelet connect wherever the manifest says, which turns the node into a proxy into networks the pod itself cannot reach. Pod Security Admission baseline forbids it from policy v1.34 (check `hostProbesAndHostLifecycle`).",
            remediation: "Remove `host` from the probe and lifecycle handlers; they then target the pod's own IP.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      livenessProbe:\n        httpGet:\n          host: 169.254.169.254\n          path: /latest/meta-data/\n          port: 80\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      livenessProbe:\n        httpGet:\n          path: /healthz\n          port: 8080\n"),
            evidence: &["pss.no_host_namespaces"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::HostProbesAndHostLifecycle),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::HostProbesAndHostLifecycle, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS007",
            name: "privileged-container",
            title: "Container runs privileged",
            area: Area::PodSecurity,
            severity: Severity::Critical,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A privileged container has every capability, sees every device of the node and runs without seccomp or AppArmor confinement: a process that escapes it is root on the node, with every other workload's secrets in reach. Pod Security Admission baseline forbids it (check `privileged`).",
            remediation: "Remove `securityContext.privileged` or set it to `false`; grant the specific capability the workload needs instead.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        privileged: true\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        privileged: false\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [\"ALL\"]\n"),
            evidence: &["pss.no_privileged"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::Privileged),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::Privileged, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS008",
            name: "unmasked-proc-mount",
            title: "Container unmasks /proc",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "The container runtime masks sensitive parts of `/proc` (kernel keys, timers, `sysrq-trigger`). `procMount: Unmasked` removes the masks and exposes the host kernel's interfaces to the container. Pod Security Admission baseline forbids it (check `procMount`); from policy v1.35 pods in a user namespace (`hostUsers: false`) are exempt at baseline, and at restricted PSS015 takes this check's place.",
            remediation: "Remove `securityContext.procMount` or set it to `Default`.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        procMount: Unmasked\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        procMount: Default\n"),
            evidence: &["pss.kernel_hardening"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::ProcMount),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::ProcMount, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS009",
            name: "forbidden-selinux-options",
            title: "SELinux options give the container a privileged type, user or role",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "SELinux labels decide what a container process may touch on the node. A custom `type` such as `spc_t` (super-privileged container), or any `user` or `role`, can lift that confinement entirely. Pod Security Admission baseline allows only the container types (`container_t`, `container_init_t`, `container_kvm_t`, and `container_engine_t` from policy v1.31) and no user or role (check `seLinuxOptions`).",
            remediation: "Remove `seLinuxOptions.user` and `seLinuxOptions.role`, and use one of the container types or none.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    seLinuxOptions:\n      type: spc_t\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    seLinuxOptions:\n      level: \"s0:c123,c456\"\n", container: restricted_container_sc!()),
            evidence: &["pss.kernel_hardening"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::SeLinuxOptions),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::SeLinuxOptions, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS010",
            name: "unconfined-seccomp-profile",
            title: "Seccomp explicitly disabled",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Seccomp filters the system calls a container may make; most kernel exploits need calls that the runtime's default profile blocks. `Unconfined` switches the filter off. Pod Security Admission baseline forbids it (check `seccompProfile_baseline`; before policy v1.19 through the alpha annotations). At restricted from v1.19, PSS019 takes this check's place and also requires a profile.",
            remediation: "Set `seccompProfile.type` to `RuntimeDefault` (or `Localhost` with a reviewed profile).",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  securityContext:\n    seccompProfile:\n      type: Unconfined\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n  containers:\n    - name: app\n      image: registry.example.com/app:1.0\n",
            evidence: &["pss.seccomp"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::SeccompProfileBaseline),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::SeccompProfileBaseline, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS011",
            name: "unsafe-sysctls",
            title: "Pod sets sysctls outside the safe set",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Most sysctls are not namespaced: setting them from a pod changes the whole node's kernel, for every workload on it. Pod Security Admission baseline allows only a short list of namespaced, safe sysctls, which grew in policy v1.27, v1.29, v1.32 and v1.37 (check `sysctls`).",
            remediation: "Remove sysctls outside the safe set from `securityContext.sysctls`; tune node-wide settings on the node instead.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    sysctls:\n      - name: kernel.msgmax\n        value: \"65536\"\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n    sysctls:\n      - name: net.ipv4.ip_local_port_range\n        value: \"1024 65535\"\n", container: restricted_container_sc!()),
            evidence: &["pss.kernel_hardening"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::Sysctls),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::Sysctls, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS012",
            name: "windows-host-process",
            title: "Windows container runs as a host process",
            area: Area::PodSecurity,
            severity: Severity::Critical,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A Windows HostProcess container runs directly on the node as a host process, with the node's network and filesystem: the Windows equivalent of a privileged container. Pod Security Admission baseline forbids it (check `windowsHostProcess`).",
            remediation: "Remove `windowsOptions.hostProcess` or set it to `false`.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    windowsOptions:\n      hostProcess: true\n  os:\n    name: windows\n", container: ""),
            example_pass: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n  os:\n    name: windows\n", container: ""),
            evidence: &["pss.no_privileged"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::WindowsHostProcess),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::WindowsHostProcess, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS013",
            name: "privilege-escalation-allowed",
            title: "Container does not forbid privilege escalation",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Unless `allowPrivilegeEscalation` is `false`, a process in the container can gain more privileges than it started with, through setuid binaries or file capabilities (the kernel's `no_new_privs` flag stays off). Pod Security Admission restricted requires it to be set to `false` on every container (check `allowPrivilegeEscalation`, from policy v1.8; Windows pods are exempt from v1.25).",
            remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        capabilities:\n          drop: [\"ALL\"]\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: restricted_container_sc!()),
            evidence: &["pss.no_privilege_escalation"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::AllowPrivilegeEscalation),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::AllowPrivilegeEscalation, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS014",
            name: "unrestricted-capabilities",
            title: "Container does not drop all capabilities",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Even the runtime's default capabilities (`NET_RAW`, `CHOWN`, `SETUID`...) are more than most services need, and `NET_RAW` alone enables spoofing on the pod network. Pod Security Admission restricted requires every container to drop `ALL` and add back at most `NET_BIND_SERVICE` (check `capabilities_restricted`, from policy v1.22; Windows pods are exempt from v1.25).",
            remediation: "Set `securityContext.capabilities.drop: [\"ALL\"]` on every container and add back only `NET_BIND_SERVICE` if the process binds a port below 1024.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [\"NET_RAW\"]\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [\"ALL\"]\n          add: [\"NET_BIND_SERVICE\"]\n"),
            evidence: &["pss.drop_all_capabilities"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::CapabilitiesRestricted),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::CapabilitiesRestricted, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS015",
            name: "unmasked-proc-mount-restricted",
            title: "Container unmasks /proc (restricted: user namespaces do not exempt)",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "An unmasked `/proc` exposes host kernel interfaces. At restricted, from policy v1.35, Pod Security Admission replaces the baseline procMount check with this one, which keeps forbidding `Unmasked` even for pods in a user namespace (check `procMount_restricted`).",
            remediation: "Remove `securityContext.procMount` or set it to `Default`.",
            example_fail: pod!(pod: "  hostUsers: false\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n", container: "      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [\"ALL\"]\n        procMount: Unmasked\n"),
            example_pass: pod!(pod: "  hostUsers: false\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            evidence: &["pss.kernel_hardening"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::ProcMountRestricted),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::ProcMountRestricted, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS016",
            name: "restricted-volume-type",
            title: "Pod uses a volume type outside the restricted set",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Restricted pods may only use volume types that do not reach outside the pod's sandbox: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret. hostPath mounts the node's filesystem; in-tree network volumes (nfs, iscsi, rbd...) let the pod attach storage the cluster admin did not provision. Pod Security Admission restricted forbids the rest (check `restrictedVolumes`, which takes the place of `hostPathVolumes`). A volume with no source is defaulted to `emptyDir` by the API server and passes.",
            remediation: "Replace the volume with one of the allowed types, usually a PersistentVolumeClaim backed by a StorageClass.",
            example_fail: pod!(pod: restricted_pod_sc!(), container: "  volumes:\n    - name: shared\n      nfs:\n        server: nfs.example.com\n        path: /exports\n"),
            example_pass: pod!(pod: restricted_pod_sc!(), container: "  volumes:\n    - name: shared\n      persistentVolumeClaim:\n        claimName: shared\n"),
            evidence: &["pss.host_path_volumes"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::RestrictedVolumes),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::RestrictedVolumes, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS017",
            name: "run-as-root-allowed",
            title: "Containers are not required to run as non-root",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Without `runAsNonRoot: true` the kubelet will start a container whose image runs as UID 0; a process that escapes such a container does so as root. Pod Security Admission restricted requires `runAsNonRoot: true` on the pod or on every container, and forbids `false` anywhere (check `runAsNonRoot`; from policy v1.35 pods in a user namespace are exempt). A non-zero `runAsUser` does not satisfy it.",
            remediation: "Set `securityContext.runAsNonRoot: true` at pod level (and remove any `false` on containers); build images with a non-root `USER`.",
            example_fail: pod!(pod: "  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: restricted_pod_sc!(), container: restricted_container_sc!()),
            evidence: &["pss.run_as_non_root"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::RunAsNonRoot),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::RunAsNonRoot, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS018",
            name: "run-as-user-root",
            title: "Pod or container explicitly runs as UID 0",
            area: Area::PodSecurity,
            severity: Severity::High,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "`runAsUser: 0` runs the process as root whatever the image says. Pod Security Admission restricted forbids an explicit UID 0 on the pod or any container (check `runAsUser`, from policy v1.23; from v1.35 pods in a user namespace are exempt, since UID 0 there is not root on the node).",
            remediation: "Remove `runAsUser: 0` or set a non-zero UID, such as 10001.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    runAsUser: 0\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n    seccompProfile:\n      type: RuntimeDefault\n", container: restricted_container_sc!()),
            evidence: &["pss.run_as_non_root"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::RunAsUser),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::RunAsUser, ctx, sink)),
    },
    Rule {
        meta: RuleMeta {
            id: "PSS019",
            name: "missing-seccomp-profile",
            title: "No seccomp profile is set",
            area: Area::PodSecurity,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "Kubernetes runs containers without seccomp filtering unless a profile is set (the kubelet's default is `Unconfined` unless the cluster enables SeccompDefault). Pod Security Admission restricted requires `RuntimeDefault` or `Localhost` on the pod or on every container, and forbids anything else (check `seccompProfile_restricted`, from policy v1.19; Windows pods are exempt from v1.25).",
            remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level.",
            example_fail: pod!(pod: "  securityContext:\n    runAsNonRoot: true\n", container: restricted_container_sc!()),
            example_pass: pod!(pod: restricted_pod_sc!(), container: restricted_container_sc!()),
            evidence: &["pss.seccomp"],
            no_controls_reason: None,
            references: &[PSS_DOC],
            pss: Some(CheckId::SeccompProfileRestricted),
        },
        check: Check::Object(|ctx, sink| check_pss(CheckId::SeccompProfileRestricted, ctx, sink)),
    },
];
