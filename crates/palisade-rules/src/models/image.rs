//! Container image references, parsed the way the container runtime does, and the images
//! of a pod template's containers. The supply-chain rules read them; each object's context
//! parses its images once for all of them (`ObjectCtx::images`).
//!
//! Transcribes the grammar of `github.com/distribution/reference` (`reference.go`,
//! `normalize.go`): `reference := name [ ":" tag ] [ "@" digest ]`, where the first
//! component of `name` is a registry host only when it contains `.` or `:`, is `localhost`,
//! or has an upper-case letter (`splitDockerDomain`); otherwise the image is on Docker Hub
//! (`docker.io`, with `library/` prepended to single-component names, and the legacy
//! `index.docker.io` rewritten to `docker.io`). A registry port (`host:5000/app`) is
//! therefore not a tag, and `name@digest` has no tag but is pinned.

use std::borrow::Cow;

use palisade_model::workload::{Container, PodTemplate};

/// A parsed, normalised image reference, borrowing from the reference text where
/// normalisation leaves it unchanged (every rule parses every container's image).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host (with port), normalised: `docker.io` for Docker Hub.
    pub domain: Cow<'a, str>,
    /// Repository path within the registry (`library/nginx`).
    pub path: Cow<'a, str>,
    pub tag: Option<&'a str>,
    /// `algorithm:hex`, validated.
    pub digest: Option<&'a str>,
}

impl ImageRef<'_> {
    /// `domain/path`, the fully qualified repository name.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }
}

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// Parses `image` as `docker pull` would (`reference.ParseNormalizedNamed` plus tag and
/// digest). Errors say why the reference is invalid.
pub fn parse(image: &str) -> Result<ImageRef<'_>, String> {
    if image.is_empty() {
        return Err("the reference is empty".to_string());
    }
    // The digest follows the first '@'.
    let (rest, digest) = match image.split_once('@') {
        Some((name, digest)) => {
            validate_digest(digest)?;
            (name, Some(digest))
        }
        None => (image, None),
    };
    // The tag follows the last ':' after the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let i = last_slash + i;
            (&rest[..i], Some(&rest[i + 1..]))
        }
        None => (rest, None),
    };
    if let Some(tag) = tag {
        validate_tag(tag)?;
    }
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(format!(
            "the repository name is longer than {NAME_TOTAL_LENGTH_MAX} characters"
        ));
    }
    let (domain, path) = split_domain(name);
    validate_domain(&domain)?;
    if path.is_empty() {
        return Err("the repository name is empty".to_string());
    }
    for component in path.split('/') {
        validate_path_component(component)?;
    }
    Ok(ImageRef {
        domain,
        path,
        tag,
        digest,
    })
}

/// `splitDockerDomain` of normalize.go.
fn split_domain(name: &str) -> (Cow<'_, str>, Cow<'_, str>) {
    let (mut domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, name),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN;
    }
    let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
        Cow::Owned(format!("{OFFICIAL_REPO_PREFIX}{path}"))
    } else {
        Cow::Borrowed(path)
    };
    (Cow::Borrowed(domain), path)
}

/// `[\w][\w.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes[1..]
            .iter()
            .all(|&b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("{tag:?} is not a valid tag"))
    }
}

/// `algorithm ":" encoded`, with the lengths of the registered algorithms
/// (`opencontainers/go-digest`: sha256 64 hex, sha384 96, sha512 128).
fn validate_digest(digest: &str) -> Result<(), String> {
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or_else(|| "the digest has no algorithm".to_string())?;
    let expected = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(format!("unsupported digest algorithm {algorithm:?}")),
    };
    if hex.len() != expected || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!(
            "the {algorithm} digest must be {expected} lower-case hex characters"
        ));
    }
    Ok(())
}

/// `domain-component ("." domain-component)* [":" port]`, a bracketed IPv6 address allowed.
fn validate_domain(domain: &str) -> Result<(), String> {
    let bad = || Err(format!("{domain:?} is not a valid registry host"));
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip6, after)) if !ip6.is_empty() => {
                if !ip6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                    return bad();
                }
                (None, after.strip_prefix(':'))
            }
            _ => return bad(),
        }
    } else {
        let (host, port) = match domain.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        };
        (Some(host), port)
    };
    if let Some(host) = host {
        let component_ok = |c: &str| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        };
        if !host.split('.').all(component_ok) {
            return bad();
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad();
    }
    Ok(())
}

/// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`.
fn validate_path_component(c: &str) -> Result<(), String> {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    let bad = || {
        Err(format!(
            "repository path component {c:?} must be lower-case letters and digits separated by '.', '_', '__' or dashes"
        ))
    };
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return bad();
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return bad();
        }
    }
    Ok(())
}

/// Normalises an allowlist entry the way image references are (`index.docker.io/` becomes
/// `docker.io/`, `nginx` becomes `docker.io/library/nginx`), keeping a trailing `/`.
pub fn normalise_prefix(entry: &str) -> String {
    let trailing = entry.ends_with('/');
    let trimmed = entry.trim_end_matches('/');
    if trimmed.is_empty() {
        return entry.to_string();
    }
    // A bare host (`registry.example.com`, `localhost:5000`) stays a host.
    let is_host =
        !trimmed.contains('/') && (trimmed.contains(['.', ':']) || trimmed == "localhost");
    let mut normal = if is_host {
        if trimmed == LEGACY_DEFAULT_DOMAIN {
            DEFAULT_DOMAIN.to_string()
        } else {
            trimmed.to_string()
        }
    } else {
        match trimmed.split_once('/') {
            // An explicit registry: only the legacy Docker Hub host is rewritten; a prefix
            // such as `docker.io/bitnami` names a namespace, not an official image.
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                let domain = if first == LEGACY_DEFAULT_DOMAIN {
                    DEFAULT_DOMAIN
                } else {
                    first
                };
                format!("{domain}/{rest}")
            }
            // No registry: Docker Hub, as for image names (`nginx` is
            // `docker.io/library/nginx`, `bitnami` a namespace only with a trailing `/`).
            _ if trailing => format!("{DEFAULT_DOMAIN}/{trimmed}"),
            _ => {
                let (domain, path) = split_domain(trimmed);
                format!("{domain}/{path}")
            }
        }
    };
    if trailing {
        normal.push('/');
    }
    normal
}

/// Whether `repository` (`domain/path`) is within the allowlist entry: entries match at a
/// path boundary, so `ghcr.io/acme` allows `ghcr.io/acme/app` but not `ghcr.io/acmecorp/x`.
pub fn allowed_by(repository: &str, entry: &str) -> bool {
    let entry = normalise_prefix(entry);
    if entry.ends_with('/') {
        return repository.starts_with(&entry);
    }
    repository == entry
        || repository
            .strip_prefix(entry.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A container, its image reference as written, and the reference parsed.
pub type ContainerImage<'a> = (Container<'a>, &'a str, ImageRef<'a>);

/// The containers of a template with their image, parsed (containers without an image or
/// with an unparseable one are skipped). The image's path is built only for a finding
/// ([`image_path`]).
pub fn images<'a>(template: PodTemplate<'a>) -> Vec<ContainerImage<'a>> {
    template
        .containers()
        .filter_map(|c| {
            let text = c.node.str_at("image")?;
            let parsed = parse(text).ok()?;
            Some((c, text, parsed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef<'_> {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn docker_hub_names_are_normalised() {
        let r = p("nginx");
        assert_eq!(r.repository(), "docker.io/library/nginx");
        assert_eq!(r.tag, None);
        assert_eq!(
            p("index.docker.io/nginx:1.25").repository(),
            "docker.io/library/nginx"
        );
        assert_eq!(
            p("docker.io/bitnami/redis").repository(),
            "docker.io/bitnami/redis"
        );
        assert_eq!(p("bitnami/redis:7").repository(), "docker.io/bitnami/redis");
    }

    #[test]
    fn registry_port_is_not_a_tag() {
        let r = p("registry.example.com:5000/app");
        assert_eq!(r.domain, "registry.example.com:5000");
        assert_eq!(r.path, "app");
        assert_eq!(r.tag, None);
        let r = p("localhost:5000/team/app:v2");
        assert_eq!(r.domain, "localhost:5000");
        assert_eq!(r.tag, Some("v2"));
        let r = p("localhost/app");
        assert_eq!(r.domain, "localhost");
    }

    #[test]
    fn digest_without_tag_and_both() {
        let text = format!("ghcr.io/acme/app@{D}");
        let r = p(&text);
        assert_eq!(r.tag, None);
        assert_eq!(r.digest, Some(D));
        let text = format!("ghcr.io/acme/app:1.0@{D}");
        let r = p(&text);
        assert_eq!(r.tag, Some("1.0"));
        assert!(r.digest.is_some());
        assert!(parse("app@sha256:abc").is_err());
        assert!(parse(&format!("app@md5:{}", &D[7..])).is_err());
    }

    #[test]
    fn invalid_references_are_rejected() {
        for bad in [
            "",
            "App",
            "app:",
            "app:-x",
            "UPPER/app:1",
            "a//b",
            "app/",
            "${IMAGE}",
        ] {
            // "UPPER/app" has an upper-case first component, so it is a (valid) domain.
            if bad == "UPPER/app:1" {
                assert_eq!(p(bad).domain, "UPPER");
                continue;
            }
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn allowlist_entries_match_at_path_boundaries() {
        let repo = p("nginx").repository();
        assert!(allowed_by(&repo, "docker.io/library/"));
        assert!(allowed_by(&repo, "index.docker.io/library"));
        assert!(allowed_by(&repo, "nginx"));
        assert!(allowed_by(&repo, "docker.io"));
        assert!(!allowed_by(&repo, "docker.io/bitnami"));
        let repo = p("ghcr.io/acmecorp/x:1").repository();
        assert!(!allowed_by(&repo, "ghcr.io/acme"));
        assert!(allowed_by(&repo, "ghcr.io/acmecorp"));
        assert!(allowed_by(&repo, "ghcr.io"));
        assert!(!allowed_by(
            &p("ghcr.io.evil.com/x").repository(),
            "ghcr.io"
        ));
        assert!(allowed_by(
            &p("registry.example.com:5000/app").repository(),
            "registry.example.com:5000/"
        ));
    }
}
