//! Jinja as the CDK's `JinjaInterpolation` runs it, on minijinja: a
//! sandbox without `range`, lenient undefined values (printing as nothing,
//! failing on attribute access), names that are neither in the context
//! nor globals refused, `stream_state` refused, values printed as
//! Python's `str()`, Python's string and dict methods, the CDK's macros
//! and filters, and the literal evaluation of the result.

mod filters;
mod macros;
mod objects;
mod print;

use std::collections::BTreeSet;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value as JinjaValue};
use serde_json::{Map, Value};

use super::typed;
use crate::error::Error;

pub use objects::PyDateTime;

/// The types a rendered value may take (the CDK's `valid_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidTypes {
    /// Any literal.
    Any,
    /// Only text: mapping keys.
    Str,
    /// Text or a list: query parameters and form bodies.
    StrOrList,
}

impl ValidTypes {
    /// `value` if it has one of these types, else the text it came from.
    fn filter(self, text: &str, value: Value) -> Value {
        let ok = match self {
            ValidTypes::Any => true,
            ValidTypes::Str => value.is_string(),
            // A tuple (`1,2`) or a set is no list: only `[...]` text is one.
            ValidTypes::StrOrList => {
                value.is_string() || (value.is_array() && text.trim_start().starts_with('['))
            }
        };
        if ok {
            value
        } else {
            Value::String(text.to_owned())
        }
    }
}

/// The `stream_slice` aliases.
const ALIASES: [&str; 2] = ["stream_interval", "stream_partition"];

/// A Jinja environment set up as the CDK's.
///
/// ```
/// use serde_json::json;
/// use source_http::interpolation::Jinja;
/// let jinja = Jinja::new();
/// let context = json!({"config": {"page": "5", "tags": ["a", "b"]}});
/// let context = context.as_object().unwrap();
/// assert_eq!(jinja.eval("{{ config.page }}", context, None).unwrap(), json!(5));
/// assert_eq!(jinja.eval("p{{ config.page }}", context, None).unwrap(), json!("p5"));
/// assert_eq!(jinja.eval("{{ config.tags }}", context, None).unwrap(), json!(["a", "b"]));
/// assert_eq!(jinja.eval("{{ config.tags | join(',') }}", context, None).unwrap(), json!("a,b"));
/// assert_eq!(jinja.eval("{{ config.missing }}", context, None).unwrap(), json!(null));
/// assert!(jinja.eval("{{ nope }}", context, None).unwrap_err().to_string().contains("undeclared"));
/// ```
pub struct Jinja {
    env: Environment<'static>,
}

impl Default for Jinja {
    fn default() -> Self {
        Self::new()
    }
}

impl Jinja {
    /// The environment: builtins minus `range`, the CDK's macros and filters.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Lenient);
        env.remove_global("range");
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_formatter(|out, _state, value| {
            out.write_str(&print::python_str(value))
                .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string()))
        });
        env.add_function("now_utc", macros::now_utc);
        env.add_function("today_utc", macros::today_utc);
        env.add_function("timestamp", macros::timestamp);
        env.add_function("max", macros::max);
        env.add_function("min", macros::min);
        env.add_function("day_delta", macros::day_delta);
        env.add_function("format_datetime", macros::format_datetime);
        env.add_function("str_to_datetime", macros::str_to_datetime);
        env.add_function("sanitize_url", macros::sanitize_url);
        env.add_function("camel_case_to_snake_case", macros::camel_case_to_snake_case);
        env.add_filter("hash", filters::hash);
        env.add_filter("base64encode", filters::base64encode);
        env.add_filter("base64decode", filters::base64decode);
        env.add_filter("base64binascii_decode", filters::base64binascii_decode);
        env.add_filter("string", filters::string);
        env.add_filter("regex_search", filters::regex_search);
        env.add_filter("regex_replace", filters::regex_replace);
        env.add_filter("hmac", filters::hmac);
        Jinja { env }
    }

    /// `JinjaInterpolation.eval(template, config, default, **context)`:
    /// renders `template` (the context holds `config` and the rest), and
    /// literal-evaluates the text. An empty render, or an undefined value
    /// used as an object, renders `default` instead (`None`: null).
    pub fn eval(
        &self,
        template: &str,
        context: &Map<String, Value>,
        default: Option<&str>,
    ) -> Result<Value, Error> {
        self.eval_as(template, context, default, ValidTypes::Any)
    }

    /// [`Jinja::eval`] with the CDK's `valid_types`: a literal of another
    /// type stays the rendered text.
    pub fn eval_as(
        &self,
        template: &str,
        context: &Map<String, Value>,
        default: Option<&str>,
        valid: ValidTypes,
    ) -> Result<Value, Error> {
        let typed = |text: &str| valid.filter(text, typed(text));
        if let Some(alias) = ALIASES.iter().find(|a| context.contains_key(**a)) {
            return Err(Error::Manifest(format!(
                "{alias} is a reserved name of the interpolation context"
            )));
        }
        // The context is copied only to add the aliases of a slice.
        let with_aliases;
        let context = match context.get("stream_slice") {
            Some(slice) => {
                let mut copy = context.clone();
                for alias in ALIASES {
                    copy.insert(alias.to_owned(), slice.clone());
                }
                with_aliases = copy;
                &with_aliases
            }
            None => context,
        };
        if template.contains("stream_state") {
            return Err(Error::Manifest(
                "`stream_state` is no longer supported for interpolation. We recommend using `stream_interval` instead.".into(),
            ));
        }
        match self.render(template, context) {
            Ok(text) if !text.is_empty() => return Ok(typed(&text)),
            Ok(_) => {}
            Err(Rendered::Undefined) => {}
            Err(Rendered::Failed(e)) => return Err(e),
        }
        match default {
            None => Ok(Value::Null),
            Some(default) => match self.render(default, context) {
                Ok(text) => Ok(typed(&text)),
                Err(Rendered::Undefined) => Err(Error::Manifest(format!(
                    "the template {default:?} uses an undefined value as an object"
                ))),
                Err(Rendered::Failed(e)) => Err(e),
            },
        }
    }

    fn render(&self, template: &str, context: &Map<String, Value>) -> Result<String, Rendered> {
        let compiled = self.env.template_from_str(template).map_err(|e| {
            Rendered::Failed(Error::Manifest(format!(
                "the template {template:?} is not valid Jinja: {e}"
            )))
        })?;
        let undeclared: BTreeSet<String> = compiled
            .undeclared_variables(false)
            .into_iter()
            .filter(|name| {
                !context.contains_key(name) && self.env.globals().all(|(g, _)| g != name)
            })
            .collect();
        if !undeclared.is_empty() {
            return Err(Rendered::Failed(Error::Manifest(format!(
                "Jinja macro has undeclared variables: {undeclared:?} in {template:?}"
            ))));
        }
        compiled
            .render(JinjaValue::from_serialize(context))
            .map_err(|e| match e.kind() {
                ErrorKind::UndefinedError => Rendered::Undefined,
                _ => Rendered::Failed(Error::Manifest(format!(
                    "the template {template:?} failed: {e}"
                ))),
            })
    }
}

enum Rendered {
    /// An undefined value was used as an object (Python's UndefinedError).
    Undefined,
    Failed(Error),
}
