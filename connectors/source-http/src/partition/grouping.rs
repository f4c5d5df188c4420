//! `GroupingPartitionRouter`: the partitions of another router in batches.

use serde_json::{Map, Value};

use super::StreamSlice;
use crate::error::Error;
use crate::interpolation::python_str;

/// The partition value a batch is deduplicated by: the one key of the
/// partition besides `parent_slice`.
pub(crate) fn group_key(slice: &StreamSlice) -> Result<Value, Error> {
    let keys: Vec<&String> = slice
        .partition
        .keys()
        .filter(|k| *k != "parent_slice")
        .collect();
    match keys.as_slice() {
        [key] => Ok(slice.partition[*key].clone()),
        _ => Err(Error::Read(format!(
            "GroupingPartitionRouter expects a single partition key-value pair. Got {}",
            python_str(&Value::Object(slice.partition.clone()))
        ))),
    }
}

/// Python's equality of hashable values (`1 == 1.0 == True`); a list or
/// a mapping is unhashable.
pub(crate) fn same_key(a: &Value, b: &Value) -> Result<bool, Error> {
    let number = |v: &Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match (a, b) {
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err(Error::Read(format!(
                "unhashable partition value: {}",
                python_str(if a.is_array() || a.is_object() { a } else { b })
            )))
        }
        _ => Ok(match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a == b,
            _ => false,
        }),
    }
}

/// A batch as one slice: each partition key's values in a list (the keys
/// of the first partition), the extra fields likewise.
pub(crate) fn grouped(batch: &[StreamSlice]) -> StreamSlice {
    let mut partition = Map::new();
    if let Some(first) = batch.first() {
        for key in first.partition.keys() {
            let values = batch
                .iter()
                .map(|p| p.partition.get(key).cloned().unwrap_or(Value::Null))
                .collect();
            partition.insert(key.clone(), Value::Array(values));
        }
    }
    let mut extra_fields = Map::new();
    for p in batch {
        for key in p.extra_fields.keys() {
            if !extra_fields.contains_key(key) {
                let values = batch
                    .iter()
                    .map(|q| q.extra_fields.get(key).cloned().unwrap_or(Value::Null))
                    .collect();
                extra_fields.insert(key.clone(), Value::Array(values));
            }
        }
    }
    StreamSlice {
        partition,
        cursor_slice: Map::new(),
        extra_fields,
    }
}
