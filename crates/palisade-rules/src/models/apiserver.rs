//! kube-apiserver command lines: finding the API server container among the workloads and
//! reading its flags the way the binary does. The control-plane rules judge the flags; the
//! engine's shared views hold the API servers found (`InventoryCtx::apiservers`).
//!
//! The API server parses its command line with spf13/pflag (through cobra). Reproduced here:
//! - `--name=value` and `--name value`: a non-boolean flag without `=` takes the next
//!   argument as its value, whatever it looks like (pflag does not check for a leading `-`);
//! - boolean flags take a value only with `=` (`--profiling=false`); a bare `--profiling` is
//!   `true` and the next argument is *not* consumed (`--profiling false` leaves `false` as a
//!   stray positional argument, which kube-apiserver refuses);
//! - booleans parse with Go's `strconv.ParseBool` (`1 t T TRUE true True 0 f F FALSE false
//!   False`);
//! - a scalar flag given twice: the last one wins; a string-slice flag
//!   (`--enable-admission-plugins`, `--authorization-mode`, `--tls-cipher-suites`, ...)
//!   given twice: the first occurrence replaces the default and later ones append,
//!   each split at commas;
//! - `--` ends flag parsing.
//!
//! The flags are the container's `command` after the binary, then its `args` (what the
//! kubelet passes to the runtime: command replaces the image entrypoint, args follow it).
//! Findings point at the list item holding the flag, or at the container's `command` when
//! the flag is absent.

use palisade_model::workload::{Container, PodTemplate};
use palisade_model::{FieldPath, Node, Object};

/// Boolean flags of kube-apiserver that this module may meet. A flag missing from this list
/// is read as a non-boolean flag (it consumes the next argument when written without `=`),
/// so every boolean flag a rule reads or that commonly precedes one must be here.
const BOOL_FLAGS: &[&str] = &[
    "allow-privileged",
    "anonymous-auth",
    "aggregator-reject-forwarding-redirect",
    "audit-log-batch-throttle-enable",
    "audit-log-compress",
    "audit-log-truncate-enabled",
    "audit-webhook-batch-throttle-enable",
    "audit-webhook-truncate-enabled",
    "contention-profiling",
    "enable-aggregator-routing",
    "enable-bootstrap-token-auth",
    "enable-garbage-collector",
    "enable-logs-handler",
    "enable-priority-and-fairness",
    "logtostderr",
    "permit-address-sharing",
    "permit-port-sharing",
    "profiling",
    "service-account-extend-token-expiration",
    "service-account-lookup",
    "watch-cache",
];

/// String-slice flags: repeated occurrences append (see the module header).
const SLICE_FLAGS: &[&str] = &[
    "admission-control",
    "authorization-mode",
    "disable-admission-plugins",
    "enable-admission-plugins",
    "service-account-issuer",
    "service-account-key-file",
    "tls-cipher-suites",
    "etcd-servers",
    "api-audiences",
];

/// One `--flag` occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    /// `None` for a bare boolean flag (`--profiling`), or a non-boolean flag at the end of
    /// the line with no value to take (kube-apiserver refuses to start then).
    pub value: Option<String>,
    /// The list item where the flag is written.
    pub path: FieldPath,
}

/// A parsed command line.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    occurrences: Vec<Flag>,
}

impl Flags {
    /// Parses `tokens` (each with the path of its list item) the way pflag does.
    pub fn parse<'t>(tokens: impl IntoIterator<Item = (&'t str, FieldPath)>) -> Flags {
        let mut occurrences = Vec::new();
        let mut tokens = tokens.into_iter();
        while let Some((token, path)) = tokens.next() {
            if token == "--" {
                break;
            }
            let Some(body) = token.strip_prefix("--") else {
                continue; // positional argument or shorthand: not a long flag
            };
            if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
                continue; // pflag rejects these ("bad flag syntax")
            }
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None if BOOL_FLAGS.contains(&body) => (body.to_string(), None),
                None => (body.to_string(), tokens.next().map(|(v, _)| v.to_string())),
            };
            occurrences.push(Flag { name, value, path });
        }
        Flags { occurrences }
    }

    /// The occurrence that takes effect for a scalar flag: the last one.
    pub fn last(&self, name: &str) -> Option<&Flag> {
        self.occurrences.iter().rev().find(|f| f.name == name)
    }

    /// Whether the flag is given with a non-empty value (for file and path flags: an empty
    /// value leaves the feature off, as if the flag were absent).
    pub fn set(&self, name: &str) -> Option<&Flag> {
        self.last(name)
            .filter(|f| f.value.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }

    /// A boolean flag's effective value: `None` when absent, `Some(Err(..))` when its value
    /// does not parse (kube-apiserver refuses to start).
    pub fn bool(&self, name: &str) -> Option<(Result<bool, String>, &Flag)> {
        let flag = self.last(name)?;
        let parsed = match flag.value.as_deref() {
            None => Ok(true),
            Some(v) => parse_go_bool(v).ok_or_else(|| v.to_string()),
        };
        Some((parsed, flag))
    }

    /// A string-slice flag's effective items (every occurrence, split at commas, empty
    /// items dropped) and its last occurrence; `None` when absent.
    pub fn list(&self, name: &str) -> Option<(Vec<&str>, &Flag)> {
        let last = self.last(name)?;
        Some((self.items(name).into_iter().map(|(v, _)| v).collect(), last))
    }

    /// A string-slice flag's effective items, each with the occurrence that lists it.
    pub fn items(&self, name: &str) -> Vec<(&str, &Flag)> {
        debug_assert!(SLICE_FLAGS.contains(&name), "{name} is not a slice flag");
        self.occurrences
            .iter()
            .filter(|f| f.name == name)
            .flat_map(|f| {
                f.value
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(move |v| (v, f))
            })
            .collect()
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A kube-apiserver container found in the input.
pub struct ApiServer<'a> {
    pub object: &'a Object,
    pub flags: Flags,
    /// The container's `command` (where findings about absent flags point).
    pub command_path: FieldPath,
    /// `Pod/kube-system/kube-apiserver-cp1 container kube-apiserver`, for messages.
    pub container_name: &'a str,
}

impl ApiServer<'_> {
    /// Where a finding about `flag` goes: the flag's item, or the container's command.
    pub fn path_of(&self, flag: Option<&Flag>) -> FieldPath {
        flag.map_or_else(|| self.command_path.clone(), |f| f.path.clone())
    }
}

/// Whether a program path names the kube-apiserver binary.
fn is_apiserver_binary(program: &str) -> bool {
    program.rsplit('/').next() == Some("kube-apiserver")
}

/// The flag tokens of a container, if it runs kube-apiserver: `command` after the binary
/// (`kube-apiserver ...`, or `hyperkube kube-apiserver ...` / `hyperkube apiserver ...`),
/// then `args`.
/// Whether the container's command starts the API server (`kube-apiserver`, or
/// `hyperkube kube-apiserver|apiserver`).
fn runs_apiserver(container: &Container<'_>) -> bool {
    let Some(command) = container.node.get("command") else {
        return false;
    };
    let mut items = command.items();
    match items.next().and_then(|n| n.as_str()) {
        Some(program) if is_apiserver_binary(program) => true,
        Some(program) if program.rsplit('/').next() == Some("hyperkube") => matches!(
            items.next().and_then(|n| n.as_str()),
            Some("kube-apiserver" | "apiserver")
        ),
        _ => false,
    }
}

fn apiserver_tokens<'a>(
    container: &Container<'a>,
    container_path: &FieldPath,
) -> Option<Vec<(&'a str, FieldPath)>> {
    let command: Vec<Node<'a>> = container
        .node
        .get("command")
        .map(|c| c.items().collect())
        .unwrap_or_default();
    let program = command.first()?.as_str()?;
    let skip = if is_apiserver_binary(program) {
        1
    } else if program.rsplit('/').next() == Some("hyperkube")
        && matches!(
            command.get(1).and_then(|n| n.as_str()),
            Some("kube-apiserver" | "apiserver")
        )
    {
        2
    } else {
        return None;
    };
    let command_path = container_path.clone().key("command");
    let args_path = container_path.clone().key("args");
    let mut tokens: Vec<(&'a str, FieldPath)> = command
        .iter()
        .enumerate()
        .skip(skip)
        .filter_map(|(i, n)| Some((n.as_str()?, command_path.clone().index(i))))
        .collect();
    if let Some(args) = container.node.get("args") {
        tokens.extend(
            args.items()
                .enumerate()
                .filter_map(|(i, n)| Some((n.as_str()?, args_path.clone().index(i)))),
        );
    }
    Some(tokens)
}

/// Every kube-apiserver container of `workloads` (static Pods and, should a hosted control
/// plane run it so, any workload), in their order.
pub fn find<'a>(workloads: &[(&'a Object, PodTemplate<'a>)]) -> Vec<ApiServer<'a>> {
    let mut found = Vec::new();
    for &(object, template) in workloads {
        for container in template.containers() {
            // The cheap test first: most containers are not the API server.
            if !runs_apiserver(&container) {
                continue;
            }
            let container_path = template.container_path(&container);
            if let Some(tokens) = apiserver_tokens(&container, &container_path) {
                found.push(ApiServer {
                    object,
                    flags: Flags::parse(tokens),
                    command_path: container_path.key("command"),
                    container_name: container.name(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(tokens: &[&str]) -> Flags {
        Flags::parse(
            tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (*t, FieldPath::root().key("args").index(i))),
        )
    }

    fn value<'f>(flags: &'f Flags, name: &str) -> Option<&'f str> {
        flags.last(name).and_then(|f| f.value.as_deref())
    }

    #[test]
    fn equals_and_separate_values() {
        let f = parse(&[
            "--audit-log-path=/var/log/a.log",
            "--audit-log-maxage",
            "30",
        ]);
        assert_eq!(value(&f, "audit-log-path"), Some("/var/log/a.log"));
        assert_eq!(value(&f, "audit-log-maxage"), Some("30"));
        // The value's item is consumed, not mistaken for a flag or a positional argument.
        assert_eq!(
            f.last("audit-log-maxage").unwrap().path.to_string(),
            "args[1]"
        );
    }

    #[test]
    fn non_bool_flag_takes_the_next_argument_even_if_it_looks_like_a_flag() {
        let f = parse(&["--audit-log-path", "--profiling=false"]);
        assert_eq!(value(&f, "audit-log-path"), Some("--profiling=false"));
        assert!(f.last("profiling").is_none());
    }

    #[test]
    fn bool_flags_take_values_only_with_equals() {
        let f = parse(&["--anonymous-auth", "false", "--profiling=false"]);
        let (anon, _) = f.bool("anonymous-auth").unwrap();
        assert_eq!(anon, Ok(true), "the stray `false` is not the flag's value");
        assert_eq!(f.bool("profiling").unwrap().0, Ok(false));
        assert_eq!(f.bool("service-account-lookup").map(|b| b.0), None);
    }

    #[test]
    fn go_bool_spellings() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Some(false), "{f}");
        }
        for bad in ["yes", "no", "tRuE", "", " false"] {
            assert_eq!(parse_go_bool(bad), None, "{bad}");
        }
        let f = parse(&["--anonymous-auth=no"]);
        assert_eq!(f.bool("anonymous-auth").unwrap().0, Err("no".to_string()));
    }

    #[test]
    fn last_scalar_wins_and_slices_append() {
        let f = parse(&[
            "--anonymous-auth=false",
            "--enable-admission-plugins=NodeRestriction",
            "--anonymous-auth=true",
            "--enable-admission-plugins",
            "AlwaysAdmit, PodSecurity",
        ]);
        assert_eq!(f.bool("anonymous-auth").unwrap().0, Ok(true));
        let (plugins, last) = f.list("enable-admission-plugins").unwrap();
        assert_eq!(plugins, ["NodeRestriction", "AlwaysAdmit", "PodSecurity"]);
        assert_eq!(last.path.to_string(), "args[3]");
        let where_listed: Vec<(&str, String)> = f
            .items("enable-admission-plugins")
            .into_iter()
            .map(|(v, f)| (v, f.path.to_string()))
            .collect();
        assert_eq!(where_listed[0], ("NodeRestriction", "args[1]".to_string()));
        assert_eq!(where_listed[1], ("AlwaysAdmit", "args[3]".to_string()));
    }

    #[test]
    fn double_dash_ends_flags_and_positionals_are_skipped() {
        let f = parse(&[
            "-v=2",
            "stray",
            "--profiling=false",
            "--",
            "--anonymous-auth=false",
        ]);
        assert!(f.last("v").is_none());
        assert_eq!(f.bool("profiling").unwrap().0, Ok(false));
        assert!(f.last("anonymous-auth").is_none());
    }

    #[test]
    fn empty_values_are_not_set() {
        let f = parse(&["--audit-policy-file=", "--encryption-provider-config"]);
        assert!(f.last("audit-policy-file").is_some());
        assert!(f.set("audit-policy-file").is_none());
        assert!(
            f.set("encryption-provider-config").is_none(),
            "no value to take"
        );
    }
}
