//! Typed streams: a record type whose schema is the stream's, a state type,
//! and a `read` that emits them.

use std::marker::PhantomData;

use airbyte_protocol::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::StreamOutput;
use crate::error::Error;

/// What a typed stream's records are: serializable, with a JSON Schema
/// (derive both with `#[airbyte_sdk::record]`). Implemented for every such type.
pub trait Record: Serialize + JsonSchema + Send + Sync + 'static {}

impl<T: Serialize + JsonSchema + Send + Sync + 'static> Record for T {}

/// What a typed stream's state is: it round-trips through JSON (derive both
/// with `#[airbyte_sdk::state]`). Implemented for every such type.
pub trait State: Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> State for T {}

/// The state of a stream that keeps none: it is written as `{}` and reads
/// back from any state.
///
/// ```
/// use airbyte_sdk::source::NoState;
/// assert_eq!(airbyte_sdk::serde_json::to_string(&NoState).unwrap(), "{}");
/// let _: NoState = airbyte_sdk::serde_json::from_str(r#"{"old": 1}"#).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoState;

impl Serialize for NoState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> serde::Deserialize<'de> for NoState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| NoState)
    }
}

/// One stream of a source, typed: give a source's streams, by name, with
/// [`Source::streams`](super::Source::streams), and the SDK derives the
/// catalog (`json_schema` from [`Stream::Record`], the primary key, the
/// cursor and the sync modes) and reads the configured streams, with
/// statuses, state counts and errors handled.
///
/// ```
/// use airbyte_sdk::source::{Records, Stream};
/// use airbyte_sdk::types::TimestampTz;
/// use airbyte_sdk::Error;
///
/// /// A ticket.
/// #[airbyte_sdk::record]
/// pub struct Ticket {
///     /// Its number.
///     pub id: i64,
///     /// When it last changed.
///     pub updated_at: TimestampTz,
/// }
///
/// /// Where the last sync stopped.
/// #[airbyte_sdk::state]
/// pub struct Seen {
///     pub updated_at: Option<TimestampTz>,
/// }
///
/// pub struct Tickets;
///
/// impl Stream for Tickets {
///     type Record = Ticket;
///     type State = Seen;
///     const PRIMARY_KEY: &[&str] = &["id"];
///     const CURSOR: Option<&str> = Some("updated_at");
///
///     async fn read(&self, state: Option<Seen>, out: &mut Records<'_, Self>) -> airbyte_sdk::Result<()> {
///         let ticket = Ticket { id: 1, updated_at: TimestampTz::from_unix(1_700_000_000, 0) };
///         out.record(&ticket)?;
///         out.checkpoint(&Seen { updated_at: Some(ticket.updated_at) })
///     }
/// }
///
/// let catalog = airbyte_sdk::source::Streams::new().with("tickets", Tickets).catalog().unwrap();
/// let schema = catalog.streams[0].json_schema.to_map();
/// assert_eq!(schema["properties"]["updated_at"]["airbyte_type"], "timestamp_with_timezone");
/// assert_eq!(schema["properties"]["id"]["type"], "integer");
/// assert_eq!(catalog.streams[0].default_cursor_field, Some(vec!["updated_at".to_owned()]));
/// ```
pub trait Stream: Send + Sync + Sized + 'static {
    /// One record; its JSON Schema is the stream's `json_schema`.
    type Record: Record;
    /// The stream's state ([`NoState`] for a stream without one).
    type State: State;

    /// The top-level fields that identify a record (none by default).
    const PRIMARY_KEY: &'static [&'static str] = &[];

    /// The top-level field that orders records for incremental reads: a
    /// stream with one supports `incremental` (its cursor is source-defined).
    const CURSOR: Option<&'static str> = None;

    /// Reads the stream. `state` is the input state of an incremental read
    /// (`None` on the first sync and for a full refresh, which reads
    /// everything). Emit records and states through `out`. Write it as an
    /// `async fn` (no `async_trait` needed).
    fn read(
        &self,
        state: Option<Self::State>,
        out: &mut Records<'_, Self>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The output of one typed stream: its records and states, typed.
///
/// Each state carries the number of records emitted since the previous one;
/// the checkpoint policy ([`Source::checkpoint_policy`](super::Source::checkpoint_policy))
/// says when one is due ([`Records::should_checkpoint`]).
pub struct Records<'a, S: Stream> {
    out: &'a mut StreamOutput,
    stream: PhantomData<fn(&S)>,
}

impl<'a, S: Stream> Records<'a, S> {
    pub(crate) fn new(out: &'a mut StreamOutput) -> Self {
        Records {
            out,
            stream: PhantomData,
        }
    }

    /// Emits one record.
    pub fn record(&mut self, record: &S::Record) -> Result<(), Error> {
        self.out.record(record)
    }

    /// Emits a state: every record before it is read.
    pub fn checkpoint(&mut self, state: &S::State) -> Result<(), Error> {
        self.out.checkpoint_value(state)
    }

    /// Whether the checkpoint policy says a state is due.
    pub fn should_checkpoint(&self) -> bool {
        self.out.should_checkpoint()
    }

    /// The untyped output (estimates, raw JSON records, any message).
    pub fn output(&mut self) -> &mut StreamOutput {
        self.out
    }
}

/// The JSON Schema of record type `R`, as a stream's `json_schema`:
/// draft-07, every subschema inlined, `Option` fields nullable, Rust's
/// integer `format`s dropped. A type whose schema is no object is an error.
///
/// ```
/// /// A point.
/// #[airbyte_sdk::record]
/// pub struct Point { x: i32, label: Option<String> }
///
/// let schema = airbyte_sdk::source::record_schema::<Point>().unwrap().to_map();
/// assert_eq!(schema["type"], "object");
/// assert_eq!(schema["properties"]["x"], airbyte_sdk::serde_json::json!({"type": "integer"}));
/// assert_eq!(schema["properties"]["label"]["type"], airbyte_sdk::serde_json::json!(["string", "null"]));
/// assert!(airbyte_sdk::source::record_schema::<i32>().is_err());
/// ```
pub fn record_schema<R: JsonSchema>() -> Result<JsonObject, Error> {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<R>()
        .to_value();
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(Error::system(format!(
            "the record type {} has no object schema: a record is a struct with named fields",
            R::schema_name()
        )));
    }
    if let Some(root) = schema.as_object_mut() {
        root.remove("title");
    }
    strip_number_formats(&mut schema);
    JsonObject::from_serialize(&schema)
        .map_err(|e| Error::system("a record schema is not a JSON object").with_source(e))
}

/// Drops `format: int64` and the like (Rust types, not JSON Schema formats).
fn strip_number_formats(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let numeric = map.get("format").and_then(Value::as_str).is_some_and(|f| {
                f.starts_with("int") || f.starts_with("uint") || f == "float" || f == "double"
            });
            if numeric {
                map.remove("format");
            }
            map.values_mut().for_each(strip_number_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_number_formats),
        _ => {}
    }
}
