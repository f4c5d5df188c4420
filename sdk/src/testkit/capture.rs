//! A [`SourceOutput`] that prints into memory, for unit tests of code that
//! emits through one (a custom `read`, a GLOBAL state).

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::emit::Emitter;
use crate::mask::Masker;
use crate::source::{CheckpointPolicy, SourceOutput};

/// A source output captured in memory.
///
/// ```
/// use airbyte_sdk::protocol::StreamDescriptor;
/// use airbyte_sdk::testkit::CapturedOutput;
///
/// let capture = CapturedOutput::new();
/// let mut stream = capture.output().stream(StreamDescriptor::new("s"));
/// stream.record(&airbyte_sdk::serde_json::json!({"n": 1})).unwrap();
/// let lines = capture.lines();
/// assert!(lines[0].contains(r#""status":"RUNNING""#));
/// assert!(lines[1].contains(r#""data":{"n":1}"#));
/// ```
pub struct CapturedOutput {
    out: SourceOutput,
    buffer: Arc<Mutex<Vec<u8>>>,
}

struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("the capture buffer was poisoned"))?;
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Default for CapturedOutput {
    fn default() -> Self {
        Self::new()
    }
}

impl CapturedOutput {
    /// An output with the default checkpoint policy.
    pub fn new() -> Self {
        Self::with_policy(CheckpointPolicy::default())
    }

    /// An output with `policy`.
    pub fn with_policy(policy: CheckpointPolicy) -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let emitter = Emitter::new(
            Box::new(Shared(buffer.clone())),
            Arc::new(Masker::new(Vec::new())),
        );
        CapturedOutput {
            out: SourceOutput {
                emitter: Arc::new(emitter),
                policy,
            },
            buffer,
        }
    }

    /// The output to emit through.
    pub fn output(&self) -> &SourceOutput {
        &self.out
    }

    /// Every line printed so far (flushed first).
    pub fn lines(&self) -> Vec<String> {
        let _ = self.out.emitter.flush();
        let buffer = self.buffer.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&buffer)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}
