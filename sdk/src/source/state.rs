//! The input state of a `read`: the `--state` file.

use airbyte_protocol::{
    AirbyteGlobalState, AirbyteStateMessage, AirbyteStateType, JsonObject, StreamDescriptor,
};
use serde_json::Value;

use crate::error::Error;

/// The state a `read` starts from, parsed from the `--state` file: a JSON
/// array of state messages (STREAM or GLOBAL), or a legacy state object.
///
/// ```
/// use airbyte_sdk::source::InputState;
/// use airbyte_sdk::protocol::StreamDescriptor;
///
/// let state = InputState::from_json(serde_json::json!([
///     {"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"cursor":5}}}
/// ])).unwrap();
/// assert_eq!(state.stream(&StreamDescriptor::new("users")).unwrap().as_str(), r#"{"cursor":5}"#);
/// assert!(state.stream(&StreamDescriptor::new("other")).is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct InputState {
    messages: Vec<AirbyteStateMessage>,
}

impl InputState {
    /// No state: the first sync.
    pub fn empty() -> Self {
        InputState::default()
    }

    /// Parses the content of a `--state` file.
    pub fn from_json(value: Value) -> Result<Self, Error> {
        let messages = match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    serde_json::from_value::<AirbyteStateMessage>(item).map_err(|e| {
                        Error::config(format!(
                            "the state file's element {i} is not a valid state message: {e}"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Value::Object(map) if map.is_empty() => Vec::new(),
            Value::Object(map) => {
                let data = JsonObject::try_from(Value::Object(map))
                    .map_err(|e| Error::config(format!("invalid legacy state: {e}")))?;
                vec![AirbyteStateMessage::legacy(data)]
            }
            Value::Null => Vec::new(),
            other => {
                return Err(Error::config(format!(
                    "the state file must hold a JSON array of state messages, not {}",
                    kind(&other)
                )));
            }
        };
        for (i, m) in messages.iter().enumerate() {
            let ok = match m.effective_type() {
                AirbyteStateType::Stream => m.stream.is_some(),
                AirbyteStateType::Global => m.global.is_some(),
                AirbyteStateType::Legacy => m.data.is_some(),
            };
            if !ok {
                return Err(Error::config(format!(
                    "the state file's element {i} has type {:?} but not its payload",
                    m.effective_type()
                )));
            }
        }
        Ok(InputState { messages })
    }

    /// The state messages as given.
    pub fn messages(&self) -> &[AirbyteStateMessage] {
        &self.messages
    }

    /// The state of one stream, from a STREAM message or the GLOBAL one.
    pub fn stream(&self, descriptor: &StreamDescriptor) -> Option<&JsonObject> {
        self.messages.iter().rev().find_map(|m| {
            let matches = |d: &StreamDescriptor| {
                d.name == descriptor.name && d.namespace == descriptor.namespace
            };
            if let Some(s) = m.stream.as_ref().filter(|s| matches(&s.stream_descriptor)) {
                return s.stream_state.as_ref();
            }
            m.global
                .as_ref()?
                .stream_states
                .iter()
                .find(|s| matches(&s.stream_descriptor))?
                .stream_state
                .as_ref()
        })
    }

    /// The GLOBAL state, if any.
    pub fn global(&self) -> Option<&AirbyteGlobalState> {
        self.messages.iter().rev().find_map(|m| m.global.as_ref())
    }

    /// The LEGACY state blob, if any.
    pub fn legacy(&self) -> Option<&JsonObject> {
        self.messages.iter().rev().find_map(|m| m.data.as_ref())
    }

    /// Whether there is no state at all.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
