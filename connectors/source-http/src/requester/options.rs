//! `RequestOption` and `RequestPath`: where a component puts a value in
//! the request.
//!
//! - `inject_into`: `request_parameter`, `header`, `body_data` or
//!   `body_json`.
//! - `field_name`: a template rendered with the config alone (the CDK
//!   builds it with empty `parameters`), then `str()`'d; the value is set
//!   at that key.
//! - `field_path`: for `body_json` only; its segments rendered the same
//!   way, nested mappings created on the way (`{"variables": {"cursor":
//!   v}}`). Setting both, or neither, is a manifest error.
//! - Values are injected as they are (an int stays an int).

use serde_json::{Map, Value};

use super::component::{component, opt_text, opt_text_list, req_text};
use super::context::config_only;
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};

/// The part of a request an option goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InjectInto {
    /// A query parameter.
    RequestParameter,
    /// A header.
    Header,
    /// A field of a form (or raw) body.
    BodyData,
    /// A field of a JSON body.
    BodyJson,
}

impl InjectInto {
    /// The manifest's name for it (`request_parameter`, …).
    pub fn name(self) -> &'static str {
        match self {
            InjectInto::RequestParameter => "request_parameter",
            InjectInto::Header => "header",
            InjectInto::BodyData => "body_data",
            InjectInto::BodyJson => "body_json",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "request_parameter" => InjectInto::RequestParameter,
            "header" => InjectInto::Header,
            "body_data" => InjectInto::BodyData,
            "body_json" => InjectInto::BodyJson,
            _ => return None,
        })
    }
}

/// Where, within its part of the request, an option's value goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// A top-level key (a template).
    Name(String),
    /// A path of nested keys (templates), for JSON bodies.
    Path(Vec<String>),
}

/// A `RequestOption`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOption {
    /// The part of the request.
    pub inject_into: InjectInto,
    /// The key or the path.
    pub field: Field,
}

impl RequestOption {
    /// Builds one from its manifest mapping (`type: RequestOption`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::requester::{InjectInto, RequestOption};
    /// let option = RequestOption::from_manifest(&json!({
    ///     "type": "RequestOption", "inject_into": "body_json", "field_path": ["variables", "cursor"]
    /// })).unwrap();
    /// assert_eq!(option.inject_into, InjectInto::BodyJson);
    /// let error = RequestOption::from_manifest(&json!({
    ///     "type": "RequestOption", "inject_into": "header", "field_path": ["a", "b"]
    /// })).unwrap_err();
    /// assert!(error.to_string().contains("Nested field injection is only supported for body JSON"));
    /// ```
    pub fn from_manifest(value: &Value) -> Result<Self, Error> {
        let map = component(value, &["RequestOption"], "a request option")?;
        let inject = req_text(map, "inject_into")?;
        let inject_into = InjectInto::parse(&inject).ok_or_else(|| {
            Error::Manifest(format!(
                "RequestOption.inject_into must be request_parameter, header, body_data or body_json, not {inject:?}"
            ))
        })?;
        // The CDK's factory treats an empty name or path as absent.
        let name = opt_text(map, "field_name")?.filter(|n| !n.is_empty());
        let path = opt_text_list(map, "field_path")?.filter(|p| !p.is_empty());
        let field = match (name, path) {
            (None, None) => {
                return Err(Error::Manifest(
                    "RequestOption requires either a field_name or field_path".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::Manifest(
                    "Only one of field_name or field_path can be provided to RequestOption".into(),
                ));
            }
            (Some(name), None) => Field::Name(name),
            (None, Some(path)) => {
                if inject_into != InjectInto::BodyJson {
                    return Err(Error::Manifest(NESTED_ONLY_JSON.into()));
                }
                Field::Path(path)
            }
        };
        Ok(RequestOption { inject_into, field })
    }

    /// Sets `value` in `target` (the mapping of its part of the request),
    /// as `RequestOption.inject_into_request` does.
    ///
    /// ```
    /// use serde_json::{json, Map};
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::RequestOption;
    /// let option = RequestOption::from_manifest(&json!({
    ///     "type": "RequestOption", "inject_into": "body_json", "field_path": ["variables", "{{ config.k }}"]
    /// })).unwrap();
    /// let mut body = Map::new();
    /// option.inject(&mut body, json!(25), &Jinja::new(), &json!({"k": "after"})).unwrap();
    /// assert_eq!(body, *json!({"variables": {"after": 25}}).as_object().unwrap());
    /// ```
    pub fn inject(
        &self,
        target: &mut Map<String, Value>,
        value: Value,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<(), Error> {
        let context = config_only(config, &Map::new());
        let render = |template: &str| -> Result<String, Error> {
            Ok(python_str(&jinja.string(template, &context)?))
        };
        match &self.field {
            Field::Name(name) => {
                target.insert(render(name)?, value);
            }
            Field::Path(path) => {
                let keys = path
                    .iter()
                    .map(|s| render(s))
                    .collect::<Result<Vec<_>, _>>()?;
                let Some((last, parents)) = keys.split_last() else {
                    return Ok(());
                };
                let mut current = target;
                for key in parents {
                    let entry = current
                        .entry(key.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    current = match entry {
                        Value::Object(map) => map,
                        other => {
                            return Err(Error::Request {
                                kind: "TypeError".into(),
                                message: format!(
                                    "'{}' object does not support item assignment",
                                    py_type(other)
                                ),
                            });
                        }
                    };
                }
                current.insert(last.clone(), value);
            }
        }
        Ok(())
    }
}

const NESTED_ONLY_JSON: &str = "Nested field injection is only supported for body JSON injection. Please use a top-level field_name for other injection types.";

/// The name of a value's Python type.
pub(crate) fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A `page_token_option`: a [`RequestOption`], or `RequestPath` (the token
/// is the next request's URL or path).
#[derive(Debug, Clone, PartialEq)]
pub enum PageTokenOption {
    /// Injected as a request option.
    Option(RequestOption),
    /// `RequestPath`: the token replaces the path.
    Path,
}

impl PageTokenOption {
    /// Builds one from its manifest mapping (`RequestOption` or
    /// `RequestPath`).
    pub fn from_manifest(value: &Value) -> Result<Self, Error> {
        let map = component(
            value,
            &["RequestOption", "RequestPath"],
            "a page_token_option",
        )?;
        if map.get("type").and_then(Value::as_str) == Some("RequestPath") {
            Ok(PageTokenOption::Path)
        } else {
            RequestOption::from_manifest(value).map(PageTokenOption::Option)
        }
    }
}
