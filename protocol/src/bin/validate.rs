//! `airbyte-validate`: reads an Airbyte message stream on stdin and prints
//! per-type counts and the first error. Exits 1 if any line is invalid.
//!
//! ```text
//! source-x read --config c.json --catalog cat.json | airbyte-validate
//! airbyte-validate messages.jsonl
//! ```

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::ExitCode;

use airbyte_protocol::{MessageReader, MessageType};

fn main() -> ExitCode {
    let mut strict = true;
    let mut file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--allow-non-json" => strict = false,
            "-h" | "--help" => {
                println!(
                    "Usage: airbyte-validate [--allow-non-json] [FILE]   (reads stdin without FILE)\n\n\
                     Checks every line of an Airbyte message stream against the protocol (0.18)\n\
                     and prints counts per message type, per record stream, and the first error.\n\
                     --allow-non-json   count lines that are not JSON as logs, as the platform does"
                );
                return ExitCode::SUCCESS;
            }
            other if other.starts_with('-') => {
                eprintln!("airbyte-validate: unknown option {other:?} (try --help)");
                return ExitCode::from(2);
            }
            path => file = Some(path.to_owned()),
        }
    }
    let input: Box<dyn io::BufRead> = match &file {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => Box::new(io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("airbyte-validate: cannot open {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => Box::new(io::stdin().lock()),
    };
    let mut reader = MessageReader::new(input);
    let mut by_type: BTreeMap<MessageType, u64> = BTreeMap::new();
    let mut by_stream: BTreeMap<String, u64> = BTreeMap::new();
    let (mut bytes, mut invalid, mut non_json) = (0u64, 0u64, 0u64);
    let mut first_error = None;
    let started = std::time::Instant::now();
    while let Some(line) = reader.next_line() {
        let line = match line {
            Ok(line) => line,
            Err(e) if e.is_line_error() => {
                invalid += 1;
                first_error.get_or_insert_with(|| e.to_string());
                continue;
            }
            Err(e) => {
                eprintln!("airbyte-validate: {e}");
                return ExitCode::from(2);
            }
        };
        bytes += line.as_bytes().len() as u64 + 1;
        // Records are checked through the envelope (the fast path); every
        // other message is parsed fully, typed.
        let checked = line.envelope().and_then(|env| match env.kind {
            MessageType::Record => Ok(env),
            _ => line.parse().map(|_| env),
        });
        match checked {
            Ok(env) => {
                *by_type.entry(env.kind).or_default() += 1;
                if let Some(record) = env.record {
                    let name = match record.namespace {
                        Some(ns) => format!("{ns}.{}", record.stream),
                        None => record.stream.into_owned(),
                    };
                    *by_stream.entry(name).or_default() += 1;
                }
            }
            Err(airbyte_protocol::Error::NotJson { .. }) if !strict => non_json += 1,
            Err(e) => {
                invalid += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let mut out = io::stdout().lock();
    let total: u64 = by_type.values().sum();
    let _ = writeln!(out, "{:<22} {:>12}", "message type", "count");
    for (kind, n) in &by_type {
        let _ = writeln!(out, "{:<22} {:>12}", kind.as_str(), n);
    }
    for (stream, n) in &by_stream {
        let _ = writeln!(out, "  record stream {:<20} {:>12}", stream, n);
    }
    if non_json > 0 {
        let _ = writeln!(out, "{:<22} {:>12}", "non-JSON (as logs)", non_json);
    }
    let _ = writeln!(out, "{:<22} {:>12}", "invalid lines", invalid);
    let _ = writeln!(
        out,
        "{total} valid messages, {invalid} invalid, {:.1} MB in {:.2}s ({:.0} MB/s)",
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs
    );
    match first_error {
        Some(e) => {
            let _ = writeln!(out, "first error: {e}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}
