//! Partition routers, as the CDK builds a stream's `partition_router`:
//! [`ListPartitionRouter`], [`SubstreamPartitionRouter`], a
//! `GroupingPartitionRouter` and a list of routers (their Cartesian
//! product, partitions merged with the first router's keys winning).
//!
//! Parents are read by the caller: [`ParentStreams`] hands over each
//! parent record. A read loop goes through a stream's partitions so:
//!
//! ```text
//! let router = PartitionRouter::from_manifest(retriever.get("partition_router"), &jinja, &config)?;
//! let mut partitions = router.partitions();
//! while let Some(partition) = partitions.next(&mut parents)? {
//!     // per-partition cursor: cursor.generate_slices(&jinja, &partition.slice, partition.parent_state.as_ref())
//!     // no cursor: read partition.slice
//! }
//! // final state: cursor.ensure_at_least_one_state_emitted(partitions.stream_state(&parents))
//! ```

mod grouping;
mod list;
mod slice;
mod substream;
mod template;

pub use list::ListPartitionRouter;
pub use slice::StreamSlice;
pub use substream::{ParentStreamConfig, SubstreamPartitionRouter};
pub use template::slice_value;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::incremental::{boolean, expect_component};
use crate::interpolation::{Jinja, python_str};

/// A parent record: the partition of the parent slice it was read in, and
/// the record.
pub type ParentRecord = (Map<String, Value>, Value);

/// What the read loop provides for the parents of a
/// [`SubstreamPartitionRouter`] (indexes are positions in
/// `parent_stream_configs`; under a product of routers, positions in the
/// parents of all its substream routers, in order: see
/// [`PartitionRouter::substream_routers`]).
pub trait ParentStreams {
    /// The next record of parent `parent`, with the partition of the parent
    /// slice it was read in (`{}` for none), or `None` once the parent is
    /// read (all its slices and pages, its transformations applied).
    ///
    /// As the CDK does, the implementation has the parent's cursor observe
    /// the record before returning it, closes the parent's slice once its
    /// last record is returned, and emits the parent's final state at the
    /// end (parents' states are not written to the output, only kept).
    fn next_record(&mut self, parent: usize) -> Result<Option<ParentRecord>, Error>;

    /// The parent's cursor state now (`{"__ab_no_cursor_state_message": true}`
    /// for a parent without incremental sync).
    fn state(&self, parent: usize) -> Value;
}

/// The parents of one element of a product, at `base` in the product's.
struct Shifted<'p> {
    parents: &'p mut dyn ParentStreams,
    base: usize,
}

impl ParentStreams for Shifted<'_> {
    fn next_record(&mut self, parent: usize) -> Result<Option<ParentRecord>, Error> {
        self.parents.next_record(self.base + parent)
    }

    fn state(&self, parent: usize) -> Value {
        self.parents.state(self.base + parent)
    }
}

/// No parents: for routers that have none.
pub struct NoParents;

impl ParentStreams for NoParents {
    fn next_record(&mut self, _: usize) -> Result<Option<ParentRecord>, Error> {
        Ok(None)
    }

    fn state(&self, _: usize) -> Value {
        Value::Object(Map::new())
    }
}

/// A partition, with the router's state right after it was produced (what
/// the per-partition cursor keeps as `parent_state`).
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// The partition (no window yet).
    pub slice: StreamSlice,
    /// `get_stream_state()` of the router then: `None` for routers that have
    /// none (a list, a product).
    pub parent_state: Option<Value>,
}

/// A stream's partition router.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionRouter {
    /// None: one empty partition (`SinglePartitionRouter`).
    Single,
    /// `ListPartitionRouter`.
    List(ListPartitionRouter),
    /// `SubstreamPartitionRouter`.
    Substream(SubstreamPartitionRouter),
    /// `GroupingPartitionRouter`.
    Grouping {
        /// `group_size`.
        group_size: usize,
        /// `deduplicate` (default true): values seen in the sync are skipped.
        deduplicate: bool,
        /// `underlying_partition_router`.
        router: Box<PartitionRouter>,
    },
    /// A list of routers: their Cartesian product.
    Product(Vec<PartitionRouter>),
}

impl PartitionRouter {
    /// A retriever's `partition_router` (absent: [`PartitionRouter::Single`]),
    /// its templates rendered with `config`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::{NoParents, PartitionRouter};
    /// let jinja = Jinja::new();
    /// let router = PartitionRouter::from_manifest(Some(&json!([
    ///     {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1", "2"]},
    ///     {"type": "ListPartitionRouter", "cursor_field": "b", "values": ["x"]},
    /// ])), &jinja, &json!({})).unwrap();
    /// let mut partitions = router.partitions();
    /// let mut out = Vec::new();
    /// while let Some(p) = partitions.next(&mut NoParents).unwrap() {
    ///     out.push(p.slice.to_value());
    /// }
    /// assert_eq!(out, vec![json!({"a": "1", "b": "x"}), json!({"a": "2", "b": "x"})]);
    /// assert!(PartitionRouter::from_manifest(Some(&json!({"type": "UnionPartitionRouter"})), &jinja, &json!({})).is_err());
    /// ```
    pub fn from_manifest(
        value: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<PartitionRouter, Error> {
        const TYPES: [&str; 3] = [
            "ListPartitionRouter",
            "SubstreamPartitionRouter",
            "GroupingPartitionRouter",
        ];
        let value = match value {
            None | Some(Value::Null) => return Ok(PartitionRouter::Single),
            // An empty list is falsy: no router.
            Some(Value::Array(items)) if items.is_empty() => return Ok(PartitionRouter::Single),
            Some(Value::Array(items)) => {
                return items
                    .iter()
                    .map(|r| PartitionRouter::from_manifest(Some(r), jinja, config))
                    .collect::<Result<Vec<_>, _>>()
                    .map(PartitionRouter::Product);
            }
            Some(v) => v,
        };
        let map = expect_component(value, &TYPES).map_err(|e| {
            Error::Manifest(format!(
                "{e} (source-http has the partition routers {})",
                TYPES.join(", ")
            ))
        })?;
        match map.get("type").and_then(Value::as_str) {
            Some("ListPartitionRouter") => Ok(PartitionRouter::List(
                ListPartitionRouter::from_manifest(value, jinja, config)?,
            )),
            Some("SubstreamPartitionRouter") => Ok(PartitionRouter::Substream(
                SubstreamPartitionRouter::from_manifest(value, jinja, config)?,
            )),
            _ => {
                let size = map
                    .get("group_size")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| {
                        Error::Manifest(
                            "GroupingPartitionRouter requires an integer `group_size`".into(),
                        )
                    })?;
                if size < 1 {
                    return Err(Error::Manifest(format!(
                        "Group size must be greater than 0, got {size}"
                    )));
                }
                let router = PartitionRouter::from_manifest(
                    map.get("underlying_partition_router"),
                    jinja,
                    config,
                )?;
                let has_option = match &router {
                    PartitionRouter::List(l) => l.request_option.is_some(),
                    PartitionRouter::Substream(s) => s
                        .parent_stream_configs
                        .iter()
                        .any(|c| c.request_option.is_some()),
                    PartitionRouter::Single | PartitionRouter::Product(_) => {
                        return Err(Error::Manifest(format!(
                            "GroupingPartitionRouter needs an underlying_partition_router, got {}",
                            map.get("underlying_partition_router")
                                .map(python_str)
                                .unwrap_or_default()
                        )));
                    }
                    PartitionRouter::Grouping { .. } => false,
                };
                if has_option {
                    return Err(Error::Manifest(
                        "Request options are not supported for GroupingPartitionRouter.".into(),
                    ));
                }
                Ok(PartitionRouter::Grouping {
                    group_size: size as usize,
                    deduplicate: boolean(map, "deduplicate")?.unwrap_or(true),
                    router: Box::new(router),
                })
            }
        }
    }

    /// Whether the CDK forces the global cursor on a per-partition state
    /// (a `GroupingPartitionRouter`).
    pub fn forces_global_cursor(&self) -> bool {
        matches!(self, PartitionRouter::Grouping { .. })
    }

    /// Whether this is [`PartitionRouter::Single`] (a cursor then needs no
    /// per-partition state).
    pub fn is_single(&self) -> bool {
        matches!(self, PartitionRouter::Single)
    }

    /// The substream routers whose parents the read loop reads, in order
    /// (one, under a grouping router, or each element of a product, which
    /// reads its parents on its own as the CDK's
    /// `CartesianProductStreamSlicer` does): parent `i` of
    /// [`ParentStreams`] is the `i`-th parent config of their concatenation.
    pub fn substream_routers(&self) -> Vec<&SubstreamPartitionRouter> {
        match self {
            PartitionRouter::Substream(s) => vec![s],
            PartitionRouter::Grouping { router, .. } => router.substream_routers(),
            PartitionRouter::Product(routers) => routers
                .iter()
                .flat_map(PartitionRouter::substream_routers)
                .collect(),
            PartitionRouter::Single | PartitionRouter::List(_) => Vec::new(),
        }
    }

    /// How many parents the router's substream routers have in all.
    fn parent_count(&self) -> usize {
        self.substream_routers()
            .iter()
            .map(|s| s.parent_stream_configs.len())
            .sum()
    }

    /// The partitions, produced one by one.
    pub fn partitions(&self) -> Partitions<'_> {
        let state = match self {
            PartitionRouter::Single => Walk::Single(false),
            PartitionRouter::List(list) => Walk::Slices(list.slices().into_iter().collect()),
            PartitionRouter::Substream(router) => Walk::Substream(router, 0),
            PartitionRouter::Grouping {
                group_size,
                deduplicate,
                router,
            } => Walk::Grouping {
                size: *group_size,
                deduplicate: *deduplicate,
                inner: Box::new(router.partitions()),
                seen: Vec::new(),
                state: Some(Value::Object(Map::new())),
                done: false,
            },
            PartitionRouter::Product(routers) => Walk::Product {
                routers,
                lists: None,
                indices: Vec::new(),
            },
        };
        Partitions { walk: state }
    }

    /// The request options of a slice: `(RequestOption mapping, value)`
    /// pairs, each router's in order (the first wins on a conflict).
    pub fn request_options(&self, slice: &StreamSlice) -> Vec<(Value, Value)> {
        match self {
            PartitionRouter::List(list) => list.request_options(slice),
            PartitionRouter::Substream(router) => router.request_options(slice),
            PartitionRouter::Product(routers) => routers
                .iter()
                .flat_map(|r| r.request_options(slice))
                .collect(),
            PartitionRouter::Single | PartitionRouter::Grouping { .. } => Vec::new(),
        }
    }
}

/// Where the production of partitions is.
enum Walk<'r> {
    Single(bool),
    Slices(std::collections::VecDeque<StreamSlice>),
    Substream(&'r SubstreamPartitionRouter, usize),
    Grouping {
        size: usize,
        deduplicate: bool,
        inner: Box<Partitions<'r>>,
        seen: Vec<Value>,
        state: Option<Value>,
        done: bool,
    },
    Product {
        routers: &'r [PartitionRouter],
        lists: Option<Vec<Vec<StreamSlice>>>,
        indices: Vec<usize>,
    },
}

/// The partitions of a router, produced one by one (parents are read as
/// they are needed).
pub struct Partitions<'r> {
    walk: Walk<'r>,
}

impl Partitions<'_> {
    /// The next partition, or `None` at the end.
    pub fn next(&mut self, parents: &mut dyn ParentStreams) -> Result<Option<Partition>, Error> {
        let slice = self.next_slice(parents)?;
        Ok(slice.map(|slice| Partition {
            slice,
            parent_state: self.stream_state(parents),
        }))
    }

    fn next_slice(
        &mut self,
        parents: &mut dyn ParentStreams,
    ) -> Result<Option<StreamSlice>, Error> {
        match &mut self.walk {
            Walk::Single(done) => {
                let first = !*done;
                *done = true;
                Ok(first.then(StreamSlice::default))
            }
            Walk::Slices(slices) => Ok(slices.pop_front()),
            Walk::Substream(router, parent) => router.next(parent, parents),
            Walk::Grouping {
                size,
                deduplicate,
                inner,
                seen,
                state,
                done,
            } => {
                if *done {
                    return Ok(None);
                }
                let mut batch = Vec::new();
                while let Some(slice) = inner.next_slice(parents)? {
                    let key = grouping::group_key(&slice)?;
                    if *deduplicate {
                        let mut duplicate = false;
                        for s in seen.iter() {
                            if grouping::same_key(s, &key)? {
                                duplicate = true;
                                break;
                            }
                        }
                        if duplicate {
                            continue;
                        }
                        seen.push(key);
                    }
                    batch.push(slice);
                    if batch.len() == *size {
                        *state = inner.stream_state(parents);
                        return Ok(Some(grouping::grouped(&batch)));
                    }
                }
                *state = inner.stream_state(parents);
                *done = true;
                Ok((!batch.is_empty()).then(|| grouping::grouped(&batch)))
            }
            Walk::Product {
                routers,
                lists,
                indices,
            } => {
                if lists.is_none() {
                    let mut all = Vec::new();
                    let mut base = 0;
                    for router in routers.iter() {
                        let mut walk = router.partitions();
                        let mut slices = Vec::new();
                        let mut shifted = Shifted {
                            parents: &mut *parents,
                            base,
                        };
                        while let Some(slice) = walk.next_slice(&mut shifted)? {
                            slices.push(slice);
                        }
                        all.push(slices);
                        base += router.parent_count();
                    }
                    *indices = vec![0; all.len()];
                    *lists = Some(all);
                }
                let Some(lists) = lists.as_ref() else {
                    return Ok(None);
                };
                if lists.iter().any(Vec::is_empty) || indices.first() == Some(&usize::MAX) {
                    return Ok(None);
                }
                let mut slice = StreamSlice::default();
                for (list, i) in lists.iter().zip(indices.iter()).rev() {
                    let part = &list[*i];
                    slice.partition.extend(part.partition.clone());
                    slice.extra_fields.extend(part.extra_fields.clone());
                }
                // The next combination: the last index moves fastest.
                let mut position = lists.len();
                loop {
                    if position == 0 {
                        if let Some(first) = indices.first_mut() {
                            *first = usize::MAX;
                        }
                        break;
                    }
                    position -= 1;
                    indices[position] += 1;
                    if indices[position] < lists[position].len() {
                        break;
                    }
                    indices[position] = 0;
                }
                Ok(Some(slice))
            }
        }
    }

    /// The router's `get_stream_state()` now: the parents' states for a
    /// substream router (see [`SubstreamPartitionRouter::stream_state`]), a
    /// grouping router's as of its last batch, `None` for the others.
    pub fn stream_state(&self, parents: &dyn ParentStreams) -> Option<Value> {
        match &self.walk {
            Walk::Substream(router, _) => Some(router.stream_state(parents)),
            Walk::Grouping { state, .. } => state.clone(),
            _ => None,
        }
    }
}
