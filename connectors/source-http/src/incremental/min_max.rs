//! `MinMaxDatetime`: a datetime template, its format, and optional bounds.

use serde_json::{Map, Value};

use super::component::{component, context, parameters, required_string, string};
use crate::datetime::{self, DateTime};
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};

/// The format a `MinMaxDatetime` without one (and no cursor's) parses with.
pub const DEFAULT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S.%f%z";

/// A `MinMaxDatetime`, or the plain string that stands for one.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxDatetime {
    /// The datetime template.
    pub datetime: String,
    /// Its format; empty to inherit the cursor's.
    pub datetime_format: String,
    /// The lower bound's template; empty for none.
    pub min_datetime: String,
    /// The upper bound's template; empty for none.
    pub max_datetime: String,
    /// The `parameters` of its templates.
    pub parameters: Map<String, Value>,
}

impl MinMaxDatetime {
    /// A `MinMaxDatetime` mapping, or a string (which gets `parameters`, the
    /// cursor's).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::MinMaxDatetime;
    /// let m = MinMaxDatetime::from_manifest(&json!("{{ config.start }}"), &Default::default()).unwrap();
    /// assert_eq!(m.datetime, "{{ config.start }}");
    /// assert!(MinMaxDatetime::from_manifest(&json!({"type": "MinMaxDatetime"}), &Default::default()).is_err());
    /// ```
    pub fn from_manifest(
        value: &Value,
        cursor_parameters: &Map<String, Value>,
    ) -> Result<MinMaxDatetime, Error> {
        if let Value::String(template) = value {
            return Ok(MinMaxDatetime {
                datetime: template.clone(),
                datetime_format: String::new(),
                min_datetime: String::new(),
                max_datetime: String::new(),
                parameters: cursor_parameters.clone(),
            });
        }
        let map = component(value, &["MinMaxDatetime"])?;
        Ok(MinMaxDatetime {
            datetime: required_string(map, "MinMaxDatetime", "datetime")?,
            datetime_format: string(map, "datetime_format")?.unwrap_or_default(),
            min_datetime: string(map, "min_datetime")?.unwrap_or_default(),
            max_datetime: string(map, "max_datetime")?.unwrap_or_default(),
            parameters: parameters(map),
        })
    }

    /// `get_datetime(config)`: the rendered datetime parsed (with its own
    /// format, else `inherited`, else [`DEFAULT_FORMAT`]) and clamped to
    /// the bounds that render to something.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::datetime::format;
    /// use source_http::incremental::MinMaxDatetime;
    /// use source_http::interpolation::Jinja;
    /// let m = MinMaxDatetime::from_manifest(&json!({
    ///     "type": "MinMaxDatetime", "datetime": "{{ config.start }}",
    ///     "min_datetime": "2024-01-01", "datetime_format": "%Y-%m-%d",
    /// }), &Default::default()).unwrap();
    /// let t = m.get_datetime(&Jinja::new(), &json!({"start": "2020-05-05"}), "%s").unwrap();
    /// assert_eq!(format(&t, "%Y-%m-%d").unwrap(), "2024-01-01");
    /// ```
    pub fn get_datetime(
        &self,
        jinja: &Jinja,
        config: &Value,
        inherited: &str,
    ) -> Result<DateTime, Error> {
        let format = [self.datetime_format.as_str(), inherited]
            .into_iter()
            .find(|f| !f.is_empty())
            .unwrap_or(DEFAULT_FORMAT);
        let context = context(config, &self.parameters, []);
        let render = |template: &str| -> Result<String, Error> {
            Ok(python_str(&jinja.string(template, &context)?))
        };
        let parse = |text: &str| {
            datetime::parse(text, format).map_err(|e| {
                Error::Manifest(format!(
                    "the datetime {text:?} does not match the format {format:?}: {e}"
                ))
            })
        };
        let mut time = parse(&render(&self.datetime)?)?;
        if !self.min_datetime.is_empty() {
            let min = render(&self.min_datetime)?;
            if !min.is_empty() {
                let min = parse(&min)?;
                if min > time {
                    time = min;
                }
            }
        }
        if !self.max_datetime.is_empty() {
            let max = render(&self.max_datetime)?;
            if !max.is_empty() {
                let max = parse(&max)?;
                if max < time {
                    time = max;
                }
            }
        }
        Ok(time)
    }
}
