//! `palisade rbac who-can` and `palisade rbac can-i`: questions to the RBAC policy of
//! manifests or of a live cluster, answered by `palisade_rbac` (the evaluator the rules use:
//! a transcription of the API server's RBAC authorizer, with ClusterRole aggregation
//! applied as the controller would). This module reads the input, asks, and prints.
//!
//! Exit codes: `who-can` 0 (whatever the answer); `can-i` 0 for yes, 1 for no (as
//! `kubectl auth can-i`); both 2 on bad input, unreadable manifests, or a cluster whose roles
//! and bindings could not all be listed (an answer from part of the policy would be wrong).

use std::io;
use std::process::ExitCode;

use palisade_loader::load_inputs;
use palisade_model::Inventory;
use palisade_rbac::authz::{MASTERS, Policy, Request, Target};
use palisade_rbac::request::{KubectlRequest, Question, describe_request, impersonated};
use palisade_rbac::resources::RBAC_GROUP;
use palisade_rbac::who_can::Grant;
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

// ------------------------------------------------------------------ the request

/// The request as the command line wrote it, read as `kubectl auth can-i` reads it.
fn question(args: &RbacRequestArgs) -> Result<Question, String> {
    palisade_rbac::request::question(&KubectlRequest {
        verb: &args.verb,
        resource: &args.resource,
        namespace: args.namespace.as_deref(),
        name: args.name.as_deref(),
        subresource: args.subresource.as_deref(),
    })
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

fn grant_json(grant: &Grant<'_>) -> Value {
    let (s, binding, role) = (grant.subject, grant.binding, grant.role());
    json!({
        "kind": s.kind,
        "name": s.name,
        "namespace": (s.kind == "ServiceAccount")
            .then(|| s.service_account_namespace(&binding.namespace)),
        "binding": {
            "kind": if binding.is_cluster_binding() { "ClusterRoleBinding" } else { "RoleBinding" },
            "namespace": (!binding.is_cluster_binding()).then_some(&binding.namespace),
            "name": binding.name,
        },
        "role": {
            "kind": role.kind,
            "namespace": (role.kind == "Role").then_some(&binding.namespace),
            "name": role.name,
        },
    })
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
    let answer = palisade_rbac::who_can::who_can(policy, request, args.all_namespaces);
    let (grants, ignored) = (&answer.grants, answer.ignored);

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
                "subjects": grants.iter().map(grant_json).collect::<Vec<_>>(),
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
            for g in grants {
                rows.push([
                    g.subject.kind.clone(),
                    g.subject_name(),
                    g.binding_name(),
                    g.role_name(),
                ]);
            }
            out.push_str(&table(&rows));
            if grants.is_empty() {
                out.push_str(&format!("\nNo binding grants it; {MASTERS_NOTE}.\n"));
            } else {
                let (subjects, bindings) = (answer.subject_count(), answer.binding_count());
                out.push_str(&format!(
                    "\n{subjects} subject{} through {bindings} binding{}; {MASTERS_NOTE}.\n",
                    if subjects == 1 { "" } else { "s" },
                    if bindings == 1 { "" } else { "s" },
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
