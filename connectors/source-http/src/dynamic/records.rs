//! The records of a resolver's or a schema loader's retriever, read as a
//! stream of their own (its partitions, pages and error handling).

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::interpolation::Jinja;
use crate::partition::StreamSlice;
use crate::retriever::{
    Flow, ReadContext, Sink, StreamDefinition, Timeouts, Transport, read_stream,
};

/// How auxiliary retrievers are read: the client's parallelism and the
/// secrets its errors mask.
#[derive(Debug, Clone, Default)]
pub struct RecordReader {
    /// Requests in flight at most.
    pub in_flight: usize,
    /// Values masked in the client's errors.
    pub secrets: Vec<String>,
}

/// Collects records with their slices, up to a limit.
struct Collect {
    records: Vec<(Value, Value)>,
    limit: Option<usize>,
}

impl Sink for Collect {
    fn record(&mut self, slice: &StreamSlice, record: Value) -> Result<Flow, Error> {
        self.records.push((record, slice.to_value()));
        Ok(match self.limit {
            Some(limit) if self.records.len() >= limit => Flow::Enough,
            _ => Flow::More,
        })
    }

    fn state(&mut self, _: Value) -> Result<(), Error> {
        Ok(())
    }
}

impl RecordReader {
    /// The records (each with its slice's mapping) of `retriever`, read as
    /// stream `name` for `config`; at most `limit` of them.
    pub async fn read(
        &self,
        retriever: &Value,
        name: &str,
        config: &Value,
        limit: Option<usize>,
    ) -> Result<Vec<(Value, Value)>, Error> {
        let jinja = Jinja::new();
        let stream = json!({"type": "DeclarativeStream", "name": name, "retriever": retriever});
        let definition = StreamDefinition::from_manifest(&stream, &jinja, config)?;
        let timeouts = Timeouts {
            connect: definition.requester.connect_timeout,
            read: definition.requester.read_timeout,
        };
        let cx = ReadContext {
            jinja,
            config: config.clone(),
            transport: Transport::new(self.in_flight.max(1), &self.secrets, timeouts)?,
        };
        let mut sink = Collect {
            records: Vec::new(),
            limit,
        };
        let empty = Value::Object(Map::new());
        read_stream(&cx, &definition, Some(&empty), &mut sink).await?;
        Ok(sink.records)
    }
}
