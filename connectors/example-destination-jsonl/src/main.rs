//! An example destination: each stream becomes `<dir>/<namespace>.<stream>.jsonl`
//! with one record per line (`_airbyte_raw_id`-free: the record's `data`,
//! `emitted_at` and `meta`). Supports append, overwrite and append_dedup,
//! with the SDK's rules: its `StreamPlan`s say which streams truncate and
//! dedup, and its `DedupOrder` which line of a key is kept.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use airbyte_sdk::destination::{Batch, DedupOrder, RecordVersion, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::DestinationSyncMode;
use airbyte_sdk::serde_json::{self, Value, value::RawValue};
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
    /// Where batches go: the final file, or a temporary one when the plan
    /// truncates (overwrite, or a refresh of a new minimum generation).
    write_path: PathBuf,
    /// Whether the temporary file replaces the final one at the end.
    truncates: bool,
    /// The key and order of an append_dedup stream.
    dedup: Option<(Vec<Vec<String>>, DedupOrder)>,
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

    async fn open(&self, config: &JsonlConfig, plans: &[StreamPlan]) -> Result<JsonlWriter, Error> {
        let dir = PathBuf::from(&config.destination_path);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create the directory", &dir, e))?;
        let mut files = Vec::new();
        // The SDK checked the modes against `spec_options` and the keys of dedup streams.
        for plan in plans {
            let d = &plan.descriptor;
            let name = file_name(d.namespace.as_deref(), &d.name);
            let final_path = dir.join(&name);
            let truncates = plan.truncates();
            let write_path = if truncates {
                let tmp = dir.join(format!("{name}.tmp"));
                std::fs::write(&tmp, b"").map_err(|e| io_error("create", &tmp, e))?;
                tmp
            } else {
                final_path.clone()
            };
            files.push(StreamFile {
                final_path,
                write_path,
                truncates,
                dedup: plan
                    .dedups()
                    .then(|| (plan.primary_key.clone(), plan.dedup_order())),
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
            if file.truncates {
                std::fs::rename(&file.write_path, &file.final_path)
                    .map_err(|e| io_error("replace", &file.final_path, e))?;
            }
            if let Some((key, order)) = &file.dedup {
                dedup(&file.final_path, key, order)?;
            }
        }
        Ok(())
    }
}

fn path_value<'a>(data: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(data, |v, key| v.get(key))
}

/// Keeps the newest line per primary key, in the SDK's [`DedupOrder`]:
/// highest cursor (compared as a typed value, so 10 beats 9), then latest
/// `emitted_at`, then the later line.
fn dedup(path: &Path, key: &[Vec<String>], order: &DedupOrder) -> Result<(), Error> {
    let Ok(f) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut newest: HashMap<String, (RecordVersion, String)> = HashMap::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| io_error("read", path, e))?;
        let row: HashMap<&str, &RawValue> = serde_json::from_str(&line)?;
        let data_text = row.get("data").map_or("null", |d| d.get());
        let data: Value = serde_json::from_str(data_text)?;
        let id: Vec<String> = key
            .iter()
            .map(|p| {
                path_value(&data, p)
                    .map(Value::to_string)
                    .unwrap_or_default()
            })
            .collect();
        let emitted = row
            .get("emitted_at")
            .and_then(|e| e.get().parse::<i64>().ok())
            .unwrap_or(0);
        let version = order.version(data_text, emitted, n as u64)?;
        let id = id.join("\u{1f}");
        if newest.get(&id).is_none_or(|(kept, _)| version > *kept) {
            newest.insert(id, (version, line));
        }
    }
    let mut rows: Vec<_> = newest.into_values().collect();
    rows.sort_by_key(|(version, _)| version.arrival);
    let tmp = path.with_extension("jsonl.dedup");
    let mut out = std::fs::File::create(&tmp).map_err(|e| io_error("create", &tmp, e))?;
    for (_, line) in rows {
        writeln!(out, "{line}").map_err(|e| io_error("write", &tmp, e))?;
    }
    out.sync_all().map_err(|e| io_error("sync", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))
}

airbyte_sdk::destination_main!(Jsonl);
