//! A [`StreamSlice`] as templates see it: the CDK hands them the
//! `StreamSlice` object, a mapping of the partition's and the window's
//! keys that also has the attributes `partition`, `cursor_slice` and
//! `extra_fields` (`{{ stream_slice.extra_fields['name'] }}`).
//!
//! Contexts are JSON mappings, so the slice travels as its mapping with
//! its parts under a marker key ([`StreamSlice::template_value`]), which
//! the template context turns into this object ([`slice_value`]): the
//! marker is never seen by a template.

use std::sync::Arc;

use minijinja::Value as JinjaValue;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::{Map, Value};

use super::StreamSlice;

/// The marker key of a slice's parts in its template value.
const PARTS: &str = "\u{0}stream_slice_parts";

impl StreamSlice {
    /// The slice for a template context: [`StreamSlice::to_value`], with
    /// the parts under a marker that [`slice_value`] reads (a slice without
    /// parts to tell apart is its plain mapping).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::StreamSlice;
    /// let mut slice = StreamSlice::new(
    ///     json!({"id": 1}).as_object().unwrap().clone(),
    ///     json!({"start_time": "a"}).as_object().unwrap().clone(),
    /// );
    /// slice.extra_fields.insert("name".into(), json!("Ops"));
    /// let mut context = serde_json::Map::new();
    /// context.insert("stream_slice".into(), slice.template_value());
    /// let jinja = Jinja::new();
    /// let render = |t: &str| jinja.eval(t, &context, None).unwrap();
    /// assert_eq!(render("{{ stream_slice.extra_fields['name'] }}"), json!("Ops"));
    /// assert_eq!(render("{{ stream_slice.partition.id }}-{{ stream_slice.cursor_slice.start_time }}"), json!("1-a"));
    /// assert_eq!(render("{{ stream_slice.id }}|{{ stream_slice | length }}|{{ stream_partition.id }}"), json!("1|2|1"));
    /// assert_eq!(render("{{ stream_slice.get('start_time') }}"), json!("a"));
    /// ```
    pub fn template_value(&self) -> Value {
        let mut merged = match self.to_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if self.partition.is_empty() && self.cursor_slice.is_empty() && self.extra_fields.is_empty()
        {
            return Value::Object(merged);
        }
        let mut parts = Map::new();
        parts.insert("partition".into(), Value::Object(self.partition.clone()));
        parts.insert(
            "cursor_slice".into(),
            Value::Object(self.cursor_slice.clone()),
        );
        parts.insert(
            "extra_fields".into(),
            Value::Object(self.extra_fields.clone()),
        );
        merged.insert(PARTS.into(), Value::Object(parts));
        Value::Object(merged)
    }
}

/// The template value of a context's `stream_slice`: the slice object
/// for a [`StreamSlice::template_value`], else the value converted.
pub fn slice_value(value: &Value) -> JinjaValue {
    let Value::Object(map) = value else {
        return JinjaValue::from_serialize(value);
    };
    let Some(Value::Object(parts)) = map.get(PARTS) else {
        return JinjaValue::from_serialize(value);
    };
    let mut merged = map.clone();
    merged.remove(PARTS);
    JinjaValue::from_object(TemplateSlice {
        merged,
        parts: parts.clone(),
    })
}

/// The slice object.
#[derive(Debug)]
struct TemplateSlice {
    merged: Map<String, Value>,
    parts: Map<String, Value>,
}

impl Object for TemplateSlice {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    /// A key of the slice, else one of its attributes (Jinja2 tries the
    /// attribute first on `a.b`; a slice rarely has a key of that name).
    fn get_value(self: &Arc<Self>, key: &JinjaValue) -> Option<JinjaValue> {
        let key = key.as_str()?;
        self.merged
            .get(key)
            .or_else(|| self.parts.get(key))
            .map(JinjaValue::from_serialize)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.merged
                .keys()
                .map(|k| JinjaValue::from(k.as_str()))
                .collect(),
        )
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.merged.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.merged.is_empty()
    }
}
