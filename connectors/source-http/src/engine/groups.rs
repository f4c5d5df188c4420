//! `stream_groups`: streams that share a resource (an API's rate limit, a
//! report quota) and must not be read at the same time, as the CDK's
//! concurrent read runs them (`block_simultaneous_read`).
//!
//! - A grouped stream is not read while another stream of its group is
//!   read, nor while a stream of its group is read as the parent of
//!   another; reading a stream reads its parents, so it holds their groups
//!   too.
//! - A stream in the group of one of its ancestors holds the group once
//!   (its parents are read within its read). The CDK 7.39.1 means to
//!   refuse such a manifest, but its check misses substreams, and it reads
//!   them: so does this.
//!
//! The CDK starts another stream when the next one is blocked; here a
//! blocked stream waits for its group in its worker.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Each grouped stream's group, and the groups a read of each stream holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamGroups {
    /// Stream name → its group.
    group_of: BTreeMap<String, String>,
}

impl StreamGroups {
    /// The manifest's `stream_groups`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::engine::StreamGroups;
    /// let a = json!({"type": "DeclarativeStream", "name": "a"});
    /// let b = json!({"type": "DeclarativeStream", "name": "b", "retriever": {"partition_router": {
    ///     "type": "SubstreamPartitionRouter", "parent_stream_configs": [{"stream": a}]}}});
    /// let manifest = json!({"stream_groups": {"reports": {"streams": [a], "action": "BlockSimultaneousSyncsAction"}}});
    /// let groups = StreamGroups::from_manifest(&manifest);
    /// let streams = [a, b];
    /// // `a` holds its group; `b` holds it too, reading `a` as its parent.
    /// assert_eq!(groups.held_by("a", &streams), ["reports"].map(String::from).into());
    /// assert_eq!(groups.held_by("b", &streams), ["reports"].map(String::from).into());
    /// ```
    pub fn from_manifest(manifest: &Value) -> StreamGroups {
        let mut group_of = BTreeMap::new();
        if let Some(Value::Object(groups)) = manifest.get("stream_groups") {
            for (group, config) in groups {
                let members = config.get("streams").and_then(Value::as_array);
                for stream in members.into_iter().flatten() {
                    if let Some(name) = stream.get("name").and_then(Value::as_str)
                        && !name.is_empty()
                    {
                        group_of.insert(name.to_owned(), group.clone());
                    }
                }
            }
        }
        StreamGroups { group_of }
    }

    /// Whether no stream is grouped.
    pub fn is_empty(&self) -> bool {
        self.group_of.is_empty()
    }

    /// The groups a read of `stream` holds: its own and its ancestors'.
    pub fn held_by<'a>(
        &self,
        stream: &str,
        streams: impl IntoIterator<Item = &'a Value>,
    ) -> BTreeSet<String> {
        let mut held: BTreeSet<String> = self.group_of.get(stream).cloned().into_iter().collect();
        let mapping = streams
            .into_iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some(stream));
        for ancestor in mapping.map(ancestors).unwrap_or_default() {
            held.extend(self.group_of.get(&ancestor).cloned());
        }
        held
    }
}

/// The names of a stream mapping's parents, theirs, and so on.
fn ancestors(stream: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut routers: Vec<&Value> = match stream.pointer("/retriever/partition_router") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(router @ Value::Object(_)) => vec![router],
        _ => Vec::new(),
    };
    while let Some(router) = routers.pop() {
        if let Some(inner) = router.get("underlying_partition_router") {
            routers.push(inner);
        }
        let parents = router
            .get("parent_stream_configs")
            .and_then(Value::as_array);
        for parent in parents
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("stream"))
        {
            if let Some(name) = parent.get("name").and_then(Value::as_str) {
                found.insert(name.to_owned());
            }
            found.extend(ancestors(parent));
        }
    }
    found
}

/// The locks of the groups, one per group name, shared by the streams of
/// a sync.
#[derive(Debug, Default)]
pub struct GroupLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

impl GroupLocks {
    /// Waits for every group of `held`, taken in name order (so two reads
    /// never wait for each other); they are released when dropped.
    pub async fn acquire(&self, held: &BTreeSet<String>) -> Vec<OwnedMutexGuard<()>> {
        let locks: Vec<Arc<AsyncMutex<()>>> = {
            let mut map = self
                .locks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            held.iter()
                .map(|group| map.entry(group.clone()).or_default().clone())
                .collect()
        };
        let mut guards = Vec::with_capacity(locks.len());
        for lock in locks {
            guards.push(lock.lock_owned().await);
        }
        guards
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[tokio::test]
    async fn a_group_is_held_by_one_read_at_a_time() {
        let locks = Arc::new(GroupLocks::default());
        let held: BTreeSet<String> = ["g".to_owned()].into();
        let first = locks.acquire(&held).await;
        let (l2, h2) = (locks.clone(), held.clone());
        let waiter = tokio::spawn(async move { l2.acquire(&h2).await.len() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "the second read waits for the group");
        drop(first);
        assert_eq!(waiter.await.unwrap(), 1);
    }

    #[test]
    fn ancestors_through_lists_and_groupings() {
        let p = json!({"name": "p"});
        let q = json!({"name": "q", "retriever": {"partition_router": {"type": "SubstreamPartitionRouter",
            "parent_stream_configs": [{"stream": p}]}}});
        let child = json!({"name": "c", "retriever": {"partition_router": [
            {"type": "GroupingPartitionRouter", "underlying_partition_router": {
                "type": "SubstreamPartitionRouter", "parent_stream_configs": [{"stream": q}]}}]}});
        assert_eq!(ancestors(&child), ["p", "q"].map(String::from).into());
    }
}
