//! Questions as `kubectl auth can-i` takes them: a verb and a resource argument (`pods`,
//! `deploy/scale`, `deployments.v1.apps`, `widgets.example.com`, `'*'`, or a non-resource
//! URL such as `/healthz`), with a namespace, name and subresource, read into the
//! [`Request`] the authorizer sees; the user a request impersonating `--as NAME
//! --as-group G...` is made as; and a request described in words.
//!
//! Errors are `String`s for the user, worded for the command line.

use crate::authz::{
    ALL, ANONYMOUS, AUTHENTICATED, Request, SERVICE_ACCOUNTS, Target, UNAUTHENTICATED, UserInfo,
};
use crate::resources;

/// A request as written on the command line (`VERB RESOURCE [-n NAMESPACE] [--name NAME]
/// [--subresource SUBRESOURCE]`), before it is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct KubectlRequest<'a> {
    pub verb: &'a str,
    /// `pods`, `pods/exec`, `deployments.apps`, `deployments.v1.apps`, `*`, or a
    /// non-resource URL (starting with `/`).
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    pub subresource: Option<&'a str>,
}

/// The request the question stands for, and warnings about how it was read.
#[derive(Debug)]
pub struct Question {
    pub request: Request,
    pub warnings: Vec<String>,
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

/// Reads VERB RESOURCE [-n] [--name] [--subresource] as `kubectl auth can-i` does: a
/// built-in resource by plural or short name gets its group
/// ([`resources::by_name`]), another name without a group is read in the core group (with
/// a warning), and a namespace for a built-in cluster-scoped resource draws a warning.
pub fn question(args: &KubectlRequest<'_>) -> Result<Question, String> {
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
            request: Request::non_resource(args.verb, args.resource),
            warnings,
        });
    }
    let (resource_arg, subresource) = match (args.resource.split_once('/'), args.subresource) {
        (Some((_, inline)), Some(flag)) if inline != flag => {
            return Err(format!(
                "two subresources: {} and --subresource {flag}",
                args.resource
            ));
        }
        (Some((r, s)), _) => (r, s),
        (None, flag) => (args.resource, flag.unwrap_or_default()),
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
        match resources::by_name(name, group) {
            Some(r) => (r.group, r.plural, Some(r.namespaced)),
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
        && let Some(ns) = args.namespace
    {
        warnings.push(format!(
            "{resource} is cluster-scoped: real requests for it carry no namespace, so a RoleBinding in {ns} never grants them (answered for namespace {ns} as asked)"
        ));
    }
    let mut request = Request::resource(args.verb, group, resource).subresource(subresource);
    if let Some(n) = args.name {
        request = request.name(n);
    }
    if let Some(ns) = args.namespace {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args<'a>(verb: &'a str, resource: &'a str) -> KubectlRequest<'a> {
        KubectlRequest {
            verb,
            resource,
            ..KubectlRequest::default()
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
        a.subresource = Some("log");
        assert_eq!(target(&question(&a).unwrap()), s("", "pods", "log"));
        a.resource = "pods/exec";
        assert!(question(&a).is_err());
        let mut a = args("get", "/metrics");
        a.namespace = Some("x");
        assert!(question(&a).is_err());
        let mut a = args("get", "nodes");
        a.namespace = Some("x");
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
