//! `DatetimeBasedCursor`, the manifest component, and how the CDK builds
//! its runtime cursor from it (`create_concurrent_cursor_from_datetime_based_cursor`).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::clamping::Clamping;
use super::component::{
    boolean, component, eval_key, eval_string, parameters, required_string, string, strings,
};
use super::concurrent::{ConcurrentCursor, End, Settings};
use super::duration::Gap;
use super::formats::Formats;
use super::min_max::MinMaxDatetime;
use crate::datetime::DateTime;
use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::partition::StreamSlice;

/// What "now" is: the default end of the windows, and the clock of the
/// per-partition cursor's throttle. Injectable so tests are deterministic.
pub type Clock = Arc<dyn Fn() -> DateTime + Send + Sync>;

/// The system clock, in UTC.
///
/// ```
/// let now = source_http::incremental::system_clock()();
/// assert!(now.micros > 1_700_000_000_000_000);
/// ```
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        DateTime::from_micros(since)
    })
}

/// A `DatetimeBasedCursor` as the manifest gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatetimeBasedCursor {
    /// `cursor_field`, a template: a top-level key of the records.
    pub cursor_field: String,
    /// `datetime_format`: of window bounds, request values and state.
    pub datetime_format: String,
    /// `cursor_datetime_formats`, tried first when reading values.
    pub cursor_datetime_formats: Vec<String>,
    /// `start_datetime`.
    pub start_datetime: MinMaxDatetime,
    /// `end_datetime`; none means now.
    pub end_datetime: Option<MinMaxDatetime>,
    /// `step`, a template of an ISO-8601 duration.
    pub step: Option<String>,
    /// `cursor_granularity`, an ISO-8601 duration (not a template).
    pub cursor_granularity: Option<String>,
    /// `lookback_window`, a template of an ISO-8601 duration.
    pub lookback_window: Option<String>,
    /// `start_time_option`: a `RequestOption` mapping.
    pub start_time_option: Option<Value>,
    /// `end_time_option`: a `RequestOption` mapping.
    pub end_time_option: Option<Value>,
    /// `partition_field_start` (default `start_time`), a template.
    pub partition_field_start: Option<String>,
    /// `partition_field_end` (default `end_time`), a template.
    pub partition_field_end: Option<String>,
    /// `is_data_feed`: stop paginating at the first record already synced.
    pub is_data_feed: bool,
    /// `is_client_side_incremental`: drop the records out of the range.
    pub is_client_side_incremental: bool,
    /// `is_compare_strictly`: no window with start == end.
    pub is_compare_strictly: bool,
    /// `global_substream_cursor`: one cursor for all partitions.
    pub global_substream_cursor: bool,
    /// `clamping.target` (a template) and `clamping.target_details.weekday`.
    pub clamping: Option<(String, Option<String>)>,
    /// The `parameters` of its templates.
    pub parameters: Map<String, Value>,
}

impl DatetimeBasedCursor {
    /// The cursor of a `DatetimeBasedCursor` mapping (`incremental_sync`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::DatetimeBasedCursor;
    /// let c = DatetimeBasedCursor::from_manifest(&json!({
    ///     "type": "DatetimeBasedCursor", "cursor_field": "updated_at",
    ///     "datetime_format": "%Y-%m-%d", "start_datetime": "2024-01-01",
    /// })).unwrap();
    /// assert_eq!(c.cursor_field, "updated_at");
    /// assert!(DatetimeBasedCursor::from_manifest(&json!({"type": "DatetimeBasedCursor"})).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<DatetimeBasedCursor, Error> {
        const NAME: &str = "DatetimeBasedCursor";
        let map = component(value, &[NAME])?;
        let parameters = parameters(map);
        let start = map
            .get("start_datetime")
            .ok_or_else(|| Error::Manifest(format!("{NAME} requires `start_datetime`")))?;
        let end = match map.get("end_datetime") {
            None | Some(Value::Null) => None,
            Some(v) if !truthy(v) => None,
            Some(v) => Some(MinMaxDatetime::from_manifest(v, &parameters)?),
        };
        let option = |key: &str| -> Result<Option<Value>, Error> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => component(v, &["RequestOption"]).map(|_| Some(v.clone())),
            }
        };
        let clamping = match map.get("clamping") {
            None | Some(Value::Null) => None,
            Some(Value::Object(c)) => Some((
                required_string(c, "Clamping", "target")?,
                c.get("target_details")
                    .and_then(|d| d.get("weekday"))
                    .map(python_str),
            )),
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "`clamping` must be a mapping, got {}",
                    python_str(other)
                )));
            }
        };
        let step = string(map, "step")?.filter(|s| !s.is_empty());
        let granularity = string(map, "cursor_granularity")?.filter(|s| !s.is_empty());
        if step.is_some() != granularity.is_some() {
            return Err(Error::Manifest(format!(
                "If step is defined, cursor_granularity should be as well and vice-versa. Right now, step is `{}` and cursor_granularity is `{}`",
                step.as_deref().unwrap_or("None"),
                granularity.as_deref().unwrap_or("None")
            )));
        }
        Ok(DatetimeBasedCursor {
            cursor_field: required_string(map, NAME, "cursor_field")?,
            datetime_format: required_string(map, NAME, "datetime_format")?,
            cursor_datetime_formats: strings(map, "cursor_datetime_formats")?.unwrap_or_default(),
            start_datetime: MinMaxDatetime::from_manifest(start, &parameters)?,
            end_datetime: end,
            step,
            cursor_granularity: granularity,
            lookback_window: string(map, "lookback_window")?.filter(|s| !s.is_empty()),
            start_time_option: option("start_time_option")?,
            end_time_option: option("end_time_option")?,
            partition_field_start: string(map, "partition_field_start")?,
            partition_field_end: string(map, "partition_field_end")?,
            is_data_feed: boolean(map, "is_data_feed")?.unwrap_or(false),
            is_client_side_incremental: boolean(map, "is_client_side_incremental")?
                .unwrap_or(false),
            is_compare_strictly: boolean(map, "is_compare_strictly")?.unwrap_or(false),
            global_substream_cursor: boolean(map, "global_substream_cursor")?.unwrap_or(false),
            clamping,
            parameters,
        })
    }

    /// The cursor field's key (`cursor_field` rendered with the config).
    pub fn cursor_key(&self, jinja: &Jinja, config: &Value) -> Result<String, Error> {
        eval_key(jinja, &self.cursor_field, config, &self.parameters)
    }

    /// The window's keys in `stream_interval`: `partition_field_start` and
    /// `partition_field_end` rendered (`start_time`, `end_time`).
    pub fn boundary_fields(
        &self,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<(String, String), Error> {
        let field = |f: &Option<String>, default: &str| {
            eval_key(
                jinja,
                f.as_deref().filter(|f| !f.is_empty()).unwrap_or(default),
                config,
                &self.parameters,
            )
        };
        Ok((
            field(&self.partition_field_start, "start_time")?,
            field(&self.partition_field_end, "end_time")?,
        ))
    }

    /// The runtime cursor for `stream_state` (the stream's input state:
    /// `{}`, the legacy `{cursor_field: value, ...}`, or the concurrent
    /// `{"state_type": "date-range", "slices": [...]}`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::{system_clock, DatetimeBasedCursor};
    /// use source_http::interpolation::Jinja;
    /// let definition = DatetimeBasedCursor::from_manifest(&json!({
    ///     "type": "DatetimeBasedCursor", "cursor_field": "updated_at", "datetime_format": "%Y-%m-%d",
    ///     "start_datetime": "2024-01-01", "end_datetime": "2024-01-03", "step": "P1D", "cursor_granularity": "P1D",
    /// })).unwrap();
    /// let jinja = Jinja::new();
    /// let mut cursor = definition.cursor(&jinja, &json!({}), &json!({}), system_clock(), None).unwrap();
    /// let slices = cursor.stream_slices(&jinja).unwrap();
    /// let windows: Vec<_> = slices.iter().map(|s| s.to_value()).collect();
    /// assert_eq!(windows, vec![
    ///     json!({"start_time": "2024-01-01", "end_time": "2024-01-01"}),
    ///     json!({"start_time": "2024-01-02", "end_time": "2024-01-03"}),
    /// ]);
    /// cursor.observe(&slices[0], &json!({"updated_at": "2024-01-01"})).unwrap();
    /// assert_eq!(cursor.close_slice(&slices[0]).unwrap(), json!({"updated_at": "2024-01-01"}));
    /// ```
    pub fn cursor(
        &self,
        jinja: &Jinja,
        config: &Value,
        stream_state: &Value,
        clock: Clock,
        runtime_lookback_seconds: Option<i64>,
    ) -> Result<ConcurrentCursor, Error> {
        let cursor_field = self.cursor_key(jinja, config)?;
        let boundary = self.boundary_fields(jinja, config)?;
        let granularity = self
            .cursor_granularity
            .as_deref()
            .map(parse_gap)
            .transpose()?
            .filter(Gap::is_truthy);
        let lookback = match &self.lookback_window {
            Some(template) => {
                let evaluated = eval_string(jinja, template, config, &self.parameters)?;
                if truthy(&evaluated) {
                    Some(parse_gap_value(&evaluated)?).filter(Gap::is_truthy)
                } else {
                    None
                }
            }
            None => None,
        };
        let formats = Formats::new(&self.datetime_format, &self.cursor_datetime_formats);
        let mut stream_state = stream_state.clone();
        if let (Some(seconds), Some(state)) =
            (runtime_lookback_seconds, stream_state.as_object_mut())
            && seconds != 0
            && let Some(value) = state.get(&cursor_field).filter(|v| truthy(v))
        {
            let parsed = formats.parse(value).map_err(|f| f.into_error())?;
            let moved = Gap::Delta(seconds * 1_000_000)
                .subtract_from(parsed)
                .map_err(|e| Error::Read(e.to_string()))?;
            state.insert(cursor_field.clone(), Value::String(formats.format(&moved)?));
        }
        let start = self
            .start_datetime
            .get_datetime(jinja, config, &self.datetime_format)?;
        let step = match &self.step {
            Some(template) => {
                let evaluated = eval_string(jinja, template, config, &self.parameters)?;
                if truthy(&evaluated) {
                    parse_gap_value(&evaluated)?
                } else {
                    Gap::Max
                }
            }
            None => Gap::Max,
        };
        let clamping = match &self.clamping {
            Some((target, weekday)) => {
                let target = eval_key(jinja, target, config, &self.parameters)?;
                Clamping::from_target(&target, weekday.as_deref())?
            }
            None => Clamping::None,
        };
        let end_granularity = match clamping {
            Clamping::None => None,
            Clamping::Day => Some(granularity.unwrap_or(Gap::Delta(1_000_000))),
            Clamping::Week(_) | Clamping::Month => {
                Some(granularity.unwrap_or(Gap::Delta(86_400_000_000)))
            }
        };
        let end = End {
            datetime: self.end_datetime.clone(),
            inherited_format: self.datetime_format.clone(),
            config: config.clone(),
            clock,
            clamp: end_granularity.map(|g| (clamping, g)),
        };
        ConcurrentCursor::new(
            Settings {
                cursor_field,
                boundary,
                formats,
                start,
                end,
                lookback,
                slice_range: step,
                granularity,
                clamping,
                compare_strictly: self.is_compare_strictly,
            },
            &stream_state,
        )
    }

    /// The request options of a window (`DatetimeBasedRequestOptionsProvider`):
    /// each of `start_time_option` and `end_time_option` given, with the
    /// slice's value at its boundary key (`null` when the slice lacks it).
    /// Where each is injected (`inject_into`, `field_name`, `field_path`)
    /// is the option mapping's business.
    ///
    /// ```
    /// use serde_json::{json, Map};
    /// use source_http::incremental::DatetimeBasedCursor;
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::StreamSlice;
    /// let c = DatetimeBasedCursor::from_manifest(&json!({
    ///     "type": "DatetimeBasedCursor", "cursor_field": "t", "datetime_format": "%s", "start_datetime": "0",
    ///     "start_time_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "since"},
    /// })).unwrap();
    /// let slice = StreamSlice::new(Map::new(), json!({"start_time": "0", "end_time": "9"}).as_object().unwrap().clone());
    /// let options = c.request_options(&Jinja::new(), &json!({}), &slice).unwrap();
    /// assert_eq!(options, vec![(json!({"type": "RequestOption", "inject_into": "request_parameter", "field_name": "since"}), json!("0"))]);
    /// ```
    pub fn request_options(
        &self,
        jinja: &Jinja,
        config: &Value,
        slice: &StreamSlice,
    ) -> Result<Vec<(Value, Value)>, Error> {
        let (start_field, end_field) = self.boundary_fields(jinja, config)?;
        let mut out = Vec::new();
        for (option, field) in [
            (&self.start_time_option, start_field),
            (&self.end_time_option, end_field),
        ] {
            if let Some(option) = option
                && !slice.is_empty()
            {
                out.push((
                    option.clone(),
                    slice.get(&field).cloned().unwrap_or(Value::Null),
                ));
            }
        }
        Ok(out)
    }
}

/// `parse_duration(text)`, failing as a manifest error.
pub(crate) fn parse_gap(text: &str) -> Result<Gap, Error> {
    Gap::parse(text).map_err(|e| Error::Manifest(e.to_string()))
}

/// `parse_duration(value)` of an evaluated template: only text is one.
fn parse_gap_value(value: &Value) -> Result<Gap, Error> {
    match value {
        Value::String(s) => parse_gap(s),
        other => Err(Error::Manifest(format!(
            "Expecting a string {}",
            python_str(other)
        ))),
    }
}
