//! Which images an enforcing signature verifier actually holds to a signature (SC004).
//!
//! A verifier that selects a namespace does not verify every image run there: Kyverno checks
//! only the images its `imageReferences` match, and sigstore policy-controller only those a
//! `ClusterImagePolicy` glob matches (the rest follow its `no-match-policy`). Each verifier's
//! own matching is transcribed:
//! - Kyverno (`pkg/engine/utils` `ImageMatches`, `pkg/utils/image` `GetImageInfo`): the image
//!   is written `registry/path` (`docker.io` added when the first component is not a host,
//!   the path as written, no `library/`), then `@digest`, else `:tag` (default `latest`), and
//!   matched with `IGLOU-EU/go-wildcard` v2 (`*` any run, `?` and `.` any one byte, a
//!   trailing `?` may match nothing). `skipImageReferences` exclude images.
//! - policy-controller (`pkg/apis/config` `GlobMatch`): the image is go-containerregistry's
//!   `Name()` (`index.docker.io` and `library/` for Docker Hub, `@digest`, else `:tag`, default
//!   `latest`); a glob becomes the regular expression `^glob$` with `.` literal, `**` any run
//!   and `*` a run without `/` (`*` alone means `index.docker.io/library/*`, `*/*` means
//!   `index.docker.io/*/*`); `regex` entries are matched as written. An image no policy
//!   matches is refused unless `no-match-policy` (ConfigMap `config-policy-controller`) is
//!   `warn` or `allow`. A policy verifies only if its mode is `enforce` and none of its
//!   authorities is `static: {action: pass}` (one passing authority admits the image).
//! - Gatekeeper with Ratify: the provider is sent every image of the pod.

use palisade_model::{Inventory, Node, Object};
use regex::Regex;

use crate::models::image::ImageRef;

/// An enforcing verifier of one namespace.
pub(crate) enum Verifier<'a> {
    /// One `verifyImages` entry of a Kyverno rule, in enforce mode.
    Kyverno {
        policy: &'a Object,
        rule: &'a str,
        references: Vec<&'a str>,
        skip: Vec<&'a str>,
    },
    /// policy-controller in a namespace that opted in.
    Sigstore(&'a Sigstore<'a>),
    /// A Gatekeeper constraint calling Ratify, with `enforcementAction: deny`.
    Ratify,
}

impl Verifier<'_> {
    /// Whether an unsigned `image` (written `text`) would be refused.
    pub(crate) fn refuses_unsigned(&self, text: &str, image: &ImageRef<'_>) -> bool {
        match self {
            Verifier::Kyverno {
                references, skip, ..
            } => {
                let written = kyverno_image(text, image);
                references.iter().any(|p| wildcard_match(p, &written))
                    && !skip.iter().any(|p| wildcard_match(p, &written))
            }
            Verifier::Sigstore(s) => s.refuses_unsigned(image),
            Verifier::Ratify => true,
        }
    }

    /// What the verifier checks, for a finding about an image it leaves out.
    pub(crate) fn scope(&self) -> String {
        match self {
            Verifier::Kyverno {
                policy,
                rule,
                references,
                skip,
            } => {
                let mut s = format!(
                    "Kyverno {} {:?} rule {rule:?} verifies only {}",
                    policy.kind(),
                    policy.id.name,
                    references.join(", ")
                );
                if !skip.is_empty() {
                    s.push_str(&format!(" (skipping {})", skip.join(", ")));
                }
                s
            }
            Verifier::Sigstore(s) => format!(
                "policy-controller admits it: no ClusterImagePolicy matching it verifies signatures in enforce mode, and its no-match-policy is {:?}",
                s.no_match
            ),
            Verifier::Ratify => "Ratify verifies every image".to_string(),
        }
    }
}

/// policy-controller's policies and its behaviour for images no policy matches.
pub(crate) struct Sigstore<'a> {
    policies: Vec<ImagePolicy>,
    /// `deny` (the default), `warn` or `allow`.
    no_match: &'a str,
}

struct ImagePolicy {
    patterns: Vec<Regex>,
    /// Mode `enforce` with no authority that passes unconditionally.
    verifies: bool,
}

impl<'a> Sigstore<'a> {
    pub(crate) fn of(inventory: &'a Inventory, policies: &[&'a Object]) -> Self {
        let no_match = inventory
            .of_kind("ConfigMap")
            .filter(|c| c.id.api_version == "v1" && c.id.name == "config-policy-controller")
            .find_map(|c| c.root().get_in(&["data", "no-match-policy"])?.as_str())
            .filter(|v| !v.is_empty())
            .unwrap_or("deny");
        Sigstore {
            policies: policies.iter().map(|p| ImagePolicy::of(p)).collect(),
            no_match,
        }
    }

    fn refuses_unsigned(&self, image: &ImageRef<'_>) -> bool {
        let name = ggcr_name(image);
        let mut matched = self
            .policies
            .iter()
            .filter(|p| p.patterns.iter().any(|r| r.is_match(&name)))
            .peekable();
        if matched.peek().is_none() {
            return self.no_match == "deny";
        }
        // Every matching policy must pass: one that verifies is enough to refuse.
        matched.any(|p| p.verifies)
    }
}

impl ImagePolicy {
    fn of(policy: &Object) -> Self {
        let spec = policy.root().get("spec");
        let list = |key| {
            spec.and_then(|s| s.get(key))
                .into_iter()
                .flat_map(|l| l.items())
        };
        let patterns = list("images")
            .filter_map(|i| match (i.str_at("glob"), i.str_at("regex")) {
                (Some(glob), _) => glob_regex(glob),
                (None, Some(regex)) => Regex::new(regex).ok(),
                _ => None,
            })
            .collect();
        let mode = spec.and_then(|s| s.str_at("mode")).unwrap_or("enforce");
        let mut authorities = list("authorities").peekable();
        let has_authority = authorities.peek().is_some();
        let passes_anything = |a: Node<'_>| {
            a.get("static")
                .and_then(|s| s.str_at("action"))
                .is_some_and(|action| action == "pass")
        };
        ImagePolicy {
            patterns,
            verifies: mode == "enforce" && has_authority && !authorities.any(passes_anything),
        }
    }
}

/// policy-controller's glob as a regular expression; `None` for a glob it rejects.
fn glob_regex(glob: &str) -> Option<Regex> {
    let glob = match glob {
        "*/*" => "index.docker.io/*/*",
        "*" => "index.docker.io/library/*",
        other => other,
    };
    let valid = !glob.is_empty()
        && glob
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:/*.".contains(&b));
    if !valid {
        return None;
    }
    let pattern = glob
        .replace('.', r"\.")
        .replace("**", ".+")
        .replace('*', "[^/]+");
    Regex::new(&format!("^{pattern}$")).ok()
}

/// go-containerregistry's `Reference.Name()`.
fn ggcr_name(image: &ImageRef<'_>) -> String {
    let registry = match &*image.domain {
        "docker.io" => "index.docker.io",
        other => other,
    };
    match (image.digest, image.tag) {
        (Some(digest), _) => format!("{registry}/{}@{digest}", image.path),
        (None, tag) => format!("{registry}/{}:{}", image.path, tag.unwrap_or("latest")),
    }
}

/// Kyverno's `ImageInfo.String()` of an image reference written `text`.
fn kyverno_image(text: &str, image: &ImageRef<'_>) -> String {
    // The name as written: without `@digest`, and without `:tag` after the last `/`.
    let name = text.split_once('@').map_or(text, |(n, _)| n);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let name = match name[last_slash..].rfind(':') {
        Some(i) => &name[..last_slash + i],
        None => name,
    };
    // `addDefaultRegistry`.
    let add_default = match name.find('/') {
        None => true,
        Some(i) => {
            let first = &name[..i];
            !first.contains(['.', ':']) && first != "localhost" && first.to_lowercase() == first
        }
    };
    let name = if add_default {
        format!("docker.io/{name}")
    } else {
        name.to_string()
    };
    match (image.digest, image.tag) {
        (Some(digest), _) => format!("{name}@{digest}"),
        (None, tag) => format!("{name}:{}", tag.unwrap_or("latest")),
    }
}

/// `IGLOU-EU/go-wildcard` v2 `Match`, byte for byte.
fn wildcard_match(pattern: &str, s: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), s.as_bytes());
    if p.is_empty() {
        return s.is_empty();
    }
    if p == b"*" || p == s {
        return true;
    }
    let (mut pi, mut si, mut last_star) = (0usize, 0usize, 0usize);
    let mut star: Option<usize> = None;
    while si < s.len() {
        let advance = match p.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                last_star = si;
                pi += 1;
                continue;
            }
            Some(&c) => matches!(c, b'?' | b'.') || c == s[si],
            None => false,
        };
        if advance {
            pi += 1;
            si += 1;
            continue;
        }
        // A mismatch, or the pattern ran out: retry from the last `*`, one byte further.
        let Some(st) = star else {
            return false;
        };
        pi = st + 1;
        last_star += 1;
        si = last_star;
    }
    // The rest of the pattern may only be `*`s and `?`s (each `?` here matches nothing).
    while pi < p.len() && matches!(p[pi], b'*' | b'?') {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::image::parse;

    #[test]
    fn wildcard_matches_like_go_wildcard() {
        // Cases from go-wildcard's own tests and Kyverno's use of it.
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("", "a"));
        assert!(wildcard_match(
            "registry.example.com/*",
            "registry.example.com/app:1.0"
        ));
        assert!(wildcard_match(
            "registry.example.com/*",
            "registryXexampleYcom/a/b:1"
        ));
        assert!(!wildcard_match("registry.example.com/*", "ghcr.io/app:1.0"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("ab?", "ab"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(wildcard_match("*.io/*", "ghcr.io/x:1"));
    }

    #[test]
    fn kyverno_writes_images_without_normalising_the_path() {
        let k = |t: &str| kyverno_image(t, &parse(t).unwrap());
        assert_eq!(k("nginx"), "docker.io/nginx:latest");
        assert_eq!(k("nginx:1.27"), "docker.io/nginx:1.27");
        assert_eq!(k("team/app:1"), "docker.io/team/app:1");
        assert_eq!(k("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(
            k(
                "ghcr.io/a/b:1@sha256:0000000000000000000000000000000000000000000000000000000000000000"
            ),
            "ghcr.io/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000"
        );
    }

    #[test]
    fn sigstore_names_and_globs_follow_policy_controller() {
        let n = |t: &str| ggcr_name(&parse(t).unwrap());
        assert_eq!(n("nginx"), "index.docker.io/library/nginx:latest");
        assert_eq!(n("docker.io/team/app:1"), "index.docker.io/team/app:1");
        assert_eq!(n("ghcr.io/a/b:2"), "ghcr.io/a/b:2");
        let g = |glob: &str, t: &str| glob_regex(glob).unwrap().is_match(&n(t));
        assert!(g("ghcr.io/a/*", "ghcr.io/a/b:2"));
        assert!(!g("ghcr.io/*", "ghcr.io/a/b:2"), "* does not cross /");
        assert!(g("ghcr.io/**", "ghcr.io/a/b:2"));
        assert!(g("*", "nginx:1.27"));
        assert!(!g("*", "team/app:1"));
        assert!(g("*/*", "team/app:1"));
        assert!(
            !g("ghcr.io/a/b", "ghcr.io/a/b:2"),
            "the tag is part of the name"
        );
        assert!(glob_regex("ghcr.io/[a-z]+").is_none(), "not a valid glob");
    }

    fn inventory(yaml: &str) -> Inventory {
        let loaded = palisade_loader::load_str("t.yaml", yaml, &palisade_loader::Limits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        Inventory::new(loaded.objects)
    }

    #[test]
    fn policy_controller_refuses_unmatched_images_by_default() {
        let inv = inventory(
            "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: signed}\nspec:\n  images: [{glob: \"ghcr.io/**\"}]\n  authorities: [{keyless: {url: \"https://fulcio.sigstore.dev\"}}]\n---\napiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: open}\nspec:\n  images: [{regex: \"^quay\\\\.io/.*\"}]\n  authorities: [{static: {action: pass}}]\n",
        );
        let policies: Vec<&Object> = inv.of_kind("ClusterImagePolicy").collect();
        let controller = Sigstore::of(&inv, &policies);
        let refuses = |t: &str| controller.refuses_unsigned(&parse(t).unwrap());
        assert!(refuses("ghcr.io/a/b:1"), "matched by a verifying policy");
        assert!(
            refuses("nginx:1.27"),
            "matched by none: no-match-policy deny"
        );
        assert!(
            !refuses("quay.io/a/b:1"),
            "matched only by a policy that passes anything"
        );
        let warn = inventory(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-policy-controller, namespace: cosign-system}\ndata: {no-match-policy: allow}\n",
        );
        let controller = Sigstore::of(&warn, &policies);
        assert!(!controller.refuses_unsigned(&parse("nginx:1.27").unwrap()));
        assert!(controller.refuses_unsigned(&parse("ghcr.io/a/b:1").unwrap()));
    }
}
