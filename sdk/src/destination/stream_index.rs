//! Routing a record to its configured stream, by name and namespace.

use std::collections::HashMap;

use airbyte_protocol::ConfiguredAirbyteCatalog;

use crate::error::Error;

/// Finds a stream's index by name and namespace without allocating.
///
/// A name with a namespace matches exactly. A name without one (PyAirbyte
/// sends cached records with none, while its catalog keeps the source's
/// namespace) matches the configured stream of that name without a
/// namespace, else the only configured stream of that name; if several have
/// it, it is ambiguous: a config error that lists them.
pub(super) struct StreamIndex {
    by_name: HashMap<String, Vec<(Option<String>, usize)>>,
    /// Each stream's name and namespace, by index.
    names: Vec<(String, Option<String>)>,
    /// The last stream found, and whether it was asked for without a
    /// namespace: records mostly come in runs of one stream.
    last: Option<(usize, bool)>,
}

impl StreamIndex {
    pub(super) fn new(catalog: &ConfiguredAirbyteCatalog) -> Self {
        let mut by_name: HashMap<String, Vec<(Option<String>, usize)>> = HashMap::new();
        let mut names = Vec::with_capacity(catalog.streams.len());
        for (i, configured) in catalog.streams.iter().enumerate() {
            let d = configured.stream.descriptor();
            by_name
                .entry(d.name.clone())
                .or_default()
                .push((d.namespace.clone(), i));
            names.push((d.name, d.namespace));
        }
        StreamIndex {
            by_name,
            names,
            last: None,
        }
    }

    /// The index of stream `name` in `namespace`, `None` if the catalog does
    /// not have it, an error if `namespace` is `None` and the name is ambiguous.
    pub(super) fn get(
        &mut self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Option<usize>, Error> {
        if let Some((i, without_namespace)) = self.last {
            let (n, ns) = &self.names[i];
            // A name without a namespace resolves as it did last time; one
            // with a namespace resolves to the stream that has both.
            let same = match namespace {
                None => without_namespace,
                Some(_) => !without_namespace && ns.as_deref() == namespace,
            };
            if same && n == name {
                return Ok(Some(i));
            }
        }
        let Some(candidates) = self.by_name.get(name) else {
            return Ok(None);
        };
        let i = match candidates.iter().find(|(ns, _)| ns.as_deref() == namespace) {
            Some((_, i)) => *i,
            None if namespace.is_some() => return Ok(None),
            None => match candidates.as_slice() {
                [(_, i)] => *i,
                [] => return Ok(None),
                many => {
                    let mut names: Vec<String> = many
                        .iter()
                        .map(|(ns, _)| match ns {
                            Some(ns) => format!("`{ns}.{name}`"),
                            None => format!("`{name}`"),
                        })
                        .collect();
                    names.sort();
                    return Err(Error::config(format!(
                        "stream `{name}` has no namespace and the configured catalog has {} streams of that name: {}; send its messages with a namespace",
                        many.len(),
                        names.join(", ")
                    )));
                }
            },
        };
        self.last = Some((i, namespace.is_none()));
        Ok(Some(i))
    }
}
