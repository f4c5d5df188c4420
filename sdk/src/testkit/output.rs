//! What a connector printed, typed.

use std::collections::BTreeMap;

use airbyte_protocol::{
    AirbyteCatalog, AirbyteConnectionStatus, AirbyteErrorTraceMessage, AirbyteLogMessage,
    AirbyteMessage, AirbyteRecordMessage, AirbyteStateMessage, AirbyteStreamStatus,
    ConnectorSpecification, MessageReader,
};

/// The output of one connector run.
///
/// ```
/// use airbyte_sdk::testkit::Output;
/// let out = Output::parse(0, b"{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}\nnot json\n".to_vec(), String::new());
/// assert_eq!(out.logs().len(), 1);
/// assert_eq!(out.invalid_lines.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code (a signal death counts as -1).
    pub exit_code: i32,
    /// Every valid message, in order.
    pub messages: Vec<AirbyteMessage>,
    /// Lines that were not valid messages, with the reason.
    pub invalid_lines: Vec<String>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr (empty for in-process runs).
    pub stderr: String,
}

impl Output {
    /// Parses raw stdout.
    pub fn parse(exit_code: i32, stdout: Vec<u8>, stderr: String) -> Self {
        let mut messages = Vec::new();
        let mut invalid_lines = Vec::new();
        for message in MessageReader::new(&stdout[..]) {
            match message {
                Ok(m) => messages.push(m),
                Err(e) => invalid_lines.push(e.to_string()),
            }
        }
        Output {
            exit_code,
            messages,
            invalid_lines,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr,
        }
    }

    /// Whether the run exited 0 and printed only valid messages.
    pub fn success(&self) -> bool {
        self.exit_code == 0 && self.invalid_lines.is_empty()
    }

    /// Every record.
    pub fn records(&self) -> Vec<&AirbyteRecordMessage> {
        self.messages
            .iter()
            .filter_map(|m| m.record.as_ref())
            .collect()
    }

    /// Records grouped by stream name (`namespace.name` when there is a namespace).
    pub fn records_by_stream(&self) -> BTreeMap<String, Vec<&AirbyteRecordMessage>> {
        let mut map: BTreeMap<String, Vec<&AirbyteRecordMessage>> = BTreeMap::new();
        for r in self.records() {
            let key = match &r.namespace {
                Some(ns) => format!("{ns}.{}", r.stream),
                None => r.stream.clone(),
            };
            map.entry(key).or_default().push(r);
        }
        map
    }

    /// Every state, in order.
    pub fn states(&self) -> Vec<&AirbyteStateMessage> {
        self.messages
            .iter()
            .filter_map(|m| m.state.as_ref())
            .collect()
    }

    /// The last state.
    pub fn last_state(&self) -> Option<&AirbyteStateMessage> {
        self.states().pop()
    }

    /// The last state of each stream (and the last GLOBAL one): what to pass as `--state` next time.
    pub fn final_states(&self) -> Vec<AirbyteStateMessage> {
        let mut by_stream: BTreeMap<String, AirbyteStateMessage> = BTreeMap::new();
        for s in self.states() {
            let key = match &s.stream {
                Some(st) => st.stream_descriptor.to_string(),
                None => String::from("\u{0}global"),
            };
            by_stream.insert(key, s.clone());
        }
        by_stream.into_values().collect()
    }

    /// Every error trace.
    pub fn errors(&self) -> Vec<&AirbyteErrorTraceMessage> {
        self.messages
            .iter()
            .filter_map(|m| m.trace.as_ref()?.error.as_ref())
            .collect()
    }

    /// The statuses of stream `name`, in order.
    pub fn statuses(&self, name: &str) -> Vec<AirbyteStreamStatus> {
        self.messages
            .iter()
            .filter_map(|m| m.trace.as_ref()?.stream_status.as_ref())
            .filter(|s| s.stream_descriptor.name == name)
            .map(|s| s.status)
            .collect()
    }

    /// Every log message.
    pub fn logs(&self) -> Vec<&AirbyteLogMessage> {
        self.messages
            .iter()
            .filter_map(|m| m.log.as_ref())
            .collect()
    }

    /// The connection status, if one was printed.
    pub fn connection_status(&self) -> Option<&AirbyteConnectionStatus> {
        self.messages
            .iter()
            .find_map(|m| m.connection_status.as_ref())
    }

    /// The catalog, if one was printed.
    pub fn catalog(&self) -> Option<&AirbyteCatalog> {
        self.messages.iter().find_map(|m| m.catalog.as_ref())
    }

    /// The spec, if one was printed.
    pub fn spec(&self) -> Option<&ConnectorSpecification> {
        self.messages.iter().find_map(|m| m.spec.as_ref())
    }
}
