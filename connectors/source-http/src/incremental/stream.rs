//! A stream's cursor as the CDK picks it (`_build_concurrent_cursor`): none
//! (full refresh), a datetime cursor, one per partition under a partition
//! router, or a counting cursor; driven the same way whichever it is.

use serde_json::{Map, Value};

use super::concurrent::ConcurrentCursor;
use super::counting::{CountingCursor, IncrementingCountCursor};
use super::cursor::{Clock, DatetimeBasedCursor};
use super::per_partition::PerPartitionCursor;
use crate::error::Error;
use crate::interpolation::Jinja;
use crate::partition::{Partition, PartitionRouter, StreamSlice};

/// The state a full-refresh stream emits at its end.
pub const NO_CURSOR_STATE_KEY: &str = "__ab_no_cursor_state_message";

/// The cursor of a stream.
pub enum StreamCursor {
    /// No `incremental_sync`: the router's partitions are the slices; the
    /// state is `{"__ab_no_cursor_state_message": true}` at the end only.
    FullRefresh,
    /// A `DatetimeBasedCursor` without a partition router.
    Datetime(Box<ConcurrentCursor>, Box<DatetimeBasedCursor>),
    /// A `DatetimeBasedCursor` under a partition router.
    PerPartition(Box<PerPartitionCursor>, Box<DatetimeBasedCursor>),
    /// An `IncrementingCountCursor` (never under a partition router).
    Counting(Box<CountingCursor>, Box<IncrementingCountCursor>),
}

impl StreamCursor {
    /// The cursor of a stream with this `incremental_sync`, partition router
    /// and input state (`{}` for none).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::{system_clock, StreamCursor};
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::{NoParents, PartitionRouter};
    /// let jinja = Jinja::new();
    /// let sync = json!({"type": "DatetimeBasedCursor", "cursor_field": "t", "datetime_format": "%Y-%m-%d",
    ///                   "start_datetime": "2024-01-01", "end_datetime": "2024-01-02"});
    /// let router = PartitionRouter::Single;
    /// let mut cursor = StreamCursor::new(Some(&sync), &router, &jinja, &json!({}), &json!({}), system_clock()).unwrap();
    /// let mut partitions = router.partitions();
    /// let partition = partitions.next(&mut NoParents).unwrap().unwrap();
    /// let slices = cursor.slices(&jinja, &partition).unwrap();
    /// cursor.observe(&slices[0], &json!({"t": "2024-01-02"})).unwrap();
    /// assert_eq!(cursor.close_slice(&slices[0]).unwrap(), Some(json!({"t": "2024-01-02"})));
    /// assert_eq!(cursor.final_state(partitions.stream_state(&NoParents)).unwrap(), json!({"t": "2024-01-02"}));
    /// ```
    pub fn new(
        incremental_sync: Option<&Value>,
        router: &PartitionRouter,
        jinja: &Jinja,
        config: &Value,
        stream_state: &Value,
        clock: Clock,
    ) -> Result<StreamCursor, Error> {
        let Some(sync) = incremental_sync.filter(|s| !s.is_null()) else {
            return Ok(StreamCursor::FullRefresh);
        };
        match sync.get("type").and_then(Value::as_str) {
            Some("IncrementingCountCursor") => {
                if !router.is_single() {
                    return Err(Error::Manifest(
                        "The low-code framework does not currently support usage of a PartitionRouter and an IncrementingCountCursor at the same time.".into(),
                    ));
                }
                let definition = IncrementingCountCursor::from_manifest(sync)?;
                let cursor = definition.cursor(jinja, config, stream_state)?;
                Ok(StreamCursor::Counting(
                    Box::new(cursor),
                    Box::new(definition),
                ))
            }
            _ => {
                let definition = DatetimeBasedCursor::from_manifest(sync)?;
                if router.is_single() {
                    let cursor = definition.cursor(jinja, config, stream_state, clock, None)?;
                    Ok(StreamCursor::Datetime(
                        Box::new(cursor),
                        Box::new(definition),
                    ))
                } else {
                    let cursor = PerPartitionCursor::new(
                        &definition,
                        jinja,
                        config,
                        stream_state,
                        clock,
                        router.forces_global_cursor(),
                    )?;
                    Ok(StreamCursor::PerPartition(
                        Box::new(cursor),
                        Box::new(definition),
                    ))
                }
            }
        }
    }

    /// The slices to read for one partition of the router.
    pub fn slices(
        &mut self,
        jinja: &Jinja,
        partition: &Partition,
    ) -> Result<Vec<StreamSlice>, Error> {
        match self {
            StreamCursor::FullRefresh => Ok(vec![partition.slice.clone()]),
            StreamCursor::Datetime(cursor, _) => cursor.stream_slices(jinja),
            StreamCursor::PerPartition(cursor, _) => {
                cursor.generate_slices(jinja, &partition.slice, partition.parent_state.as_ref())
            }
            StreamCursor::Counting(cursor, _) => cursor.stream_slices(),
        }
    }

    /// A record emitted in `slice`.
    pub fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error> {
        match self {
            StreamCursor::FullRefresh => Ok(()),
            StreamCursor::Datetime(cursor, _) => cursor.observe(slice, record),
            StreamCursor::PerPartition(cursor, _) => cursor.observe(slice, record),
            StreamCursor::Counting(cursor, _) => cursor.observe(record),
        }
    }

    /// Whether a record read in `slice` is in the range to sync: what a
    /// client-side incremental stream filters by, and a data feed stops at.
    pub fn should_be_synced(
        &self,
        jinja: &Jinja,
        slice: &StreamSlice,
        record: &Value,
    ) -> Result<bool, Error> {
        match self {
            StreamCursor::FullRefresh => Ok(true),
            StreamCursor::Datetime(cursor, _) => cursor.should_be_synced(jinja, record),
            StreamCursor::PerPartition(cursor, _) => cursor.should_be_synced(jinja, slice, record),
            StreamCursor::Counting(cursor, _) => cursor.should_be_synced(record),
        }
    }

    /// A slice read to its end: the state to emit now, if any.
    pub fn close_slice(&mut self, slice: &StreamSlice) -> Result<Option<Value>, Error> {
        match self {
            StreamCursor::FullRefresh => Ok(None),
            StreamCursor::Datetime(cursor, _) => cursor.close_slice(slice).map(Some),
            StreamCursor::PerPartition(cursor, _) => cursor.close_slice(slice),
            StreamCursor::Counting(cursor, _) => cursor.close_slice(slice),
        }
    }

    /// The state to emit at the stream's end (`router_state`: the
    /// partitions' `stream_state` then).
    pub fn final_state(&mut self, router_state: Option<Value>) -> Result<Value, Error> {
        match self {
            StreamCursor::FullRefresh => {
                let mut state = Map::new();
                state.insert(NO_CURSOR_STATE_KEY.into(), Value::Bool(true));
                Ok(Value::Object(state))
            }
            StreamCursor::Datetime(cursor, _) => cursor.state(),
            StreamCursor::PerPartition(cursor, _) => {
                cursor.ensure_at_least_one_state_emitted(router_state)
            }
            StreamCursor::Counting(cursor, _) => cursor.state(),
        }
    }

    /// `is_data_feed`: filter after pagination, and stop paginating at a
    /// page whose last record is not to be synced.
    pub fn is_data_feed(&self) -> bool {
        match self {
            StreamCursor::Datetime(_, d) | StreamCursor::PerPartition(_, d) => d.is_data_feed,
            _ => false,
        }
    }

    /// `is_client_side_incremental`: the record selector keeps only the
    /// records to sync (after the transformations, by default), unless the
    /// stream is a data feed, which filters instead.
    pub fn is_client_side_incremental(&self) -> bool {
        match self {
            StreamCursor::Datetime(_, d) | StreamCursor::PerPartition(_, d) => {
                d.is_client_side_incremental
            }
            _ => false,
        }
    }

    /// The cursor's request options for a slice: `(RequestOption mapping,
    /// value)` pairs (the router's are [`PartitionRouter::request_options`]).
    pub fn request_options(
        &self,
        jinja: &Jinja,
        config: &Value,
        slice: &StreamSlice,
    ) -> Result<Vec<(Value, Value)>, Error> {
        match self {
            StreamCursor::FullRefresh => Ok(Vec::new()),
            StreamCursor::Datetime(_, d) | StreamCursor::PerPartition(_, d) => {
                d.request_options(jinja, config, slice)
            }
            StreamCursor::Counting(_, d) => Ok(match (&d.start_value_option, slice.get("start")) {
                (Some(option), Some(value)) if !slice.is_empty() => {
                    vec![(option.clone(), value.clone())]
                }
                _ => Vec::new(),
            }),
        }
    }
}
