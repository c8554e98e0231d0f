//! The inventory: every object of one evaluation, indexed for cross-object rules.

use std::collections::HashMap;

use crate::object::Object;

/// All objects of a scan (files, a cluster listing, or an admission request plus what the
/// webhook has cached). Rules that relate objects (a workload and its namespace, a binding
/// and its role) look each other up here.
#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
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
        Inventory { objects, by_kind }
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
