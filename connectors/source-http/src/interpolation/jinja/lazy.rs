//! A JSON document handed to templates without converting it: a response
//! body of a thousand records, of which a paginator's template reads one
//! field, is converted only as far as the template reads it.
//!
//! The document is shared (`Arc`); each object or array a template reaches
//! is a view of it (the root and the path to the node), and each scalar is
//! converted as `minijinja::Value::from_serialize` converts it, so a
//! template sees the same values as it would in a converted copy: maps in
//! the document's key order, negative indices, `length`, `in`, iteration,
//! Python's `dict` methods and `str()`.

use std::sync::Arc;

use minijinja::Value as JinjaValue;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::Value;

/// A step from a node to one of its children.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// A node of a shared JSON document.
#[derive(Debug)]
pub(crate) struct LazyJson {
    root: Arc<Value>,
    path: Vec<Step>,
}

impl LazyJson {
    /// The template value of `root`: a view if it is an object or an
    /// array, else the converted scalar.
    pub(crate) fn value(root: &Arc<Value>) -> JinjaValue {
        view_or_scalar(root, &root.clone(), Vec::new())
    }

    fn node(&self) -> &Value {
        // A view's path was taken through this very document, which never
        // changes: every step is found.
        static NULL: Value = Value::Null;
        let mut node: &Value = &self.root;
        for step in &self.path {
            let next = match (step, node) {
                (Step::Key(k), Value::Object(map)) => map.get(k.as_str()),
                (Step::Index(i), Value::Array(items)) => items.get(*i),
                _ => None,
            };
            node = next.unwrap_or(&NULL);
        }
        node
    }

    fn child(&self, step: Step, child: &Value) -> JinjaValue {
        let mut path = self.path.clone();
        path.push(step);
        view_or_scalar(child, &self.root, path)
    }
}

fn view_or_scalar(node: &Value, root: &Arc<Value>, path: Vec<Step>) -> JinjaValue {
    match node {
        Value::Object(_) | Value::Array(_) => JinjaValue::from_object(LazyJson {
            root: root.clone(),
            path,
        }),
        scalar => JinjaValue::from_serialize(scalar),
    }
}

impl Object for LazyJson {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.node() {
            Value::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &JinjaValue) -> Option<JinjaValue> {
        match self.node() {
            Value::Object(map) => {
                let (name, child) = map.get_key_value(key.as_str()?)?;
                Some(self.child(Step::Key(name.clone()), child))
            }
            Value::Array(items) => {
                let index = usize::try_from(key.as_i64()?).ok()?;
                Some(self.child(Step::Index(index), items.get(index)?))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Value::Object(map) => {
                Enumerator::Values(map.keys().map(|k| JinjaValue::from(k.as_str())).collect())
            }
            Value::Array(items) => Enumerator::Seq(items.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Value::Object(map) => Some(map.len()),
            Value::Array(items) => Some(items.len()),
            _ => Some(0),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.enumerator_len() != Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every template renders the same over the view as over a converted
    /// copy.
    #[test]
    fn a_view_renders_as_a_converted_copy() {
        let doc = json!({
            "next": "t-2", "none": null, "n": 3, "f": 1.5, "ok": true,
            "data": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}],
            "meta": {"b": 1, "a": {"deep": [1, 2, 3]}}, "empty": {}, "nothing": []
        });
        let shared = Arc::new(doc.clone());
        let env = minijinja::Environment::new();
        let templates = [
            "{{ r.next }}|{{ r['next'] }}|{{ r.none is none }}|{{ r.n + 1 }}|{{ r.f }}|{{ r.ok }}",
            "{{ r.data | length }}|{{ r.data[-1].id }}|{{ r.data[0]['tags'] }}|{{ r.data[5] is undefined }}",
            "{% for k in r.meta %}{{ k }},{% endfor %}|{% for k, v in r.meta | items %}{{ k }}={{ v }};{% endfor %}",
            "{{ r.meta.a.deep[1:] }}|{{ 'a' in r.meta }}|{{ 'z' in r.meta }}|{{ 2 in r.meta.a.deep }}",
            "{{ r.empty is mapping }}|{{ r.nothing is sequence }}|{% if r.empty %}x{% else %}y{% endif %}|{% if r.nothing %}x{% else %}y{% endif %}",
            "{{ r.data | map(attribute='id') | list }}|{{ r.meta == {'b': 1, 'a': {'deep': [1, 2, 3]}} }}|{{ r | tojson }}",
            "{{ r.missing }}|{{ r.data.missing is undefined }}|{{ r.meta | length }}|{{ r.data | last }}",
        ];
        for template in templates {
            let converted = env
                .render_str(
                    template,
                    minijinja::context! { r => JinjaValue::from_serialize(&doc) },
                )
                .unwrap();
            let lazy = env
                .render_str(
                    template,
                    minijinja::context! { r => LazyJson::value(&shared) },
                )
                .unwrap();
            assert_eq!(lazy, converted, "{template}");
        }
    }

    #[test]
    fn a_scalar_document_is_its_value() {
        let shared = Arc::new(json!("text"));
        assert_eq!(LazyJson::value(&shared), JinjaValue::from("text"));
    }
}
