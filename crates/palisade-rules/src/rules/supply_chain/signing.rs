//! SC004: an admission policy that verifies image signatures must cover every regulated
//! namespace, in enforce mode.
//!
//! Recognised verifiers, with the selection semantics of each:
//! - Kyverno `ClusterPolicy`/`Policy` with a rule carrying `verifyImages`: the rule's
//!   `match`/`exclude` select the namespace; the failure action is the `verifyImages`
//!   entry's `failureAction` (1.13+), else `validationFailureActionOverrides`, else
//!   `validationFailureAction` (default `Audit`, which only reports).
//! - sigstore policy-controller `ClusterImagePolicy`: the controller only acts in namespaces
//!   labelled `policy.sigstore.dev/include: "true"`; `spec.mode: warn` does not block.
//! - Gatekeeper with Ratify: a constraint of kind `RatifyVerification`, or of a kind whose
//!   `ConstraintTemplate` calls the Ratify external-data provider; `spec.match` selects the
//!   namespace, `enforcementAction` must deny, and Gatekeeper's `Config` must not exempt it.
//!
//! In a namespace that has an enforcing verifier, each workload's images are then held to
//! what the verifiers actually match ([`super::coverage`]): an image no verifier checks is
//! reported where it is written. Not modelled: whether the engine itself is running (ADM005
//! checks that), and Kyverno `imageExtractors` for custom resources.

use std::collections::HashMap;

use palisade_model::{Node, Object};

use super::coverage::{Sigstore, Verifier};
use super::images::{describe, image_path};

use crate::context::InventoryCtx;
use crate::models::image::images;
use crate::models::namespace::namespace_labels;
use crate::models::policy_engines::{
    gatekeeper_config_exempts, gatekeeper_constraint_applies, gatekeeper_denies, is_kyverno_policy,
    kyverno_enforces, kyverno_policy_scope, kyverno_rule_applies, strings,
};
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

/// The label policy-controller requires on a namespace before it enforces there.
pub const SIGSTORE_INCLUDE_LABEL: &str = "policy.sigstore.dev/include";

pub static RULES: [Rule; 1] = [Rule {
    meta: RuleMeta {
        id: "SC004",
        name: "image-signatures-not-verified",
        title: "No admission policy enforces image signature verification in a regulated namespace",
        area: Area::SupplyChain,
        severity: Severity::High,
        scope: Scope::Inventory,
        reads: &[
            Input::kind("", "Namespace"),
            Input::Workloads,
            Input::kind("", "ConfigMap"),
            Input::kind("kyverno.io", "ClusterPolicy"),
            Input::kind("kyverno.io", "Policy"),
            Input::kind("policy.sigstore.dev", "ClusterImagePolicy"),
            Input::kind("templates.gatekeeper.sh", "ConstraintTemplate"),
            Input::Group("constraints.gatekeeper.sh"),
            Input::kind("config.gatekeeper.sh", "Config"),
        ],
        rationale: "Signing images in CI proves nothing unless the cluster refuses unsigned or wrongly signed images at admission. Without an enforcing verifier (Kyverno `verifyImages`, sigstore policy-controller, Gatekeeper with Ratify) anyone who can push to a registry or edit a manifest can run arbitrary code next to regulated data. Verifiers in audit or warn mode, policies whose match leaves the namespace out, and policy-controller in a namespace without its opt-in label all admit unsigned images. An enforcing verifier also checks only the images it matches: Kyverno those its `imageReferences` match (less `skipImageReferences`), policy-controller those a `ClusterImagePolicy` glob matches (others follow its `no-match-policy`, `deny` by default; a policy whose authority is `static: {action: pass}` verifies nothing), so each workload image in a regulated namespace that no enforcing verifier checks is reported where it is written.",
        remediation: "Deploy an image verification policy in enforce mode that matches Pods, and every image they run, in every regulated namespace (Kyverno `verifyImages` with `failureAction: Enforce`, a sigstore `ClusterImagePolicy` plus the `policy.sigstore.dev/include: \"true\"` namespace label, or a Ratify constraint with `enforcementAction: deny`).",
        example_fail: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: verify-images\nspec:\n  validationFailureAction: Audit\n  rules:\n    - name: cosign\n      match:\n        any:\n          - resources:\n              kinds: [Pod]\n      verifyImages:\n        - imageReferences: [\"registry.example.com/*\"]\n          attestors:\n            - entries:\n                - keys:\n                    publicKeys: \"-----BEGIN PUBLIC KEY-----...\"\n",
        example_pass: "# settings: regulated=payments\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: verify-images\nspec:\n  validationFailureAction: Enforce\n  rules:\n    - name: cosign\n      match:\n        any:\n          - resources:\n              kinds: [Pod]\n      verifyImages:\n        - imageReferences: [\"registry.example.com/*\"]\n          attestors:\n            - entries:\n                - keys:\n                    publicKeys: \"-----BEGIN PUBLIC KEY-----...\"\n",
        evidence: &[
            "sc.image_signing_verification",
            "adm.image_verification_enforced",
        ],
        no_controls_reason: None,
        references: &[
            "https://kyverno.io/docs/writing-policies/verify-images/",
            "https://docs.sigstore.dev/policy-controller/overview/",
            "https://ratify.dev/docs/quickstarts/quickstart-manifests",
        ],
        pss: None,
    },
    check: Check::Inventory(check_signing),
}];

/// A verifier that would cover the namespace but does not block.
struct Weak {
    what: String,
}

fn check_signing(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let regulated: Vec<&str> = ctx
        .namespaces()
        .into_iter()
        .filter(|ns| ctx.is_regulated(ns))
        .collect();
    if regulated.is_empty() {
        sink.not_evaluated("the input has no regulated namespaces");
        return;
    }
    if !ctx.absence_provable(sink) {
        return;
    }
    let inventory = ctx.inventory;
    let kyverno: Vec<&Object> = inventory
        .objects()
        .iter()
        .filter(|o| is_kyverno_policy(o))
        .collect();
    let sigstore: Vec<&Object> = inventory
        .of_kind("ClusterImagePolicy")
        .filter(|o| o.id.group() == "policy.sigstore.dev")
        .collect();
    let ratify_kinds = ratify_constraint_kinds(ctx);
    let ratify: Vec<&Object> = inventory
        .objects()
        .iter()
        .filter(|o| {
            o.id.group() == "constraints.gatekeeper.sh"
                && ratify_kinds.iter().any(|k| k == o.kind())
        })
        .collect();

    let policy_controller = Sigstore::of(inventory, &sigstore);
    // The verifiers of each regulated namespace that has an enforcing one.
    let mut enforcing: HashMap<&str, Vec<Verifier<'_>>> = HashMap::new();
    for ns in regulated {
        let labels = namespace_labels(inventory, ns);
        let mut weak: Vec<Weak> = Vec::new();
        let mut enforced = false;
        let mut verifiers: Vec<Verifier<'_>> = Vec::new();

        for policy in &kyverno {
            if !kyverno_policy_scope(policy, ns) {
                continue;
            }
            for rule in policy
                .root()
                .get_in(&["spec", "rules"])
                .into_iter()
                .flat_map(|r| r.items())
            {
                let Some(verify) = rule.get("verifyImages").filter(|v| v.items().len() > 0) else {
                    continue;
                };
                if !kyverno_rule_applies(rule, ns, &labels) {
                    continue;
                }
                let rule_name = rule.str_at("name").unwrap_or_default();
                let mut rule_enforces = false;
                // Each entry has its own images and (Kyverno 1.13+) its own failure action.
                for entry in verify.items() {
                    if !kyverno_enforces(policy, entry.str_at("failureAction"), ns) {
                        continue;
                    }
                    rule_enforces = true;
                    // `image` is the single pattern of the deprecated form.
                    let mut references: Vec<&str> = strings(entry.get("imageReferences")).collect();
                    references.extend(entry.str_at("image"));
                    verifiers.push(Verifier::Kyverno {
                        policy,
                        rule: rule_name,
                        references,
                        skip: strings(entry.get("skipImageReferences")).collect(),
                    });
                }
                if rule_enforces {
                    enforced = true;
                } else {
                    weak.push(Weak {
                        what: format!(
                            "Kyverno {} {:?} rule {rule_name:?} verifies images in Audit mode only",
                            policy.kind(),
                            policy.id.name,
                        ),
                    });
                }
            }
        }

        let included = labels
            .iter()
            .any(|(k, v)| *k == SIGSTORE_INCLUDE_LABEL && *v == "true");
        if included && !sigstore.is_empty() {
            verifiers.push(Verifier::Sigstore(&policy_controller));
        }
        for cip in &sigstore {
            let mode = cip
                .root()
                .get_in(&["spec", "mode"])
                .and_then(|m| m.as_str())
                .unwrap_or("enforce");
            if !included {
                weak.push(Weak {
                    what: format!(
                        "ClusterImagePolicy {:?} exists, but policy-controller only acts in namespaces labelled {SIGSTORE_INCLUDE_LABEL}: \"true\"",
                        cip.id.name
                    ),
                });
            } else if mode == "enforce" {
                enforced = true;
            } else {
                weak.push(Weak {
                    what: format!(
                        "ClusterImagePolicy {:?} is in mode {mode:?}, which does not block",
                        cip.id.name
                    ),
                });
            }
        }

        if !gatekeeper_config_exempts(inventory, ns) {
            for constraint in &ratify {
                if !gatekeeper_constraint_applies(constraint, ns, &labels) {
                    continue;
                }
                if gatekeeper_denies(constraint) {
                    enforced = true;
                    verifiers.push(Verifier::Ratify);
                } else {
                    weak.push(Weak {
                        what: format!(
                            "Ratify constraint {} {:?} does not deny (enforcementAction {:?})",
                            constraint.kind(),
                            constraint.id.name,
                            constraint
                                .root()
                                .get_in(&["spec", "enforcementAction"])
                                .and_then(|n| n.as_str())
                                .unwrap_or("deny")
                        ),
                    });
                }
            }
        }

        if enforced {
            enforcing.insert(ns, verifiers);
            continue;
        }
        let detail = if weak.is_empty() {
            "no Kyverno verifyImages rule, sigstore ClusterImagePolicy or Ratify constraint selects it".to_string()
        } else {
            weak.iter()
                .map(|w| w.what.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let message = format!(
            "regulated namespace {ns:?} admits unsigned images: no admission policy verifies image signatures there in enforce mode ({detail})"
        );
        ctx.report_namespace(sink, ns, message);
    }
    report_unverified_images(ctx, &enforcing, sink);
}

/// In namespaces with an enforcing verifier, the images that none of them checks.
fn report_unverified_images(
    ctx: &InventoryCtx<'_>,
    enforcing: &HashMap<&str, Vec<Verifier<'_>>>,
    sink: &mut Sink,
) {
    if enforcing.is_empty() {
        return;
    }
    for &(object, template) in ctx.workloads() {
        let Some(ns) = object.id.effective_namespace() else {
            continue;
        };
        let Some(verifiers) = enforcing.get(ns) else {
            continue;
        };
        for (container, text, image) in images(template) {
            if verifiers.iter().any(|v| v.refuses_unsigned(text, &image)) {
                continue;
            }
            let scopes: Vec<String> = verifiers.iter().map(Verifier::scope).collect();
            sink.report(
                object,
                image_path(&template, &container),
                format!(
                    "{} image {text:?} in regulated namespace {ns:?} is admitted without signature verification: no enforcing verifier matches it ({})",
                    describe(&container),
                    scopes.join("; ")
                ),
            );
        }
    }
}

/// Constraint kinds that verify with Ratify: `RatifyVerification`, and the kinds of
/// ConstraintTemplates whose Rego calls the Ratify external-data provider.
fn ratify_constraint_kinds(ctx: &InventoryCtx<'_>) -> Vec<String> {
    let mut kinds = vec!["RatifyVerification".to_string()];
    for t in ctx
        .inventory
        .of_kind("ConstraintTemplate")
        .filter(|o| o.id.group() == "templates.gatekeeper.sh")
    {
        let Some(spec) = t.root().get("spec") else {
            continue;
        };
        if spec.get("targets").is_some_and(mentions_ratify)
            && let Some(kind) = spec
                .get_in(&["crd", "spec", "names", "kind"])
                .and_then(|k| k.as_str())
        {
            kinds.push(kind.to_string());
        }
    }
    kinds
}

/// Whether any string under `node` calls the Ratify provider (`"provider": "ratify-provider"`
/// in `external_data`).
fn mentions_ratify(node: Node<'_>) -> bool {
    use palisade_model::Value;
    match node.value() {
        Value::Str(s) => s.contains("external_data") && s.contains("ratify"),
        Value::Seq(items) => items.into_iter().any(mentions_ratify),
        Value::Map(entries) => entries.into_iter().any(|(_, v)| mentions_ratify(v)),
        _ => false,
    }
}
