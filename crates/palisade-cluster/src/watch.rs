//! The watch: the inventory of a cluster kept current, for a long-running server (the
//! admission webhook, `palisade monitor`).
//!
//! Each query of each resource type the scan reads (one, or two for Secrets) is a feed: a
//! task that lists the type page by page ([`Query::all_pages`], as collection does), then
//! watches it from the list's resourceVersion with bookmarks, applying every added,
//! modified and deleted object to its store (keyed by namespace and name) with the same
//! conversion and filters as collection. A watch the server ends is resumed from the last
//! version seen; one it answers with 410 Gone (that version is no longer kept) is followed
//! by a relist that replaces the store; errors are retried with exponential backoff.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use kube::core::Status;
use palisade_model::workload::PodSpecLocator;
use palisade_model::{InputFacts, Inventory, Object};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::Cluster;
use crate::collect::{sort_objects, sort_unlisted};
use crate::list::{Kept, Query, Target, describe, metadata_value, object_value};

/// An inventory of the cluster kept current by watches, from [`Cluster::watch`]. Its tasks
/// run on the tokio runtime it was made in and stop when it is dropped.
pub struct Watch {
    shared: Arc<Shared>,
    _tasks: JoinSet<()>,
}

/// What the watch holds at one moment: every object of every resource type listed, as
/// [`Cluster::collect`] would have read them then.
#[derive(Debug)]
pub struct Snapshot {
    /// Counts the changes applied: equal generations, equal contents.
    pub generation: u64,
    /// Sorted by group, kind, namespace and name, as [`Collected::objects`](crate::Collected).
    pub objects: Vec<Object>,
    /// Complete unless the watch is limited to a namespace; the types not listed (their
    /// list failed, forbidden or otherwise, and no list has succeeded since; or they are
    /// not listed yet, before [`Watch::ready`]).
    pub facts: InputFacts,
}

impl Snapshot {
    /// The snapshot as an inventory, facts included.
    pub fn inventory(self) -> Inventory {
        Inventory::new(self.objects).with_facts(self.facts)
    }
}

/// Counters of a watch's work, for a server's metrics and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WatchStats {
    /// Lists completed: the first of each query, and every relist.
    pub lists: u64,
    /// Lists that failed (the type is then not listed until a list succeeds).
    pub list_failures: u64,
    /// Watch requests made.
    pub watches: u64,
    /// Watches that ended on an error: the connection lost, an error from the server,
    /// or nothing heard for longer than the server's watch timeout.
    pub watch_failures: u64,
    /// Watches the server answered with 410 Gone (the version they resume from is no
    /// longer kept): each is followed by a relist.
    pub expired: u64,
    /// Added, modified and deleted events applied.
    pub events: u64,
}

/// How long the server keeps one watch open (it then ends it, and the watch resumes).
const WATCH_TIMEOUT: Duration = Duration::from_secs(290);
/// Nothing heard for this long (not even the end of the watch): the connection is dead.
const SILENCE: Duration = Duration::from_secs(305);
/// A watch that lasted this long was healthy: the backoff starts over.
const HEALTHY: Duration = Duration::from_secs(10);
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(30);

impl Cluster {
    /// Starts watching every resource type [`Cluster::collect`] would list: the first
    /// lists run at once, [`ClusterOptions::concurrency`](crate::ClusterOptions) at a
    /// time; [`Watch::ready`] says when each type has been listed (or failed to be).
    /// Types the server cannot watch are reported not listed. The types are those
    /// [`Cluster::connect`] discovered: one served later (a CRD installed since) needs a
    /// watch of a new `Cluster`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (its tasks are spawned on the current one).
    pub fn watch(&self, locator: &PodSpecLocator) -> Watch {
        let namespace = self.options().namespace.clone();
        let targets: Vec<TargetState> = self
            .targets(locator)
            .into_iter()
            .map(|target| TargetState {
                feeds: target
                    .queries()
                    .iter()
                    .map(|_| Feed {
                        status: if target.watchable {
                            FeedStatus::Pending
                        } else {
                            FeedStatus::Failed("the server does not serve watch for it".into())
                        },
                        objects: HashMap::new(),
                    })
                    .collect(),
                target,
            })
            .collect();
        let pending = targets
            .iter()
            .flat_map(|t| &t.feeds)
            .filter(|f| matches!(f.status, FeedStatus::Pending))
            .count();
        let mut tasks = Vec::new();
        for (t, state) in targets.iter().enumerate() {
            if !state.target.watchable {
                continue;
            }
            for (q, query) in state.target.queries().iter().enumerate() {
                tasks.push((t, q, query, state.target.clone()));
            }
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                generation: 0,
                namespace,
                targets,
                pending,
                stats: WatchStats::default(),
            }),
            changes: watch::Sender::new(0),
        });
        let lists = Arc::new(Semaphore::new(self.options().concurrency()));
        let locator = Arc::new(locator.clone());
        let mut set = JoinSet::new();
        for (t, q, query, target) in tasks {
            let feed = FeedTask {
                shared: Arc::clone(&shared),
                target: t,
                query_index: q,
                query,
                api: target.api(self.client().clone(), self.options().namespace.as_deref()),
                target_type: target,
                locator: Arc::clone(&locator),
                page: self.options().page_size(),
                lists: Arc::clone(&lists),
            };
            set.spawn(feed.run());
        }
        Watch {
            shared,
            _tasks: set,
        }
    }
}

impl Watch {
    /// Returns once every resource type has been listed, or its list has failed (it is
    /// then in the snapshot's unlisted types, and retried).
    pub async fn ready(&self) {
        let mut changes = self.shared.changes.subscribe();
        while self.shared.lock().pending > 0 {
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// The objects now, and the types not listed.
    pub fn snapshot(&self) -> Snapshot {
        let (generation, mut objects, mut unlisted, complete) = {
            let state = self.shared.lock();
            let mut objects = Vec::new();
            let mut unlisted = Vec::new();
            for t in &state.targets {
                match t.feeds.iter().find_map(|f| f.status.reason()) {
                    Some(reason) => unlisted.push(
                        t.target
                            .unlisted(state.namespace.as_deref(), reason.to_string()),
                    ),
                    None => {
                        objects.extend(t.feeds.iter().flat_map(|f| f.objects.values().cloned()))
                    }
                }
            }
            (
                state.generation,
                objects,
                unlisted,
                state.namespace.is_none(),
            )
        };
        sort_objects(&mut objects);
        sort_unlisted(&mut unlisted);
        Snapshot {
            generation,
            objects,
            facts: InputFacts { complete, unlisted },
        }
    }

    /// [`Watch::snapshot`] as an inventory.
    pub fn inventory(&self) -> Inventory {
        self.snapshot().inventory()
    }

    /// The generation, changed with every change applied (a list, a failure, an event).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    pub fn stats(&self) -> WatchStats {
        self.shared.lock().stats
    }
}

struct Shared {
    state: Mutex<State>,
    changes: watch::Sender<u64>,
}

struct State {
    generation: u64,
    namespace: Option<String>,
    targets: Vec<TargetState>,
    /// Feeds not yet listed nor failed.
    pending: usize,
    stats: WatchStats,
}

struct TargetState {
    target: Target,
    /// One per query of the target.
    feeds: Vec<Feed>,
}

struct Feed {
    status: FeedStatus,
    /// By namespace (empty for cluster-scoped objects) and name.
    objects: HashMap<(String, String), Object>,
}

enum FeedStatus {
    Pending,
    Listed,
    Failed(String),
}

impl FeedStatus {
    /// Why the feed's type is not listed, if it is not.
    fn reason(&self) -> Option<&str> {
        match self {
            FeedStatus::Pending => Some("not listed yet"),
            FeedStatus::Listed => None,
            FeedStatus::Failed(reason) => Some(reason),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a change to feed `q` of target `t` and announces the new generation.
    fn change(&self, t: usize, q: usize, f: impl FnOnce(&mut Feed, &mut WatchStats)) {
        let generation = {
            let mut state = self.lock();
            let state = &mut *state;
            let feed = &mut state.targets[t].feeds[q];
            if matches!(feed.status, FeedStatus::Pending) {
                state.pending -= 1;
            }
            f(feed, &mut state.stats);
            state.generation += 1;
            state.generation
        };
        self.changes.send_replace(generation);
    }

    fn count(&self, f: impl FnOnce(&mut WatchStats)) {
        f(&mut self.lock().stats);
    }
}

/// One query of one resource type, listed then watched for as long as the [`Watch`] lives.
struct FeedTask {
    shared: Arc<Shared>,
    target: usize,
    query_index: usize,
    query: &'static Query,
    api: Api<DynamicObject>,
    target_type: Target,
    locator: Arc<PodSpecLocator>,
    page: u32,
    /// Lists in flight at once, across feeds.
    lists: Arc<Semaphore>,
}

/// How a watch ended.
enum End {
    /// The server ended it (its timeout): resumed at once.
    Closed,
    /// 410 Gone: relisted.
    Expired,
    Failed,
}

/// A watch event, the object as JSON.
enum Change {
    Apply(Value),
    Delete(Value),
    Bookmark(String),
    Error(Box<Status>),
}

impl FeedTask {
    async fn run(self) {
        let mut backoff = Backoff::new();
        loop {
            let Some(mut version) = self.list(&mut backoff).await else {
                continue;
            };
            loop {
                let started = Instant::now();
                let end = self.watch(&mut version).await;
                let healthy = started.elapsed() >= HEALTHY;
                if healthy {
                    backoff.reset();
                }
                match end {
                    End::Expired => {
                        self.shared.count(|s| s.expired += 1);
                        break;
                    }
                    End::Closed if healthy => {}
                    End::Closed => backoff.wait().await,
                    End::Failed => {
                        self.shared.count(|s| s.watch_failures += 1);
                        backoff.wait().await;
                    }
                }
            }
        }
    }

    /// Lists the query and replaces the store with what it read. Returns the version to
    /// watch from, or `None` after a failure (and its backoff).
    async fn list(&self, backoff: &mut Backoff) -> Option<String> {
        let listed = {
            let _permit = self.lists.acquire().await;
            let mut objects = HashMap::new();
            let mut requests = 0;
            self.query
                .all_pages(&self.api, self.page, &mut requests, |item| {
                    let key = key(&item);
                    if let Kept::Object(object) = self.keep(item) {
                        objects.insert(key, object);
                    }
                })
                .await
                .map(|version| (version, objects))
        };
        match listed {
            Ok((version, objects)) => {
                self.shared
                    .change(self.target, self.query_index, |feed, stats| {
                        feed.objects = objects;
                        feed.status = FeedStatus::Listed;
                        stats.lists += 1;
                    });
                backoff.reset();
                Some(version)
            }
            Err(error) => {
                let reason = describe(error);
                self.shared
                    .change(self.target, self.query_index, |feed, stats| {
                        feed.objects = HashMap::new();
                        feed.status = FeedStatus::Failed(reason);
                        stats.list_failures += 1;
                    });
                backoff.wait().await;
                None
            }
        }
    }

    /// One watch request from `version`, applying its events, until it ends; `version`
    /// follows the events and bookmarks.
    async fn watch(&self, version: &mut String) -> End {
        self.shared.count(|s| s.watches += 1);
        let mut events = match self.events(version).await {
            Ok(events) => events,
            Err(error) => return end_of(&error),
        };
        loop {
            let change = match tokio::time::timeout(SILENCE, events.next()).await {
                Err(_) => return End::Failed,
                Ok(None) => return End::Closed,
                Ok(Some(Err(error))) => return end_of(&error),
                Ok(Some(Ok(change))) => change,
            };
            let (item, deleted) = match change {
                Change::Apply(item) => (item, false),
                Change::Delete(item) => (item, true),
                Change::Bookmark(at) => {
                    *version = at;
                    continue;
                }
                Change::Error(status) if status.code == 410 => return End::Expired,
                Change::Error(_) => return End::Failed,
            };
            if let Some(at) = item
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
            {
                *version = at.to_string();
            }
            let key = key(&item);
            let kept = if deleted { None } else { Some(self.keep(item)) };
            self.shared
                .change(self.target, self.query_index, |feed, stats| {
                    stats.events += 1;
                    match kept {
                        Some(Kept::Object(object)) => {
                            feed.objects.insert(key, object);
                        }
                        // Deleted, or now controlled by a workload (left to it), or no object.
                        _ => {
                            feed.objects.remove(&key);
                        }
                    }
                });
        }
    }

    /// The watch's events, each object as JSON (metadata only for a metadata query).
    async fn events(
        &self,
        version: &str,
    ) -> Result<BoxStream<'static, Result<Change, kube::Error>>, kube::Error> {
        let params = WatchParams {
            field_selector: self.query.fields.map(str::to_string),
            timeout: Some(WATCH_TIMEOUT.as_secs() as u32),
            bookmarks: true,
            ..WatchParams::default()
        };
        Ok(if self.query.metadata_only {
            self.api
                .watch_metadata(&params, version)
                .await?
                .filter_map(|event| async {
                    event
                        .map(|e| change(e, |item| Some(metadata_value(item.metadata))))
                        .transpose()
                })
                .boxed()
        } else {
            self.api
                .watch(&params, version)
                .await?
                .filter_map(|event| async { event.map(|e| change(e, object_value)).transpose() })
                .boxed()
        })
    }

    fn keep(&self, item: Value) -> Kept {
        self.query.keep(item, &self.target_type.ar, &self.locator)
    }
}

/// A watch event with its object as JSON; `None` when the object cannot be.
fn change<K>(event: WatchEvent<K>, json: impl Fn(K) -> Option<Value>) -> Option<Change> {
    Some(match event {
        WatchEvent::Added(item) | WatchEvent::Modified(item) => Change::Apply(json(item)?),
        WatchEvent::Deleted(item) => Change::Delete(json(item)?),
        WatchEvent::Bookmark(bookmark) => Change::Bookmark(bookmark.metadata.resource_version),
        WatchEvent::Error(status) => Change::Error(status),
    })
}

fn end_of(error: &kube::Error) -> End {
    match error {
        kube::Error::Api(status) if status.code == 410 => End::Expired,
        _ => End::Failed,
    }
}

/// An object's identity within its resource type: namespace (empty when cluster-scoped)
/// and name.
fn key(item: &Value) -> (String, String) {
    let field = |name: &str| {
        item.get("metadata")
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("namespace"), field("name"))
}

/// Exponential backoff with a little jitter, so feeds that failed together do not retry
/// together.
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff { next: FIRST_RETRY }
    }

    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }

    /// The next delay, which doubles up to a limit.
    fn delay(&mut self) -> Duration {
        let jitter = std::collections::hash_map::RandomState::new().hash_one(Instant::now()) % 256;
        let delay = self.next + self.next.mul_f64(jitter as f64 / 1024.0);
        self.next = (self.next * 2).min(LAST_RETRY);
        delay
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.delay()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_doubles_to_a_limit_and_starts_over() {
        let mut backoff = Backoff::new();
        let delays: Vec<Duration> = (0..10).map(|_| backoff.delay()).collect();
        for (i, delay) in delays.iter().enumerate() {
            let base = (FIRST_RETRY * 2u32.pow(i as u32)).min(LAST_RETRY);
            assert!(
                *delay >= base && *delay < base + base / 4,
                "delay {i}: {delay:?}"
            );
        }
        assert!(delays[9] >= LAST_RETRY);
        backoff.reset();
        assert!(backoff.delay() < FIRST_RETRY * 2);
    }

    #[test]
    fn objects_are_known_by_namespace_and_name() {
        let pod = json!({"metadata": {"namespace": "shop", "name": "web", "uid": "1"}});
        assert_eq!(key(&pod), ("shop".to_string(), "web".to_string()));
        let role = json!({"metadata": {"name": "admin"}});
        assert_eq!(key(&role), (String::new(), "admin".to_string()));
    }

    #[test]
    fn gone_means_relist_and_other_errors_retry() {
        let status = |code| {
            kube::Error::Api(
                Status {
                    code,
                    ..Status::default()
                }
                .boxed(),
            )
        };
        assert!(matches!(end_of(&status(410)), End::Expired));
        assert!(matches!(end_of(&status(500)), End::Failed));
        assert!(matches!(end_of(&status(403)), End::Failed));
    }
}
