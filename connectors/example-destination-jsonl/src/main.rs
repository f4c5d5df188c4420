//! An example destination: each stream becomes `<dir>/<namespace>.<stream>.jsonl`
//! with one record per line (`_airbyte_raw_id`-free: the record's `data`,
//! `emitted_at` and `meta`). Supports append, overwrite and append_dedup.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use airbyte_sdk::destination::{Batch, StreamWriter};
use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode};
use airbyte_sdk::serde_json::{self, Value, value::RawValue};
use airbyte_sdk::source::CursorValue;
use airbyte_sdk::{Destination, Error, SpecOptions};

/// Writes each stream to a JSON-lines file.
#[airbyte_sdk::config]
pub struct JsonlConfig {
    /// The directory the files are written to (created if missing).
    #[airbyte(order = 0, examples = ["/local/airbyte"])]
    pub destination_path: String,
}

/// The JSONL destination.
#[derive(Default)]
pub struct Jsonl;

struct StreamFile {
    final_path: PathBuf,
    /// Where batches go: the final file (append, dedup) or a temporary one (overwrite).
    write_path: PathBuf,
    mode: DestinationSyncMode,
    primary_key: Vec<Vec<String>>,
    cursor: Vec<String>,
}

/// Writes batches to files, fsyncing each one.
pub struct JsonlWriter {
    files: Vec<StreamFile>,
}

fn file_name(namespace: Option<&str>, name: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    match namespace {
        Some(ns) => format!("{}.{}.jsonl", clean(ns), clean(name)),
        None => format!("{}.jsonl", clean(name)),
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::config(format!("cannot {what} {}: {e}", path.display())).with_source(e)
}

#[airbyte_sdk::async_trait]
impl Destination for Jsonl {
    type Config = JsonlConfig;
    type Writer = JsonlWriter;

    fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            supported_destination_sync_modes: Some(vec![
                DestinationSyncMode::Append,
                DestinationSyncMode::Overwrite,
                DestinationSyncMode::AppendDedup,
            ]),
            ..SpecOptions::default()
        }
    }

    async fn check(&self, config: &JsonlConfig) -> Result<(), Error> {
        let dir = Path::new(&config.destination_path);
        std::fs::create_dir_all(dir).map_err(|e| io_error("create the directory", dir, e))?;
        let probe = dir.join(".airbyte-check");
        std::fs::write(&probe, b"ok").map_err(|e| io_error("write to", dir, e))?;
        let _ = std::fs::remove_file(probe);
        Ok(())
    }

    async fn open(
        &self,
        config: &JsonlConfig,
        catalog: &ConfiguredAirbyteCatalog,
    ) -> Result<JsonlWriter, Error> {
        let dir = PathBuf::from(&config.destination_path);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create the directory", &dir, e))?;
        let mut files = Vec::new();
        for configured in &catalog.streams {
            let name = file_name(
                configured.stream.namespace.as_deref(),
                &configured.stream.name,
            );
            let final_path = dir.join(&name);
            let mode = configured.destination_sync_mode;
            let write_path = match mode {
                DestinationSyncMode::Overwrite => dir.join(format!("{name}.tmp")),
                DestinationSyncMode::Append | DestinationSyncMode::AppendDedup => {
                    final_path.clone()
                }
                other => {
                    return Err(Error::config(format!(
                        "sync mode {other:?} is not supported by this destination"
                    )));
                }
            };
            if mode == DestinationSyncMode::Overwrite {
                std::fs::write(&write_path, b"").map_err(|e| io_error("create", &write_path, e))?;
            }
            files.push(StreamFile {
                final_path,
                write_path,
                mode,
                primary_key: configured
                    .effective_primary_key()
                    .map(<[_]>::to_vec)
                    .unwrap_or_default(),
                cursor: configured
                    .effective_cursor_field()
                    .map(<[_]>::to_vec)
                    .unwrap_or_default(),
            });
        }
        Ok(JsonlWriter { files })
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for JsonlWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        let file = &self.files[batch.stream];
        let mut buf = Vec::with_capacity(batch.bytes + batch.len() * 32);
        for record in &batch {
            buf.extend_from_slice(br#"{"emitted_at":"#);
            buf.extend_from_slice(record.emitted_at().to_string().as_bytes());
            buf.extend_from_slice(br#","data":"#);
            buf.extend_from_slice(record.data().as_bytes());
            if let Some(meta) = record.meta_json().filter(|m| *m != "null") {
                buf.extend_from_slice(br#","meta":"#);
                buf.extend_from_slice(meta.as_bytes());
            }
            buf.extend_from_slice(b"}\n");
        }
        let path = &file.write_path;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_error("open", path, e))?;
        f.write_all(&buf).map_err(|e| io_error("write", path, e))?;
        // Durable before the SDK echoes the states that follow.
        f.sync_data().map_err(|e| io_error("sync", path, e))?;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), Error> {
        for file in &self.files {
            match file.mode {
                DestinationSyncMode::Overwrite => {
                    std::fs::rename(&file.write_path, &file.final_path)
                        .map_err(|e| io_error("replace", &file.final_path, e))?;
                }
                DestinationSyncMode::AppendDedup if !file.primary_key.is_empty() => dedup(file)?,
                _ => {}
            }
        }
        Ok(())
    }
}

fn path_value<'a>(data: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(data, |v, key| v.get(key))
}

/// The cursor at `path` in a line's `data`, typed from its JSON text, so it
/// compares by value (exactly, at any precision): integers and decimals as
/// numbers, timestamps as instants, other strings as text. `None` when the
/// stream has no cursor or the row has none (or a `null` one): it sorts first.
fn cursor_value(line: &str, path: &[String]) -> Result<Option<CursorValue>, Error> {
    if path.is_empty() {
        return Ok(None);
    }
    let mut raw: &RawValue = serde_json::from_str(line)?;
    for key in std::iter::once("data").chain(path.iter().map(String::as_str)) {
        let Ok(object) = serde_json::from_str::<HashMap<String, &RawValue>>(raw.get()) else {
            return Ok(None);
        };
        match object.get(key) {
            Some(value) => raw = value,
            None => return Ok(None),
        }
    }
    Ok(CursorValue::from_json(raw.get())?)
}

/// Keeps the newest line per primary key: highest cursor (compared as a typed
/// [`CursorValue`], so 10 beats 9), then latest `emitted_at`, then the later line.
fn dedup(file: &StreamFile) -> Result<(), Error> {
    let path = &file.final_path;
    let Ok(f) = std::fs::File::open(path) else {
        return Ok(());
    };
    type Newest = (usize, Option<CursorValue>, i64, String);
    let mut newest: HashMap<String, Newest> = HashMap::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| io_error("read", path, e))?;
        let row: Value = serde_json::from_str(&line)?;
        let data = row.get("data").cloned().unwrap_or(Value::Null);
        let key: Vec<String> = file
            .primary_key
            .iter()
            .map(|p| {
                path_value(&data, p)
                    .map(Value::to_string)
                    .unwrap_or_default()
            })
            .collect();
        let key = key.join("\u{1f}");
        let cursor = cursor_value(&line, &file.cursor)?;
        let emitted = row.get("emitted_at").and_then(Value::as_i64).unwrap_or(0);
        let newer = match newest.get(&key) {
            Some((_, c, e, _)) => (cursor.as_ref(), emitted) >= (c.as_ref(), *e),
            None => true,
        };
        if newer {
            newest.insert(key, (n, cursor, emitted, line));
        }
    }
    let mut rows: Vec<_> = newest.into_values().collect();
    rows.sort_by_key(|r| r.0);
    let tmp = path.with_extension("jsonl.dedup");
    let mut out = std::fs::File::create(&tmp).map_err(|e| io_error("create", &tmp, e))?;
    for (_, _, _, line) in rows {
        writeln!(out, "{line}").map_err(|e| io_error("write", &tmp, e))?;
    }
    out.sync_all().map_err(|e| io_error("sync", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))
}

airbyte_sdk::destination_main!(Jsonl);
