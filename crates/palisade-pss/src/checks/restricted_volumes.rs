//! `restrictedVolumes` (restricted, v1.0; replaces `hostPathVolumes`): only the listed
//! volume sources. `image` is allowed at every version, as in upstream since Kubernetes 1.33.
//! A volume with no source is judged as the `emptyDir` the API server defaults it to.

use std::collections::BTreeSet;

use palisade_model::defaults::volume_defaults_to_empty_dir;

use super::Forbidden;
use crate::message::{join_quote, pluralize};
use crate::pod::PodView;

const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The name upstream reports for a forbidden source: the first of these that is set.
const NAMED: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

pub(crate) fn check(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, volume) in pod.volumes().enumerate() {
        // A volume without a source is an emptyDir by the time admission sees it.
        if ALLOWED.iter().any(|s| volume.get(s).is_some()) || volume_defaults_to_empty_dir(volume) {
            continue;
        }
        names.push(volume.str_at("name").unwrap_or(""));
        let path = pod.spec_path().key("volumes").index(i);
        match NAMED.iter().find(|s| volume.get(s).is_some()) {
            Some(&source) => {
                types.insert(source);
                fields.push(path.key(source));
            }
            None => {
                types.insert("unknown");
                fields.push(path);
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    let types: Vec<&str> = types.into_iter().collect();
    Some(Forbidden::new(
        "restricted volume types",
        format!(
            "{} {} {} {} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names),
            pluralize("uses", "use", names.len()),
            pluralize(
                "restricted volume type",
                "restricted volume types",
                types.len()
            ),
            join_quote(&types)
        ),
        fields,
    ))
}
