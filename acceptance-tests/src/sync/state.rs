//! The state file: what the source resumes from, advanced only by the
//! states the destination echoed.

use std::io::Write;
use std::path::{Path, PathBuf};

use airbyte_protocol::{AirbyteStateMessage, AirbyteStateType, JsonObject, StreamDescriptor};
use serde_json::Value;

use crate::error::Error;

/// Which state a message replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Global,
    Legacy,
    Stream(StreamDescriptor),
}

fn slot(state: &AirbyteStateMessage) -> Slot {
    match (state.effective_type(), &state.stream) {
        (AirbyteStateType::Stream, Some(s)) => Slot::Stream(s.stream_descriptor.clone()),
        (AirbyteStateType::Global, _) => Slot::Global,
        _ => Slot::Legacy,
    }
}

/// The latest committed state per stream (and the latest GLOBAL), kept in
/// the order first seen, and the file they are saved to.
#[derive(Debug, Default)]
pub(crate) struct StateStore {
    path: Option<PathBuf>,
    /// The file's content when the sync started, for the source's `--state`.
    input: Option<Value>,
    entries: Vec<(Slot, AirbyteStateMessage)>,
}

impl StateStore {
    /// Reads the state file if it exists (an empty file counts as none).
    pub(crate) fn load(path: Option<&Path>) -> Result<Self, Error> {
        let mut store = StateStore {
            path: path.map(Path::to_path_buf),
            ..Default::default()
        };
        let Some(path) = path else { return Ok(store) };
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(source) => {
                return Err(Error::File {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            return Ok(store);
        }
        let bad = |why: String| Error::Sync(format!("the state file {} {why}", path.display()));
        let value: Value =
            serde_json::from_slice(&text).map_err(|e| bad(format!("is not valid JSON: {e}")))?;
        match &value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let state: AirbyteStateMessage =
                        serde_json::from_value(item.clone()).map_err(|e| {
                            bad(format!(
                                "has an element {i} that is not a state message: {e}"
                            ))
                        })?;
                    store.put(state);
                }
            }
            // A legacy state: the bare `data` object, as CAT passes it.
            Value::Object(map) if !map.is_empty() => {
                let data = JsonObject::try_from(value.clone())
                    .map_err(|e| bad(format!("is not a legacy state: {e}")))?;
                store.put(AirbyteStateMessage::legacy(data));
            }
            Value::Object(_) | Value::Null => {}
            _ => return Err(bad("must hold a JSON array of state messages".to_owned())),
        }
        let empty = matches!(&value, Value::Array(a) if a.is_empty())
            || matches!(&value, Value::Object(o) if o.is_empty());
        store.input = (!empty && !value.is_null()).then_some(value);
        Ok(store)
    }

    /// The source's `--state`: the file as it was at the start.
    pub(crate) fn input(&self) -> Option<&Value> {
        self.input.as_ref()
    }

    /// The file, if any.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn put(&mut self, state: AirbyteStateMessage) {
        let slot = slot(&state);
        match self.entries.iter_mut().find(|(s, _)| *s == slot) {
            Some(entry) => entry.1 = state,
            None => self.entries.push((slot, state)),
        }
    }

    /// Records a state the destination echoed (without the runner's `id`)
    /// and saves the file.
    pub(crate) fn commit(&mut self, state: AirbyteStateMessage) -> Result<(), Error> {
        self.put(state);
        self.save()
    }

    /// Writes the file: a JSON array, one state per line, through a
    /// temporary file renamed over the old one.
    pub(crate) fn save(&self) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file_error = |p: &Path, source: std::io::Error| Error::File {
            path: p.display().to_string(),
            source,
        };
        let mut text = Vec::from(&b"["[..]);
        for (i, (_, state)) in self.entries.iter().enumerate() {
            text.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
            serde_json::to_writer(&mut text, state)
                .map_err(|e| Error::Sync(format!("cannot serialize a state: {e}")))?;
        }
        text.extend_from_slice(if self.entries.is_empty() {
            b"]\n"
        } else {
            b"\n]\n"
        });
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".to_owned());
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()
        })();
        if let Err(source) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(file_error(&tmp, source));
        }
        std::fs::rename(&tmp, path).map_err(|source| file_error(path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_state_per_stream_replaces_in_place() {
        let dir = airbyte_sdk::testkit::TestDir::new("state-store");
        let path = dir.path().join("state.json");
        let mut store = StateStore::load(Some(&path)).expect("no file is fine");
        assert!(store.input().is_none());
        let state = |name: &str, n: i64| {
            AirbyteStateMessage::stream(
                StreamDescriptor::new(name),
                JsonObject::from_string(format!(r#"{{"c":{n}}}"#)).expect("json"),
            )
        };
        store.commit(state("a", 1)).expect("save");
        store.commit(state("b", 1)).expect("save");
        store.commit(state("a", 2)).expect("save");
        let saved: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("json");
        assert_eq!(
            saved,
            serde_json::json!([
                {"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{"c":2}}},
                {"type":"STREAM","stream":{"stream_descriptor":{"name":"b"},"stream_state":{"c":1}}}
            ])
        );
        let again = StateStore::load(Some(&path)).expect("load");
        assert_eq!(again.input(), Some(&saved));
        assert_eq!(again.entries.len(), 2);
    }
}
