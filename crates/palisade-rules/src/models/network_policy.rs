//! NetworkPolicy selection, exactly as `networking.k8s.io/v1` defines it.
//!
//! Upstream references: the API reference for `NetworkPolicySpec`, `NetworkPolicyPeer` and
//! `IPBlock` (k8s.io/api/networking/v1/types.go), the defaulting of `policyTypes`
//! (`SetDefaults_NetworkPolicy` in k8s.io/kubernetes pkg/apis/networking/v1/defaults.go)
//! and the validation that refuses malformed policies
//! (pkg/apis/networking/validation/validation.go). What this module reproduces:
//!
//! - `spec.podSelector` is a required struct (not a pointer): absent, `null` and `{}` all
//!   select every pod of the policy's namespace.
//! - `policyTypes`, when absent or empty, defaults to `[Ingress]`, plus `Egress` when
//!   `spec.egress` has at least one rule (`len(spec.egress) != 0`: `egress: []` adds
//!   nothing). Rules of a direction the policy does not list are ignored.
//! - A policy with a type and no rules of that direction isolates the pods it selects and
//!   allows nothing.
//! - A rule whose `from`/`to` is absent or empty matches every source/destination; whose
//!   `ports` is absent or empty matches every port.
//! - A peer with only `podSelector` selects pods of the policy's namespace; with only
//!   `namespaceSelector`, every pod of the selected namespaces; with both, the pods the pod
//!   selector matches in the namespaces the namespace selector matches. `ipBlock` excludes
//!   the other two and selects addresses in `cidr` and in none of `except`.
//! - A pod is isolated for a direction when any policy of its namespace with that type
//!   selects it; traffic is then allowed when any rule of any such policy matches it.
//!   Policies are additive; there is no order and no deny.
//!
//! The network rules need isolation and rule shapes only; the traffic queries
//! (`allows_pod_to_pod`, `allows_ip`, `Peer::selects_pod`) complete the semantics for
//! cross-object rules and are held to upstream by the unit tests below.
//!
//! Policies the API server would refuse (bad selector, bad CIDR, a peer with both an
//! `ipBlock` and a selector) are not parsed: they never exist in a cluster.
//! Ports are kept only as "restricted or not": the rules never need to match them.

#![cfg_attr(not(test), allow(dead_code))]

use std::net::IpAddr;

use palisade_model::workload::PodTemplate;
use palisade_model::{FieldPath, Inventory, LabelSelector, Node, Object};

use super::namespace::NAMESPACE_NAME_LABEL;
use crate::rule::GroupKind;

/// NetworkPolicy in the API groups it was served from (`extensions/v1beta1` for old
/// manifests). Calico's and Cilium's kinds of the same name live in other groups and are
/// not these.
pub const KINDS: &[GroupKind] = &[
    GroupKind::new("networking.k8s.io", "NetworkPolicy"),
    GroupKind::new("extensions", "NetworkPolicy"),
];

/// Whether `object` is a Kubernetes NetworkPolicy.
pub fn is_network_policy(object: &Object) -> bool {
    let (group, kind) = (object.id.group(), object.kind());
    KINDS.iter().any(|k| k.is(group, kind))
}

/// A traffic direction, as `policyTypes` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The spec field holding the rules (`ingress` / `egress`).
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The rule field listing peers (`from` / `to`).
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// A CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` as Go's `net.ParseCIDR` does for the forms the API accepts.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = text.split_once('/')?;
        let addr: IpAddr = addr.parse().ok()?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// True for `/0`: every address of its family (`0.0.0.0/0`, `::/0`).
    pub fn is_everything(&self) -> bool {
        self.prefix == 0
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// One `NetworkPolicyPeer`.
#[derive(Clone, Debug)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector` (at least one is set).
    Pods {
        pod_selector: Option<LabelSelector>,
        namespace_selector: Option<LabelSelector>,
    },
    IpBlock {
        cidr: Cidr,
        cidr_text: String,
        except: Vec<Cidr>,
    },
}

impl Peer {
    /// Whether the peer selects the pod with `pod_labels` in namespace `pod_ns`, for a
    /// policy living in `policy_ns`. `ns_labels` gives the labels of a namespace by name.
    /// An `ipBlock` selects addresses, not pods, and is never matched here.
    pub fn selects_pod<'l>(
        &self,
        policy_ns: &str,
        pod_ns: &str,
        pod_labels: &[(&'l str, &'l str)],
        ns_labels: &NamespaceLabels<'l>,
    ) -> bool {
        match self {
            Peer::Pods {
                pod_selector,
                namespace_selector: None,
            } => {
                pod_ns == policy_ns && pod_selector.as_ref().is_some_and(|s| s.matches(pod_labels))
            }
            Peer::Pods {
                pod_selector,
                namespace_selector: Some(ns_selector),
            } => {
                ns_selector.matches_with(|k| ns_labels.get(pod_ns, k))
                    && pod_selector.as_ref().is_none_or(|s| s.matches(pod_labels))
            }
            Peer::IpBlock { .. } => false,
        }
    }

    /// Whether the peer selects address `ip`.
    pub fn selects_ip(&self, ip: IpAddr) -> bool {
        match self {
            Peer::IpBlock { cidr, except, .. } => {
                cidr.contains(ip) && !except.iter().any(|e| e.contains(ip))
            }
            Peer::Pods { .. } => false,
        }
    }

    /// True when the peer selects every pod of every namespace: `namespaceSelector: {}`
    /// with no `podSelector` or `podSelector: {}`.
    pub fn is_all_namespaces(&self) -> bool {
        matches!(self, Peer::Pods { pod_selector, namespace_selector: Some(ns) }
            if ns.is_empty() && pod_selector.as_ref().is_none_or(LabelSelector::is_empty))
    }

    /// True for an `ipBlock` of a whole address family with no `except`.
    pub fn is_any_address(&self) -> bool {
        matches!(self, Peer::IpBlock { cidr, except, .. } if cidr.is_everything() && except.is_empty())
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug)]
pub struct PolicyRule {
    /// Index in `spec.ingress` / `spec.egress`.
    pub index: usize,
    /// The peers, with their index in `from`/`to`; empty when `from`/`to` is absent or
    /// empty, which matches every peer.
    pub peers: Vec<(usize, Peer)>,
    /// Whether `ports` restricts the rule (absent or empty matches every port).
    pub ports_restricted: bool,
    /// Whether the `from`/`to` field is written (possibly empty).
    pub peers_written: bool,
}

impl PolicyRule {
    /// True when `from`/`to` is absent or empty: every source or destination.
    pub fn any_peer(&self) -> bool {
        self.peers.is_empty()
    }

    /// True when the rule lets every peer through on every port: no peer restriction (or a
    /// peer selecting all namespaces or all addresses) and no port restriction.
    pub fn allows_everything(&self) -> bool {
        !self.ports_restricted
            && (self.any_peer()
                || self
                    .peers
                    .iter()
                    .any(|(_, p)| p.is_all_namespaces() || p.is_any_address()))
    }
}

/// A parsed, valid NetworkPolicy.
#[derive(Clone, Debug)]
pub struct NetworkPolicy<'a> {
    pub object: &'a Object,
    pub namespace: &'a str,
    pub pod_selector: LabelSelector,
    /// Effective policy types (after defaulting).
    pub ingress_type: bool,
    pub egress_type: bool,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
}

impl<'a> NetworkPolicy<'a> {
    /// Parses `object`; `Err` when it is not a NetworkPolicy or the API server would refuse
    /// it.
    pub fn parse(object: &'a Object) -> Result<NetworkPolicy<'a>, String> {
        if !is_network_policy(object) {
            return Err("not a NetworkPolicy".to_string());
        }
        let namespace = object.id.effective_namespace().unwrap_or("default");
        let spec = object.root().get("spec");
        let pod_selector = match spec.and_then(|s| s.get("podSelector")) {
            Some(node) => LabelSelector::from_node(node)?,
            None => LabelSelector::everything(),
        };
        let ingress = parse_rules(spec, Direction::Ingress)?;
        let egress = parse_rules(spec, Direction::Egress)?;
        let types: Vec<Node<'_>> = spec
            .and_then(|s| s.get("policyTypes"))
            .map(|t| t.items().collect())
            .unwrap_or_default();
        let (ingress_type, egress_type) = if types.is_empty() {
            // SetDefaults_NetworkPolicy: Ingress always, Egress when len(spec.egress) != 0.
            (true, !egress.is_empty())
        } else {
            let mut seen = (false, false);
            for t in types {
                match t.as_str() {
                    Some("Ingress") => seen.0 = true,
                    Some("Egress") => seen.1 = true,
                    other => return Err(format!("policyTypes has an invalid value {other:?}")),
                }
            }
            seen
        };
        Ok(NetworkPolicy {
            object,
            namespace,
            pod_selector,
            ingress_type,
            egress_type,
            ingress,
            egress,
        })
    }

    /// Whether the policy applies to `direction` (its effective `policyTypes`).
    pub fn has_type(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress_type,
            Direction::Egress => self.egress_type,
        }
    }

    /// The rules of `direction` that take effect (none when the type is not listed).
    pub fn rules(&self, direction: Direction) -> &[PolicyRule] {
        match direction {
            Direction::Ingress if self.ingress_type => &self.ingress,
            Direction::Egress if self.egress_type => &self.egress,
            _ => &[],
        }
    }

    /// Whether the policy selects (and so, for its types, isolates) a pod.
    pub fn selects(&self, pod_ns: &str, pod_labels: &[(&str, &str)]) -> bool {
        pod_ns == self.namespace && self.pod_selector.matches(pod_labels)
    }

    /// True when the policy is a namespace-wide default deny for `direction`: it selects
    /// every pod of its namespace (`podSelector: {}`), has the type, and none of its rules
    /// of that direction lets everything through. With no rules it denies everything;
    /// with restricted rules (`to` one namespace, `ports` 53 only) everything else is
    /// denied, which is what a default deny is for.
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.pod_selector.is_empty()
            && self.has_type(direction)
            && !self
                .rules(direction)
                .iter()
                .any(PolicyRule::allows_everything)
    }

    /// Path of a rule, from the object root.
    pub fn rule_path(direction: Direction, rule: &PolicyRule) -> FieldPath {
        FieldPath::root()
            .key("spec")
            .key(direction.field())
            .index(rule.index)
    }

    /// Path of a peer of a rule, from the object root.
    pub fn peer_path(direction: Direction, rule: &PolicyRule, peer: usize) -> FieldPath {
        NetworkPolicy::rule_path(direction, rule)
            .key(direction.peers_field())
            .index(peer)
    }
}

fn parse_rules(spec: Option<Node<'_>>, direction: Direction) -> Result<Vec<PolicyRule>, String> {
    let mut rules = Vec::new();
    let Some(list) = spec.and_then(|s| s.get(direction.field())) else {
        return Ok(rules);
    };
    for (index, rule) in list.items().enumerate() {
        let peers_node = rule.get(direction.peers_field());
        let mut peers = Vec::new();
        for (i, peer) in peers_node.into_iter().flat_map(|p| p.items()).enumerate() {
            peers.push((i, parse_peer(peer)?));
        }
        let ports_restricted = rule
            .get("ports")
            .is_some_and(|p| p.items().next().is_some());
        rules.push(PolicyRule {
            index,
            peers,
            ports_restricted,
            peers_written: peers_node.is_some(),
        });
    }
    Ok(rules)
}

fn parse_peer(peer: Node<'_>) -> Result<Peer, String> {
    let selector = |key: &str| -> Result<Option<LabelSelector>, String> {
        peer.get(key).map(LabelSelector::from_node).transpose()
    };
    let pod_selector = selector("podSelector")?;
    let namespace_selector = selector("namespaceSelector")?;
    match peer.get("ipBlock") {
        Some(block) => {
            if pod_selector.is_some() || namespace_selector.is_some() {
                return Err("a peer may not set ipBlock with another field".to_string());
            }
            let cidr_text = block.str_at("cidr").unwrap_or_default();
            let cidr = Cidr::parse(cidr_text)
                .ok_or_else(|| format!("ipBlock.cidr {cidr_text:?} is not a valid CIDR"))?;
            let mut except = Vec::new();
            for e in block.get("except").into_iter().flat_map(|e| e.items()) {
                let text = e.as_str().unwrap_or_default();
                except.push(
                    Cidr::parse(text)
                        .ok_or_else(|| format!("ipBlock.except {text:?} is not a valid CIDR"))?,
                );
            }
            Ok(Peer::IpBlock {
                cidr,
                cidr_text: cidr_text.to_string(),
                except,
            })
        }
        None if pod_selector.is_none() && namespace_selector.is_none() => {
            Err("a peer must set podSelector, namespaceSelector or ipBlock".to_string())
        }
        None => Ok(Peer::Pods {
            pod_selector,
            namespace_selector,
        }),
    }
}

/// Namespace labels as a namespace selector sees them: the Namespace object's labels from
/// the input, with `kubernetes.io/metadata.name` always set to the name (the API server
/// sets and protects it). A namespace absent from the input has that label only.
pub struct NamespaceLabels<'a> {
    inventory: &'a Inventory,
}

impl<'a> NamespaceLabels<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        NamespaceLabels { inventory }
    }

    pub fn get(&self, namespace: &'a str, key: &str) -> Option<&'a str> {
        if key == NAMESPACE_NAME_LABEL {
            return Some(namespace);
        }
        self.inventory
            .namespace(namespace)?
            .labels()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// A pod (workload) as NetworkPolicies see it: its namespace and labels.
#[derive(Clone, Debug)]
pub struct PodRef<'a> {
    pub object: &'a Object,
    pub namespace: &'a str,
    pub labels: Vec<(&'a str, &'a str)>,
    /// `spec.hostNetwork: true`: NetworkPolicy behaviour is undefined for such pods.
    pub host_network: bool,
    /// Path of the template's labels (where findings about the pod point).
    pub labels_path: FieldPath,
}

/// Every workload of the input that runs pods (the built-in and configured workload kinds;
/// not `PodTemplate`, which runs nothing), with its pod template's labels.
pub fn pods<'a>(
    inventory: &'a Inventory,
    locator: &'a palisade_model::workload::PodSpecLocator,
) -> Vec<PodRef<'a>> {
    inventory
        .objects()
        .iter()
        .filter_map(|o| pod_ref(o, locator))
        .collect()
}

/// The workloads of one namespace, as [`pods`] sees them. Cheap to call once per object:
/// the namespace is compared before any pod template is looked for.
pub fn pods_in<'a>(
    inventory: &'a Inventory,
    locator: &'a palisade_model::workload::PodSpecLocator,
    namespace: &str,
) -> Vec<PodRef<'a>> {
    inventory
        .objects()
        .iter()
        .filter(|o| o.id.effective_namespace() == Some(namespace))
        .filter_map(|o| pod_ref(o, locator))
        .collect()
}

fn pod_ref<'a>(
    o: &'a Object,
    locator: &'a palisade_model::workload::PodSpecLocator,
) -> Option<PodRef<'a>> {
    pod_ref_with(o, locator.pod_template(o)?)
}

/// [`pod_ref`] for an object whose pod template has been found already.
pub(crate) fn pod_ref_with<'a>(o: &'a Object, template: PodTemplate<'a>) -> Option<PodRef<'a>> {
    if !palisade_model::workload::PodSpecLocator::runs_pods(o) {
        return None;
    }
    let labels = template.labels().collect();
    Some(PodRef {
        object: o,
        namespace: o.id.effective_namespace()?,
        labels,
        host_network: template.spec.bool_at("hostNetwork") == Some(true),
        labels_path: template.metadata_path().key("labels"),
    })
}

/// Every valid NetworkPolicy of the input.
pub fn policies(inventory: &Inventory) -> Vec<NetworkPolicy<'_>> {
    inventory
        .of_kind("NetworkPolicy")
        .filter_map(|o| NetworkPolicy::parse(o).ok())
        .collect()
}

/// Whether `pod` is isolated for `direction`: some policy of its namespace with that type
/// selects it.
pub fn is_isolated(policies: &[NetworkPolicy<'_>], pod: &PodRef<'_>, direction: Direction) -> bool {
    policies
        .iter()
        .any(|p| p.has_type(direction) && p.selects(pod.namespace, &pod.labels))
}

/// Whether traffic from pod `src` to pod `dst` is allowed on some port, by the policies of
/// both ends: `dst`'s ingress must allow `src` and `src`'s egress must allow `dst`.
pub fn allows_pod_to_pod(
    policies: &[NetworkPolicy<'_>],
    ns_labels: &NamespaceLabels<'_>,
    src: &PodRef<'_>,
    dst: &PodRef<'_>,
) -> bool {
    let allowed = |direction: Direction, owner: &PodRef<'_>, other: &PodRef<'_>| {
        let mut applicable = policies
            .iter()
            .filter(|p| p.has_type(direction) && p.selects(owner.namespace, &owner.labels))
            .peekable();
        if applicable.peek().is_none() {
            return true; // not isolated
        }
        applicable.any(|p| {
            p.rules(direction).iter().any(|r| {
                r.any_peer()
                    || r.peers.iter().any(|(_, peer)| {
                        peer.selects_pod(p.namespace, other.namespace, &other.labels, ns_labels)
                    })
            })
        })
    };
    allowed(Direction::Ingress, dst, src) && allowed(Direction::Egress, src, dst)
}

/// Whether pod `pod` may send to (egress) or receive from (ingress) address `ip` on some
/// port.
pub fn allows_ip(
    policies: &[NetworkPolicy<'_>],
    pod: &PodRef<'_>,
    direction: Direction,
    ip: IpAddr,
) -> bool {
    let mut applicable = policies
        .iter()
        .filter(|p| p.has_type(direction) && p.selects(pod.namespace, &pod.labels))
        .peekable();
    if applicable.peek().is_none() {
        return true;
    }
    applicable.any(|p| {
        p.rules(direction)
            .iter()
            .any(|r| r.any_peer() || r.peers.iter().any(|(_, peer)| peer.selects_ip(ip)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::Origin;
    use serde_json::json;

    fn inventory(objects: Vec<serde_json::Value>) -> Inventory {
        Inventory::new(
            objects
                .iter()
                .map(|v| Object::from_json(v, Origin::Cluster).unwrap())
                .collect(),
        )
    }

    fn np(ns: &str, name: &str, spec: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn pod(ns: &str, name: &str, labels: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": ns, "labels": labels},
               "spec": {"containers": [{"name": "c", "image": "i"}]}})
    }

    fn ns(name: &str, labels: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
    }

    fn find<'a>(pods: &'a [PodRef<'a>], name: &str) -> &'a PodRef<'a> {
        pods.iter().find(|p| p.object.id.name == name).unwrap()
    }

    #[test]
    fn policy_types_default_like_the_api_server() {
        let inv = inventory(vec![
            np("a", "no-types", json!({"podSelector": {}})),
            np(
                "a",
                "egress-rules",
                json!({"podSelector": {}, "egress": [{}]}),
            ),
            np(
                "a",
                "empty-egress",
                json!({"podSelector": {}, "egress": []}),
            ),
            np(
                "a",
                "explicit-egress",
                json!({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}),
            ),
        ]);
        let p: Vec<_> = policies(&inv);
        assert_eq!(p.len(), 4);
        assert!(p[0].ingress_type && !p[0].egress_type);
        assert!(p[1].ingress_type && p[1].egress_type);
        // `egress: []` has length 0: Egress is not added.
        assert!(p[2].ingress_type && !p[2].egress_type);
        // Ingress rules of a policy that lists only Egress are ignored.
        assert!(!p[3].ingress_type && p[3].egress_type);
        assert!(p[3].rules(Direction::Ingress).is_empty());
        assert!(!p[3].ingress.is_empty());
    }

    #[test]
    fn default_deny_recognises_deny_all_and_restricted_namespace_wide_policies() {
        let inv = inventory(vec![
            np(
                "a",
                "deny-ingress",
                json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
            ),
            np(
                "a",
                "deny-egress-but-dns",
                json!({"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}),
            ),
            np(
                "a",
                "allow-all-ingress",
                json!({"podSelector": {}, "ingress": [{}]}),
            ),
            np(
                "a",
                "allow-from-all-namespaces",
                json!({"podSelector": {},
                "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
            ),
            np(
                "a",
                "not-namespace-wide",
                json!({"podSelector": {"matchLabels": {"app": "x"}}}),
            ),
            np("a", "null-selector", json!({"podSelector": null})),
            np(
                "a",
                "egress-anywhere",
                json!({"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
            ),
            np(
                "a",
                "egress-anywhere-but-metadata",
                json!({"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}]}),
            ),
        ]);
        let p = policies(&inv);
        let deny = |name: &str, d| {
            p.iter()
                .find(|x| x.object.id.name == name)
                .unwrap()
                .is_default_deny(d)
        };
        assert!(deny("deny-ingress", Direction::Ingress));
        assert!(!deny("deny-ingress", Direction::Egress));
        assert!(deny("deny-egress-but-dns", Direction::Egress));
        assert!(!deny("deny-egress-but-dns", Direction::Ingress));
        assert!(!deny("allow-all-ingress", Direction::Ingress));
        assert!(!deny("allow-from-all-namespaces", Direction::Ingress));
        assert!(!deny("not-namespace-wide", Direction::Ingress));
        assert!(deny("null-selector", Direction::Ingress));
        assert!(!deny("egress-anywhere", Direction::Egress));
        assert!(deny("egress-anywhere-but-metadata", Direction::Egress));
    }

    #[test]
    fn peers_select_pods_across_namespaces_exactly() {
        let inv = inventory(vec![
            ns("a", json!({"team": "x"})),
            ns("b", json!({"team": "y"})),
            // "c" is not in the input: it only has the automatic name label.
            pod("a", "a-web", json!({"app": "web"})),
            pod("a", "a-db", json!({"app": "db"})),
            pod("b", "b-web", json!({"app": "web"})),
            pod("c", "c-web", json!({"app": "web"})),
            np(
                "a",
                "db-ingress",
                json!({
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [{"from": [
                        {"podSelector": {"matchLabels": {"app": "web"}}},
                        {"namespaceSelector": {"matchLabels": {"team": "y"}},
                         "podSelector": {"matchLabels": {"app": "web"}}},
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "c"}}}
                    ]}]
                }),
            ),
        ]);
        let pods = pods(&inv, palisade_model::workload::PodSpecLocator::builtin());
        let p = policies(&inv);
        let labels = NamespaceLabels::new(&inv);
        let db = find(&pods, "a-db");
        // podSelector alone: same namespace only.
        assert!(allows_pod_to_pod(&p, &labels, find(&pods, "a-web"), db));
        // namespaceSelector AND podSelector.
        assert!(allows_pod_to_pod(&p, &labels, find(&pods, "b-web"), db));
        // namespaceSelector alone, by the automatic name label.
        assert!(allows_pod_to_pod(&p, &labels, find(&pods, "c-web"), db));
        // a-db itself is not app=web.
        assert!(!allows_pod_to_pod(&p, &labels, db, db));
        // Pods no policy selects are not isolated.
        assert!(allows_pod_to_pod(&p, &labels, db, find(&pods, "a-web")));
        assert!(is_isolated(&p, db, Direction::Ingress));
        assert!(!is_isolated(&p, db, Direction::Egress));
        assert!(!is_isolated(&p, find(&pods, "a-web"), Direction::Ingress));
    }

    #[test]
    fn namespace_selector_with_pod_selector_is_an_and() {
        let inv = inventory(vec![
            ns("b", json!({"team": "y"})),
            pod("b", "b-api", json!({"app": "api"})),
            pod("b", "b-web", json!({"app": "web"})),
            pod("a", "a-web", json!({"app": "web"})),
            pod("a", "target", json!({"app": "t"})),
            np(
                "a",
                "and",
                json!({
                    "podSelector": {"matchLabels": {"app": "t"}},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "y"}},
                                           "podSelector": {"matchLabels": {"app": "web"}}}]}]
                }),
            ),
            np(
                "a",
                "or",
                json!({
                    "podSelector": {"matchLabels": {"app": "t"}},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "none"}}},
                                          {"podSelector": {"matchLabels": {"app": "nothing"}}}]}]
                }),
            ),
        ]);
        let pods = pods(&inv, palisade_model::workload::PodSpecLocator::builtin());
        let p = policies(&inv);
        let labels = NamespaceLabels::new(&inv);
        let t = find(&pods, "target");
        assert!(allows_pod_to_pod(&p, &labels, find(&pods, "b-web"), t));
        assert!(!allows_pod_to_pod(&p, &labels, find(&pods, "b-api"), t));
        // a-web matches the pod selector but a has no team=y label.
        assert!(!allows_pod_to_pod(&p, &labels, find(&pods, "a-web"), t));
    }

    #[test]
    fn empty_from_allows_every_source_and_no_rules_allow_none() {
        let inv = inventory(vec![
            pod("a", "open", json!({"app": "open"})),
            pod("a", "closed", json!({"app": "closed"})),
            pod("z", "other", json!({})),
            np(
                "a",
                "open",
                json!({"podSelector": {"matchLabels": {"app": "open"}},
                                   "ingress": [{"from": []}]}),
            ),
            np(
                "a",
                "closed",
                json!({"podSelector": {"matchLabels": {"app": "closed"}},
                                     "ingress": []}),
            ),
        ]);
        let pods = pods(&inv, palisade_model::workload::PodSpecLocator::builtin());
        let p = policies(&inv);
        let labels = NamespaceLabels::new(&inv);
        let other = find(&pods, "other");
        assert!(allows_pod_to_pod(&p, &labels, other, find(&pods, "open")));
        assert!(!allows_pod_to_pod(
            &p,
            &labels,
            other,
            find(&pods, "closed")
        ));
        let ip = "203.0.113.9".parse().unwrap();
        assert!(allows_ip(&p, find(&pods, "open"), Direction::Ingress, ip));
        assert!(!allows_ip(
            &p,
            find(&pods, "closed"),
            Direction::Ingress,
            ip
        ));
    }

    #[test]
    fn egress_checks_the_source_and_ip_blocks_honour_except() {
        let inv = inventory(vec![
            pod("a", "client", json!({"app": "client"})),
            pod("b", "server", json!({})),
            np(
                "a",
                "egress",
                json!({"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                                   {"ipBlock": {"cidr": "2001:db8::/32"}}]}]}),
            ),
        ]);
        let pods = pods(&inv, palisade_model::workload::PodSpecLocator::builtin());
        let p = policies(&inv);
        let labels = NamespaceLabels::new(&inv);
        let client = find(&pods, "client");
        // ipBlock never selects pods by label.
        assert!(!allows_pod_to_pod(
            &p,
            &labels,
            client,
            find(&pods, "server")
        ));
        let ok = |ip: &str| allows_ip(&p, client, Direction::Egress, ip.parse().unwrap());
        assert!(ok("10.2.3.4"));
        assert!(!ok("10.1.3.4"));
        assert!(!ok("11.0.0.1"));
        assert!(ok("2001:db8::1"));
        assert!(!ok("2001:db9::1"));
    }

    #[test]
    fn invalid_policies_are_not_parsed() {
        let inv = inventory(vec![
            np(
                "a",
                "both",
                json!({"podSelector": {}, "ingress": [{"from": [
                {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}),
            ),
            np(
                "a",
                "empty-peer",
                json!({"podSelector": {}, "ingress": [{"from": [{}]}]}),
            ),
            np(
                "a",
                "bad-cidr",
                json!({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0"}}]}]}),
            ),
            np(
                "a",
                "bad-type",
                json!({"podSelector": {}, "policyTypes": ["ingress"]}),
            ),
            json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                   "metadata": {"name": "calico", "namespace": "a"}, "spec": {}}),
        ]);
        assert!(policies(&inv).is_empty());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(c.is_everything() && c.contains("8.8.8.8".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!(Cidr::parse("::/0").unwrap().is_everything());
        assert!(!Cidr::parse("10.0.0.0/8").unwrap().is_everything());
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0.0/+8").is_none());
        let host = Cidr::parse("169.254.169.254/32").unwrap();
        assert!(host.contains("169.254.169.254".parse().unwrap()));
        assert!(!host.contains("169.254.169.253".parse().unwrap()));
    }
}
