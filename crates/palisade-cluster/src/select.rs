//! Which served resources a cluster scan lists, and which listed objects it leaves to
//! their controller.

use palisade_model::workload::PodSpecLocator;
use palisade_rules::registry;

/// Whether the scan lists the served resource of `kind` in API group `group`: some rule of
/// the registry reads that kind (by its scope or the inputs it declares: a Kubernetes kind,
/// every workload, configured custom workload kinds included, or every kind of a security
/// tool's group). Everything else of Kubernetes itself (events, leases, endpoints,
/// nodes...) is left alone: it is large, changes constantly, and no rule reads it.
pub fn is_listed(group: &str, kind: &str, locator: &PodSpecLocator) -> bool {
    registry::is_read(group, kind, locator)
}

/// Whether `object` (as the API server returned it) is controlled by an object of a kind
/// the scan evaluates through its pod template: a ReplicaSet's Pods, a Deployment's
/// ReplicaSets, a CronJob's Jobs. Such objects repeat their controller's template, so
/// they are left out rather than reported two or three times; a static Pod (owned by its
/// Node) or a Pod of an unknown controller is kept.
pub fn owned_by_listed_controller(object: &serde_json::Value, locator: &PodSpecLocator) -> bool {
    let Some(owners) = object
        .pointer("/metadata/ownerReferences")
        .and_then(|o| o.as_array())
    else {
        return false;
    };
    owners.iter().any(|owner| {
        let controller = owner.get("controller").and_then(|c| c.as_bool()) == Some(true);
        let api_version = owner
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let kind = owner.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        controller && locator.knows(group, kind)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_what_rules_read_and_nothing_else() {
        let locator = PodSpecLocator::builtin();
        assert!(is_listed("", "Pod", locator));
        assert!(is_listed(
            "rbac.authorization.k8s.io",
            "ClusterRole",
            locator
        ));
        assert!(is_listed(
            "security.istio.io",
            "PeerAuthentication",
            locator
        ));
        assert!(!is_listed("", "Event", locator));
        assert!(!is_listed("coordination.k8s.io", "Lease", locator));
        assert!(!is_listed("example.com", "Widget", locator));
        // A custom workload kind, once configured.
        let rollouts = locator
            .clone()
            .with_kind("argoproj.io", "Rollout", "spec.template");
        assert!(!is_listed("argoproj.io", "Rollout", locator));
        assert!(is_listed("argoproj.io", "Rollout", &rollouts));
    }

    #[test]
    fn controlled_objects_are_left_to_their_controller() {
        let locator = PodSpecLocator::builtin();
        let owned = |api_version: &str, kind: &str, controller: bool| {
            json!({"metadata": {"ownerReferences": [
                {"apiVersion": api_version, "kind": kind, "name": "x", "uid": "u", "controller": controller}
            ]}})
        };
        assert!(owned_by_listed_controller(
            &owned("apps/v1", "ReplicaSet", true),
            locator
        ));
        assert!(owned_by_listed_controller(
            &owned("batch/v1", "CronJob", true),
            locator
        ));
        // A static pod's mirror is owned by its Node; an owner that is not the controller
        // does not count; nor does a controller kind without a pod template.
        assert!(!owned_by_listed_controller(
            &owned("v1", "Node", true),
            locator
        ));
        assert!(!owned_by_listed_controller(
            &owned("apps/v1", "ReplicaSet", false),
            locator
        ));
        assert!(!owned_by_listed_controller(
            &owned("example.com/v1", "Widget", true),
            locator
        ));
        assert!(!owned_by_listed_controller(
            &json!({"metadata": {}}),
            locator
        ));
    }
}
