//! Validating records against their stream's `json_schema` (draft 7).

use std::collections::HashMap;

use airbyte_protocol::ConfiguredAirbyteCatalog;
use serde_json::value::RawValue;

use super::Validation;
use super::console::Console;
use super::stream_key;
use crate::error::Error;

/// Violations printed per stream in `warn` mode.
const SHOWN_PER_STREAM: u64 = 5;
/// Violations listed per record.
const SHOWN_PER_RECORD: usize = 3;

struct StreamValidator {
    validator: jsonschema::Validator,
    /// Records checked so far.
    records: u64,
    /// Invalid records so far.
    invalid: u64,
}

/// The validators of every stream of a catalog.
pub(crate) struct Validators {
    mode: Validation,
    streams: HashMap<String, StreamValidator>,
}

/// What validation made of a record.
pub(crate) enum Verdict {
    /// Valid, or not validated.
    Valid,
    /// Invalid; under `warn`, the sync goes on.
    Invalid,
    /// Invalid under `fail`: the sync must stop, with this message.
    Stop(String),
}

impl Validators {
    /// Compiles the schema of every stream. Under `warn`, a schema that does
    /// not compile is reported and its stream left unchecked; under `fail`
    /// it is an error.
    pub(crate) fn new(
        catalog: &ConfiguredAirbyteCatalog,
        mode: Validation,
        console: &Console,
    ) -> Result<Self, Error> {
        let mut streams = HashMap::new();
        if mode != Validation::Off {
            for configured in &catalog.streams {
                let stream = &configured.stream;
                let key = stream_key(stream.namespace.as_deref(), &stream.name);
                let schema = stream.json_schema.as_raw().to_value();
                match crate::schema::record_validator(&schema) {
                    Ok(validator) => {
                        streams.insert(key, StreamValidator { validator, records: 0, invalid: 0 });
                    }
                    Err(e) if mode == Validation::Fail => {
                        return Err(Error::Sync(format!("the json_schema of stream `{key}` is not a valid draft 7 schema: {e}")));
                    }
                    Err(e) => console.line(&format!(
                        "warning: the json_schema of stream `{key}` is not a valid draft 7 schema ({e}); its records are not validated"
                    )),
                }
            }
        }
        Ok(Validators { mode, streams })
    }

    /// Checks one record's `data` against the schema of stream `key`.
    pub(crate) fn check(&mut self, key: &str, data: &RawValue, console: &Console) -> Verdict {
        let Some(stream) = self.streams.get_mut(key) else {
            return Verdict::Valid;
        };
        stream.records += 1;
        let value: serde_json::Value = match serde_json::from_str(data.get()) {
            Ok(value) => value,
            // The envelope parse checked the JSON already.
            Err(_) => return Verdict::Valid,
        };
        if stream.validator.is_valid(&value) {
            return Verdict::Valid;
        }
        stream.invalid += 1;
        let show = self.mode == Validation::Fail || stream.invalid <= SHOWN_PER_STREAM;
        if !show {
            return Verdict::Invalid;
        }
        let violations: Vec<String> = stream
            .validator
            .iter_errors(&value)
            .take(SHOWN_PER_RECORD)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{e} at `{path}`")
                }
            })
            .collect();
        let message = format!(
            "record {} of stream `{key}` does not match its schema: {}",
            stream.records,
            violations.join("; ")
        );
        if self.mode == Validation::Fail {
            return Verdict::Stop(message);
        }
        console.line(&format!("warning: {message}"));
        if stream.invalid == SHOWN_PER_STREAM {
            console.line(&format!(
                "warning: further invalid records of stream `{key}` are only counted"
            ));
        }
        Verdict::Invalid
    }
}
