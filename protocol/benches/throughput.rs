//! Throughput of the line codecs on 1M realistic RECORD lines, beside the
//! plain memchr line split of the same bytes (the limit).
//!
//! ```text
//! cargo bench -p airbyte-protocol --bench throughput [-- LINES]
//! ```

use std::hint::black_box;
use std::io::{self, BufRead};
use std::time::{Duration, Instant};

use airbyte_protocol::{MessageReader, MessageWriter};

const FIRST: [&str; 8] = [
    "Mary", "Patricia", "Linda", "Barbara", "Élodie", "Jürgen", "Søren", "陳",
];
const LAST: [&str; 6] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "O\\\"Neil",
    "García",
];

/// One RECORD line shaped like a dvdrental rental joined with its customer.
fn record_line(i: u64, out: &mut Vec<u8>) {
    use std::io::Write;
    let first = FIRST[(i % 8) as usize];
    let last = LAST[(i % 6) as usize];
    let amount_cents = 99 + (i * 37) % 1100;
    let return_date = if i.is_multiple_of(17) {
        "null".to_owned()
    } else {
        format!("\"2005-06-{:02}T{:02}:04:30\"", 1 + i % 28, i % 24)
    };
    writeln!(
        out,
        concat!(
            r#"{{"type":"RECORD","record":{{"namespace":"public","stream":"rental","data":{{"#,
            r#""rental_id":{},"rental_date":"2005-05-{:02}T22:53:30.{:06}","inventory_id":{},"customer_id":{},"#,
            r#""return_date":{},"staff_id":{},"amount":{}.{:02},"balance":{}.123456789012345678901234567890,"#,
            r#""customer":{{"first_name":"{}","last_name":"{}","email":"{}.{}@sakilacustomer.org","active":{}}},"#,
            r#""special_features":["Trailers","Deleted Scenes"],"last_update":"2006-02-15T21:30:53.000000+00:00"}},"#,
            r#""emitted_at":{}}}}}"#
        ),
        i,
        1 + i % 28,
        (i * 7919) % 1_000_000,
        i % 4581 + 1,
        i % 599 + 1,
        return_date,
        1 + i % 2,
        amount_cents / 100,
        amount_cents % 100,
        i * 1_000_003,
        first,
        last,
        first.to_lowercase(),
        last.to_lowercase().replace("\\\"", ""),
        !i.is_multiple_of(3),
        1_700_000_000_000u64 + i / 1000,
    )
    .expect("write to a Vec");
}

fn best_of<F: FnMut() -> u64>(runs: usize, mut f: F) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..runs {
        let start = Instant::now();
        count = f();
        best = best.min(start.elapsed());
    }
    (best, count)
}

fn main() {
    let lines: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut data = Vec::with_capacity(lines as usize * 420);
    for i in 0..lines {
        record_line(i, &mut data);
    }
    let bytes = data.len() as f64;
    println!(
        "input: {lines} RECORD lines, {:.1} MB, {:.0} bytes/line (best of 3 runs each)\n",
        bytes / 1e6,
        bytes / lines as f64
    );

    let mut rows: Vec<(&str, Duration, u64)> = Vec::new();

    rows.push((
        "memchr line split (the limit)",
        {
            let (d, n) = best_of(3, || {
                let mut n = 0;
                let mut rest = &data[..];
                while let Some(i) = memchr::memchr(b'\n', rest) {
                    black_box(&rest[..i]);
                    rest = &rest[i + 1..];
                    n += 1;
                }
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "BufRead::read_until (std)",
        {
            let (d, n) = best_of(3, || {
                let mut reader = io::BufReader::with_capacity(1 << 16, &data[..]);
                let mut line = Vec::new();
                let mut n = 0;
                while reader.read_until(b'\n', &mut line).expect("read") > 0 {
                    black_box(&line);
                    line.clear();
                    n += 1;
                }
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "MessageReader::next_line (framing)",
        {
            let (d, n) = best_of(3, || {
                let mut reader =
                    MessageReader::new(io::BufReader::with_capacity(1 << 16, &data[..]));
                let mut n = 0;
                while let Some(line) = reader.next_line() {
                    black_box(line.expect("line"));
                    n += 1;
                }
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "passthrough: envelope + write_raw_line",
        {
            let (d, n) = best_of(3, || {
                let mut reader =
                    MessageReader::new(io::BufReader::with_capacity(1 << 16, &data[..]));
                let mut writer = MessageWriter::new(io::sink());
                let mut n = 0;
                while let Some(env) = reader.next_envelope() {
                    let env = env.expect("valid");
                    writer.write_raw_line(env.line).expect("write");
                    n += 1;
                }
                writer.flush().expect("flush");
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "parse into typed AirbyteMessage",
        {
            let (d, n) = best_of(3, || {
                let mut reader =
                    MessageReader::new(io::BufReader::with_capacity(1 << 16, &data[..]));
                let mut n = 0;
                while let Some(msg) = reader.next_message() {
                    black_box(msg.expect("valid"));
                    n += 1;
                }
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "typed parse + write (full re-serialize)",
        {
            let (d, n) = best_of(3, || {
                let mut reader =
                    MessageReader::new(io::BufReader::with_capacity(1 << 16, &data[..]));
                let mut writer = MessageWriter::new(io::sink());
                let mut n = 0;
                while let Some(msg) = reader.next_message() {
                    writer.write(&msg.expect("valid")).expect("write");
                    n += 1;
                }
                writer.flush().expect("flush");
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    rows.push((
        "reference: serde_json::Value per line",
        {
            let (d, n) = best_of(3, || {
                let mut n = 0;
                for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    black_box(serde_json::from_slice::<serde_json::Value>(line).expect("json"));
                    n += 1;
                }
                n
            });
            assert_eq!(n, lines);
            d
        },
        lines,
    ));

    let limit = rows[0].1.as_secs_f64();
    println!(
        "| {:<42} | {:>9} | {:>12} | {:>10} |",
        "operation", "MB/s", "records/s", "vs. split"
    );
    println!("|{:-<44}|{:->11}|{:->14}|{:->12}|", "", "", "", "");
    for (name, d, n) in &rows {
        let secs = d.as_secs_f64();
        println!(
            "| {:<42} | {:>9.0} | {:>12.0} | {:>9.1}% |",
            name,
            bytes / 1e6 / secs,
            *n as f64 / secs,
            100.0 * limit / secs
        );
    }
}
