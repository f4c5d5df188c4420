//! The interpolation context of a request: what the CDK's
//! `get_interpolation_context` gives the URL, the path and the request
//! options (`stream_slice` with its aliases, `next_page_token`, the
//! slice's extra fields), with `config` and the component's `parameters`.

use serde_json::{Map, Value};

/// What a request is built for: the config, the slice, the page.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// The connector's config.
    pub config: &'a Value,
    /// The stream slice (partition and cursor fields in one mapping), as
    /// the templates see it; `None` gives `None` (the retriever always has
    /// one, `{}` for a stream without partitions).
    pub stream_slice: Option<&'a Value>,
    /// The slice's extra fields, spread into the context.
    pub extra_fields: Option<&'a Map<String, Value>>,
    /// The page token itself (not the `{"next_page_token": …}` mapping):
    /// `None` for a first page without an initial token.
    pub next_page_token: Option<&'a Value>,
}

impl<'a> RequestContext<'a> {
    /// A context with only a config: the first page of a stream without
    /// partitions (`stream_slice` `{}`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::requester::RequestContext;
    /// let config = json!({"k": 1});
    /// let context = RequestContext::new(&config);
    /// let map = context.jinja(&Default::default());
    /// assert_eq!(map["stream_slice"], json!({}));
    /// assert_eq!(map["next_page_token"], json!(null));
    /// ```
    pub fn new(config: &'a Value) -> Self {
        RequestContext {
            config,
            stream_slice: Some(&EMPTY_OBJECT),
            extra_fields: None,
            next_page_token: None,
        }
    }

    /// This context for another page token.
    pub fn with_token(self, next_page_token: Option<&'a Value>) -> Self {
        RequestContext {
            next_page_token,
            ..self
        }
    }

    /// The Jinja context: `config`, `parameters`, `stream_slice`,
    /// `next_page_token` (`{"next_page_token": t}` or `None`) and the
    /// extra fields.
    pub fn jinja(&self, parameters: &Map<String, Value>) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("config".into(), self.config.clone());
        map.insert("parameters".into(), Value::Object(parameters.clone()));
        map.insert(
            "stream_slice".into(),
            self.stream_slice.cloned().unwrap_or(Value::Null),
        );
        map.insert(
            "next_page_token".into(),
            token_mapping(self.next_page_token),
        );
        if let Some(extra) = self.extra_fields {
            for (k, v) in extra {
                map.insert(k.clone(), v.clone());
            }
        }
        map
    }
}

static EMPTY_OBJECT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(Map::new()));

/// `{"next_page_token": token}`, or `None` without a token.
pub fn token_mapping(token: Option<&Value>) -> Value {
    match token {
        Some(t) => {
            let mut m = Map::new();
            m.insert("next_page_token".into(), t.clone());
            Value::Object(m)
        }
        None => Value::Null,
    }
}

/// A context of `config` and `parameters` only (what a `RequestOption`'s
/// field name and most component fields are rendered with).
pub(crate) fn config_only(config: &Value, parameters: &Map<String, Value>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("config".into(), config.clone());
    map.insert("parameters".into(), Value::Object(parameters.clone()));
    map
}
