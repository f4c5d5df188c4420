//! The typed streams of a source, type-erased: the catalog they make, and
//! reading one configured stream through its typed `read`.

use airbyte_protocol::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteStream, JsonObject, StreamDescriptor, SyncMode,
};

use super::stream::{Records, Stream, record_schema};
use super::{StreamOutput, read_mode};
use crate::error::Error;

/// The typed streams of a source (see [`Source::streams`](super::Source::streams)).
///
/// ```
/// # use airbyte_sdk::source::{Records, Stream, Streams};
/// # use airbyte_sdk::Error;
/// # #[airbyte_sdk::record] pub struct Row { id: i64 }
/// # struct Rows;
/// # impl Stream for Rows {
/// #     type Record = Row;
/// #     type State = airbyte_sdk::source::NoState;
/// #     async fn read(&self, _: Option<Self::State>, _: &mut Records<'_, Self>) -> Result<(), Error> { Ok(()) }
/// # }
/// let streams = Streams::new().with("a", Rows).with_namespaced("crm", "b", Rows);
/// let catalog = streams.catalog().unwrap();
/// assert_eq!(catalog.streams.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(catalog.streams[1].namespace.as_deref(), Some("crm"));
/// ```
#[derive(Default)]
pub struct Streams {
    streams: Vec<Named>,
}

/// A stream and its name.
struct Named {
    descriptor: StreamDescriptor,
    stream: Box<dyn ErasedStream>,
}

impl Streams {
    /// No streams yet.
    pub fn new() -> Self {
        Streams::default()
    }

    /// Adds a stream named `name`.
    pub fn with<S: Stream>(mut self, name: impl Into<String>, stream: S) -> Self {
        self.push(StreamDescriptor::new(name), stream);
        self
    }

    /// Adds a stream named `name` in `namespace`.
    pub fn with_namespaced<S: Stream>(
        mut self,
        namespace: impl Into<String>,
        name: impl Into<String>,
        stream: S,
    ) -> Self {
        self.push(
            StreamDescriptor::new(name).with_namespace(namespace),
            stream,
        );
        self
    }

    /// Adds a stream (for loops).
    pub fn push<S: Stream>(&mut self, descriptor: StreamDescriptor, stream: S) {
        self.streams.push(Named {
            descriptor,
            stream: Box::new(stream),
        });
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The catalog `discover` prints: one stream each, in order.
    pub fn catalog(&self) -> Result<AirbyteCatalog, Error> {
        let streams = self
            .streams
            .iter()
            .map(|s| s.stream.airbyte_stream(&s.descriptor))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AirbyteCatalog::new(streams))
    }

    fn find(&self, descriptor: &StreamDescriptor) -> Option<&dyn ErasedStream> {
        self.streams
            .iter()
            .find(|s| {
                s.descriptor.name == descriptor.name
                    && s.descriptor.namespace == descriptor.namespace
            })
            .map(|s| &*s.stream)
    }

    /// Reads one configured stream with its typed `read` (the default
    /// `read` calls it for each configured stream).
    pub(crate) async fn read_stream(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let descriptor = configured.stream.descriptor();
        let stream = self
            .find(&descriptor)
            .ok_or_else(|| Error::config(format!("this source has no stream `{descriptor}`")))?;
        stream.read_configured(configured, state, out).await
    }
}

/// A [`Stream`] with its types erased.
#[async_trait::async_trait]
trait ErasedStream: Send + Sync {
    fn airbyte_stream(&self, descriptor: &StreamDescriptor) -> Result<AirbyteStream, Error>;
    async fn read_configured(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error>;
}

#[async_trait::async_trait]
impl<S: Stream> ErasedStream for S {
    fn airbyte_stream(&self, descriptor: &StreamDescriptor) -> Result<AirbyteStream, Error> {
        let schema = record_schema::<S::Record>()?;
        let mut modes = vec![SyncMode::FullRefresh];
        let cursor = S::CURSOR;
        if cursor.is_some() {
            modes.push(SyncMode::Incremental);
        }
        let mut stream = AirbyteStream::new(descriptor.name.clone(), schema, modes);
        stream.namespace = descriptor.namespace.clone();
        let key = S::PRIMARY_KEY;
        if !key.is_empty() {
            stream.source_defined_primary_key =
                Some(key.iter().map(|k| vec![(*k).to_owned()]).collect());
        }
        if let Some(cursor) = cursor {
            stream.source_defined_cursor = Some(true);
            stream.default_cursor_field = Some(vec![cursor.to_owned()]);
        }
        Ok(stream)
    }

    async fn read_configured(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        // A full refresh reads everything; an incremental read starts from its state.
        let incremental = matches!(read_mode(configured), super::ReadMode::Incremental { .. });
        // `{}` (what a stream that wrote no state gets) is no state; any
        // other state is parsed once, into the stream's type.
        let state = match state.filter(|s| incremental && !is_empty_object(s.as_str())) {
            None => None,
            Some(blob) => Some(serde_json::from_str::<S::State>(blob.as_str()).map_err(|e| {
                Error::config(format!(
                    "the input state of stream `{}` is not one this source wrote ({e}): reset the stream",
                    configured.stream.descriptor()
                ))
            })?),
        };
        self.read(state, &mut Records::new(out)).await
    }
}

/// Whether JSON object text is `{}` (blanks allowed), without parsing it.
fn is_empty_object(text: &str) -> bool {
    text.trim()
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(|inside| inside.trim().is_empty())
}
