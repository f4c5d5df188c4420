//! Jinja as the CDK's `JinjaInterpolation` runs it, on minijinja: a
//! sandbox without `range`, lenient undefined values (printing as nothing,
//! failing on attribute access), names that are neither in the context
//! nor globals refused, `stream_state` refused, values printed as
//! Python's `str()`, Python's string and dict methods, the CDK's macros
//! and filters, and the literal evaluation of the result.

mod duration;
mod filters;
mod lazy;
mod macros;
mod objects;
mod print;
mod zone;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value as JinjaValue};
use serde_json::{Map, Value};

use super::typed;
use crate::error::Error;

pub use duration::{PyDuration, rewrite as rewrite_duration_arithmetic};
pub use objects::PyDateTime;
pub use zone::zone_offset;

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
    /// The names each template reads (`undeclared_variables`), by template.
    names: Mutex<HashMap<String, Arc<BTreeSet<String>>>>,
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
        env.add_function("duration", duration::duration);
        env.add_function("today_with_timezone", macros::today_with_timezone);
        env.add_function("generate_uuid", macros::generate_uuid);
        env.add_function("__py_add", duration::py_add);
        env.add_function("__py_sub", duration::py_sub);
        env.add_filter("hash", filters::hash);
        env.add_filter("base64encode", filters::base64encode);
        env.add_filter("base64decode", filters::base64decode);
        env.add_filter("base64binascii_decode", filters::base64binascii_decode);
        env.add_filter("string", filters::string);
        env.add_filter("regex_search", filters::regex_search);
        env.add_filter("regex_replace", filters::regex_replace);
        env.add_filter("hmac", filters::hmac);
        // Templates are compiled once and kept, by their text (the CDK
        // caches them too): the loader's "name" is the template itself.
        env.set_loader(|source| Ok(Some(duration::rewrite(source))));
        Jinja {
            env,
            names: Mutex::new(HashMap::new()),
        }
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
        self.eval_shared(template, context, &[], default, valid)
    }

    /// [`Jinja::eval_as`] with `shared` entries besides the context's:
    /// documents handed to the template as views, converted only as far
    /// as it reads them (a page's `response`, which a paginator's template
    /// reads a field of).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use serde_json::{Map, json};
    /// use source_http::interpolation::{Jinja, ValidTypes};
    /// let page = Arc::new(json!({"data": [{"id": 1}, {"id": 2}], "next": "t-2"}));
    /// let jinja = Jinja::new();
    /// let shared = [("response", &page)];
    /// let next = jinja.eval_shared("{{ response.next }}", &Map::new(), &shared, None, ValidTypes::Any);
    /// assert_eq!(next.unwrap(), json!("t-2"));
    /// let last = jinja.eval_shared("{{ response.data[-1].id }}", &Map::new(), &shared, None, ValidTypes::Any);
    /// assert_eq!(last.unwrap(), json!(2));
    /// ```
    pub fn eval_shared(
        &self,
        template: &str,
        context: &Map<String, Value>,
        shared: &[(&str, &Arc<Value>)],
        default: Option<&str>,
        valid: ValidTypes,
    ) -> Result<Value, Error> {
        let typed = |text: &str| valid.filter(text, typed(text));
        if let Some(alias) = ALIASES.iter().find(|a| context.contains_key(**a)) {
            return Err(Error::Manifest(format!(
                "{alias} is a reserved name of the interpolation context"
            )));
        }
        if template.contains("stream_state") {
            return Err(Error::Manifest(
                "`stream_state` is no longer supported for interpolation. We recommend using `stream_interval` instead.".into(),
            ));
        }
        // Plain text renders as itself: no template to compile or render.
        if !is_template(template) && !template.is_empty() {
            return Ok(typed(template));
        }
        let names = JinjaContext::new(context, shared);
        match self.render(template, &names) {
            Ok(text) if !text.is_empty() => return Ok(typed(&text)),
            Ok(_) => {}
            Err(Rendered::Undefined) => {}
            Err(Rendered::Failed(e)) => return Err(e),
        }
        match default {
            None => Ok(Value::Null),
            Some(default) if !is_template(default) => Ok(typed(default)),
            Some(default) => match self.render(default, &names) {
                Ok(text) => Ok(typed(&text)),
                Err(Rendered::Undefined) => Err(Error::Manifest(format!(
                    "the template {default:?} uses an undefined value as an object"
                ))),
                Err(Rendered::Failed(e)) => Err(e),
            },
        }
    }

    fn render(&self, template: &str, context: &JinjaContext<'_>) -> Result<String, Rendered> {
        let compiled = self.env.get_template(template).map_err(|e| {
            Rendered::Failed(Error::Manifest(format!(
                "the template {template:?} is not valid Jinja: {e}"
            )))
        })?;
        let names = self.names_read(template, &compiled);
        let undeclared: BTreeSet<&String> = names
            .iter()
            .filter(|name| {
                let alias = ALIASES.contains(&name.as_str()) && context.slice.is_some();
                !alias
                    && !context.source.contains_key(*name)
                    && !context.shared.iter().any(|(s, _)| s == *name)
                    && self.env.globals().all(|(g, _)| g != *name)
            })
            .collect();
        if !undeclared.is_empty() {
            return Err(Rendered::Failed(Error::Manifest(format!(
                "Jinja macro has undeclared variables: {undeclared:?} in {template:?}"
            ))));
        }
        compiled
            .render(context.value())
            .map_err(|e| match e.kind() {
                ErrorKind::UndefinedError => Rendered::Undefined,
                _ => Rendered::Failed(Error::Manifest(format!(
                    "the template {template:?} failed: {e}"
                ))),
            })
    }

    /// The names `template` reads, computed once.
    fn names_read(
        &self,
        template: &str,
        compiled: &minijinja::Template<'_, '_>,
    ) -> Arc<BTreeSet<String>> {
        let mut cache = self
            .names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(template.to_owned())
            .or_insert_with(|| Arc::new(compiled.undeclared_variables(false).into_iter().collect()))
            .clone()
    }
}

/// Whether `text` holds Jinja syntax (else it renders as itself).
fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// A template's context: the caller's mapping, with the slice's aliases,
/// converted only as far as the template reads it.
struct JinjaContext<'c> {
    source: &'c Map<String, Value>,
    /// Entries handed over as views of their document (`lazy`).
    shared: &'c [(&'c str, &'c Arc<Value>)],
    slice: Option<&'c Value>,
}

impl<'c> JinjaContext<'c> {
    fn new(source: &'c Map<String, Value>, shared: &'c [(&'c str, &'c Arc<Value>)]) -> Self {
        JinjaContext {
            source,
            shared,
            slice: source.get("stream_slice"),
        }
    }

    /// The minijinja context: every entry converted once, the aliases
    /// sharing the slice's conversion. (Only converting the names a
    /// template reads would be cheaper, but minijinja's
    /// `undeclared_variables` misses some, such as those under a slice.)
    fn value(&self) -> JinjaValue {
        // A stream slice's object (its `extra_fields`...), see partition::slice_value.
        let slice = self.slice.map(crate::partition::slice_value);
        let mut entries: Vec<(String, JinjaValue)> = self
            .source
            .iter()
            .map(|(name, value)| match (&slice, name.as_str()) {
                (Some(slice), "stream_slice") => (name.clone(), slice.clone()),
                _ => (name.clone(), JinjaValue::from_serialize(value)),
            })
            .collect();
        if let Some(slice) = slice {
            entries.extend(ALIASES.iter().map(|a| ((*a).to_owned(), slice.clone())));
        }
        entries.extend(
            self.shared
                .iter()
                .map(|(name, doc)| ((*name).to_owned(), lazy::LazyJson::value(doc))),
        );
        entries.into_iter().collect()
    }
}

enum Rendered {
    /// An undefined value was used as an object (Python's UndefinedError).
    Undefined,
    Failed(Error),
}
