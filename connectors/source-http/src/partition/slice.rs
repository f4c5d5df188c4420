//! `StreamSlice`: a partition, a cursor window and the extra fields.

use serde_json::{Map, Value};

/// The CDK's `StreamSlice`: what `stream_slice` (and its aliases
/// `stream_partition`, `stream_interval`) holds for one request loop.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamSlice {
    /// The partition's keys (`{partition_field: value, parent_slice: {...}}`).
    pub partition: Map<String, Value>,
    /// The cursor window's keys (`{start_time, end_time}`).
    pub cursor_slice: Map<String, Value>,
    /// Values passed along that are not part of the partition.
    pub extra_fields: Map<String, Value>,
}

impl StreamSlice {
    /// A slice without extra fields.
    pub fn new(partition: Map<String, Value>, cursor_slice: Map<String, Value>) -> StreamSlice {
        StreamSlice {
            partition,
            cursor_slice,
            extra_fields: Map::new(),
        }
    }

    /// The slice as the mapping templates read: the partition's keys and
    /// the window's.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::partition::StreamSlice;
    /// let slice = StreamSlice::new(
    ///     json!({"id": 1}).as_object().unwrap().clone(),
    ///     json!({"start_time": "a"}).as_object().unwrap().clone(),
    /// );
    /// assert_eq!(slice.to_value(), json!({"id": 1, "start_time": "a"}));
    /// assert_eq!(slice.get("start_time"), Some(&json!("a")));
    /// ```
    pub fn to_value(&self) -> Value {
        let mut merged = self.partition.clone();
        merged.extend(self.cursor_slice.clone());
        Value::Object(merged)
    }

    /// A key of the slice (the window's first, then the partition's).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.cursor_slice
            .get(key)
            .or_else(|| self.partition.get(key))
    }

    /// Python's `not slice`: no keys and no extra fields.
    pub fn is_empty(&self) -> bool {
        self.partition.is_empty() && self.cursor_slice.is_empty() && self.extra_fields.is_empty()
    }

    /// The slice's identity (partition and window), as a map key.
    pub(crate) fn key(&self) -> String {
        format!(
            "{}|{}",
            Value::Object(self.partition.clone()),
            Value::Object(self.cursor_slice.clone())
        )
    }

    /// The partition's identity as the CDK serialises it
    /// (`json.dumps(partition, sort_keys=True)`).
    pub(crate) fn partition_key(&self) -> String {
        Value::Object(self.partition.clone()).to_string()
    }
}
