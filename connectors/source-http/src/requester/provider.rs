//! The requester's own options (`InterpolatedRequestOptionsProvider`):
//! `request_parameters`, `request_headers`, `request_body_data`,
//! `request_body_json` and `request_body`, each a mapping or one template.
//!
//! Typing after rendering, per part (the CDK's valid types):
//!
//! | part | keys | values | `None` |
//! |---|---|---|---|
//! | parameters, form data | text | text or a list (`"123"` stays text) | an empty render drops the key |
//! | headers | text | any literal, `str()`'d later | dropped |
//! | JSON body | any literal | any literal, at every depth | dropped from mappings |
//!
//! A mapping's non-text values are kept as they are. A whole-part
//! template is rendered with no restriction: a mapping result is used
//! (its `None` values dropped, but for the JSON body), text is a raw
//! body, anything else adds nothing.

use serde_json::{Map, Value};

use super::component::{as_text, field, type_of};
use super::merge::Piece;
use crate::error::Error;
use crate::interpolation::{Jinja, ValidTypes};

/// A part as the manifest gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestInput {
    /// A mapping of templates.
    Mapping(Map<String, Value>),
    /// One template for the whole part.
    Template(String),
}

/// The requester's options, as written in its manifest mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptionsProvider {
    /// `request_parameters`.
    pub params: Option<RequestInput>,
    /// `request_headers`.
    pub headers: Option<RequestInput>,
    /// `request_body_data`, or a form or plain-text `request_body`.
    pub body_data: Option<RequestInput>,
    /// `request_body_json`, or a JSON or GraphQL `request_body`.
    pub body_json: Option<RequestInput>,
    /// The requester's `$parameters`.
    pub parameters: Map<String, Value>,
}

/// A part's input: a mapping whose values pydantic makes text (`str_values`)
/// or leaves as they are, or a template.
fn input(
    map: &Map<String, Value>,
    key: &str,
    str_values: bool,
) -> Result<Option<RequestInput>, Error> {
    let Some(value) = field(map, key) else {
        return Ok(None);
    };
    match value {
        // `request_inputs or {}`: an empty template is no input.
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(RequestInput::Template(s.clone()))),
        Value::Object(m) if m.is_empty() => Ok(None),
        Value::Object(m) if str_values => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), Value::String(as_text(map, key, v)?));
            }
            Ok(Some(RequestInput::Mapping(out)))
        }
        Value::Object(m) => Ok(Some(RequestInput::Mapping(m.clone()))),
        other => Err(Error::Manifest(format!(
            "{}.{key} must be a mapping or a template, not {}",
            type_of(map),
            crate::interpolation::python_str(other)
        ))),
    }
}

impl RequestOptionsProvider {
    /// Reads the options of an `HttpRequester` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::requester::RequestOptionsProvider;
    /// let requester = json!({"type": "HttpRequester", "request_body": {
    ///     "type": "RequestBodyJsonObject", "value": {"a": 1}}, "request_body_data": {"b": "2"}});
    /// let error = RequestOptionsProvider::from_requester(requester.as_object().unwrap()).unwrap_err();
    /// assert!(error.to_string().contains("either 'request_body_data' or 'request_body_json' not both"));
    /// ```
    pub fn from_requester(map: &Map<String, Value>) -> Result<Self, Error> {
        if let Some(Value::Object(m)) = field(map, "request_parameters")
            && m.values().any(Value::is_object)
        {
            return Err(Error::Manifest(
                "HttpRequester.request_parameters with QueryProperties are not supported by source-http yet".into(),
            ));
        }
        let mut provider = RequestOptionsProvider {
            params: input(map, "request_parameters", true)?,
            headers: input(map, "request_headers", true)?,
            body_data: input(map, "request_body_data", true)?,
            body_json: input(map, "request_body_json", false)?,
            parameters: super::component::parameters(map),
        };
        if let Some(body) = field(map, "request_body") {
            let body_map = super::component::component(
                body,
                &[
                    "RequestBodyPlainText",
                    "RequestBodyUrlEncodedForm",
                    "RequestBodyJsonObject",
                    "RequestBodyGraphQL",
                ],
                "HttpRequester.request_body",
            )?;
            let value = super::component::required(body_map, "value")?;
            let kind = type_of(body_map);
            match (kind, value) {
                ("RequestBodyPlainText", v) => {
                    let text = as_text(body_map, "value", v)?;
                    provider.body_data = (!text.is_empty()).then_some(RequestInput::Template(text));
                }
                ("RequestBodyUrlEncodedForm", Value::Object(_)) => {
                    provider.body_data = input(body_map, "value", true)?;
                }
                ("RequestBodyJsonObject", Value::Object(_)) => {
                    provider.body_json = input(body_map, "value", false)?;
                }
                ("RequestBodyGraphQL", Value::Object(query)) => {
                    if !query.get("query").is_some_and(Value::is_string) {
                        return Err(Error::Manifest(
                            "RequestBodyGraphQL.value needs a `query` (text)".into(),
                        ));
                    }
                    // `.dict(exclude_none=True)`.
                    let value: Map<String, Value> = query
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    provider.body_json = Some(RequestInput::Mapping(value));
                }
                (kind, _) => {
                    return Err(Error::Manifest(format!("{kind}.value must be a mapping")));
                }
            }
        }
        if provider.body_json.is_some() && provider.body_data.is_some() {
            return Err(Error::Manifest(
                "RequestOptionsProvider should only contain either 'request_body_data' or 'request_body_json' not both".into(),
            ));
        }
        Ok(provider)
    }

    /// A flat part (`InterpolatedRequestInputProvider.eval_request_inputs`).
    fn flat(
        &self,
        input: &Option<RequestInput>,
        jinja: &Jinja,
        context: &Map<String, Value>,
        values: ValidTypes,
    ) -> Result<Option<Piece>, Error> {
        let value = match input {
            None => return Ok(Some(Piece::Map(Map::new()))),
            Some(RequestInput::Mapping(m)) => Value::Object(jinja.mapping(m, context, values)?),
            Some(RequestInput::Template(t)) => jinja.string(t, context)?,
        };
        Ok(Piece::of(match value {
            Value::Object(m) => {
                Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect())
            }
            other => other,
        }))
    }

    /// The query parameters (a mapping; anything else is `{}`).
    pub fn params(&self, jinja: &Jinja, context: &Map<String, Value>) -> Result<Piece, Error> {
        Ok(
            match self.flat(&self.params, jinja, context, ValidTypes::StrOrList)? {
                Some(Piece::Map(m)) => Piece::Map(m),
                _ => Piece::Map(Map::new()),
            },
        )
    }

    /// The headers (a mapping, or what a whole-part template rendered).
    pub fn headers(
        &self,
        jinja: &Jinja,
        context: &Map<String, Value>,
    ) -> Result<Option<Piece>, Error> {
        self.flat(&self.headers, jinja, context, ValidTypes::Any)
    }

    /// The form or raw body (`… or {}`: a falsy result is `{}`).
    pub fn body_data(&self, jinja: &Jinja, context: &Map<String, Value>) -> Result<Piece, Error> {
        Ok(
            match self.flat(&self.body_data, jinja, context, ValidTypes::StrOrList)? {
                Some(Piece::Text(t)) if t.is_empty() => Piece::Map(Map::new()),
                Some(Piece::Other(v)) if !crate::interpolation::truthy(&v) => {
                    Piece::Map(Map::new())
                }
                Some(piece) => piece,
                None => Piece::Map(Map::new()),
            },
        )
    }

    /// The JSON body (`InterpolatedNestedMapping`: every string leaf
    /// rendered, keys included; `None` dropped from mappings).
    pub fn body_json(
        &self,
        jinja: &Jinja,
        context: &Map<String, Value>,
    ) -> Result<Option<Piece>, Error> {
        let value = match &self.body_json {
            None => return Ok(Some(Piece::Map(Map::new()))),
            Some(RequestInput::Template(t)) => jinja.string(t, context)?,
            Some(RequestInput::Mapping(m)) => nested(&Value::Object(m.clone()), jinja, context)?,
        };
        Ok(Piece::of(value))
    }
}

/// `InterpolatedNestedMapping._eval`.
fn nested(value: &Value, jinja: &Jinja, context: &Map<String, Value>) -> Result<Value, Error> {
    Ok(match value {
        Value::String(s) => jinja.eval(s, context, None)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| nested(v, jinja, context))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = json_key(jinja.eval(k, context, None)?)?;
                let v = nested(v, jinja, context)?;
                if !v.is_null() {
                    out.insert(key, v);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The JSON key `json.dumps` writes for a rendered key.
fn json_key(key: Value) -> Result<String, Error> {
    Ok(match key {
        Value::String(s) => s,
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => crate::interpolation::python_str(&Value::Number(n)),
        other => {
            return Err(Error::Request {
                kind: "TypeError".into(),
                message: format!("unhashable type: '{}'", super::options::py_type(&other)),
            });
        }
    })
}
