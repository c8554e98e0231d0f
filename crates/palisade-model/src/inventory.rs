//! The inventory: every object of one evaluation, indexed for cross-object rules, with the
//! facts its source knows about it (whether it is the whole configuration, which resource
//! types it could not include).

use std::collections::HashMap;

use crate::object::Object;

/// All objects of a scan (files, a cluster listing, or an admission request plus what the
/// webhook has cached). Rules that relate objects (a workload and its namespace, a binding
/// and its role) look each other up here.
#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    facts: InputFacts,
}

/// What the source of an inventory knows about it beyond its objects. These travel with
/// the input, not with the settings: a file scan learns them from its configuration
/// (`completeInventory`), a cluster scan from what it could list, an admission webhook from
/// its cache.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputFacts {
    /// The input is the cluster's whole configuration (a platform repository, a live
    /// cluster): only then can a rule conclude that something is absent (no runtime agent,
    /// no policy engine, a role nobody binds). On partial input (an application's
    /// manifests) such rules are not evaluated.
    pub complete: bool,
    /// Resource types the source could not include (a cluster scan forbidden to list
    /// them, or an error). Rules that read them are "not evaluated", never passed, and
    /// nothing is concluded from an absence while any is missing.
    pub unlisted: Vec<Unlisted>,
}

/// A resource type the input could not include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unlisted {
    /// `apps/v1`, `v1`.
    pub api_version: String,
    pub kind: String,
    /// The plural resource name (`deployments`).
    pub resource: String,
    /// The namespace the list was for, when the scan was limited to one.
    pub namespace: Option<String>,
    /// `forbidden`, or the error met.
    pub reason: String,
}

impl Unlisted {
    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// `deployments.apps (forbidden)`.
    pub fn describe(&self) -> String {
        let group = self.group();
        let resource = if group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{group}", self.resource)
        };
        match &self.namespace {
            Some(ns) => format!("{resource} in namespace {ns} ({})", self.reason),
            None => format!("{resource} ({})", self.reason),
        }
    }
}

impl Inventory {
    pub fn new(objects: Vec<Object>) -> Self {
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            // Look up before inserting: one String per kind, not per object.
            match by_kind.get_mut(o.kind()) {
                Some(list) => list.push(i),
                None => {
                    by_kind.insert(o.id.kind.clone(), vec![i]);
                }
            }
        }
        Inventory {
            objects,
            by_kind,
            facts: InputFacts::default(),
        }
    }

    /// The inventory with what its source knows about it.
    pub fn with_facts(mut self, facts: InputFacts) -> Self {
        self.facts = facts;
        self
    }

    /// The inventory declared the whole configuration (or not), other facts unchanged.
    pub fn complete(mut self, complete: bool) -> Self {
        self.facts.complete = complete;
        self
    }

    pub fn facts(&self) -> &InputFacts {
        &self.facts
    }

    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The kinds of the input, in no particular order.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.by_kind.keys().map(String::as_str)
    }

    /// Positions (in [`Inventory::objects`]) of the objects of `kind`, in input order.
    pub fn positions_of_kind(&self, kind: &str) -> &[usize] {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.objects[i])
    }

    /// The `Namespace` object called `name`, if the input has one (the last one wins, as a
    /// later `kubectl apply` would).
    pub fn namespace(&self, name: &str) -> Option<&Object> {
        self.of_kind("Namespace")
            .filter(|o| o.id.api_version == "v1" && o.id.name == name)
            .last()
    }
}
