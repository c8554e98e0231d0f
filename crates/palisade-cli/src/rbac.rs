//! `palisade rbac who-can` and `palisade rbac can-i`: questions to the RBAC policy of
//! manifests or of a live cluster, answered by the evaluator the rules use
//! (`palisade_rbac::authz`, a transcription of the API server's RBAC authorizer, with
//! ClusterRole aggregation applied as the controller would).
//!
//! Exit codes: `who-can` 0 (whatever the answer); `can-i` 0 for yes, 1 for no (as
//! `kubectl auth can-i`); both 2 on bad input, unreadable manifests, or a cluster whose roles
//! and bindings could not all be listed (an answer from part of the policy would be wrong).

use std::collections::BTreeSet;
use std::io;
use std::process::ExitCode;

use palisade_loader::load_inputs;
use palisade_model::Inventory;
use palisade_rbac::authz::{
    ALL, ANONYMOUS, AUTHENTICATED, Binding, MASTERS, Policy, Request, SERVICE_ACCOUNTS, Subject,
    Target, UNAUTHENTICATED, UserInfo,
};
use serde_json::{Value, json};

use crate::args::{
    CanIArgs, RbacArgs, RbacCommand, RbacFormat, RbacInputArgs, RbacRequestArgs, WhoCanArgs,
};
use crate::commands::write_stdout;

pub fn run(args: RbacArgs) -> Result<ExitCode, String> {
    match args.command {
        RbacCommand::WhoCan(args) => who_can(&args),
        RbacCommand::CanI(args) => can_i(&args),
    }
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

// ------------------------------------------------------------------ the request

/// The built-in resources of Kubernetes 1.37 (as its API server's discovery lists them):
/// (API group, plural, namespaced, short names). Used to find the group of a resource
/// written without one (`deployments` is `deployments.apps`, as kubectl resolves it) and to
/// warn when a namespace is given for a cluster-scoped resource.
const BUILTIN: &[(&str, &str, bool, &[&str])] = &[
    ("", "bindings", true, &[]),
    ("", "componentstatuses", false, &["cs"]),
    ("", "configmaps", true, &["cm"]),
    ("", "endpoints", true, &["ep"]),
    ("", "events", true, &["ev"]),
    ("", "limitranges", true, &["limits"]),
    ("", "namespaces", false, &["ns"]),
    ("", "nodes", false, &["no"]),
    ("", "persistentvolumeclaims", true, &["pvc"]),
    ("", "persistentvolumes", false, &["pv"]),
    ("", "pods", true, &["po"]),
    ("", "podtemplates", true, &[]),
    ("", "replicationcontrollers", true, &["rc"]),
    ("", "resourcequotas", true, &["quota"]),
    ("", "secrets", true, &[]),
    ("", "serviceaccounts", true, &["sa"]),
    ("", "services", true, &["svc"]),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicies",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
    ),
    ("apiregistration.k8s.io", "apiservices", false, &[]),
    ("apps", "controllerrevisions", true, &[]),
    ("apps", "daemonsets", true, &["ds"]),
    ("apps", "deployments", true, &["deploy"]),
    ("apps", "replicasets", true, &["rs"]),
    ("apps", "statefulsets", true, &["sts"]),
    ("authentication.k8s.io", "selfsubjectreviews", false, &[]),
    ("authentication.k8s.io", "tokenreviews", false, &[]),
    (
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        true,
        &[],
    ),
    (
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        false,
        &[],
    ),
    (
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        false,
        &[],
    ),
    ("authorization.k8s.io", "subjectaccessreviews", false, &[]),
    ("autoscaling", "horizontalpodautoscalers", true, &["hpa"]),
    ("batch", "cronjobs", true, &["cj"]),
    ("batch", "jobs", true, &[]),
    (
        "certificates.k8s.io",
        "certificatesigningrequests",
        false,
        &["csr"],
    ),
    ("certificates.k8s.io", "clustertrustbundles", false, &[]),
    ("certificates.k8s.io", "podcertificaterequests", true, &[]),
    ("coordination.k8s.io", "leases", true, &[]),
    ("discovery.k8s.io", "endpointslices", true, &[]),
    ("events.k8s.io", "events", true, &["ev"]),
    ("flowcontrol.apiserver.k8s.io", "flowschemas", false, &[]),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        false,
        &[],
    ),
    ("networking.k8s.io", "ingressclasses", false, &[]),
    ("networking.k8s.io", "ingresses", true, &["ing"]),
    ("networking.k8s.io", "ipaddresses", false, &["ip"]),
    ("networking.k8s.io", "networkpolicies", true, &["netpol"]),
    ("networking.k8s.io", "servicecidrs", false, &[]),
    ("node.k8s.io", "runtimeclasses", false, &[]),
    ("policy", "poddisruptionbudgets", true, &["pdb"]),
    (RBAC_GROUP, "clusterrolebindings", false, &[]),
    (RBAC_GROUP, "clusterroles", false, &[]),
    (RBAC_GROUP, "rolebindings", true, &[]),
    (RBAC_GROUP, "roles", true, &[]),
    ("resource.k8s.io", "deviceclasses", false, &[]),
    ("resource.k8s.io", "devicetaintrules", false, &[]),
    ("resource.k8s.io", "resourceclaims", true, &[]),
    ("resource.k8s.io", "resourceclaimtemplates", true, &[]),
    ("resource.k8s.io", "resourceslices", false, &[]),
    ("scheduling.k8s.io", "priorityclasses", false, &["pc"]),
    ("storage.k8s.io", "csidrivers", false, &[]),
    ("storage.k8s.io", "csinodes", false, &[]),
    ("storage.k8s.io", "csistoragecapacities", true, &[]),
    ("storage.k8s.io", "storageclasses", false, &["sc"]),
    ("storage.k8s.io", "volumeattachments", false, &[]),
    ("storage.k8s.io", "volumeattributesclasses", false, &["vac"]),
    (
        "storagemigration.k8s.io",
        "storageversionmigrations",
        false,
        &[],
    ),
];

/// A built-in resource by plural or short name (case-insensitive), in `group` when one is
/// given; the first listed wins (`events` is the core group's, as kubectl prefers).
fn builtin(name: &str, group: Option<&str>) -> Option<(&'static str, &'static str, bool)> {
    BUILTIN
        .iter()
        .find(|(g, plural, _, short)| {
            group.is_none_or(|want| want == *g)
                && (plural.eq_ignore_ascii_case(name)
                    || short.iter().any(|s| s.eq_ignore_ascii_case(name)))
        })
        .map(|&(g, plural, namespaced, _)| (g, plural, namespaced))
}

/// `v1`, `v1beta2`, `v2alpha1`: the version segment of `deployments.v1.apps`.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|p| {
            tail.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The request the question stands for, and warnings about how it was read.
#[derive(Debug)]
pub struct Question {
    pub request: Request,
    pub warnings: Vec<String>,
}

/// Reads VERB RESOURCE [-n] [--name] [--subresource] as `kubectl auth can-i` does.
pub fn question(args: &RbacRequestArgs) -> Result<Question, String> {
    let mut warnings = Vec::new();
    if args.verb.is_empty() {
        return Err("the verb is empty".into());
    }
    if args.resource.starts_with('/') {
        if args.namespace.is_some() || args.name.is_some() || args.subresource.is_some() {
            return Err(format!(
                "{} is a non-resource URL: it has no namespace, name or subresource",
                args.resource
            ));
        }
        return Ok(Question {
            request: Request::non_resource(&args.verb, &args.resource),
            warnings,
        });
    }
    let (resource_arg, subresource) = match (args.resource.split_once('/'), &args.subresource) {
        (Some((_, inline)), Some(flag)) if inline != flag => {
            return Err(format!(
                "two subresources: {} and --subresource {flag}",
                args.resource
            ));
        }
        (Some((r, s)), _) => (r, s.to_string()),
        (None, flag) => (args.resource.as_str(), flag.clone().unwrap_or_default()),
    };
    if resource_arg.is_empty() || subresource.contains('/') {
        return Err(format!(
            "cannot read the resource {:?}: write RESOURCE, RESOURCE.GROUP or RESOURCE/SUBRESOURCE",
            args.resource
        ));
    }
    // RESOURCE, RESOURCE.GROUP or RESOURCE.VERSION.GROUP.
    let (name, group) = match resource_arg.split_once('.') {
        None => (resource_arg, None),
        Some((name, rest)) => match rest.split_once('.') {
            Some((version, group)) if is_version(version) => (name, Some(group)),
            _ => (name, Some(rest)),
        },
    };
    let (group, resource, namespaced) = if name == ALL {
        (group.unwrap_or(""), ALL, None)
    } else {
        match builtin(name, group) {
            Some((g, plural, namespaced)) => (g, plural, Some(namespaced)),
            None => {
                if group.is_none() {
                    warnings.push(format!(
                        "{name:?} is not a built-in resource: it is read as {name:?} of the core API group (write {name}.GROUP for a custom resource)"
                    ));
                }
                (group.unwrap_or(""), name, None)
            }
        }
    };
    if namespaced == Some(false)
        && let Some(ns) = &args.namespace
    {
        warnings.push(format!(
            "{resource} is cluster-scoped: real requests for it carry no namespace, so a RoleBinding in {ns} never grants them (answered for namespace {ns} as asked)"
        ));
    }
    let mut request = Request::resource(&args.verb, group, resource).subresource(&subresource);
    if let Some(n) = &args.name {
        request = request.name(n);
    }
    if let Some(ns) = &args.namespace {
        request = request.namespace(ns);
    }
    Ok(Question { request, warnings })
}

/// `create pods/exec named "web" in namespace shop`.
pub fn describe_request(request: &Request) -> String {
    match &request.target {
        Target::NonResource { path } => format!("{} {path}", request.verb),
        Target::Resource {
            group,
            resource,
            subresource,
            name,
            namespace,
        } => {
            let mut s = format!("{} {resource}", request.verb);
            if !group.is_empty() {
                s.push('.');
                s.push_str(group);
            }
            if !subresource.is_empty() {
                s.push('/');
                s.push_str(subresource);
            }
            if !name.is_empty() {
                s.push_str(&format!(" named {name:?}"));
            }
            if namespace.is_empty() {
                s.push_str(" cluster-wide");
            } else {
                s.push_str(&format!(" in namespace {namespace}"));
            }
            s
        }
    }
}

fn request_json(request: &Request) -> Value {
    match &request.target {
        Target::NonResource { path } => json!({"verb": request.verb, "nonResourceURL": path}),
        Target::Resource {
            group,
            resource,
            subresource,
            name,
            namespace,
        } => json!({
            "verb": request.verb,
            "group": group,
            "resource": resource,
            "subresource": subresource,
            "name": name,
            "namespace": namespace,
        }),
    }
}

// ------------------------------------------------------------------ the policy

/// The policy and where it was read from.
struct Loaded {
    policy: Policy,
    /// `3 files` or the API server's URL.
    source: String,
}

/// Reads the roles and bindings. Any load error is fatal: a role or binding in a document
/// that did not parse would be missing from the answer.
fn load_policy(input: &RbacInputArgs) -> Result<Loaded, String> {
    if input.cluster {
        let options = palisade_cluster::ClusterOptions {
            kubeconfig: input.kubeconfig.clone(),
            context: input.context.clone(),
            ..Default::default()
        };
        let collected = palisade_cluster::collect(
            &options,
            palisade_model::workload::PodSpecLocator::builtin(),
            &|_| {},
        )
        .map_err(|e| e.to_string())?;
        let missing: Vec<String> = collected
            .unlisted
            .iter()
            .filter(|u| u.group() == RBAC_GROUP)
            .map(|u| format!("{} ({})", u.resource, u.reason))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "cannot list {} of {}: an answer without every role and binding would be wrong (the kubeconfig's user needs list on roles, clusterroles, rolebindings and clusterrolebindings)",
                missing.join(", "),
                collected.server
            ));
        }
        let policy = Policy::from_inventory(&Inventory::new(collected.objects));
        return Ok(Loaded {
            policy,
            source: collected.server,
        });
    }
    let loaded = load_inputs(
        &input.paths,
        &palisade_loader::Limits::default(),
        &mut io::stdin().lock(),
    );
    for w in &loaded.warnings {
        anstream::eprintln!("warning: {w}");
    }
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            anstream::eprintln!("error: {e}");
        }
        return Err(format!(
            "{} input error(s): no answer, since the roles and bindings of what could not be read would be missing",
            loaded.errors.len()
        ));
    }
    let files = loaded.stats.files;
    let policy = Policy::from_inventory(&Inventory::new(loaded.objects));
    if policy.roles.is_empty() && policy.bindings.is_empty() {
        anstream::eprintln!(
            "warning: the input holds no Roles, ClusterRoles, RoleBindings or ClusterRoleBindings"
        );
    }
    Ok(Loaded {
        policy,
        source: format!("{files} file{}", if files == 1 { "" } else { "s" }),
    })
}

// ------------------------------------------------------------------ who-can

/// One subject a binding grants the request to.
struct Grant<'a> {
    binding: &'a Binding,
    subject: &'a Subject,
}

impl Grant<'_> {
    fn subject_name(&self) -> String {
        match self.subject.kind.as_str() {
            "ServiceAccount" => format!(
                "{}/{}",
                self.subject
                    .service_account_namespace(&self.binding.namespace),
                self.subject.name
            ),
            _ => self.subject.name.clone(),
        }
    }

    fn binding_name(&self) -> String {
        if self.binding.is_cluster_binding() {
            format!("ClusterRoleBinding {}", self.binding.name)
        } else {
            format!(
                "RoleBinding {}/{}",
                self.binding.namespace, self.binding.name
            )
        }
    }

    fn role_name(&self) -> String {
        let r = &self.binding.role_ref;
        if r.kind == "Role" {
            format!("Role {}/{}", self.binding.namespace, r.name)
        } else {
            format!("{} {}", r.kind, r.name)
        }
    }

    fn sort_key(&self) -> (u8, String, bool, String, String) {
        let kind = match self.subject.kind.as_str() {
            "User" => 0,
            "Group" => 1,
            _ => 2,
        };
        (
            kind,
            self.subject_name(),
            !self.binding.is_cluster_binding(),
            self.binding.namespace.clone(),
            self.binding.name.clone(),
        )
    }

    fn json(&self) -> Value {
        let s = self.subject;
        json!({
            "kind": s.kind,
            "name": s.name,
            "namespace": (s.kind == "ServiceAccount")
                .then(|| s.service_account_namespace(&self.binding.namespace)),
            "binding": {
                "kind": if self.binding.is_cluster_binding() { "ClusterRoleBinding" } else { "RoleBinding" },
                "namespace": (!self.binding.is_cluster_binding()).then_some(&self.binding.namespace),
                "name": self.binding.name,
            },
            "role": {
                "kind": self.binding.role_ref.kind,
                "namespace": (self.binding.role_ref.kind == "Role").then_some(&self.binding.namespace),
                "name": self.binding.role_ref.name,
            },
        })
    }
}

/// Whether a subject can match anyone: a known kind, and a ServiceAccount with a namespace
/// (a ClusterRoleBinding's ServiceAccount subject without one matches nobody).
fn can_apply(subject: &Subject, binding: &Binding) -> bool {
    match subject.kind.as_str() {
        "User" | "Group" => true,
        "ServiceAccount" => !subject
            .service_account_namespace(&binding.namespace)
            .is_empty(),
        _ => false,
    }
}

const MASTERS_NOTE: &str = "members of system:masters can do everything: the API server allows their requests before any authorizer runs";

fn who_can(args: &WhoCanArgs) -> Result<ExitCode, String> {
    let question = question(&args.request)?;
    for w in &question.warnings {
        anstream::eprintln!("warning: {w}");
    }
    let loaded = load_policy(&args.input)?;
    let policy = &loaded.policy;
    let request = &question.request;
    let mut ignored = 0;
    let mut grants: Vec<Grant> = Vec::new();
    let mut all: Vec<(&Binding, usize)> = policy.who_can(request);
    if args.all_namespaces
        && let Target::Resource { .. } = request.target
    {
        let namespaces: BTreeSet<&str> = policy
            .bindings
            .iter()
            .filter(|b| !b.is_cluster_binding())
            .map(|b| b.namespace.as_str())
            .collect();
        for ns in namespaces {
            let in_ns = request.clone().namespace(ns);
            all.extend(
                policy
                    .who_can(&in_ns)
                    .into_iter()
                    .filter(|(b, _)| !b.is_cluster_binding()),
            );
        }
    }
    for (binding, s) in all {
        let subject = &binding.subjects[s];
        if can_apply(subject, binding) {
            grants.push(Grant { binding, subject });
        } else {
            ignored += 1;
        }
    }
    grants.sort_by_key(Grant::sort_key);
    grants.dedup_by(|a, b| std::ptr::eq(a.binding, b.binding) && a.subject == b.subject);

    let asked = if args.all_namespaces {
        format!(
            "{} in any namespace",
            describe_request(request).trim_end_matches(" cluster-wide")
        )
    } else {
        describe_request(request)
    };
    let out = match args.format {
        RbacFormat::Json => {
            let value = json!({
                "request": request_json(request),
                "allNamespaces": args.all_namespaces,
                "subjects": grants.iter().map(Grant::json).collect::<Vec<_>>(),
                "alwaysAllowed": [{"kind": "Group", "name": MASTERS, "reason": MASTERS_NOTE}],
                "ignoredSubjects": ignored,
                "source": loaded.source,
                "roles": policy.roles.len(),
                "bindings": policy.bindings.len(),
            });
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n"
        }
        RbacFormat::Table => {
            let mut out = format!(
                "Who can {asked} ({} roles, {} bindings from {}):\n\n",
                policy.roles.len(),
                policy.bindings.len(),
                loaded.source
            );
            let mut rows: Vec<[String; 4]> = vec![[
                "KIND".into(),
                "SUBJECT".into(),
                "GRANTED BY".into(),
                "ROLE".into(),
            ]];
            rows.push([
                "Group".into(),
                MASTERS.into(),
                "(no binding: allowed before authorization)".into(),
                "-".into(),
            ]);
            for g in &grants {
                rows.push([
                    g.subject.kind.clone(),
                    g.subject_name(),
                    g.binding_name(),
                    g.role_name(),
                ]);
            }
            out.push_str(&table(&rows));
            let subjects: BTreeSet<(&str, String)> = grants
                .iter()
                .map(|g| (g.subject.kind.as_str(), g.subject_name()))
                .collect();
            let bindings: BTreeSet<*const Binding> =
                grants.iter().map(|g| g.binding as *const Binding).collect();
            if grants.is_empty() {
                out.push_str(&format!("\nNo binding grants it; {MASTERS_NOTE}.\n"));
            } else {
                out.push_str(&format!(
                    "\n{} subject{} through {} binding{}; {MASTERS_NOTE}.\n",
                    subjects.len(),
                    if subjects.len() == 1 { "" } else { "s" },
                    bindings.len(),
                    if bindings.len() == 1 { "" } else { "s" },
                ));
            }
            if ignored > 0 {
                out.push_str(&format!(
                    "{ignored} subject{} left out: ServiceAccounts without a namespace in ClusterRoleBindings, or kinds other than User, Group and ServiceAccount, match nobody.\n",
                    if ignored == 1 { " was" } else { "s were" }
                ));
            }
            if matches!(request.target, Target::Resource { ref namespace, .. } if namespace.is_empty())
                && !args.all_namespaces
            {
                out.push_str("Cluster-wide: only ClusterRoleBindings grant this; -n NAMESPACE asks about one namespace, -A about every one.\n");
            }
            out
        }
    };
    write_stdout(&out)
}

/// Left-aligned columns, two spaces apart.
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [0; 4];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

// ------------------------------------------------------------------ can-i

/// Whether `name` is `system:serviceaccount:NAMESPACE:NAME`: (namespace, name).
fn split_service_account(name: &str) -> Option<Result<(&str, &str), String>> {
    let rest = name.strip_prefix("system:serviceaccount:")?;
    let parts: Vec<&str> = rest.split(':').collect();
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
    };
    Some(match parts.as_slice() {
        [ns, sa] if valid(ns) && !ns.contains('.') && valid(sa) => Ok((ns, sa)),
        _ => Err(format!(
            "{name:?} is not a service account name: write system:serviceaccount:NAMESPACE:NAME"
        )),
    })
}

/// The user the API server sees when a request impersonates `name` with `groups`
/// (`kubectl --as NAME --as-group G...`; upstream `WithImpersonation`): a service account
/// impersonated without groups has its own (`system:serviceaccounts`,
/// `system:serviceaccounts:NS`); everyone but `system:anonymous` gets
/// `system:authenticated` unless `system:authenticated` or `system:unauthenticated` is
/// given; `system:anonymous` gets `system:unauthenticated`.
pub fn impersonated(name: &str, groups: &[String]) -> Result<UserInfo, String> {
    if name.is_empty() {
        return Err("--as needs a user name".into());
    }
    let mut groups: Vec<String> = groups.to_vec();
    if let Some(sa) = split_service_account(name) {
        let (namespace, _) = sa?;
        if groups.is_empty() {
            groups = vec![
                SERVICE_ACCOUNTS.to_string(),
                format!("{SERVICE_ACCOUNTS}:{namespace}"),
            ];
        }
    }
    if name != ANONYMOUS {
        if !groups
            .iter()
            .any(|g| g == AUTHENTICATED || g == UNAUTHENTICATED)
        {
            groups.push(AUTHENTICATED.to_string());
        }
    } else if !groups.iter().any(|g| g == UNAUTHENTICATED) {
        groups.push(UNAUTHENTICATED.to_string());
    }
    Ok(UserInfo {
        name: name.to_string(),
        groups,
    })
}

fn can_i(args: &CanIArgs) -> Result<ExitCode, String> {
    let question = question(&args.request)?;
    let user = impersonated(&args.as_user, &args.as_groups)?;
    if !args.quiet {
        for w in &question.warnings {
            anstream::eprintln!("warning: {w}");
        }
    }
    let loaded = load_policy(&args.input)?;
    let request = &question.request;
    let decision = loaded.policy.authorize_apiserver(&user, request);
    let master = user.groups.iter().any(|g| g == MASTERS);
    let reason = if master {
        format!(
            "{MASTERS} (a group of the user): the API server allows its requests before any authorizer runs"
        )
    } else if decision.allowed {
        decision.reason.clone()
    } else if decision.reason.is_empty() {
        "no RBAC rule allows it".to_string()
    } else {
        format!("no RBAC rule allows it; {}", decision.reason)
    };
    let code = ExitCode::from(if decision.allowed { 0 } else { 1 });
    if args.quiet {
        return Ok(code);
    }
    let out = match args.format {
        RbacFormat::Json => {
            let value = json!({
                "allowed": decision.allowed,
                "reason": reason,
                "user": {"name": user.name, "groups": user.groups},
                "request": request_json(request),
                "source": loaded.source,
            });
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n"
        }
        RbacFormat::Table => format!(
            "{}\n{reason}\n(user {:?} in groups {}; {}; {} roles, {} bindings from {})\n",
            if decision.allowed { "yes" } else { "no" },
            user.name,
            user.groups.join(", "),
            describe_request(request),
            loaded.policy.roles.len(),
            loaded.policy.bindings.len(),
            loaded.source
        ),
    };
    write_stdout(&out)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(verb: &str, resource: &str) -> RbacRequestArgs {
        RbacRequestArgs {
            verb: verb.into(),
            resource: resource.into(),
            namespace: None,
            name: None,
            subresource: None,
        }
    }

    fn target(q: &Question) -> (String, String, String) {
        match &q.request.target {
            Target::Resource {
                group,
                resource,
                subresource,
                ..
            } => (group.clone(), resource.clone(), subresource.clone()),
            Target::NonResource { path } => ("URL".into(), path.clone(), String::new()),
        }
    }

    #[test]
    fn resources_read_as_kubectl_writes_them() {
        let t = |r: &str| target(&question(&args("get", r)).unwrap());
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(t("pods"), s("", "pods", ""));
        assert_eq!(t("po"), s("", "pods", ""));
        assert_eq!(t("pods/exec"), s("", "pods", "exec"));
        assert_eq!(t("deployments"), s("apps", "deployments", ""));
        assert_eq!(t("deploy/scale"), s("apps", "deployments", "scale"));
        assert_eq!(t("deployments.apps"), s("apps", "deployments", ""));
        assert_eq!(t("deployments.v1.apps"), s("apps", "deployments", ""));
        assert_eq!(t("events"), s("", "events", ""));
        assert_eq!(t("events.events.k8s.io"), s("events.k8s.io", "events", ""));
        assert_eq!(t("widgets.example.com"), s("example.com", "widgets", ""));
        assert_eq!(t("*"), s("", "*", ""));
        assert_eq!(t("*.*"), s("*", "*", ""));
        assert_eq!(t("/healthz"), s("URL", "/healthz", ""));
        let unknown = question(&args("get", "widgets")).unwrap();
        assert_eq!(target(&unknown), s("", "widgets", ""));
        assert_eq!(unknown.warnings.len(), 1);
        let mut a = args("get", "pods");
        a.subresource = Some("log".into());
        assert_eq!(target(&question(&a).unwrap()), s("", "pods", "log"));
        a.resource = "pods/exec".into();
        assert!(question(&a).is_err());
        let mut a = args("get", "/metrics");
        a.namespace = Some("x".into());
        assert!(question(&a).is_err());
        let mut a = args("get", "nodes");
        a.namespace = Some("x".into());
        assert_eq!(question(&a).unwrap().warnings.len(), 1);
        assert!(is_version("v1") && is_version("v2beta1") && !is_version("v") && !is_version("vx"));
    }

    #[test]
    fn impersonation_groups_follow_the_api_server() {
        let g = |name: &str, groups: &[&str]| {
            let groups: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
            impersonated(name, &groups).map(|u| u.groups)
        };
        assert_eq!(g("alice", &[]).unwrap(), ["system:authenticated"]);
        assert_eq!(
            g("alice", &["devs"]).unwrap(),
            ["devs", "system:authenticated"]
        );
        assert_eq!(
            g("alice", &["system:unauthenticated"]).unwrap(),
            ["system:unauthenticated"]
        );
        assert_eq!(
            g("system:serviceaccount:shop:web", &[]).unwrap(),
            UserInfo::service_account("shop", "web").groups
        );
        // Groups given: they replace the service account's own.
        assert_eq!(
            g("system:serviceaccount:shop:web", &["x"]).unwrap(),
            ["x", "system:authenticated"]
        );
        assert_eq!(
            g("system:anonymous", &[]).unwrap(),
            ["system:unauthenticated"]
        );
        assert!(g("system:serviceaccount:shop", &[]).is_err());
        assert!(g("system:serviceaccount:Shop:web", &[]).is_err());
        assert!(g("", &[]).is_err());
    }
}
