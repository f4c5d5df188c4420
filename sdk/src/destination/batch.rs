//! A batch of one stream's records, kept as their input lines.
//!
//! The SDK routes each RECORD line by reading only its envelope, then copies
//! the line into the batch: no per-record allocation, and `data` is parsed
//! once, by the destination, on the write task.

use std::ops::Range;

use airbyte_protocol::{
    AirbyteRecordMessage, AirbyteRecordMessageMeta, RawLine, RecordRef, StreamDescriptor,
};

use crate::error::Error;

/// Records of one stream to write together, in arrival order.
///
/// ```
/// use airbyte_sdk::destination::Batch;
/// use airbyte_sdk::protocol::StreamDescriptor;
///
/// let mut batch = Batch::new(0, StreamDescriptor::new("film"));
/// batch.push_line(r#"{"type":"RECORD","record":{"stream":"film","data":{"id":7},"emitted_at":5}}"#)?;
/// let record = batch.iter().next().unwrap();
/// assert_eq!((record.data(), record.emitted_at()), (r#"{"id":7}"#, 5));
/// assert_eq!(batch.len(), 1);
/// # Ok::<(), airbyte_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Batch {
    /// The stream's index in the configured catalog.
    pub stream: usize,
    /// The stream.
    pub descriptor: StreamDescriptor,
    /// The total size of the records' input lines.
    pub bytes: usize,
    lines: String,
    spans: Vec<Span>,
}

/// Where one record sits in [`Batch::lines`].
#[derive(Debug, Clone)]
struct Span {
    line: Range<usize>,
    data: Range<usize>,
    meta: Option<Range<usize>>,
    emitted_at: i64,
}

impl Batch {
    /// An empty batch of stream `stream` (its index in the catalog).
    pub fn new(stream: usize, descriptor: StreamDescriptor) -> Self {
        Batch {
            stream,
            descriptor,
            bytes: 0,
            lines: String::new(),
            spans: Vec::new(),
        }
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The records, in arrival order.
    pub fn iter(&self) -> Records<'_> {
        Records {
            batch: self,
            next: 0..self.spans.len(),
        }
    }

    /// The records as owned messages, each parsed in full from its line.
    ///
    /// ```
    /// # use airbyte_sdk::destination::Batch;
    /// # use airbyte_sdk::protocol::StreamDescriptor;
    /// let mut batch = Batch::new(0, StreamDescriptor::new("film"));
    /// batch.push_line(r#"{"type":"RECORD","record":{"stream":"film","data":{"id":7},"emitted_at":5}}"#)?;
    /// assert_eq!(batch.to_messages()?[0].stream, "film");
    /// # Ok::<(), airbyte_sdk::Error>(())
    /// ```
    pub fn to_messages(&self) -> Result<Vec<AirbyteRecordMessage>, Error> {
        self.iter().map(|r| r.to_message()).collect()
    }

    /// Appends a RECORD line (for tests and tools; the SDK fills batches itself).
    pub fn push_line(&mut self, line: &str) -> Result<(), Error> {
        let envelope = RawLine::new(0, line.as_bytes())
            .envelope()
            .map_err(|e| Error::system("not a RECORD message").with_source(e))?;
        let record = envelope
            .record
            .as_ref()
            .ok_or_else(|| Error::system("not a RECORD message"))?;
        self.push(envelope.text(), record);
        Ok(())
    }

    /// Appends a record whose envelope `record` was read from `line`.
    pub(crate) fn push(&mut self, line: &str, record: &RecordRef<'_>) {
        let base = self.lines.len();
        // The fields borrow from `line`: their place in it, moved to the batch's text.
        let within = |part: &str| {
            let start = part.as_ptr() as usize - line.as_ptr() as usize;
            base + start..base + start + part.len()
        };
        let data = within(record.data.get());
        let meta = record.meta.map(|m| within(m.get()));
        self.lines.push_str(line);
        self.bytes += line.len();
        self.spans.push(Span {
            line: base..self.lines.len(),
            data,
            meta,
            emitted_at: record.emitted_at,
        });
    }

    /// Empties the batch, handing its records over in a new one.
    pub(crate) fn take(&mut self) -> Batch {
        let capacity = (self.lines.len(), self.spans.len());
        let mut taken = Batch::new(self.stream, self.descriptor.clone());
        // The next batch will likely be as large: allocate once for it.
        taken.lines.reserve(capacity.0);
        taken.spans.reserve(capacity.1);
        std::mem::swap(self, &mut taken);
        taken
    }
}

impl<'a> IntoIterator for &'a Batch {
    type Item = RecordView<'a>;
    type IntoIter = Records<'a>;
    fn into_iter(self) -> Records<'a> {
        self.iter()
    }
}

/// The records of a [`Batch`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    batch: &'a Batch,
    next: Range<usize>,
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordView<'a>;
    fn next(&mut self) -> Option<RecordView<'a>> {
        let i = self.next.next()?;
        Some(RecordView {
            lines: &self.batch.lines,
            span: &self.batch.spans[i],
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.next.size_hint()
    }
}

impl ExactSizeIterator for Records<'_> {}

/// One record of a [`Batch`], borrowed from its input line.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    lines: &'a str,
    span: &'a Span,
}

impl<'a> RecordView<'a> {
    /// The record's `data`: the text of a JSON object, as the source wrote it.
    pub fn data(&self) -> &'a str {
        &self.lines[self.span.data.clone()]
    }

    /// When the source emitted it, in ms since the epoch.
    pub fn emitted_at(&self) -> i64 {
        self.span.emitted_at
    }

    /// The record's `meta` as raw JSON, if the source sent one.
    pub fn meta_json(&self) -> Option<&'a str> {
        self.span.meta.clone().map(|m| &self.lines[m])
    }

    /// The record's `meta` (the changes the source made to it), parsed.
    pub fn meta(&self) -> Result<Option<AirbyteRecordMessageMeta>, Error> {
        self.meta_json()
            .map(|m| {
                serde_json::from_str(m)
                    .map_err(|e| Error::system("a record has an invalid `meta`").with_source(e))
            })
            .transpose()
    }

    /// The whole input line (`{"type":"RECORD",...}`).
    pub fn line(&self) -> &'a str {
        &self.lines[self.span.line.clone()]
    }

    /// The record as an owned message, parsed in full from its line.
    pub fn to_message(&self) -> Result<AirbyteRecordMessage, Error> {
        RawLine::new(0, self.line().as_bytes())
            .parse()
            .map_err(|e| Error::system("an invalid RECORD message").with_source(e))?
            .record
            .ok_or_else(|| Error::system("not a RECORD message"))
    }
}
