//! Rules of the `runtime` area: runtime threat detection (Falco or a configured agent) runs
//! on every node and its alerts leave the cluster.
//!
//! An agent is a DaemonSet (`apps`) whose name or label values contain `falco`, whose
//! containers run a `falcosecurity/falco*` image, or whose name matches a glob of the
//! `runtime_agents` setting. RT001 asks that one exists and is not confined to some nodes,
//! RT002 that its tolerations let it onto tainted nodes, RT003 that its alerts are
//! forwarded.

use palisade_model::{FieldPath, Node, Object};

use crate::context::{InventoryCtx, ObjectCtx};
use crate::models::glob::glob_match;
use crate::rule::{Area, Check, GroupKind, Input, Rule, RuleMeta, Scope, Severity};
use crate::settings::Settings;
use crate::sink::Sink;

const FALCO_DOC: &str = "https://falco.org/docs/getting-started/falco-kubernetes-quickstart/";
const TAINTS_DOC: &str =
    "https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/";
const DAEMONSET_DOC: &str =
    "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations";
const OUTPUTS_DOC: &str = "https://falco.org/docs/concepts/outputs/channels/";
const SIDEKICK_DOC: &str = "https://github.com/falcosecurity/falcosidekick";

const FALCO_DS: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: falco\n  namespace: falco\nspec:\n  selector:\n    matchLabels: {app: falco}\n  template:\n    metadata:\n      labels: {app: falco}\n    spec:\n      tolerations:\n        - operator: Exists\n      containers:\n        - name: falco\n          image: falcosecurity/falco:0.40.0\n";

pub static RULES: [Rule; 3] = [
    Rule {
        meta: RuleMeta {
            id: "RT001",
            name: "runtime-detection-missing",
            title: "No runtime threat detection agent runs on every node",
            area: Area::Runtime,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Admission control and scanning only judge what is deployed; they cannot see a shell spawned in a container, a binary dropped at run time, or credentials read from a mounted secret. A runtime detection agent (Falco or an equivalent configured in `runtime_agents`), deployed as a DaemonSet on every node, is what notices an intrusion in progress, and regulated frameworks expect intrusion detection on in-scope systems. A DaemonSet confined by a nodeSelector or required node affinity (other than to an OS or architecture) leaves the other nodes unwatched. The rule is not evaluated on input without any workload.",
            remediation: "Deploy Falco (or your runtime security agent) as a DaemonSet without node restrictions, for example with the falcosecurity/falco Helm chart.",
            example_fail: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: falco\n  namespace: falco\nspec:\n  selector:\n    matchLabels: {app: falco}\n  template:\n    metadata:\n      labels: {app: falco}\n    spec:\n      nodeSelector:\n        pool: payments\n      tolerations:\n        - operator: Exists\n      containers:\n        - name: falco\n          image: falcosecurity/falco:0.40.0\n",
            example_pass: FALCO_DS,
            evidence: &["rt.falco_deployed"],
            no_controls_reason: None,
            references: &[FALCO_DOC, "https://falco.org/docs/"],
            pss: None,
        },
        check: Check::Inventory(check_present),
    },
    Rule {
        meta: RuleMeta {
            id: "RT002",
            name: "runtime-agent-not-on-tainted-nodes",
            title: "Runtime detection agent does not tolerate every taint",
            area: Area::Runtime,
            severity: Severity::Medium,
            scope: Scope::Kinds(&[GroupKind::new("apps", "DaemonSet")]),
            reads: &[],
            rationale: "A DaemonSet pod is only scheduled on nodes whose taints it tolerates. The DaemonSet controller adds tolerations for the node-condition taints (not-ready, unreachable, pressure, unschedulable) itself, but not for control-plane nodes (`node-role.kubernetes.io/control-plane:NoSchedule`) or the custom taints of dedicated pools (GPU, PCI, tenant nodes), which are often exactly the nodes worth watching. Only a toleration with `operator: Exists` and no key tolerates every taint of its effect; one without an effect tolerates them all.",
            remediation: "Give the agent's pod template a toleration `{operator: Exists}` (no key, no effect) so it runs on every node.",
            example_fail: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: falco\n  namespace: falco\nspec:\n  selector:\n    matchLabels: {app: falco}\n  template:\n    metadata:\n      labels: {app: falco}\n    spec:\n      tolerations:\n        - key: node-role.kubernetes.io/control-plane\n          operator: Exists\n          effect: NoSchedule\n      containers:\n        - name: falco\n          image: falcosecurity/falco:0.40.0\n",
            example_pass: FALCO_DS,
            evidence: &["rt.falco_deployed"],
            no_controls_reason: None,
            references: &[TAINTS_DOC, DAEMONSET_DOC],
            pss: None,
        },
        check: Check::Object(check_tolerations),
    },
    Rule {
        meta: RuleMeta {
            id: "RT003",
            name: "runtime-alerts-not-forwarded",
            title: "Runtime detection alerts are not forwarded off the node",
            area: Area::Runtime,
            severity: Severity::Medium,
            scope: Scope::Inventory,
            reads: &[Input::Workloads, Input::kind("", "ConfigMap")],
            rationale: "Falco writes alerts to its own log by default. Unless they are forwarded to a SIEM or an alerting system, nobody triages them, they are lost when the pod restarts, and an intruder with node access can delete them; incident response and log review requirements assume alerts reach a central, protected store. Forwarding counts when a falcosidekick Deployment is present, or the Falco configuration (a ConfigMap key `falco.yaml`, or `-o` arguments) enables `http_output`, `grpc_output` or `program_output`, or enables `json_output` while a log shipper DaemonSet (Fluent Bit, Fluentd, Vector, Promtail, Alloy, Filebeat, OpenTelemetry Collector, Datadog) collects container logs. Not evaluated when no agent is in the input.",
            remediation: "Forward Falco alerts to your SIEM: deploy falcosidekick (Helm value `falcosidekick.enabled=true`) or enable `http_output` to your collector.",
            example_fail: FALCO_DS,
            example_pass: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: falco\n  namespace: falco\nspec:\n  selector:\n    matchLabels: {app: falco}\n  template:\n    metadata:\n      labels: {app: falco}\n    spec:\n      tolerations:\n        - operator: Exists\n      containers:\n        - name: falco\n          image: falcosecurity/falco:0.40.0\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: falco\n  namespace: falco\ndata:\n  falco.yaml: |\n    json_output: true\n    http_output:\n      enabled: true\n      url: http://falcosidekick:2801/\n",
            evidence: &["rt.alerts_to_siem"],
            no_controls_reason: None,
            references: &[OUTPUTS_DOC, SIDEKICK_DOC],
            pss: None,
        },
        check: Check::Inventory(check_forwarded),
    },
];

/// Whether a DaemonSet is a runtime detection agent, and which (for messages).
pub fn agent_kind(object: &Object, settings: &Settings) -> Option<&'static str> {
    if object.kind() != "DaemonSet" || object.id.group() != "apps" {
        return None;
    }
    let name = object.id.name.as_str();
    let falco_image = settings.locator.pod_template(object).is_some_and(|t| {
        t.containers()
            .filter_map(|c| c.node.str_at("image"))
            .any(|i| i.contains("falcosecurity/falco") && !i.contains("falcosidekick"))
    });
    if name.to_ascii_lowercase().contains("falco")
        || object
            .labels()
            .any(|(_, v)| v.to_ascii_lowercase().contains("falco"))
        || falco_image
    {
        return Some("Falco");
    }
    settings
        .runtime_agents
        .iter()
        .any(|g| glob_match(g, name))
        .then_some("runtime agent")
}

fn agents<'a>(ctx: &InventoryCtx<'a>) -> Vec<(&'a Object, &'static str)> {
    ctx.inventory
        .of_kind("DaemonSet")
        .filter_map(|o| Some((o, agent_kind(o, ctx.settings)?)))
        .collect()
}

/// Node labels that only pick an OS or architecture; restricting to them keeps every node
/// the agent can run on.
fn is_platform_label(key: &str) -> bool {
    matches!(
        key,
        "kubernetes.io/os"
            | "kubernetes.io/arch"
            | "beta.kubernetes.io/os"
            | "beta.kubernetes.io/arch"
    )
}

/// Where (if anywhere) a pod spec is confined to a subset of nodes, and how.
fn confinement(spec: Node<'_>, spec_path: &FieldPath) -> Option<(FieldPath, String)> {
    if let Some(sel) = spec.get("nodeSelector").and_then(|n| n.as_map()) {
        let keys: Vec<&str> = sel
            .map(|(k, _)| k)
            .filter(|k| !is_platform_label(k))
            .collect();
        if !keys.is_empty() {
            return Some((
                spec_path.clone().key("nodeSelector"),
                format!(
                    "its nodeSelector ({}) confines it to some nodes",
                    keys.join(", ")
                ),
            ));
        }
    }
    let required = spec.get_in(&[
        "affinity",
        "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
    ])?;
    let terms: Vec<Node<'_>> = required.get("nodeSelectorTerms")?.items().collect();
    // Terms are ORed; one term that only names platform labels keeps every node.
    let restricts = |term: &Node<'_>| {
        ["matchExpressions", "matchFields"].iter().any(|list| {
            term.get(list)
                .into_iter()
                .flat_map(|l| l.items())
                .any(|e| !e.str_at("key").is_some_and(is_platform_label))
        })
    };
    if !terms.is_empty() && terms.iter().all(restricts) {
        return Some((
            spec_path
                .clone()
                .key("affinity")
                .key("nodeAffinity")
                .key("requiredDuringSchedulingIgnoredDuringExecution"),
            "its required node affinity confines it to some nodes".to_string(),
        ));
    }
    None
}

fn check_present(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let agents = agents(ctx);
    if agents.is_empty() {
        ctx.report_missing_from_cluster(
            sink,
            "no runtime threat detection DaemonSet (Falco, or a name in the runtime_agents setting) is in the input",
        );
        return;
    }
    for (object, kind) in agents {
        let Some(template) = ctx.settings.locator.pod_template(object) else {
            continue;
        };
        if let Some((path, why)) = confinement(template.spec, &template.spec_path()) {
            sink.report(
                object,
                path,
                format!(
                    "{kind} DaemonSet {:?} does not run on every node: {why}",
                    object.id.name
                ),
            );
        }
    }
}

/// Whether the tolerations tolerate every taint with `effect`: a toleration with no key,
/// operator `Exists`, and that effect or none (upstream `Toleration.ToleratesTaint`).
fn tolerates_all(tolerations: &[Node<'_>], effect: &str) -> bool {
    tolerations.iter().any(|t| {
        t.str_at("key").unwrap_or("").is_empty()
            && t.str_at("operator") == Some("Exists")
            && t.str_at("effect")
                .is_none_or(|e| e.is_empty() || e == effect)
    })
}

fn check_tolerations(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(kind) = agent_kind(ctx.object, ctx.settings) else {
        return;
    };
    let Some(template) = ctx.pod_template() else {
        return;
    };
    let tolerations: Vec<Node<'_>> = template
        .spec
        .get("tolerations")
        .into_iter()
        .flat_map(|t| t.items())
        .collect();
    // PreferNoSchedule never keeps a pod off a node.
    let missing: Vec<&str> = ["NoSchedule", "NoExecute"]
        .into_iter()
        .filter(|e| !tolerates_all(&tolerations, e))
        .collect();
    if missing.is_empty() {
        return;
    }
    let control_plane = tolerations.iter().any(|t| {
        matches!(
            t.str_at("key"),
            Some("node-role.kubernetes.io/control-plane" | "node-role.kubernetes.io/master")
        )
    });
    let hint = if !missing.contains(&"NoSchedule") {
        "a node with a custom NoExecute taint evicts it and keeps it off"
    } else if control_plane {
        "it tolerates the control-plane taint, but not the custom taints of dedicated node pools"
    } else {
        "it is kept off control-plane nodes (node-role.kubernetes.io/control-plane:NoSchedule) and any node pool with a custom taint"
    };
    let path = if template.spec.get("tolerations").is_some() {
        template.spec_path().key("tolerations")
    } else {
        template.spec_path()
    };
    sink.report(
        ctx.object,
        path,
        format!(
            "{kind} DaemonSet {:?} does not tolerate every {} taint: {hint}",
            ctx.object.id.name,
            missing.join(" or ")
        ),
    );
}

/// Falco output channels that forward alerts by themselves.
const FORWARDING_OUTPUTS: &[&str] = &["http_output", "grpc_output", "program_output"];

/// Words in DaemonSet names or images that identify a container log shipper.
const LOG_SHIPPERS: &[&str] = &[
    "fluent-bit",
    "fluentbit",
    "fluentd",
    "vector",
    "promtail",
    "alloy",
    "filebeat",
    "otel",
    "opentelemetry-collector",
    "datadog",
];

/// Reads the top-level `<name>:` section of a falco.yaml text and says whether it sets
/// `enabled: true` (block or flow style). Only the keys this rule needs are read.
fn section_enabled(text: &str, name: &str) -> bool {
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.trim_start().starts_with('#') || trimmed.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if !indented {
            inside = false;
            if let Some(rest) = trimmed.strip_prefix(name).and_then(|r| r.strip_prefix(':')) {
                let rest = rest.trim();
                if rest.starts_with('{') {
                    return flow_enabled(rest);
                }
                inside = true;
            }
            continue;
        }
        if inside && let Some(v) = trimmed.trim().strip_prefix("enabled:") {
            return is_true(v);
        }
    }
    false
}

fn flow_enabled(flow: &str) -> bool {
    flow.trim_matches(['{', '}'])
        .split(',')
        .filter_map(|kv| kv.split_once(':'))
        .any(|(k, v)| k.trim() == "enabled" && is_true(v))
}

/// YAML 1.1 truth, as Falco's YAML reader accepts it.
fn is_true(v: &str) -> bool {
    let v = v
        .split('#')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\'']);
    matches!(
        v,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON"
    )
}

/// Whether `json_output: true` is set at the top level.
fn json_output(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.starts_with([' ', '\t']))
        .filter_map(|l| l.strip_prefix("json_output:"))
        .any(is_true)
}

fn check_forwarded(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let agents: Vec<(&Object, &str)> = agents(ctx)
        .into_iter()
        .filter(|(_, k)| *k == "Falco")
        .collect();
    if agents.is_empty() {
        sink.not_evaluated("the input has no Falco DaemonSet");
        return;
    }
    let inventory = ctx.inventory;
    let sidekick = inventory.objects().iter().any(|o| {
        matches!(o.kind(), "Deployment" | "DaemonSet" | "StatefulSet")
            && (o.id.name.contains("falcosidekick")
                || o.labels().any(|(_, v)| v.contains("falcosidekick"))
                || ctx.settings.locator.pod_template(o).is_some_and(|t| {
                    t.containers()
                        .filter_map(|c| c.node.str_at("image"))
                        .any(|i| i.contains("falcosidekick"))
                }))
    });
    if sidekick {
        return;
    }
    let configs: Vec<&str> = inventory
        .of_kind("ConfigMap")
        .filter_map(|o| o.root().get_in(&["data", "falco.yaml"])?.as_str())
        .collect();
    // `-o http_output.enabled=true` style overrides on the agent's containers.
    let args: Vec<&str> = agents
        .iter()
        .filter_map(|(o, _)| ctx.settings.locator.pod_template(o))
        .flat_map(|t| t.containers().collect::<Vec<_>>())
        .flat_map(|c| {
            ["args", "command"]
                .into_iter()
                .flat_map(move |k| c.node.get(k).into_iter().flat_map(|l| l.items()))
        })
        .filter_map(|n| n.as_str())
        .collect();
    let arg_enables = |key: &str| {
        args.iter().any(|a| {
            a.strip_prefix(&format!("{key}.enabled="))
                .is_some_and(is_true)
        })
    };
    let forwarding = FORWARDING_OUTPUTS
        .iter()
        .any(|out| configs.iter().any(|c| section_enabled(c, out)) || arg_enables(out));
    if forwarding {
        return;
    }
    let json = configs.iter().any(|c| json_output(c))
        || args
            .iter()
            .any(|a| a.strip_prefix("json_output=").is_some_and(is_true));
    let shipper = inventory.of_kind("DaemonSet").any(|o| {
        let name = o.id.name.to_ascii_lowercase();
        let images: Vec<String> = ctx
            .settings
            .locator
            .pod_template(o)
            .map(|t| {
                t.containers()
                    .filter_map(|c| c.node.str_at("image"))
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        LOG_SHIPPERS
            .iter()
            .any(|w| name.contains(w) || images.iter().any(|i| i.contains(w)))
    });
    if json && shipper {
        return;
    }
    let detail = if json {
        "json_output is on, but no log shipper DaemonSet is in the input"
    } else if configs.is_empty() {
        "no falcosidekick and no falco.yaml ConfigMap enabling http_output, grpc_output or program_output"
    } else {
        "no falcosidekick, and falco.yaml enables none of http_output, grpc_output or program_output"
    };
    for (object, kind) in agents {
        sink.report(
            object,
            FieldPath::parse("metadata.name"),
            format!(
                "{kind} DaemonSet {:?} alerts stay on the node: {detail}",
                object.id.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_yaml_sections() {
        let c = "json_output: true\nhttp_output:\n  enabled: true\n  url: http://x\nprogram_output:\n  enabled: false\n";
        assert!(section_enabled(c, "http_output"));
        assert!(!section_enabled(c, "program_output"));
        assert!(!section_enabled(c, "grpc_output"));
        assert!(json_output(c));
        assert!(section_enabled(
            "grpc_output: {enabled: yes}\n",
            "grpc_output"
        ));
        assert!(!section_enabled(
            "http_output:\n  url: x\n  # enabled: true\n",
            "http_output"
        ));
        assert!(!section_enabled(
            "http_output_x:\n  enabled: true\n",
            "http_output"
        ));
    }
}

#[cfg(test)]
mod coverage_tests {
    use palisade_loader::{Limits, load_str};
    use palisade_model::Inventory;

    use crate::{Coverage, Settings, evaluate, registry};

    fn run(id: &str, yaml: &str) -> crate::Evaluation {
        let inventory =
            Inventory::new(load_str("t.yaml", yaml, &Limits::default()).objects).complete(true);
        let settings = Settings::default();
        evaluate(&inventory, &[registry::find(id).unwrap()], &settings)
    }

    #[test]
    fn absent_agent_is_reported_on_the_cluster_only_for_cluster_like_input() {
        let e = run(
            "RT001",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        );
        assert!(e.findings.is_empty());
        assert!(matches!(e.runs[0].coverage, Coverage::NotEvaluated { .. }));
        let e = run(
            "RT001",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n",
        );
        assert_eq!(e.findings.len(), 1);
        assert_eq!(e.findings[0].object.kind, "Cluster");
        let e = run(
            "RT003",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n",
        );
        assert!(matches!(e.runs[0].coverage, Coverage::NotEvaluated { .. }));
    }

    #[test]
    fn engine_absence_and_registry_allowlist_coverage() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: web:1}]\n";
        let e = run("ADM005", deployment);
        assert_eq!(e.findings.len(), 1);
        assert_eq!(e.findings[0].object.kind, "Cluster");
        let e = run(
            "ADM005",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
        );
        assert!(matches!(e.runs[0].coverage, Coverage::NotEvaluated { .. }));
        let webhook = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: kyverno-policy-validating-webhook-cfg}\nwebhooks: []\n";
        let e = run("ADM005", &format!("{deployment}---\n{webhook}"));
        assert!(e.findings.is_empty());
        let e = run("SC003", deployment);
        assert!(matches!(e.runs[0].coverage, Coverage::NotEvaluated { .. }));
    }
}
