//! The pagination strategies of a `DefaultPaginator`, as airbyte-cdk
//! 7.39.1 has them.
//!
//! - `CursorPagination`: no initial token; `stop_condition` is checked
//!   first, then `cursor_value` is the next token (a falsy one ends
//!   pagination). Both see `response` (the first decoded body),
//!   `headers` (with `link` parsed), `last_record`, `last_page_size`
//!   (records *emitted*, after the filter), `page_size` and
//!   `stream_slice`. `page_size` never ends pagination.
//! - `OffsetIncrement`: the offset of the next page, `previous + N`
//!   (`0 + N` after a first page without a token), where N is the number
//!   of records the **extractor** returned (before any filter); it ends
//!   on `N < page_size` or `N == 0`. `page_size` may read `response`.
//! - `PageIncrement`: `start_from_page + 1` after a first page without a
//!   token, then `+ 1`; it ends as `OffsetIncrement` does.
//!
//! 7.39.1 counts the extractor's records for the two increments (the
//! record selector's count kept on the response), where the reference
//! (§2.2) speaks of the emitted records: a filter does not end their
//! pagination early. CursorPagination still gets the emitted count.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::links::pagination_headers;
use crate::error::Error;
use crate::error_handler::backoff::template_names;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::requester::{
    HttpResponse, NumberOrTemplate, config_only, opt_bool, opt_int, opt_int_or_template, opt_text,
    parameters, read_component, req_text, type_of,
};

/// What a page gave the paginator.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The response.
    pub response: &'a HttpResponse<'a>,
    /// Its first decoded body (`{}` when it has none), shared with the
    /// templates as a view (only what they read of it is converted).
    pub body: &'a Arc<Value>,
    /// The records emitted for the page (after the filter).
    pub emitted: usize,
    /// The records the extractor returned for the page, before the
    /// filter (`None`: as many as emitted).
    pub extracted: Option<usize>,
    /// The last record emitted.
    pub last_record: Option<&'a Value>,
    /// The slice the page was read for.
    pub stream_slice: Option<&'a Value>,
}

/// A pagination strategy.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// `CursorPagination`.
    Cursor {
        /// `cursor_value` (a template).
        cursor_value: String,
        /// `stop_condition` (a template).
        stop_condition: Option<String>,
        /// `page_size`, evaluated with the config.
        page_size: Option<i64>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `OffsetIncrement`.
    Offset {
        /// `page_size`: a number, or a template (config, `response`).
        page_size: Option<NumberOrTemplate>,
        /// `inject_on_first_request`.
        inject_on_first_request: bool,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `PageIncrement`.
    Page {
        /// `page_size`, evaluated with the config.
        page_size: Option<i64>,
        /// `start_from_page`.
        start_from_page: i64,
        /// `inject_on_first_request`.
        inject_on_first_request: bool,
    },
}

/// What a strategy reads of a page besides the records' count, which
/// decides whether the read loop may move the records out of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageReads {
    /// Nothing: the body can give its records away.
    Nothing,
    /// The body (`response`), but not the records emitted (`last_record`,
    /// `last_page_size`): the token can be computed before the records
    /// are moved out of the body.
    Body,
    /// The records emitted, and the body as it came.
    Records,
}

impl Strategy {
    /// What the strategy's templates read of a page (by their text, which
    /// can only overstate it).
    pub fn page_reads(&self) -> PageReads {
        match self {
            Strategy::Cursor {
                cursor_value,
                stop_condition,
                ..
            } => {
                let emitted = |t: &str| t.contains("last_record") || t.contains("last_page_size");
                if emitted(cursor_value) || stop_condition.as_deref().is_some_and(emitted) {
                    PageReads::Records
                } else {
                    PageReads::Body
                }
            }
            Strategy::Offset {
                page_size: Some(NumberOrTemplate::Template(_)),
                ..
            } => PageReads::Body,
            Strategy::Offset { .. } | Strategy::Page { .. } => PageReads::Nothing,
        }
    }
}

fn config_error(message: String) -> Error {
    Error::Manifest(message)
}

/// `InterpolatedString(page_size).eval(config)`, which must be an int.
fn evaluated_page_size(
    page_size: Option<NumberOrTemplate>,
    jinja: &Jinja,
    config: &Value,
    parameters: &Map<String, Value>,
) -> Result<Option<i64>, Error> {
    match page_size {
        None => Ok(None),
        Some(NumberOrTemplate::Int(n)) => Ok(Some(n)),
        Some(NumberOrTemplate::Float(f)) => Ok(Some(f as i64)),
        Some(NumberOrTemplate::Template(t)) => {
            let value = jinja.string(&t, &config_only(config, parameters))?;
            int_of(&value).map(Some).ok_or_else(|| {
                config_error(format!(
                    "{} is of type <class '{}'>. Expected <class 'int'>",
                    python_str(&value),
                    crate::requester::options::py_type(&value)
                ))
            })
        }
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

impl Strategy {
    /// Builds one from its manifest mapping, evaluating `page_size` with
    /// the config where the CDK does.
    pub fn from_manifest(value: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let map = read_component(
            value,
            &["CursorPagination", "OffsetIncrement", "PageIncrement"],
            "a pagination strategy",
        )?;
        let parameters = parameters(map);
        let page_size = opt_int_or_template(map, "page_size")?;
        Ok(match type_of(map) {
            "CursorPagination" => {
                let cursor_value = req_text(map, "cursor_value")?;
                let stop_condition = opt_text(map, "stop_condition")?;
                let page_size = evaluated_page_size(page_size, jinja, config, &parameters)?;
                if page_size.is_none() {
                    for (name, template) in [
                        ("stop_condition", stop_condition.as_deref()),
                        ("cursor_value", Some(cursor_value.as_str())),
                    ] {
                        if let Some(t) = template
                            && template_names(t).is_some_and(|n| n.iter().any(|n| n == "page_size"))
                        {
                            return Err(config_error(unbound_page_size(name, t)));
                        }
                    }
                }
                Strategy::Cursor {
                    cursor_value,
                    stop_condition,
                    page_size,
                    parameters,
                }
            }
            "OffsetIncrement" => Strategy::Offset {
                page_size: page_size
                    .filter(|p| !matches!(p, NumberOrTemplate::Template(t) if t.is_empty())),
                inject_on_first_request: opt_bool(map, "inject_on_first_request")?.unwrap_or(false),
                parameters,
            },
            _ => Strategy::Page {
                page_size: evaluated_page_size(page_size, jinja, config, &parameters)?,
                start_from_page: opt_int(map, "start_from_page")?.unwrap_or(0),
                inject_on_first_request: opt_bool(map, "inject_on_first_request")?.unwrap_or(false),
            },
        })
    }

    /// The token of the first request (`initial_token`).
    pub fn initial_token(&self) -> Option<Value> {
        match self {
            Strategy::Cursor { .. } => None,
            Strategy::Offset {
                inject_on_first_request: true,
                ..
            } => Some(Value::from(0)),
            Strategy::Page {
                inject_on_first_request: true,
                start_from_page,
                ..
            } => Some(Value::from(*start_from_page)),
            _ => None,
        }
    }

    /// The page size (`get_page_size`), evaluated with the config.
    pub fn page_size(&self, jinja: &Jinja, config: &Value) -> Result<Option<i64>, Error> {
        match self {
            Strategy::Cursor { page_size, .. } | Strategy::Page { page_size, .. } => Ok(*page_size),
            Strategy::Offset {
                page_size,
                parameters,
                ..
            } => {
                let value = match page_size {
                    None => return Ok(None),
                    Some(NumberOrTemplate::Int(n)) => return Ok(Some(*n)),
                    Some(NumberOrTemplate::Float(f)) => return Ok(Some(*f as i64)),
                    Some(NumberOrTemplate::Template(t)) => {
                        jinja.string(t, &config_only(config, parameters))?
                    }
                };
                int_of(&value).map(Some).ok_or_else(|| Error::Request {
                    kind: "Exception".into(),
                    message: format!(
                        "{} is of type <class '{}'>. Expected <class 'int'>",
                        python_str(&value),
                        crate::requester::options::py_type(&value)
                    ),
                })
            }
        }
    }

    /// The next token after `page`, or `None` at the end
    /// (`next_page_token`); `last` is the token the page was requested
    /// with.
    pub fn next_token(
        &self,
        page: &Page<'_>,
        last: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Option<Value>, Error> {
        match self {
            Strategy::Cursor {
                cursor_value,
                stop_condition,
                page_size,
                parameters,
            } => {
                let mut context = config_only(config, parameters);
                context.insert(
                    "headers".into(),
                    Value::Object(pagination_headers(page.response)),
                );
                context.insert(
                    "last_record".into(),
                    page.last_record.cloned().unwrap_or(Value::Null),
                );
                context.insert("last_page_size".into(), Value::from(page.emitted));
                context.insert(
                    "page_size".into(),
                    page_size.map_or(Value::Null, Value::from),
                );
                context.insert(
                    "stream_slice".into(),
                    page.stream_slice.cloned().unwrap_or(Value::Null),
                );
                let shared = [("response", page.body)];
                if let Some(condition) = stop_condition
                    && jinja.boolean_shared(condition, &context, &shared)?
                {
                    return Ok(None);
                }
                let token = jinja.string_shared(cursor_value, &context, &shared)?;
                Ok(truthy(&token).then_some(token))
            }
            Strategy::Offset {
                page_size,
                parameters,
                ..
            } => {
                let count = page.extracted.unwrap_or(page.emitted) as i64;
                let requested = match page_size {
                    None => None,
                    Some(NumberOrTemplate::Int(n)) => Some(Value::from(*n)),
                    Some(NumberOrTemplate::Float(f)) => Some(Value::from(*f as i64)),
                    Some(NumberOrTemplate::Template(t)) => {
                        let context = config_only(config, parameters);
                        Some(jinja.string_shared(t, &context, &[("response", page.body)])?)
                    }
                };
                if ends(count, requested.as_ref())? {
                    return Ok(None);
                }
                increment(last, count, 0, "OffsetIncrement")
            }
            Strategy::Page {
                page_size,
                start_from_page,
                ..
            } => {
                let count = page.extracted.unwrap_or(page.emitted) as i64;
                if ends(count, page_size.map(Value::from).as_ref())? {
                    return Ok(None);
                }
                increment(last, 1, *start_from_page, "PageIncrement")
            }
        }
    }
}

/// `(page_size and count < page_size) or count == 0`.
fn ends(count: i64, page_size: Option<&Value>) -> Result<bool, Error> {
    if count == 0 {
        return Ok(true);
    }
    match page_size {
        Some(size) if truthy(size) => match size {
            Value::Number(n) => Ok(n.as_f64().is_some_and(|s| (count as f64) < s)),
            Value::Bool(_) => Ok(count < 1),
            other => Err(Error::Request {
                kind: "TypeError".into(),
                message: format!(
                    "'<' not supported between instances of 'int' and '{}'",
                    crate::requester::options::py_type(other)
                ),
            }),
        },
        _ => Ok(false),
    }
}

/// The next offset or page: `start + step` without a previous token
/// (`0 + count`, `start_from_page + 1`), else `previous + step`.
fn increment(
    last: Option<&Value>,
    step: i64,
    start: i64,
    strategy: &str,
) -> Result<Option<Value>, Error> {
    match last {
        None | Some(Value::Null) => Ok(Some(Value::from(start + step))),
        Some(Value::Number(n)) if n.is_i64() => {
            Ok(Some(Value::from(n.as_i64().unwrap_or(0) + step)))
        }
        Some(other) => Err(Error::Request {
            kind: "ValueError".into(),
            message: format!(
                "Last page token value {} for {strategy} pagination strategy was not an integer",
                python_str(other)
            ),
        }),
    }
}

fn unbound_page_size(field: &str, expression: &str) -> String {
    let mut repr = String::new();
    crate::interpolation::string_repr(expression, &mut repr);
    format!(
        "The `{field}` {repr} reads the `page_size` interpolation variable, but the CursorPagination strategy it belongs to declares no `page_size`, so there is nothing to bind it to. The comparison would not fail either - it renders as the template string itself, which is truthy - so the pagination would end after the first page and the rest of the partition would be dropped silently. Declare `page_size` on the pagination strategy, or compare against a value the manifest defines, such as `config['page_size']`."
    )
}
