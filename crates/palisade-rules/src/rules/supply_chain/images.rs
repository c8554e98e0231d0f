//! SC001-SC003: what each container's image reference says about its provenance: pinned by
//! digest, a moving `latest` (or missing) tag, a registry outside the allowlist.
//!
//! Every container is checked: init, regular and ephemeral containers alike, since any of
//! them runs code from the image. References are parsed with the container runtime's grammar
//! (see [`super::image`]); a reference that does not parse is left to the API server, which
//! rejects it, and to the other rules (nothing is said about it here).

use palisade_model::workload::{Container, PodTemplate};
use palisade_model::{FieldPath, Object};

use crate::context::{InventoryCtx, ObjectCtx};
use crate::models::image::{self, images};
use crate::rule::{Area, Check, Input, Rule, RuleMeta, Scope, Severity};
use crate::sink::Sink;

const REFERENCE_DOC: &str = "https://github.com/distribution/reference/blob/main/reference.go";
const IMAGES_DOC: &str = "https://kubernetes.io/docs/concepts/containers/images/";

pub static RULES: [Rule; 3] = [
    Rule {
        meta: RuleMeta {
            id: "SC001",
            name: "image-not-pinned-by-digest",
            title: "Container image is not pinned by digest",
            area: Area::SupplyChain,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "A tag is a mutable pointer: whoever can push to the repository can make `app:1.4.2` mean different bytes tomorrow, and nodes that pull again (a new node, an evicted pod, `imagePullPolicy: Always`) run the new content without any change to the manifest. Only a digest (`@sha256:...`) names exactly the image that was scanned, signed and approved, which is what change management and signature verification rely on.",
            remediation: "Reference the image by digest (`registry.example.com/app:1.4.2@sha256:...`), resolving tags to digests in CI or with a mutating admission policy.",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.4.2\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:1.4.2@sha256:3b4e5c1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4\n",
            evidence: &["sc.image_signing_verification"],
            no_controls_reason: None,
            references: &[REFERENCE_DOC, IMAGES_DOC],
            pss: None,
        },
        check: Check::Object(check_digest),
    },
    Rule {
        meta: RuleMeta {
            id: "SC002",
            name: "image-latest-or-untagged",
            title: "Container image uses the latest tag or no tag",
            area: Area::SupplyChain,
            severity: Severity::Medium,
            scope: Scope::Workloads,
            reads: &[],
            rationale: "An image without a tag is pulled as `:latest`, and `latest` moves with every push: two pods of the same Deployment can run different code, a rollback does not roll back, and nobody can say which version was running when an incident happened. Kubernetes also defaults `imagePullPolicy` to `Always` for such images, so every restart depends on the registry.",
            remediation: "Reference a specific version tag, ideally with its digest (`app:1.4.2@sha256:...`).",
            example_fail: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com:5000/app\n",
            example_pass: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com:5000/app:1.4.2\n",
            evidence: &["sc.image_signing_verification"],
            no_controls_reason: None,
            references: &[IMAGES_DOC, REFERENCE_DOC],
            pss: None,
        },
        check: Check::Object(check_latest),
    },
    Rule {
        meta: RuleMeta {
            id: "SC003",
            name: "image-registry-not-allowed",
            title: "Container image comes from a registry outside the allowlist",
            area: Area::SupplyChain,
            severity: Severity::High,
            scope: Scope::Inventory,
            reads: &[Input::Workloads],
            rationale: "Images from registries the organisation does not control bypass its scanning, signing and retention: a public image can be replaced or removed by its publisher, and a typo-squatted name runs someone else's code. Regulated frameworks expect software to come from approved, inventoried sources. The allowlist is the `registries` setting (prefixes); Docker Hub short names are normalised (`nginx` is `docker.io/library/nginx`), and without an allowlist the rule is not evaluated.",
            remediation: "Mirror the image into an approved registry and reference it there, or add the registry to the `registries` setting if it is approved.",
            example_fail: "# settings: registries=registry.example.com/\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n",
            example_pass: "# settings: registries=registry.example.com/\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: payments\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/mirror/nginx:1.27\n",
            evidence: &["sc.image_signing_verification", "sc.image_scanning_ci"],
            no_controls_reason: None,
            references: &[IMAGES_DOC, REFERENCE_DOC],
            pss: None,
        },
        check: Check::Inventory(check_registry),
    },
];

pub(crate) fn image_path(template: &PodTemplate<'_>, c: &Container<'_>) -> FieldPath {
    template.container_path(c).key("image")
}

pub(crate) fn describe(c: &Container<'_>) -> String {
    let list = match c.list {
        palisade_model::workload::ContainerList::InitContainers => "init container",
        palisade_model::workload::ContainerList::Containers => "container",
        palisade_model::workload::ContainerList::EphemeralContainers => "ephemeral container",
    };
    format!("{list} {:?}", c.name())
}

fn check_digest(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for (c, text, parsed) in ctx.images() {
        if parsed.digest.is_none() {
            sink.report(
                ctx.object,
                image_path(&template, c),
                format!(
                    "{} image {text:?} is not pinned by digest: the tag can be moved to other content",
                    describe(c)
                ),
            );
        }
    }
}

fn check_latest(ctx: &ObjectCtx<'_>, sink: &mut Sink) {
    let Some(template) = ctx.pod_template() else {
        return;
    };
    for (c, text, parsed) in ctx.images() {
        // A digest pins the image whatever the tag says.
        if parsed.digest.is_some() {
            continue;
        }
        let why = match parsed.tag {
            None => "has no tag, so it is pulled as :latest",
            Some("latest") => "uses the latest tag",
            Some(_) => continue,
        };
        sink.report(
            ctx.object,
            image_path(&template, c),
            format!("{} image {text:?} {why}", describe(c)),
        );
    }
}

fn check_registry(ctx: &InventoryCtx<'_>, sink: &mut Sink) {
    let allow = &ctx.settings.registries;
    if allow.is_empty() {
        sink.not_evaluated("no registry allowlist is configured (setting `registries`)");
        return;
    }
    for &(object, template) in ctx.workloads() {
        report_registries(object, template, allow, sink);
    }
}

fn report_registries(
    object: &Object,
    template: PodTemplate<'_>,
    allow: &[String],
    sink: &mut Sink,
) {
    for (c, text, parsed) in images(template) {
        let repository = parsed.repository();
        if allow
            .iter()
            .any(|entry| image::allowed_by(&repository, entry))
        {
            continue;
        }
        sink.report(
            object,
            image_path(&template, &c),
            format!(
                "{} image {text:?} ({repository}) is not from an allowed registry (allowed: {})",
                describe(&c),
                allow.join(", ")
            ),
        );
    }
}
