//! The `dpath` package (2.x) as the CDK calls it: `get`, `values`, `new`
//! and `delete` over a JSON document, with `fnmatch` globs and `**`.
//!
//! Its quirks are kept:
//!
//! - A walk visits a node's children, then each child's subtree (empty
//!   keys are allowed: `airbyte_cdk.sources` sets
//!   `dpath.options.ALLOW_EMPTY_STRING_KEYS`).
//! - A list index matches a glob segment that reads as the same integer
//!   (`"01"` matches index 1), or a pattern (`*`) on its text.
//! - `delete` with a filter removes every leaf the filter accepts, matched
//!   by the glob or not; a list item that is not the last becomes `null`.
//! - `new` creates missing mappings (lists when the next segment is a
//!   number), pads lists with `null`, and fails through an existing leaf.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::python_str;

/// A segment of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// Text: a key, an index's digits, or an `fnmatch` pattern; `**`
    /// matches any number of segments.
    Text(String),
    /// An integer: a list index only.
    Int(i64),
    /// Anything else (a float, a boolean): matches nothing.
    Never,
}

impl Glob {
    /// The glob segment of a path element from the manifest or a template.
    pub fn from_value(value: &Value) -> Glob {
        match value {
            Value::String(s) => Glob::Text(s.clone()),
            Value::Number(n) if n.is_i64() => n.as_i64().map(Glob::Int).unwrap_or(Glob::Never),
            _ => Glob::Never,
        }
    }

    /// The segments of a `/`-separated glob text (a leading `/` dropped).
    pub fn split(text: &str) -> Vec<Glob> {
        text.trim_start_matches('/')
            .split('/')
            .map(|s| Glob::Text(s.to_owned()))
            .collect()
    }

    fn is_star_star(&self) -> bool {
        matches!(self, Glob::Text(t) if t == "**")
    }
}

/// A segment of a path found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn is_leaf(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// `segments.walk`: every (path, value) under `node`, children before
/// their subtrees; `visit` returns false to stop.
fn walk(
    node: &Value,
    location: &mut Vec<Seg>,
    visit: &mut dyn FnMut(&[Seg], &Value) -> bool,
) -> bool {
    let children: Vec<(Seg, &Value)> = match node {
        Value::Object(map) => map.iter().map(|(k, v)| (Seg::Key(k.clone()), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Seg::Index(i), v))
            .collect(),
        _ => return true,
    };
    for (segment, value) in &children {
        location.push(segment.clone());
        let go_on = visit(location, value);
        location.pop();
        if !go_on {
            return false;
        }
    }
    for (segment, value) in children {
        location.push(segment);
        let go_on = walk(value, location, visit);
        location.pop();
        if !go_on {
            return false;
        }
    }
    true
}

/// Python's `int(text)` for a glob segment.
fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !ok {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

/// `segments.match(path, glob)`.
fn matches(path: &[Seg], glob: &[Glob]) -> Result<bool, Error> {
    let expanded: Vec<Glob>;
    let mut glob = glob;
    if let Some(ss) = glob.iter().position(Glob::is_star_star) {
        if glob[ss + 1..].iter().any(Glob::is_star_star) {
            return Err(Error::Manifest(format!(
                "Invalid glob. Only one '**' is permitted per glob: {glob:?}"
            )));
        }
        if path.len() >= glob.len() {
            let stars = path.len() - glob.len() + 1;
            expanded = glob[..ss]
                .iter()
                .cloned()
                .chain(std::iter::repeat_n(Glob::Text("*".into()), stars))
                .chain(glob[ss + 1..].iter().cloned())
                .collect();
            glob = &expanded;
        } else if path.len() + 1 == glob.len() {
            expanded = glob[..ss].iter().chain(&glob[ss + 1..]).cloned().collect();
            glob = &expanded;
        }
    }
    if path.len() != glob.len() {
        return Ok(false);
    }
    Ok(path.iter().zip(glob).all(|(s, g)| match (s, g) {
        (Seg::Index(i), Glob::Int(n)) => i64::try_from(*i).is_ok_and(|i| i == *n),
        (Seg::Index(i), Glob::Text(t)) => match python_int(t) {
            Some(n) => i64::try_from(*i).is_ok_and(|i| i == n),
            None => fnmatch(&i.to_string(), t),
        },
        (Seg::Key(k), Glob::Text(t)) => fnmatch(k, t),
        _ => false,
    }))
}

/// `fnmatch.fnmatchcase(name, pattern)`: `*`, `?`, `[set]`, `[!set]`.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    fn go(n: &[char], p: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&n[i..], &p[1..])),
            Some('?') => !n.is_empty() && go(&n[1..], &p[1..]),
            Some('[') => match set_end(p) {
                Some(end) => {
                    !n.is_empty() && in_set(n[0], &p[1..end]) && go(&n[1..], &p[end + 1..])
                }
                None => n.first() == Some(&'[') && go(&n[1..], &p[1..]),
            },
            Some(c) => n.first() == Some(c) && go(&n[1..], &p[1..]),
        }
    }
    go(&name, &pattern)
}

/// The index of the `]` closing the set that starts `pattern`.
fn set_end(pattern: &[char]) -> Option<usize> {
    let mut i = 1;
    if pattern.get(i) == Some(&'!') {
        i += 1;
    }
    if pattern.get(i) == Some(&']') {
        i += 1;
    }
    while i < pattern.len() {
        if pattern[i] == ']' {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn in_set(c: char, set: &[char]) -> bool {
    let (negated, set) = match set.first() {
        Some('!') => (true, &set[1..]),
        _ => (false, set),
    };
    let mut found = false;
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if set[i] <= c && c <= set[i + 2] {
                found = true;
            }
            i += 3;
        } else {
            if set[i] == c {
                found = true;
            }
            i += 1;
        }
    }
    found != negated
}

/// `dpath.get(obj, glob, default)`: the one value the glob matches;
/// `Ok(None)` when none does; an error when several do.
///
/// ```
/// use serde_json::json;
/// use source_http::transform::dpath::{get, Glob};
/// let doc = json!({"meta": {"id": 7}, "items": [{"k": 1}]});
/// assert_eq!(get(&doc, &Glob::split("meta/id")).unwrap(), Some(&json!(7)));
/// assert_eq!(get(&doc, &Glob::split("items/0/k")).unwrap(), Some(&json!(1)));
/// assert_eq!(get(&doc, &Glob::split("nope")).unwrap(), None);
/// assert!(get(&json!({"a": {"x": 1}, "b": {"x": 2}}), &Glob::split("*/x")).is_err());
/// ```
pub fn get<'v>(obj: &'v Value, glob: &[Glob]) -> Result<Option<&'v Value>, Error> {
    if glob.is_empty() {
        return Ok(Some(obj));
    }
    let mut found: Vec<Vec<Seg>> = Vec::new();
    let mut failure = None;
    walk(obj, &mut Vec::new(), &mut |path, _| {
        match matches(path, glob) {
            Ok(true) => found.push(path.to_vec()),
            Ok(false) => {}
            Err(e) => {
                failure = Some(e);
                return false;
            }
        }
        found.len() <= 1
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match found.as_slice() {
        [] => Ok(None),
        [path] => Ok(lookup(obj, path)),
        _ => Err(Error::Read(format!(
            "dpath.get() globs must match only one leaf: {glob:?}"
        ))),
    }
}

/// `dpath.values(obj, glob)`: every value the glob matches, in walk order.
pub fn values(obj: &Value, glob: &[Glob]) -> Result<Vec<Value>, Error> {
    let mut found = Vec::new();
    let mut failure = None;
    walk(obj, &mut Vec::new(), &mut |path, value| {
        match matches(path, glob) {
            Ok(true) => found.push(value.clone()),
            Ok(false) => {}
            Err(e) => {
                failure = Some(e);
                return false;
            }
        }
        true
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

fn lookup<'v>(obj: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    path.iter()
        .try_fold(obj, |node, segment| match (node, segment) {
            (Value::Object(map), Seg::Key(k)) => map.get(k),
            (Value::Array(items), Seg::Index(i)) => items.get(*i),
            _ => None,
        })
}

fn lookup_mut<'v>(obj: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter()
        .try_fold(obj, |node, segment| match (node, segment) {
            (Value::Object(map), Seg::Key(k)) => map.get_mut(k),
            (Value::Array(items), Seg::Index(i)) => items.get_mut(*i),
            _ => None,
        })
}

/// A filter of `delete`: whether a leaf value goes.
pub type Filter<'f> = &'f mut dyn FnMut(&Value) -> Result<bool, Error>;

/// `dpath.delete(obj, glob, afilter)`: the count of values removed; an
/// error when there are none (`PathNotFound`, which callers may ignore:
/// see [`DeleteError`]).
pub fn delete(
    obj: &mut Value,
    glob: &[Glob],
    mut filter: Option<Filter<'_>>,
) -> Result<usize, DeleteError> {
    let mut pairs: Vec<(Vec<Seg>, Option<Value>)> = Vec::new();
    walk(obj, &mut Vec::new(), &mut |path, value| {
        pairs.push((path.to_vec(), is_leaf(value).then(|| value.clone())));
        true
    });
    let mut deleted = 0;
    for (path, leaf) in pairs {
        if lookup(obj, &path).is_none() {
            continue;
        }
        let selected = match (&mut filter, &leaf) {
            (Some(f), Some(value)) => f(value).map_err(DeleteError::Failed)?,
            _ => false,
        };
        let matched = filter.is_none() && matches(&path, glob).map_err(DeleteError::Failed)?;
        if !(matched || selected) {
            continue;
        }
        let Some((last, parent_path)) = path.split_last() else {
            continue;
        };
        match (lookup_mut(obj, parent_path), last) {
            (Some(Value::Object(map)), Seg::Key(k)) => {
                map.remove(k);
            }
            (Some(Value::Array(items)), Seg::Index(i)) => {
                if *i + 1 == items.len() {
                    items.pop();
                } else if let Some(item) = items.get_mut(*i) {
                    *item = Value::Null;
                }
            }
            _ => continue,
        }
        deleted += 1;
    }
    if deleted == 0 {
        return Err(DeleteError::NotFound);
    }
    Ok(deleted)
}

/// Why [`delete`] removed nothing.
#[derive(Debug)]
pub enum DeleteError {
    /// Nothing matched (`PathNotFound`).
    NotFound,
    /// The walk or the filter failed.
    Failed(Error),
}

/// `dpath.new(obj, path, value)`: sets `value` at `path`, creating what
/// is missing.
///
/// ```
/// use serde_json::json;
/// use source_http::transform::dpath::new;
/// let mut doc = json!({"a": [1]});
/// new(&mut doc, &["b".into(), "c".into()], json!(2)).unwrap();
/// new(&mut doc, &["a".into(), "3".into()], json!(4)).unwrap();
/// new(&mut doc, &["d".into(), "0".into()], json!("x")).unwrap();
/// assert_eq!(doc, json!({"a": [1, null, null, 4], "b": {"c": 2}, "d": ["x"]}));
/// assert!(new(&mut json!({"a": 1}), &["a".into(), "b".into()], json!(0)).is_err());
/// ```
pub fn new(obj: &mut Value, path: &[String], value: Value) -> Result<(), Error> {
    let not_found = || {
        Error::Read(format!(
            "Path: {path:?} goes through a value that is no object"
        ))
    };
    let Some((last, init)) = path.split_last() else {
        return Err(Error::Manifest("an empty path cannot be set".into()));
    };
    let mut current = obj;
    for (i, segment) in init.iter().enumerate() {
        let next_is_index = path
            .get(i + 1)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        current = match current {
            Value::Object(map) => map.entry(segment.clone()).or_insert_with(fresh),
            Value::Array(items) => {
                let index = list_index(items, segment)?;
                if index >= items.len() {
                    items.resize(index + 1, Value::Null);
                    items[index] = fresh();
                }
                &mut items[index]
            }
            _ => return Err(not_found()),
        };
        if is_leaf(current) {
            return Err(not_found());
        }
    }
    match current {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            let index = list_index(items, last)?;
            if index >= items.len() {
                items.resize(index + 1, Value::Null);
            }
            items[index] = value;
        }
        _ => return Err(not_found()),
    }
    Ok(())
}

/// A list's index for a path segment, as Python indexes (negative from
/// the end).
fn list_index(items: &[Value], segment: &str) -> Result<usize, Error> {
    let n = python_int(segment).ok_or_else(|| {
        Error::Read(format!(
            "invalid literal for int() with base 10: {}",
            python_str(&Value::String(segment.to_owned()))
        ))
    })?;
    if n >= 0 {
        usize::try_from(n).map_err(|_| Error::Read(format!("index {n} is out of range")))
    } else {
        let back =
            usize::try_from(-n).map_err(|_| Error::Read(format!("index {n} is out of range")))?;
        items
            .len()
            .checked_sub(back)
            .ok_or_else(|| Error::Read("list assignment index out of range".into()))
    }
}
