//! MESH001-MESH007: Istio mutual TLS, authorization default deny and sidecar enrolment.
//!
//! Semantics follow the Istio reference (security.istio.io `PeerAuthentication` and
//! `AuthorizationPolicy`, v1 and v1beta1) and the sidecar injector:
//!
//! - A PeerAuthentication without `selector` (or with empty `matchLabels`) is
//!   namespace-wide; in the root namespace (`istio-system` unless configured) it is
//!   mesh-wide. `mtls.mode` UNSET (or absent) inherits from the parent level; with no
//!   policy setting a mode, Istio runs PERMISSIVE. `portLevelMtls` only applies to policies
//!   with a workload selector. Istio picks the oldest of several policies at one level;
//!   manifests do not say which is oldest, so any non-STRICT one there counts.
//! - An AuthorizationPolicy whose action is ALLOW (the default) and that has no `rules`
//!   matches nothing, so it denies every request to the workloads in its scope (`spec: {}`
//!   is the documented allow-nothing policy). A DENY policy with an empty rule (`rules:
//!   [{}]`) denies everything too. Only policies without selector and without `targetRef`
//!   give a namespace-wide (root namespace: mesh-wide) default.
//! - Injection: a namespace is enrolled by `istio-injection: enabled`, or by an
//!   `istio.io/rev` label when `istio-injection` is absent (the revision webhook's
//!   selector), or for ambient mode by `istio.io/dataplane-mode: ambient`. A pod's
//!   `sidecar.istio.io/inject` label (preferred) or annotation opts in with `y`, `yes`,
//!   `true` or `on` (any case) and out with any other non-empty value, as the injector
//!   reads it.
//!
//! "Istio in use" means an object of a `*.istio.io` group, an enrolling namespace label,
//! or a pod that opts in (`sidecar.istio.io/inject` true, `istio.io/rev`).

use palisade_model::{FieldPath, Node, Object, ObjectRef};

use super::{label_path, namespace_label, regulated_namespaces};
use crate::context::{InventoryCtx, ObjectCtx};
use crate::models::mesh::MeshPod;
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const PEER_AUTHN_DOC: &str =
    "https://istio.io/latest/docs/reference/config/security/peer_authentication/";
const AUTHZ_DOC: &str =
    "https://istio.io/latest/docs/reference/config/security/authorization-policy/";
const INJECTION_DOC: &str =
    "https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/";
const MTLS_TASK: &str =
    "https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/";

const NO_ISTIO: &str =
    "the input shows no sign of Istio (no *.istio.io resources, injection labels or istio.io/rev)";

const INJECTION_LABEL: &str = "istio-injection";
const REV_LABEL: &str = "istio.io/rev";
const DATAPLANE_LABEL: &str = "istio.io/dataplane-mode";
const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";

const ENROLLED_NAMESPACE: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    istio-injection: enabled
";

/// What the mesh-level Istio rules read: every resource of an Istio group (any says Istio
/// is in use; PeerAuthentications and AuthorizationPolicies are judged), the Namespaces
/// (injection labels, regulated by label) and the workloads (their pods' opt-ins).
const ISTIO_READS: &[Input] = &[
    Input::GroupsUnder("istio.io"),
    Input::kind("", "Namespace"),
    Input::Workloads,
];

pub(super) const RULES: [Rule; 7] = [
    Rule {
        meta: RuleMeta {
            id: "MESH001",
            name: "mesh-mtls-not-strict",
            title: "Istio mesh-wide PeerAuthentication is missing or not STRICT",
            area: Area::Mesh,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: ISTIO_READS,
            rationale: "Without a mesh-wide PeerAuthentication in STRICT mode, Istio runs PERMISSIVE: sidecars accept plaintext as well as mutual TLS. Any pod outside the mesh (or an attacker on the pod network) can then talk to meshed services without a workload identity and read or alter traffic that the mesh was expected to encrypt. Requirements for encrypting data in transit (HIPAA 164.312(e), NSA/CISA) rely on mTLS being enforced, not merely offered.",
            remediation: "Create a PeerAuthentication named `default` in the Istio root namespace (`istio-system`) with no selector and `mtls.mode: STRICT`, after migrating clients to the mesh.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: PERMISSIVE\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[PEER_AUTHN_DOC, MTLS_TASK],
            pss: None,
        },
        check: Check::Inventory(check_mesh_wide),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH002",
            name: "regulated-namespace-mtls-not-strict",
            title: "Regulated namespace's effective Istio mTLS mode is not STRICT",
            area: Area::Mesh,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: ISTIO_READS,
            rationale: "Whatever the rest of the mesh does, a regulated namespace must only accept mutually authenticated, encrypted connections. Its effective mode comes from a namespace-wide PeerAuthentication, else from the mesh-wide one, else Istio's PERMISSIVE default; anything but STRICT lets plaintext reach regulated workloads.",
            remediation: "Add a PeerAuthentication without selector and with `mtls.mode: STRICT` to the namespace, or make the mesh-wide policy STRICT.",
            example_fail: ENROLLED_NAMESPACE,
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    istio-injection: enabled\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: payments\nspec:\n  mtls:\n    mode: STRICT\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[PEER_AUTHN_DOC],
            pss: None,
        },
        check: Check::Inventory(check_namespace_mode),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH003",
            name: "peer-authentication-permissive",
            title: "Namespace or workload PeerAuthentication is PERMISSIVE or DISABLE",
            area: Area::Mesh,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("security.istio.io", "PeerAuthentication")]),
            reads: &[],
            rationale: "A namespace-wide or workload PeerAuthentication in PERMISSIVE mode accepts plaintext next to mTLS; DISABLE turns mutual TLS off. Either overrides a STRICT mesh-wide policy for the workloads it covers, usually left behind from a migration.",
            remediation: "Set `mtls.mode: STRICT` (or UNSET to inherit a STRICT parent) once every client of these workloads runs in the mesh.",
            example_fail: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: payments\nspec:\n  mtls:\n    mode: PERMISSIVE\n",
            example_pass: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: payments\nspec:\n  mtls:\n    mode: STRICT\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[PEER_AUTHN_DOC],
            pss: None,
        },
        check: Check::Object(check_permissive),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH004",
            name: "port-level-mtls-not-strict",
            title: "PeerAuthentication relaxes mutual TLS on a port",
            area: Area::Mesh,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("security.istio.io", "PeerAuthentication")]),
            reads: &[],
            rationale: "`portLevelMtls` overrides the policy's mode for one port of the selected workloads. PERMISSIVE or DISABLE there opens a plaintext path to the workload even when everything else is STRICT; it is easy to overlook because the policy's top-level mode looks right.",
            remediation: "Remove the port override or set it to STRICT; if a scraper or health checker needs plaintext, move it into the mesh or expose a dedicated port that carries no regulated data.",
            example_fail: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  selector:\n    matchLabels: {app: api}\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    8080:\n      mode: DISABLE\n",
            example_pass: "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  selector:\n    matchLabels: {app: api}\n  mtls:\n    mode: STRICT\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[PEER_AUTHN_DOC],
            pss: None,
        },
        check: Check::Object(check_port_level),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH005",
            name: "missing-authorization-default-deny",
            title: "Regulated mesh namespace has no Istio AuthorizationPolicy denying by default",
            area: Area::Mesh,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISTIO_READS,
            rationale: "Mutual TLS proves who is calling; only an AuthorizationPolicy decides who may. Without an allow-nothing policy (`spec: {}`) in the namespace or the root namespace, every workload identity in the mesh may call every service of the regulated namespace, so a single compromised workload reaches them all.",
            remediation: "Add an AuthorizationPolicy with an empty spec (`spec: {}`) to the namespace (or to the root namespace for the whole mesh), then allow each caller with ALLOW policies naming its service account.",
            example_fail: ENROLLED_NAMESPACE,
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    istio-injection: enabled\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\n  namespace: payments\nspec: {}\n",
            evidence: &["net.mesh_authorization_policies"],
            no_controls_reason: None,
            references: &[AUTHZ_DOC],
            pss: None,
        },
        check: Check::Inventory(check_authz_default_deny),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH006",
            name: "istio-sidecar-injection-disabled",
            title: "Istio sidecar injection is disabled in a regulated namespace",
            area: Area::Mesh,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: ISTIO_READS,
            rationale: "A pod without a sidecar (or, in ambient mode, outside the data plane) gets neither mutual TLS nor authorization policy: it talks plaintext and anyone can reach it. In a regulated namespace an opt-out (`istio-injection: disabled`, `sidecar.istio.io/inject: \"false\"`, `istio.io/dataplane-mode: none`) silently removes the encryption in transit the mesh is relied on for.",
            remediation: "Remove the opt-out so the pods are injected (`istio-injection: enabled` on the namespace); if a workload truly cannot run a sidecar, move it out of the regulated namespace.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    istio-injection: enabled\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  template:\n    metadata:\n      labels:\n        app: api\n        sidecar.istio.io/inject: \"false\"\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    istio-injection: enabled\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\nspec:\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[INJECTION_DOC],
            pss: None,
        },
        check: Check::Inventory(check_injection_disabled),
    },
    Rule {
        meta: RuleMeta {
            id: "MESH007",
            name: "namespace-not-in-istio-mesh",
            title: "Regulated namespace is not enrolled in the Istio mesh",
            area: Area::Mesh,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: ISTIO_READS,
            rationale: "Istio only injects sidecars into namespaces labelled `istio-injection: enabled` or `istio.io/rev: <revision>` (ambient mode: `istio.io/dataplane-mode: ambient`). A regulated namespace with none of these stays outside the mesh while the cluster uses Istio, so its traffic is neither encrypted nor authorized by the mesh.",
            remediation: "Label the namespace `istio-injection: enabled` (or `istio.io/rev: <revision>`, or `istio.io/dataplane-mode: ambient`) and restart its workloads.",
            example_fail: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: orders\n  labels:\n    istio-injection: enabled\n",
            example_pass: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n  labels:\n    istio.io/rev: stable\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: orders\n  labels:\n    istio-injection: enabled\n",
            evidence: &["net.mesh_mtls_strict"],
            no_controls_reason: None,
            references: &[INJECTION_DOC],
            pss: None,
        },
        check: Check::Inventory(check_not_enrolled),
    },
];

/// `y`, `yes`, `true`, `on` in any case: the injector's "inject".
fn is_on(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "on"
    )
}

/// A pod's explicit injection choice: (inject?, path, value). The label wins over the
/// annotation; an empty value means "use the namespace default".
fn pod_injection<'a>(pod: &MeshPod<'a>) -> Option<(bool, FieldPath, &'a str)> {
    let (value, path) = match pod.label(SIDECAR_INJECT) {
        Some(v) => (v, pod.label_path(SIDECAR_INJECT)),
        None => (
            pod.annotation(SIDECAR_INJECT)?,
            pod.annotation_path(SIDECAR_INJECT),
        ),
    };
    (!value.is_empty()).then(|| (is_on(value), path, value))
}

/// Whether the pod opts in by a label the `object.sidecar-injector` webhook selects on.
fn pod_opts_in_by_label(pod: &MeshPod<'_>) -> bool {
    pod.label(SIDECAR_INJECT).is_some_and(is_on) || pod.label(REV_LABEL).is_some()
}

/// Whether the Namespace's labels enrol it in the mesh.
fn namespace_enrolled(ns: &Object) -> bool {
    let sidecar = match namespace_label(ns, INJECTION_LABEL) {
        Some(v) => v == "enabled",
        None => namespace_label(ns, REV_LABEL).is_some(),
    };
    sidecar || namespace_label(ns, DATAPLANE_LABEL) == Some("ambient")
}

fn is_istio_group(object: &Object) -> bool {
    object.id.group().ends_with(".istio.io")
}

/// The mesh's pods when Istio is in use (decided once per evaluation); otherwise records
/// the rule as not evaluated.
fn istio_pods<'a>(ctx: &InventoryCtx<'a>, sink: &mut Sink) -> Option<&'a [MeshPod<'a>]> {
    let pods = ctx.mesh_pods();
    if *ctx
        .views
        .istio_in_use
        .get_or_init(|| istio_in_use(ctx, pods))
    {
        Some(pods)
    } else {
        sink.not_evaluated(NO_ISTIO);
        None
    }
}

pub(crate) fn istio_in_use(ctx: &InventoryCtx<'_>, pods: &[MeshPod<'_>]) -> bool {
    ctx.inventory.objects().iter().any(is_istio_group)
        || ctx.inventory.of_kind("Namespace").any(namespace_enrolled)
        || pods.iter().any(|p| {
            pod_injection(p).is_some_and(|(on, ..)| on)
                || p.label(REV_LABEL).is_some()
                || p.label(DATAPLANE_LABEL) == Some("ambient")
        })
}

/// Whether namespace `ns` is in the mesh: its Namespace object enrols it, or its workloads
/// in the input all opt in by label.
fn in_mesh(ctx: &InventoryCtx<'_>, pods: &[MeshPod<'_>], ns: &str) -> bool {
    if ctx.inventory.namespace(ns).is_some_and(namespace_enrolled) {
        return true;
    }
    let mut here = pods.iter().filter(|p| p.namespace == ns).peekable();
    here.peek().is_some() && here.all(pod_opts_in_by_label)
}

/// A PeerAuthentication mTLS mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Unset,
    Disable,
    Permissive,
    Strict,
}

impl Mode {
    fn parse(node: Option<Node<'_>>) -> Option<Mode> {
        Some(match node.map(|n| n.as_str()) {
            None => Mode::Unset,
            Some(Some("UNSET")) => Mode::Unset,
            Some(Some("DISABLE")) => Mode::Disable,
            Some(Some("PERMISSIVE")) => Mode::Permissive,
            Some(Some("STRICT")) => Mode::Strict,
            // The CRD's enum refuses anything else: such a policy never exists.
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Mode::Unset => "UNSET",
            Mode::Disable => "DISABLE",
            Mode::Permissive => "PERMISSIVE",
            Mode::Strict => "STRICT",
        }
    }

    fn weakens(self) -> bool {
        matches!(self, Mode::Permissive | Mode::Disable)
    }
}

/// A parsed PeerAuthentication.
pub(crate) struct PeerAuth<'a> {
    pub object: &'a Object,
    pub namespace: &'a str,
    /// `selector.matchLabels` is non-empty: a workload-level policy.
    pub workload_selector: bool,
    pub mode: Mode,
    pub mode_path: FieldPath,
    pub ports: Vec<(&'a str, Mode, FieldPath)>,
}

impl<'a> PeerAuth<'a> {
    pub fn parse(object: &'a Object) -> Option<PeerAuth<'a>> {
        if object.kind() != "PeerAuthentication" || object.id.group() != "security.istio.io" {
            return None;
        }
        let spec = object.root().get("spec");
        let workload_selector = spec
            .and_then(|s| s.get_in(&["selector", "matchLabels"]))
            .and_then(|m| m.as_map())
            .is_some_and(|m| m.len() > 0);
        let mode = Mode::parse(spec.and_then(|s| s.get_in(&["mtls", "mode"])))?;
        let mut ports = Vec::new();
        for (port, setting) in spec
            .and_then(|s| s.get("portLevelMtls"))
            .and_then(|p| p.as_map())
            .into_iter()
            .flatten()
        {
            let path = FieldPath::parse("spec.portLevelMtls")
                .owned_key(port)
                .key("mode");
            ports.push((port, Mode::parse(setting.get("mode"))?, path));
        }
        Some(PeerAuth {
            object,
            namespace: object.id.effective_namespace()?,
            workload_selector,
            mode,
            mode_path: FieldPath::parse("spec.mtls.mode"),
            ports,
        })
    }

    fn name(&self) -> String {
        format!("{}/{}", self.namespace, self.object.id.name)
    }
}

pub(crate) fn peer_auths<'a>(ctx: &InventoryCtx<'a>) -> Vec<PeerAuth<'a>> {
    ctx.inventory
        .of_kind("PeerAuthentication")
        .filter_map(PeerAuth::parse)
        .collect()
}

/// The effective namespace-wide mode of `ns` and the policy that sets it (`None`: Istio's
/// PERMISSIVE default). A namespace-wide policy with a mode wins over the mesh-wide one;
/// UNSET inherits. Of several policies at one level, a weakening one is taken.
pub(crate) fn namespace_mode<'p, 'a>(
    pas: &'p [PeerAuth<'a>],
    ns: &str,
    root: &str,
) -> (Mode, Option<&'p PeerAuth<'a>>) {
    let resolve = |level: &str| {
        let mut at = pas
            .iter()
            .filter(|p| p.namespace == level && !p.workload_selector);
        let weak = at.clone().find(|p| p.mode.weakens());
        weak.or_else(|| at.find(|p| p.mode == Mode::Strict))
            .map(|p| (p.mode, Some(p)))
    };
    resolve(ns)
        .or_else(|| resolve(root))
        .unwrap_or((Mode::Permissive, None))
}

fn check_mesh_wide(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    if istio_pods(ctx, sink).is_none() {
        return;
    }
    let root = ctx.settings.istio_root_namespace.as_str();
    let pas = peer_auths(ctx);
    let mesh: Vec<&PeerAuth<'_>> = pas
        .iter()
        .filter(|p| p.namespace == root && !p.workload_selector)
        .collect();
    if mesh.is_empty() && ctx.absence_provable(sink) {
        let message = format!(
            "no mesh-wide PeerAuthentication (namespace {root:?}, no selector): Istio's default mode PERMISSIVE lets every sidecar accept plaintext"
        );
        match ctx.inventory.namespace(root) {
            Some(ns) => {
                sink.report(ns, FieldPath::parse("metadata.name"), message);
            }
            None => {
                sink.report_absent(ObjectRef::cluster(), message);
            }
        }
    }
    for p in mesh.into_iter().filter(|p| p.mode != Mode::Strict) {
        let effect = match p.mode {
            Mode::Unset => "Istio's default PERMISSIVE applies, so sidecars accept plaintext",
            Mode::Permissive => "sidecars across the mesh accept plaintext as well as mTLS",
            _ => "mutual TLS is off across the mesh",
        };
        sink.report(
            p.object,
            p.mode_path.clone(),
            format!(
                "mesh-wide PeerAuthentication {} has mtls.mode {}: {effect}",
                p.name(),
                p.mode.as_str()
            ),
        );
    }
}

fn check_namespace_mode(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = istio_pods(ctx, sink) else {
        return;
    };
    let root = ctx.settings.istio_root_namespace.as_str();
    let pas = peer_auths(ctx);
    for ns in regulated_namespaces(ctx, pods) {
        let (mode, source) = namespace_mode(&pas, ns, root);
        if mode == Mode::Strict {
            continue;
        }
        let cause = match source {
            Some(p) if p.namespace == ns => format!("set by PeerAuthentication {}", p.name()),
            Some(p) => format!("inherited from mesh-wide PeerAuthentication {}", p.name()),
            None => "no namespace-wide or mesh-wide PeerAuthentication sets a mode, so Istio's default applies".to_string(),
        };
        let finding = ctx.report_namespace(
            sink,
            ns,
            format!(
                "regulated namespace {ns:?} does not require mutual TLS: its effective mode is {} ({cause})",
                mode.as_str()
            ),
        );
        if let Some(p) = source {
            finding.with_related(p.object, [p.mode_path.clone()], "the mode in effect");
        }
    }
}

fn check_permissive(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(p) = PeerAuth::parse(ctx.object) else {
        return;
    };
    // Mesh-wide policies are MESH001's.
    if !p.workload_selector && p.namespace == ctx.settings.istio_root_namespace {
        return;
    }
    if !p.mode.weakens() {
        return;
    }
    let level = if p.workload_selector {
        "workload PeerAuthentication"
    } else {
        "namespace-wide PeerAuthentication"
    };
    let effect = if p.mode == Mode::Permissive {
        "plaintext connections are accepted next to mTLS"
    } else {
        "mutual TLS is disabled"
    };
    sink.report(
        ctx.object,
        p.mode_path.clone(),
        format!(
            "{level} sets mtls.mode {} in namespace {:?}: {effect}",
            p.mode.as_str(),
            p.namespace
        ),
    );
}

fn check_port_level(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(p) = PeerAuth::parse(ctx.object) else {
        return;
    };
    // Istio applies portLevelMtls only to policies with a workload selector.
    if !p.workload_selector {
        return;
    }
    for (port, mode, path) in &p.ports {
        if mode.weakens() {
            sink.report(
                ctx.object,
                path.clone(),
                format!(
                    "portLevelMtls sets port {port} to {}: the selected workloads accept plaintext on it",
                    mode.as_str()
                ),
            );
        }
    }
}

/// Whether an AuthorizationPolicy denies every request by default in its namespace.
fn denies_by_default(object: &Object) -> bool {
    if object.kind() != "AuthorizationPolicy" || object.id.group() != "security.istio.io" {
        return false;
    }
    let root = object.root();
    let spec = root.get("spec");
    let field = |k: &str| spec.and_then(|s| s.get(k));
    let has_selector = field("selector")
        .and_then(|s| s.get("matchLabels"))
        .and_then(|m| m.as_map())
        .is_some_and(|m| m.len() > 0);
    if has_selector || field("targetRef").is_some() || field("targetRefs").is_some() {
        return false;
    }
    let empty = |n: Option<Node<'_>>| n.is_none_or(|n| n.items().next().is_none());
    let mut rules = field("rules").map(|r| r.items()).into_iter().flatten();
    match spec.and_then(|s| s.str_at("action")).unwrap_or("ALLOW") {
        "ALLOW" => rules.next().is_none(),
        "DENY" => rules.any(|r| {
            r.is_map() && empty(r.get("from")) && empty(r.get("to")) && empty(r.get("when"))
        }),
        _ => false,
    }
}

fn check_authz_default_deny(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = istio_pods(ctx, sink) else {
        return;
    };
    if !ctx.absence_provable(sink) {
        return;
    }
    let root = ctx.settings.istio_root_namespace.as_str();
    let denying: Vec<&Object> = ctx
        .inventory
        .of_kind("AuthorizationPolicy")
        .filter(|o| denies_by_default(o))
        .collect();
    for ns in regulated_namespaces(ctx, pods) {
        if !in_mesh(ctx, pods, ns) {
            continue; // MESH006/MESH007 report namespaces outside the mesh.
        }
        let covered = denying
            .iter()
            .any(|o| matches!(o.id.effective_namespace(), Some(n) if n == ns || n == root));
        if covered {
            continue;
        }
        ctx.report_namespace(
            sink,
            ns,
            format!(
                "regulated namespace {ns:?} is in the Istio mesh but no AuthorizationPolicy denies by default (an ALLOW policy without selector and rules, `spec: {{}}`, in the namespace or in the root namespace {root:?}): any workload of the mesh may call its services"
            ),
        );
    }
}

fn check_injection_disabled(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = istio_pods(ctx, sink) else {
        return;
    };
    let regulated = regulated_namespaces(ctx, pods);
    for ns in regulated.iter().filter_map(|n| ctx.inventory.namespace(n)) {
        let name = &ns.id.name;
        if namespace_label(ns, INJECTION_LABEL) == Some("disabled") {
            sink.report(
                ns,
                label_path(INJECTION_LABEL),
                format!(
                    "regulated namespace {name:?} has istio-injection: disabled: its pods run without an Istio sidecar, so no mutual TLS or authorization policy applies to them"
                ),
            );
        } else if namespace_label(ns, DATAPLANE_LABEL) == Some("none") {
            sink.report(
                ns,
                label_path(DATAPLANE_LABEL),
                format!(
                    "regulated namespace {name:?} has istio.io/dataplane-mode: none: its pods are outside the Istio data plane, so no mutual TLS or authorization policy applies to them"
                ),
            );
        }
    }
    for pod in pods.iter().filter(|p| regulated.contains(p.namespace)) {
        let id = &pod.object.id;
        if let Some((false, path, value)) = pod_injection(pod) {
            sink.report(
                pod.object,
                path,
                format!(
                    "{} {:?} in regulated namespace {:?} sets sidecar.istio.io/inject: {value:?}: its pods run without an Istio sidecar, so no mutual TLS or authorization policy applies to them",
                    id.kind, id.name, pod.namespace
                ),
            );
        } else if pod.label(DATAPLANE_LABEL) == Some("none") {
            sink.report(
                pod.object,
                pod.label_path(DATAPLANE_LABEL),
                format!(
                    "{} {:?} in regulated namespace {:?} sets istio.io/dataplane-mode: none: its pods are outside the Istio data plane",
                    id.kind, id.name, pod.namespace
                ),
            );
        }
    }
}

fn check_not_enrolled(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let Some(pods) = istio_pods(ctx, sink) else {
        return;
    };
    for ns_name in regulated_namespaces(ctx, pods) {
        // Only the Namespace object shows the labels; without it nothing can be said.
        let Some(ns) = ctx.inventory.namespace(ns_name) else {
            continue;
        };
        let injection = namespace_label(ns, INJECTION_LABEL);
        // Explicit opt-outs are MESH006's.
        if namespace_enrolled(ns)
            || injection == Some("disabled")
            || namespace_label(ns, DATAPLANE_LABEL) == Some("none")
            || in_mesh(ctx, pods, ns_name)
        {
            continue;
        }
        let (path, detail) = match injection {
            Some(v) => (
                label_path(INJECTION_LABEL),
                format!("istio-injection is {v:?}, not \"enabled\""),
            ),
            None => (
                FieldPath::parse("metadata.labels"),
                "it has no istio-injection: enabled, istio.io/rev or istio.io/dataplane-mode: ambient label".to_string(),
            ),
        };
        sink.report(
            ns,
            path,
            format!(
                "regulated namespace {ns_name:?} is not enrolled in the Istio mesh: {detail}, so its pods get no sidecar"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::{Inventory, Origin};
    use serde_json::json;

    fn pa(ns: &str, name: &str, spec: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "security.istio.io/v1beta1", "kind": "PeerAuthentication",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn objects(values: &[serde_json::Value]) -> Vec<Object> {
        values
            .iter()
            .map(|v| Object::from_json(v, Origin::Cluster).unwrap())
            .collect()
    }

    fn mode_of(values: &[serde_json::Value], ns: &str) -> Mode {
        let objs = objects(values);
        let pas: Vec<PeerAuth<'_>> = objs.iter().filter_map(PeerAuth::parse).collect();
        namespace_mode(&pas, ns, "istio-system").0
    }

    #[test]
    fn effective_mode_follows_the_hierarchy() {
        let mesh_strict = pa(
            "istio-system",
            "default",
            json!({"mtls": {"mode": "STRICT"}}),
        );
        let mesh_permissive = pa(
            "istio-system",
            "default",
            json!({"mtls": {"mode": "PERMISSIVE"}}),
        );
        // No policy: Istio's default.
        assert_eq!(mode_of(&[], "a"), Mode::Permissive);
        assert_eq!(
            mode_of(std::slice::from_ref(&mesh_strict), "a"),
            Mode::Strict
        );
        assert_eq!(
            mode_of(std::slice::from_ref(&mesh_permissive), "a"),
            Mode::Permissive
        );
        // Namespace STRICT overrides a permissive mesh.
        let ns_strict = pa("a", "ns", json!({"mtls": {"mode": "STRICT"}}));
        assert_eq!(
            mode_of(&[mesh_permissive.clone(), ns_strict], "a"),
            Mode::Strict
        );
        // UNSET (explicit or absent) inherits.
        let ns_unset = pa("a", "ns", json!({"mtls": {"mode": "UNSET"}}));
        let ns_empty = pa("a", "ns2", json!({}));
        assert_eq!(
            mode_of(&[mesh_strict.clone(), ns_unset.clone(), ns_empty], "a"),
            Mode::Strict
        );
        assert_eq!(mode_of(&[ns_unset], "a"), Mode::Permissive);
        // Namespace DISABLE overrides a strict mesh.
        let ns_disable = pa("a", "ns", json!({"mtls": {"mode": "DISABLE"}}));
        assert_eq!(
            mode_of(&[mesh_strict.clone(), ns_disable], "a"),
            Mode::Disable
        );
        // A workload-level policy does not set the namespace's mode; empty matchLabels is
        // namespace-wide.
        let workload = pa(
            "a",
            "w",
            json!({"selector": {"matchLabels": {"app": "x"}}, "mtls": {"mode": "DISABLE"}}),
        );
        assert_eq!(mode_of(&[mesh_strict.clone(), workload], "a"), Mode::Strict);
        let empty_selector = pa(
            "a",
            "e",
            json!({"selector": {"matchLabels": {}}, "mtls": {"mode": "PERMISSIVE"}}),
        );
        assert_eq!(
            mode_of(&[mesh_strict.clone(), empty_selector], "a"),
            Mode::Permissive
        );
        // Another namespace's policy does not count.
        let other = pa("b", "ns", json!({"mtls": {"mode": "STRICT"}}));
        assert_eq!(mode_of(&[other], "a"), Mode::Permissive);
        // Invalid modes are refused by the CRD: the policy does not exist.
        let bad = pa("a", "bad", json!({"mtls": {"mode": "strict"}}));
        assert_eq!(mode_of(&[mesh_strict, bad], "a"), Mode::Strict);
    }

    #[test]
    fn authorization_default_deny_shapes() {
        let ap = |spec: serde_json::Value| {
            let mut v = json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                               "metadata": {"name": "p", "namespace": "a"}});
            if !spec.is_null() {
                v["spec"] = spec;
            }
            objects(&[v]).remove(0)
        };
        assert!(denies_by_default(&ap(json!({}))));
        assert!(denies_by_default(&ap(serde_json::Value::Null)));
        assert!(denies_by_default(&ap(
            json!({"action": "ALLOW", "rules": []})
        )));
        assert!(denies_by_default(&ap(
            json!({"action": "DENY", "rules": [{}]})
        )));
        assert!(!denies_by_default(&ap(json!({"action": "DENY"}))));
        assert!(!denies_by_default(&ap(json!({"rules": [{}]}))));
        assert!(!denies_by_default(&ap(
            json!({"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["x"]}}]}]})
        )));
        assert!(!denies_by_default(&ap(
            json!({"selector": {"matchLabels": {"app": "x"}}})
        )));
        assert!(denies_by_default(&ap(
            json!({"selector": {"matchLabels": {}}})
        )));
        assert!(!denies_by_default(&ap(
            json!({"targetRefs": [{"kind": "Gateway", "name": "g"}]})
        )));
        assert!(!denies_by_default(&ap(json!({"action": "AUDIT"}))));
    }

    #[test]
    fn injection_values_read_like_the_injector() {
        let pod = |meta: serde_json::Value| {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                   "spec": {"containers": [{"name": "c", "image": "i"}]}})
        };
        let inv = Inventory::new(objects(&[
            pod(json!({"name": "label-off", "labels": {"sidecar.istio.io/inject": "false"}})),
            pod(
                json!({"name": "label-wins", "labels": {"sidecar.istio.io/inject": "On"},
                       "annotations": {"sidecar.istio.io/inject": "false"}}),
            ),
            pod(json!({"name": "annotation-no", "annotations": {"sidecar.istio.io/inject": "no"}})),
            pod(json!({"name": "empty", "labels": {"sidecar.istio.io/inject": ""}})),
            pod(json!({"name": "other", "annotations": {"sidecar.istio.io/inject": "disabled"}})),
        ]));
        let settings = crate::settings::Settings::default();
        let views = crate::views::Views::default();
        let ctx = InventoryCtx::new(&inv, &settings, &views);
        let pods = ctx.mesh_pods();
        let choice = |name: &str| {
            pod_injection(pods.iter().find(|p| p.object.id.name == name).unwrap())
                .map(|(on, _, _)| on)
        };
        assert_eq!(choice("label-off"), Some(false));
        assert_eq!(choice("label-wins"), Some(true));
        assert_eq!(choice("annotation-no"), Some(false));
        assert_eq!(choice("empty"), None);
        assert_eq!(choice("other"), Some(false));
        assert!(istio_in_use(&ctx, pods));
        let off_only = Inventory::new(objects(&[pod(
            json!({"name": "off", "labels": {"sidecar.istio.io/inject": "false"}}),
        )]));
        let views = crate::views::Views::default();
        let ctx = InventoryCtx::new(&off_only, &settings, &views);
        assert!(!istio_in_use(&ctx, ctx.mesh_pods()));
    }
}
