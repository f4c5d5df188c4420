//! The destination runtime commits by size and age, not by state: whatever
//! the state rate, the same records are committed in few batches, and every
//! state is echoed in order, unchanged, only once the records it covers are
//! committed; a quiet source's state is echoed within about the age limit.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airbyte_sdk::destination::{Batch, BatchLimits, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::{AirbyteMessage, AirbyteStateType};
use airbyte_sdk::testkit::TestDir;
use airbyte_sdk::{ConnectorInfo, Destination, Error, Io, run_destination_with};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// The records committed so far, per stream, in commit order.
type Committed = Arc<Mutex<BTreeMap<String, Vec<i64>>>>;

/// The test destination's config.
#[airbyte_sdk::config]
pub struct MemConfig {
    /// Milliseconds each batch takes to write.
    #[airbyte(order = 0)]
    pub write_ms: Option<u64>,
}

/// A destination that keeps what it committed, with the given limits.
#[derive(Clone)]
struct Mem {
    committed: Committed,
    batches: Arc<Mutex<Vec<usize>>>,
    limits: BatchLimits,
}

impl Mem {
    fn new(limits: BatchLimits) -> Self {
        Mem {
            committed: Committed::default(),
            batches: Arc::default(),
            limits,
        }
    }
}

struct MemWriter {
    mem: Mem,
    write_ms: u64,
}

#[airbyte_sdk::async_trait]
impl Destination for Mem {
    type Config = MemConfig;
    type Writer = MemWriter;
    async fn check(&self, _config: &MemConfig) -> Result<(), Error> {
        Ok(())
    }
    async fn open(&self, config: &MemConfig, _plans: &[StreamPlan]) -> Result<MemWriter, Error> {
        Ok(MemWriter {
            mem: self.clone(),
            write_ms: config.write_ms.unwrap_or(0),
        })
    }
    fn batch_limits(&self) -> BatchLimits {
        self.limits
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for MemWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        let ns: Vec<i64> = batch
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(r.data()).expect("data")["n"]
                    .as_i64()
                    .expect("n")
            })
            .collect();
        if self.write_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.write_ms)).await;
        }
        // Committed only now: a state echoed before this line would be too early.
        self.mem
            .committed
            .lock()
            .expect("lock")
            .entry(batch.descriptor.name.clone())
            .or_default()
            .extend(ns);
        self.mem.batches.lock().expect("lock").push(batch.len());
        Ok(())
    }
}

/// An echoed state, with how many records of each stream were committed when it was written.
struct Echo {
    message: AirbyteMessage,
    committed: BTreeMap<String, usize>,
    at: Instant,
}

/// The destination's stdout: each state line is taken with a snapshot of
/// what was committed at that moment (the test runtime has one thread, so
/// no write commits between the echo and this snapshot).
struct Probe {
    committed: Committed,
    echoes: Arc<Mutex<Vec<Echo>>>,
    partial: Vec<u8>,
    lines: Option<mpsc::UnboundedSender<String>>,
}

impl Write for Probe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8(line).expect("utf-8");
            let message: AirbyteMessage = serde_json::from_str(text.trim()).expect("a message");
            if message.state.is_some() {
                let committed = self
                    .committed
                    .lock()
                    .expect("lock")
                    .iter()
                    .map(|(s, ns)| (s.clone(), ns.len()))
                    .collect();
                self.echoes.lock().expect("lock").push(Echo {
                    message,
                    committed,
                    at: Instant::now(),
                });
            }
            if let Some(tx) = &self.lines {
                let _ = tx.send(text);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const INFO: ConnectorInfo = ConnectorInfo {
    name: "mem",
    version: "0.0.0",
};

fn record(stream: &str, n: i64) -> String {
    format!(
        r#"{{"type":"RECORD","record":{{"stream":"{stream}","data":{{"n":{n}}},"emitted_at":1}}}}"#
    )
}

fn stream_state(stream: &str, id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"{stream}"}},"stream_state":{{"upto":{id}}}}},"id":{id},"platform_extra":{{"k":[1,null]}}}}}}"#
    )
}

fn global_state(id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"GLOBAL","global":{{"shared_state":{{"lsn":{id}}},"stream_states":[]}},"id":{id}}}}}"#
    )
}

fn args(dir: &TestDir, config: serde_json::Value) -> Vec<OsString> {
    let config = dir.write_json("config.json", &config);
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": (["a", "b"]).iter().map(|n| json!({
            "stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "append"
        })).collect::<Vec<_>>()}),
    );
    [
        "mem",
        "write",
        "--config",
        config.to_str().expect("path"),
        "--catalog",
        catalog.to_str().expect("path"),
    ]
    .map(OsString::from)
    .to_vec()
}

/// Runs `mem` on `input`; returns the exit code and the echoes.
async fn run(mem: &Mem, dir: &TestDir, input: String) -> (u8, Vec<Echo>) {
    let echoes = Arc::new(Mutex::new(Vec::new()));
    let io = Io {
        stdin: Box::new(std::io::Cursor::new(input.into_bytes())),
        stdout: Box::new(Probe {
            committed: mem.committed.clone(),
            echoes: echoes.clone(),
            partial: Vec::new(),
            lines: None,
        }),
    };
    let code = run_destination_with(mem.clone(), INFO, args(dir, json!({})), io).await;
    let echoes = std::mem::take(&mut *echoes.lock().expect("lock"));
    (code, echoes)
}

/// A state sent: its id, the stream it covers (`None`: all), and the records before it per stream.
type Expected = (i64, Option<String>, BTreeMap<String, usize>);

/// The input: `n` records alternating in runs between streams `a` and `b`,
/// with a state after every `every` records (STREAM states of the last
/// record's stream, every third one GLOBAL), and a GLOBAL one at the end. Returns the
/// lines and, per state id, the records before it of each stream.
fn input(n: i64, every: i64) -> (String, Vec<Expected>) {
    let mut lines = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut states = Vec::new();
    let mut id = 0;
    let mut push_state = |lines: &mut Vec<String>, stream: Option<&str>, seen: &BTreeMap<_, _>| {
        id += 1;
        let Some(stream) = stream.filter(|_| id % 3 != 0) else {
            lines.push(global_state(id));
            states.push((id, None, seen.clone()));
            return;
        };
        lines.push(stream_state(stream, id));
        states.push((id, Some(stream.to_owned()), seen.clone()));
    };
    for i in 0..n {
        // Runs of 7 records of one stream, then of the other.
        let stream = if (i / 7) % 2 == 0 { "a" } else { "b" };
        lines.push(record(stream, i));
        *seen.entry(stream.to_owned()).or_default() += 1;
        if (i + 1) % every == 0 && i + 1 < n {
            push_state(&mut lines, Some(stream), &seen);
        }
    }
    push_state(&mut lines, None, &seen);
    (lines.join("\n"), states)
}

/// The batches that `n` records of [`input`] fill at `per_batch` records each.
fn full_batches(n: i64, per_batch: usize) -> usize {
    let a = (0..n).filter(|i| (i / 7) % 2 == 0).count();
    a.div_ceil(per_batch) + (n as usize - a).div_ceil(per_batch)
}

/// Each state echoed once, in order, unchanged but for destinationStats,
/// only after the records it covers were committed.
fn check_echoes(echoes: &[Echo], expected: &[Expected], total: usize) {
    let ids: Vec<i64> = echoes
        .iter()
        .map(|e| {
            let state = e.message.state.as_ref().expect("state");
            state.extra.get_as::<i64>("id").ok().flatten().expect("id")
        })
        .collect();
    let want: Vec<i64> = expected.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(ids, want, "every state echoed once, in order");
    let mut counted = 0.0;
    for (echo, (id, stream, before)) in echoes.iter().zip(expected) {
        let state = echo.message.state.as_ref().expect("state");
        let covered: Vec<&String> = match stream {
            Some(s) => vec![s],
            None => before.keys().collect(),
        };
        for s in covered {
            let need = before.get(s).copied().unwrap_or(0);
            let have = echo.committed.get(s).copied().unwrap_or(0);
            assert!(
                have >= need,
                "state {id} echoed when {have} of stream {s}'s {need} records before it were committed"
            );
        }
        match stream {
            Some(_) => assert_eq!(state.effective_type(), AirbyteStateType::Stream),
            None => assert_eq!(state.effective_type(), AirbyteStateType::Global),
        }
        let line = serde_json::to_string(&echo.message).expect("json");
        if stream.is_some() {
            assert!(
                line.contains(r#""platform_extra":{"k":[1,null]}"#),
                "{line}"
            );
        }
        counted += state
            .destination_stats
            .as_ref()
            .and_then(|s| s.record_count)
            .expect("destinationStats.recordCount");
    }
    // Each record is counted by exactly one state: the first after it that covers its stream.
    assert_eq!(counted, total as f64, "recordCount adds up to the records");
}

#[tokio::test]
async fn every_state_rate_commits_the_same_records_in_few_batches() {
    const N: i64 = 20_000;
    let limits = BatchLimits {
        records: 1_000,
        ..BatchLimits::default()
    };
    let mut tables = Vec::new();
    for every in [1, 100, N] {
        let dir = TestDir::new("rate");
        let mem = Mem::new(limits);
        let (text, expected) = input(N, every);
        let (code, echoes) = run(&mem, &dir, text).await;
        assert_eq!(code, 0, "state every {every}");
        check_echoes(&echoes, &expected, N as usize);
        let batches = mem.batches.lock().expect("lock").clone();
        // Full batches of 1,000 and one partial batch per stream, whatever the
        // state rate (before, each state forced a batch: 20,000 of them).
        assert_eq!(
            batches.len(),
            full_batches(N, 1_000),
            "state every {every}: batches {batches:?}"
        );
        tables.push(mem.committed.lock().expect("lock").clone());
    }
    let all: Vec<i64> = (0..N).collect();
    let mut first: Vec<i64> = tables[0].values().flatten().copied().collect();
    first.sort();
    assert_eq!(first, all, "every record committed once");
    assert_eq!(tables[0], tables[1], "a state every 100 records");
    assert_eq!(tables[0], tables[2], "one state at the end");
}

#[tokio::test]
async fn states_wait_for_a_slow_write_and_still_come_in_order() {
    // Each write takes 20 ms, so states pile up behind the write in flight.
    let dir = TestDir::new("rate-slow");
    let mem = Mem::new(BatchLimits {
        records: 250,
        ..BatchLimits::default()
    });
    let (text, expected) = input(3_000, 1);
    let echoes = Arc::new(Mutex::new(Vec::new()));
    let io = Io {
        stdin: Box::new(std::io::Cursor::new(text.into_bytes())),
        stdout: Box::new(Probe {
            committed: mem.committed.clone(),
            echoes: echoes.clone(),
            partial: Vec::new(),
            lines: None,
        }),
    };
    let code =
        run_destination_with(mem.clone(), INFO, args(&dir, json!({"write_ms": 20})), io).await;
    assert_eq!(code, 0);
    check_echoes(&echoes.lock().expect("lock"), &expected, 3_000);
    assert_eq!(
        mem.batches.lock().expect("lock").len(),
        full_batches(3_000, 250)
    );
}

#[tokio::test]
async fn a_quiet_sources_state_is_echoed_within_the_age_limit() {
    let dir = TestDir::new("rate-quiet");
    let age = Duration::from_millis(300);
    let mem = Mem::new(BatchLimits {
        age,
        ..BatchLimits::default()
    });
    let (mut source, stdin) = tokio::io::duplex(1 << 16);
    let (tx, mut lines) = mpsc::unbounded_channel();
    let io = Io {
        stdin: Box::new(tokio::io::BufReader::new(stdin)),
        stdout: Box::new(Probe {
            committed: mem.committed.clone(),
            echoes: Arc::default(),
            partial: Vec::new(),
            lines: Some(tx),
        }),
    };
    let run = tokio::spawn(run_destination_with(
        mem.clone(),
        INFO,
        args(&dir, json!({})),
        io,
    ));
    for round in 1..=3i64 {
        let mut chunk = String::new();
        for i in 0..5 {
            chunk.push_str(&record("a", round * 100 + i));
            chunk.push('\n');
        }
        chunk.push_str(&stream_state("a", round));
        chunk.push('\n');
        let sent = Instant::now();
        source.write_all(chunk.as_bytes()).await.expect("send");
        // The source now waits for its state, with stdin open.
        let line = tokio::time::timeout(Duration::from_secs(5), lines.recv())
            .await
            .expect("the state is echoed while stdin stays open")
            .expect("a line");
        let waited = sent.elapsed();
        let echoed: AirbyteMessage = serde_json::from_str(line.trim()).expect("message");
        let state = echoed.state.expect("a state");
        assert_eq!(state.extra.get_as::<i64>("id").ok().flatten(), Some(round));
        assert!(
            waited >= age - Duration::from_millis(50) && waited < age + Duration::from_secs(2),
            "round {round}: echoed after {waited:?}, the age limit is {age:?}"
        );
        let committed = mem.committed.lock().expect("lock")["a"].len();
        assert_eq!(
            committed,
            round as usize * 5,
            "its records were committed first"
        );
    }
    drop(source);
    assert_eq!(run.await.expect("join"), 0);
}

#[tokio::test]
async fn an_idle_streams_batch_is_written_by_age_while_another_stream_floods() {
    // One record of `a`, a GLOBAL state, then a long flood of `b`: the state
    // waits for `a`'s batch, which only its age sends out before the end.
    let dir = TestDir::new("rate-idle");
    let mem = Mem::new(BatchLimits {
        records: 1_000,
        age: Duration::from_millis(5),
        ..BatchLimits::default()
    });
    const FLOOD: i64 = 400_000;
    let mut lines = vec![record("a", -1), global_state(1)];
    lines.extend((0..FLOOD).map(|i| record("b", i)));
    lines.push(global_state(2));
    let (code, echoes) = run(&mem, &dir, lines.join("\n")).await;
    assert_eq!(code, 0);
    assert_eq!(echoes.len(), 2);
    let first = &echoes[0];
    assert_eq!(first.committed.get("a"), Some(&1));
    let b = first.committed.get("b").copied().unwrap_or(0);
    assert!(
        b < FLOOD as usize,
        "the first state waited for the end of input ({b} of {FLOOD} records of b committed)"
    );
    assert!(echoes[1].at >= first.at);
}

#[tokio::test]
async fn the_states_waiting_for_open_batches_are_capped() {
    // Batches never fill nor age here: only the cap on waiting states writes them.
    let dir = TestDir::new("rate-cap");
    let mem = Mem::new(BatchLimits {
        records: 1_000_000,
        age: Duration::from_secs(3600),
        states: 50,
        ..BatchLimits::default()
    });
    let mut lines = Vec::new();
    for i in 0..1_000 {
        lines.push(record("a", i));
        lines.push(stream_state("a", i));
    }
    let (code, echoes) = run(&mem, &dir, lines.join("\n")).await;
    assert_eq!(code, 0);
    assert_eq!(echoes.len(), 1_000);
    let batches = mem.batches.lock().expect("lock").clone();
    assert_eq!(batches.len(), 20, "a batch per 50 states: {batches:?}");
    assert!(batches.iter().all(|n| *n == 50), "{batches:?}");
    // The first states were echoed long before the end of input.
    assert!(
        echoes[0].committed["a"] <= 100,
        "{}",
        echoes[0].committed["a"]
    );
}
