//! The async API against a real kube-apiserver (scripts/testcluster): collection inside a
//! tokio runtime equals the blocking call, and the watch keeps an inventory current
//! (created, modified and deleted objects, Secrets as metadata only, objects a workload
//! controls left out), recovering when its connections break and when the version it
//! resumes from is gone.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::{Client, Resource};
use palisade_cluster::{Cluster, ClusterOptions, Collected, Progress, Snapshot, Watch};
use palisade_model::Object;
use palisade_model::workload::PodSpecLocator;
use palisade_testkit::TestCluster;
use serde_json::{Value, json};

const NS: &str = "watched";
const LEGACY_TOKEN: &str = "kubernetes.io/service-account-token";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn options(kubeconfig: &str) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(kubeconfig.into()),
        ..ClusterOptions::default()
    }
}

fn locator() -> &'static PodSpecLocator {
    PodSpecLocator::builtin()
}

/// The API of kind `K`, in namespace `ns` or cluster-wide.
fn api<K: Resource<DynamicType = ()>>(client: &Client, ns: Option<&str>) -> Api<DynamicObject> {
    let ar = ApiResource::erase::<K>(&());
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

async fn create<K: Resource<DynamicType = ()>>(client: &Client, object: Value) -> DynamicObject {
    let ns = object["metadata"]["namespace"].as_str().map(str::to_string);
    let object: DynamicObject = serde_json::from_value(object).unwrap();
    api::<K>(client, ns.as_deref())
        .create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|e| panic!("creating {:?}: {e}", object.metadata.name))
}

async fn patch<K: Resource<DynamicType = ()>>(client: &Client, name: &str, merge: Value) {
    api::<K>(client, Some(NS))
        .patch(name, &PatchParams::default(), &Patch::Merge(merge))
        .await
        .unwrap();
}

async fn delete<K: Resource<DynamicType = ()>>(client: &Client, name: &str) {
    api::<K>(client, Some(NS))
        .delete(name, &DeleteParams::default())
        .await
        .unwrap();
}

fn config_map(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "data": {"mode": name}})
}

fn secret(name: &str, type_: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": NS,
            "annotations": {"kubernetes.io/service-account.name": "builder"}},
        "type": type_,
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"token": "s3cr3t-value"}})
}

/// What a Deployment's controller would create (none runs here): a ReplicaSet it
/// controls, repeating its template.
fn replica_set(name: &str, controlled: bool) -> Value {
    let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}});
    if controlled {
        rs["metadata"]["ownerReferences"] = deployment_owner();
    }
    rs
}

fn deployment_owner() -> Value {
    json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
        "uid": "00000000-0000-0000-0000-000000000001", "controller": true}])
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}})
}

/// The objects of the test namespace and the cluster's, as created before any read.
async fn create_fixtures(client: &Client) {
    create::<Namespace>(client, json!({"metadata": {"name": NS}})).await;
    create::<ConfigMap>(client, config_map("settings", json!({"tier": "a"}))).await;
    create::<ConfigMap>(client, config_map("doomed", json!({}))).await;
    create::<Secret>(client, secret("db", "Opaque")).await;
    create::<Secret>(client, secret("builder-token", LEGACY_TOKEN)).await;
    create::<Deployment>(
        client,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}}),
    )
    .await;
    create::<ReplicaSet>(client, replica_set("web-5d9f", true)).await;
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> Option<&'a Object> {
    objects
        .iter()
        .find(|o| o.id.kind == kind && o.id.namespace.as_deref() == Some(NS) && o.id.name == name)
}

fn json_of(objects: &[Object], kind: &str, name: &str) -> Option<Value> {
    find(objects, kind, name).map(|o| o.root().to_json())
}

fn all_json(objects: &[Object]) -> Vec<Value> {
    objects.iter().map(|o| o.root().to_json()).collect()
}

/// Collections of one cluster read twice with nothing changed in between are equal.
fn assert_same_collection(a: &Collected, b: &Collected) {
    assert_eq!(all_json(&a.objects), all_json(&b.objects));
    assert_eq!(a.unlisted, b.unlisted);
    assert_eq!(
        (a.resources, a.requests, a.left_to_controller),
        (b.resources, b.requests, b.left_to_controller)
    );
    assert_eq!(
        (&a.server, &a.server_version),
        (&b.server, &b.server_version)
    );
}

/// The watch's snapshot once `test` holds; fails after `within`. Waits on the watch's
/// change notifications, never on a fixed sleep.
async fn until(
    watch: &Watch,
    within: Duration,
    what: &str,
    test: impl Fn(&Snapshot) -> bool,
) -> Snapshot {
    let mut changes = watch.changes();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let snapshot = watch.snapshot();
        if test(&snapshot) {
            return snapshot;
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            panic!(
                "{what}: not seen within {within:?} (stats {:?})",
                watch.stats()
            );
        }
    }
}

async fn ready(watch: &Watch) -> Snapshot {
    tokio::time::timeout(Duration::from_secs(30), watch.ready())
        .await
        .expect("every resource type listed within 30 s");
    watch.snapshot()
}

#[test]
fn async_collection_and_watch_read_what_the_blocking_collection_reads() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let admin = cluster.var("KUBECONFIG_ADMIN").to_string();
    let restricted = cluster.var("KUBECONFIG_RESTRICTED").to_string();
    let group = cluster.var("RESTRICTED_GROUP").to_string();
    let rt = runtime();
    rt.block_on(async {
        let client = Cluster::connect(&options(&admin)).await.unwrap().client().clone();
        create_fixtures(&client).await;
        // The restricted user may read ConfigMaps and nothing else.
        create::<ClusterRole>(
            &client,
            json!({"metadata": {"name": "configmap-reader"},
                "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list", "watch"]}]}),
        )
        .await;
        create::<ClusterRoleBinding>(
            &client,
            json!({"metadata": {"name": "configmap-reader"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "configmap-reader"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]}),
        )
        .await;
    });

    for kubeconfig in [&admin, &restricted] {
        // Blocking, on its own runtime (outside any other), as the CLI calls it.
        let blocking = palisade_cluster::collect(&options(kubeconfig), locator(), &|_| {}).unwrap();
        let (listed, collected, snapshot) = rt.block_on(async {
            let cluster = Cluster::connect(&options(kubeconfig)).await.unwrap();
            // A task of a multi-threaded runtime, as in a server.
            let listed = Arc::new(AtomicUsize::new(0));
            let discovered = Arc::new(AtomicUsize::new(0));
            let task = {
                let (cluster, listed, discovered) = (
                    cluster.clone(),
                    Arc::clone(&listed),
                    Arc::clone(&discovered),
                );
                tokio::spawn(async move {
                    let progress = |p: Progress| match p {
                        Progress::Discovered { resources } => {
                            discovered.store(resources, Ordering::SeqCst)
                        }
                        Progress::Listed { .. } => {
                            listed.fetch_add(1, Ordering::SeqCst);
                        }
                    };
                    cluster.collect(locator(), &progress).await
                })
            };
            let collected = task.await.unwrap();
            assert_eq!(
                listed.load(Ordering::SeqCst),
                discovered.load(Ordering::SeqCst)
            );
            let watch = cluster.watch(locator());
            let snapshot = ready(&watch).await;
            (listed.load(Ordering::SeqCst), collected, snapshot)
        });
        assert_same_collection(&blocking, &collected);
        assert_eq!(listed, collected.resources + collected.unlisted.len());
        // The watch's first lists read the same objects.
        assert_eq!(all_json(&snapshot.objects), all_json(&collected.objects));
        assert_eq!(snapshot.facts.unlisted, collected.unlisted);
        assert!(snapshot.facts.complete);

        let settings = json_of(&collected.objects, "ConfigMap", "settings").unwrap();
        assert_eq!(settings["metadata"]["labels"]["tier"], "a");
        assert_eq!(settings["apiVersion"], "v1");
        if kubeconfig == &admin {
            assert!(collected.unlisted.is_empty(), "{:?}", collected.unlisted);
            assert!(collected.resources >= 20, "{}", collected.resources);
            assert!(collected.objects.len() > 100, "{}", collected.objects.len());
            assert!(find(&collected.objects, "ReplicaSet", "web-5d9f").is_none());
            assert_eq!(collected.left_to_controller, 1);
            let db = json_of(&collected.objects, "Secret", "db").unwrap();
            assert!(db.get("data").is_none() && db.get("type").is_none(), "{db}");
            let token = json_of(&collected.objects, "Secret", "builder-token").unwrap();
            assert_eq!(token["type"], LEGACY_TOKEN);
            assert!(token.get("data").is_none(), "{token}");
        } else {
            // Forbidden types are reported, never read as empty.
            let kinds: Vec<(&str, &str)> = collected
                .unlisted
                .iter()
                .map(|u| (u.resource.as_str(), u.reason.as_str()))
                .collect();
            assert!(kinds.contains(&("secrets", "forbidden")), "{kinds:?}");
            assert!(kinds.contains(&("clusterrolebindings", "forbidden")));
            assert!(!kinds.iter().any(|(r, _)| *r == "configmaps"));
            assert!(collected.objects.iter().all(|o| o.id.kind == "ConfigMap"));
        }
    }
}

#[test]
fn watch_keeps_the_inventory_current() {
    let Some(cluster) = TestCluster::start() else {
        return;
    };
    let admin = cluster.var("KUBECONFIG_ADMIN").to_string();
    runtime().block_on(async {
        let cluster = Cluster::connect(&options(&admin)).await.unwrap();
        let client = cluster.client().clone();
        create_fixtures(&client).await;
        let before = cluster.collect(locator(), &|_| {}).await;
        let watch = cluster.watch(locator());
        let first = ready(&watch).await;
        assert!(
            first.facts.unlisted.is_empty(),
            "{:?}",
            first.facts.unlisted
        );
        // One list per type, two for Secrets (tokens and the rest).
        let feeds = before.resources as u64 + 1;
        assert_eq!(watch.stats().lists, feeds, "{:?}", watch.stats());
        assert!(json_of(&first.objects, "ConfigMap", "doomed").is_some());
        assert!(find(&first.objects, "ReplicaSet", "web-5d9f").is_none());
        let within = Duration::from_secs(10);

        // Created.
        create::<ConfigMap>(&client, config_map("fresh", json!({"new": "yes"}))).await;
        let snapshot = until(&watch, within, "created ConfigMap", |s| {
            json_of(&s.objects, "ConfigMap", "fresh").is_some()
        })
        .await;
        let fresh = json_of(&snapshot.objects, "ConfigMap", "fresh").unwrap();
        assert_eq!(fresh["data"]["mode"], "fresh");
        assert_eq!(fresh["metadata"]["labels"]["new"], "yes");
        assert!(fresh["metadata"].get("managedFields").is_none());
        assert!(snapshot.generation > first.generation);

        // Modified.
        patch::<ConfigMap>(
            &client,
            "settings",
            json!({"metadata": {"labels": {"tier": "b"}}}),
        )
        .await;
        until(&watch, within, "label change", |s| {
            json_of(&s.objects, "ConfigMap", "settings")
                .is_some_and(|o| o["metadata"]["labels"]["tier"] == "b")
        })
        .await;

        // Deleted.
        delete::<ConfigMap>(&client, "doomed").await;
        until(&watch, within, "deleted ConfigMap gone", |s| {
            json_of(&s.objects, "ConfigMap", "doomed").is_none()
        })
        .await;

        // Secrets, listed before and watched after: metadata only, tokens typed.
        create::<Secret>(&client, secret("api-key", "Opaque")).await;
        create::<Secret>(&client, secret("late-token", LEGACY_TOKEN)).await;
        let snapshot = until(&watch, within, "created Secrets", |s| {
            json_of(&s.objects, "Secret", "api-key").is_some()
                && json_of(&s.objects, "Secret", "late-token").is_some()
        })
        .await;
        for (name, type_) in [
            ("db", None),
            ("api-key", None),
            ("builder-token", Some(LEGACY_TOKEN)),
            ("late-token", Some(LEGACY_TOKEN)),
        ] {
            let secret = json_of(&snapshot.objects, "Secret", name).unwrap();
            assert!(
                secret.get("data").is_none() && secret.get("stringData").is_none(),
                "{secret}"
            );
            assert_eq!(secret["metadata"]["name"], name);
            assert_eq!(
                secret.get("type").and_then(Value::as_str),
                type_,
                "{secret}"
            );
            assert!(!secret.to_string().contains("s3cr3t-value"), "{secret}");
        }

        // A ReplicaSet a Deployment controls is left to it; one that comes under its
        // control later leaves the inventory. Events of one type arrive in order, so once
        // "standalone" is seen, "web-7c4b" (created before it) has been applied too.
        create::<ReplicaSet>(&client, replica_set("web-7c4b", true)).await;
        create::<ReplicaSet>(&client, replica_set("standalone", false)).await;
        let snapshot = until(&watch, within, "unowned ReplicaSet", |s| {
            json_of(&s.objects, "ReplicaSet", "standalone").is_some()
        })
        .await;
        assert!(find(&snapshot.objects, "ReplicaSet", "web-7c4b").is_none());
        assert!(json_of(&snapshot.objects, "Deployment", "web").is_some());
        patch::<ReplicaSet>(
            &client,
            "standalone",
            json!({"metadata": {"ownerReferences": deployment_owner()}}),
        )
        .await;
        until(
            &watch,
            within,
            "ReplicaSet taken over by a Deployment",
            |s| find(&s.objects, "ReplicaSet", "standalone").is_none(),
        )
        .await;

        // Nothing relisted, nothing failed: the changes came by the watches.
        let stats = watch.stats();
        assert_eq!(stats.lists, feeds, "{stats:?}");
        assert_eq!((stats.list_failures, stats.expired), (0, 0), "{stats:?}");
        assert!(stats.events >= 8, "{stats:?}");

        // The snapshot is what a collection reads now.
        let now = cluster.collect(locator(), &|_| {}).await;
        let snapshot = watch.snapshot();
        assert_eq!(all_json(&snapshot.objects), all_json(&now.objects));
        let inventory = snapshot.inventory();
        assert!(inventory.facts().complete && inventory.facts().unlisted.is_empty());
        assert_eq!(inventory.len(), now.objects.len());
    });
}

/// A TCP relay to the API server whose connections the test can cut, and which can
/// refuse new ones: TLS runs end to end through it, the certificates still verify.
struct Relay {
    addr: SocketAddr,
    open: Arc<Mutex<Vec<TcpStream>>>,
    refusing: Arc<AtomicBool>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay = Relay {
            addr: listener.local_addr().unwrap(),
            open: Arc::default(),
            refusing: Arc::default(),
        };
        let (open, refusing) = (Arc::clone(&relay.open), Arc::clone(&relay.refusing));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if refusing.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut open = open.lock().unwrap();
                open.extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        relay
    }

    /// Closes every connection made so far.
    fn cut(&self) {
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
        if refusing {
            self.cut();
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// Compacts etcd's history up to `revision`: a watch resuming from before it gets 410
/// Gone (the API server's watch cache is off in this test, so watches read etcd).
fn compact_etcd(etcd_url: &str, revision: &str) {
    let out = Command::new("curl")
        .args(["-sS", "--fail", "-X", "POST"])
        .arg(format!("{etcd_url}/v3/kv/compaction"))
        .arg("-d")
        .arg(format!(r#"{{"revision": "{revision}", "physical": true}}"#))
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("header"),
        "etcd compaction: {out:?}"
    );
}

/// Creates ConfigMap `name` and waits until the watch has it.
async fn created_and_seen(client: &Client, watch: &Watch, name: &str) {
    create::<ConfigMap>(client, config_map(name, json!({}))).await;
    until(watch, Duration::from_secs(20), name, |s| {
        json_of(&s.objects, "ConfigMap", name).is_some()
    })
    .await;
}

#[test]
fn watch_recovers_when_its_connections_break_and_its_version_is_gone() {
    let Some(cluster) = TestCluster::start_with(&["--watch-cache=false"]) else {
        return;
    };
    let admin = cluster.var("KUBECONFIG_ADMIN").to_string();
    let server = cluster.var("APISERVER_URL").to_string();
    let etcd = cluster.var("ETCD_URL").to_string();
    let relay = Relay::start(server.trim_start_matches("https://").parse().unwrap());
    let relayed = format!("{}/relayed.kubeconfig", cluster.var("RUN_DIR"));
    let kubeconfig = std::fs::read_to_string(&admin).unwrap();
    assert!(kubeconfig.contains(&server));
    std::fs::write(
        &relayed,
        kubeconfig.replace(&server, &format!("https://{}", relay.addr)),
    )
    .unwrap();

    runtime().block_on(async {
        let client = Cluster::connect(&options(&admin))
            .await
            .unwrap()
            .client()
            .clone();
        create::<Namespace>(&client, json!({"metadata": {"name": NS}})).await;
        create::<ConfigMap>(&client, config_map("before", json!({"tier": "a"}))).await;
        let watch = Cluster::connect(&options(&relayed))
            .await
            .unwrap()
            .watch(locator());
        let first = ready(&watch).await;
        assert!(
            first.facts.unlisted.is_empty(),
            "{:?}",
            first.facts.unlisted
        );
        assert!(json_of(&first.objects, "ConfigMap", "before").is_some());
        let listed = watch.stats();

        // Connections cut: every watch resumes from the version it had, no relist.
        relay.cut();
        created_and_seen(&client, &watch, "after-cut").await;
        let resumed = watch.stats();
        assert!(resumed.watches > listed.watches, "{resumed:?}");
        assert_eq!(resumed.lists, listed.lists, "{resumed:?}");

        // An outage during which etcd forgets the history the watches would resume
        // from: they get 410 Gone and relist, and the relist shows what changed,
        // deletions included.
        relay.refuse(true);
        create::<ConfigMap>(&client, config_map("during-outage", json!({}))).await;
        delete::<ConfigMap>(&client, "after-cut").await;
        patch::<ConfigMap>(
            &client,
            "before",
            json!({"metadata": {"labels": {"tier": "b"}}}),
        )
        .await;
        let revision = api::<ConfigMap>(&client, Some(NS))
            .list_metadata(&ListParams::default().limit(1))
            .await
            .unwrap()
            .metadata
            .resource_version
            .unwrap();
        compact_etcd(&etcd, &revision);
        let outage = Instant::now();
        relay.refuse(false);
        let snapshot = until(
            &watch,
            Duration::from_secs(60),
            "changes made during the outage",
            |s| {
                json_of(&s.objects, "ConfigMap", "during-outage").is_some()
                    && json_of(&s.objects, "ConfigMap", "after-cut").is_none()
                    && json_of(&s.objects, "ConfigMap", "before")
                        .is_some_and(|o| o["metadata"]["labels"]["tier"] == "b")
            },
        )
        .await;
        eprintln!("recovered {:?} after the outage", outage.elapsed());
        assert!(
            snapshot.facts.unlisted.is_empty(),
            "{:?}",
            snapshot.facts.unlisted
        );
        let relisted = watch.stats();
        assert!(relisted.expired > 0, "{relisted:?}");
        assert!(relisted.lists > resumed.lists, "{relisted:?}");

        // And it goes on watching.
        created_and_seen(&client, &watch, "after-recovery").await;
    });
}
