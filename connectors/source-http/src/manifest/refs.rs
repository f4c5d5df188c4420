//! References: `#/a/b` strings and `$ref` mappings, resolved against the
//! whole manifest as `airbyte-cdk`'s reference resolver does.
//!
//! - A string that starts with `#/` is replaced by the value it points to.
//! - A mapping with a `$ref` is its target overlaid with its own keys
//!   (shallow: a local nested mapping replaces the target's whole). A
//!   target that is not a mapping replaces the mapping.
//! - `#/a/b/c` first tries `a/b/c` as one key, then descends by `a` (a
//!   list index when the node is a list) and tries `b/c`, and so on: a key
//!   that contains `/` still resolves.
//! - Every use is a separate copy; a cycle or a missing target is an error
//!   naming where the reference is.
//! - Values under `config_overrides` are kept as they are.

use serde_json::{Map, Value};

use crate::error::Error;

/// Resolves every reference in `manifest`.
///
/// ```
/// use serde_json::json;
/// let manifest = json!({
///     "definitions": {"base": {"url_base": "https://api", "http_method": "GET"}},
///     "requester": {"$ref": "#/definitions/base", "http_method": "POST"},
///     "url": "#/definitions/base/url_base",
/// });
/// let resolved = source_http::manifest::refs::resolve(&manifest).unwrap();
/// assert_eq!(resolved["requester"], json!({"url_base": "https://api", "http_method": "POST"}));
/// assert_eq!(resolved["url"], "https://api");
/// ```
pub fn resolve(manifest: &Value) -> Result<Value, Error> {
    let mut resolver = Resolver {
        root: manifest,
        visiting: Vec::new(),
    };
    resolver.node(manifest, &mut Vec::new())
}

struct Resolver<'a> {
    root: &'a Value,
    /// The references being resolved, innermost last (to find cycles).
    visiting: Vec<String>,
}

/// A path in the manifest, for messages: `streams.0.retriever`.
fn dotted(path: &[String]) -> String {
    if path.is_empty() {
        "the manifest's root".to_owned()
    } else {
        path.join(".")
    }
}

impl Resolver<'_> {
    fn node(&mut self, node: &Value, path: &mut Vec<String>) -> Result<Value, Error> {
        match node {
            Value::Object(map) => {
                let mut own = Map::new();
                for (key, value) in map {
                    if key == "$ref" {
                        continue;
                    }
                    path.push(key.clone());
                    let resolved = if key == "config_overrides" {
                        Ok(value.clone())
                    } else {
                        self.node(value, path)
                    };
                    path.pop();
                    own.insert(key.clone(), resolved?);
                }
                let Some(reference) = map.get("$ref") else {
                    return Ok(Value::Object(own));
                };
                path.push("$ref".to_owned());
                let target = self.node(reference, path);
                path.pop();
                match target? {
                    Value::Object(mut target) => {
                        target.extend(own);
                        Ok(Value::Object(target))
                    }
                    other => Ok(other),
                }
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let resolved = self.node(item, path);
                    path.pop();
                    out.push(resolved?);
                }
                Ok(Value::Array(out))
            }
            Value::String(text) if text.starts_with("#/") => self.reference(text, path),
            other => Ok(other.clone()),
        }
    }

    fn reference(&mut self, reference: &str, path: &mut Vec<String>) -> Result<Value, Error> {
        if self.visiting.iter().any(|r| r == reference) {
            return Err(Error::Manifest(format!(
                "the reference {reference:?} at {} is circular ({} → {reference})",
                dotted(path),
                self.visiting.join(" → ")
            )));
        }
        let target = lookup(self.root, &reference[2..]).ok_or_else(|| {
            Error::Manifest(format!(
                "the reference {reference:?} at {} points to nothing in the manifest",
                dotted(path)
            ))
        })?;
        self.visiting.push(reference.to_owned());
        let resolved = self.node(target, path);
        self.visiting.pop();
        resolved
    }
}

/// The value at `pointer` (`a/b/c`, without `#/`): the whole remainder as
/// one key first, then one segment down.
fn lookup<'v>(mut node: &'v Value, mut pointer: &str) -> Option<&'v Value> {
    while !pointer.is_empty() {
        if let Some(whole) = node.as_object().and_then(|m| m.get(pointer)) {
            return Some(whole);
        }
        let (head, rest) = pointer.split_once('/').unwrap_or((pointer, ""));
        node = match node {
            Value::Object(map) => map.get(head)?,
            Value::Array(items) => items.get(head.parse::<usize>().ok()?)?,
            _ => return None,
        };
        pointer = rest;
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_references_and_shallow_merges() {
        let manifest = json!({
            "definitions": {
                "auth": {"type": "ApiKeyAuthenticator", "api_token": "{{ config.key }}"},
                "requester": {"type": "HttpRequester", "authenticator": "#/definitions/auth", "request_parameters": {"a": 1, "b": 2}},
                "a/b": {"slash": true},
            },
            "streams": [
                {"retriever": {"requester": {"$ref": "#/definitions/requester", "request_parameters": {"c": 3}}}},
                {"retriever": {"requester": "#/streams/0/retriever/requester"}},
            ],
            "slashed": "#/definitions/a/b",
        });
        let resolved = resolve(&manifest).unwrap();
        let requester = &resolved["streams"][0]["retriever"]["requester"];
        assert_eq!(requester["authenticator"]["type"], "ApiKeyAuthenticator");
        assert_eq!(
            requester["request_parameters"],
            json!({"c": 3}),
            "local mapping replaces, no deep merge"
        );
        assert_eq!(
            resolved["streams"][1]["retriever"]["requester"], *requester,
            "list indexes"
        );
        assert_eq!(
            resolved["slashed"],
            json!({"slash": true}),
            "a key with a slash"
        );
    }

    #[test]
    fn cycles_and_missing_targets_name_the_place() {
        let cycle = json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}});
        let e = resolve(&cycle).unwrap_err().to_string();
        assert!(e.contains("circular"), "{e}");
        let missing = json!({"streams": [{"retriever": "#/definitions/nope"}]});
        let e = resolve(&missing).unwrap_err().to_string();
        assert!(
            e.contains("streams.0.retriever") && e.contains("#/definitions/nope"),
            "{e}"
        );
    }

    #[test]
    fn a_reference_to_a_scalar_replaces_the_mapping_and_overrides_stay() {
        let manifest = json!({
            "n": 5,
            "x": {"$ref": "#/n", "ignored": 1},
            "check": {"config_overrides": {"path": "#/not/resolved"}},
        });
        let resolved = resolve(&manifest).unwrap();
        assert_eq!(resolved["x"], 5);
        assert_eq!(
            resolved["check"]["config_overrides"]["path"],
            "#/not/resolved"
        );
    }
}
