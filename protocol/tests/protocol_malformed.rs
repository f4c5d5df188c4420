//! Bad input gives a typed error naming its line, and never a panic.

use airbyte_protocol::{Error, MessageReader, MessageType};

const GOOD: &str = r#"{"type":"LOG","log":{"level":"INFO","message":"ok"}}"#;

/// Reads everything, returning per line either the message type or the error.
fn read_all(input: &[u8], limit: usize) -> Vec<Result<MessageType, Error>> {
    MessageReader::new(input)
        .with_max_line_bytes(limit)
        .map(|m| m.map(|m| m.r#type))
        .collect()
}

fn single_error(line: &str) -> Error {
    let input = format!("{line}\n{GOOD}\n");
    let mut results = read_all(input.as_bytes(), 1 << 20);
    assert_eq!(results.len(), 2, "{line}");
    assert_eq!(
        results.pop().and_then(Result::ok),
        Some(MessageType::Log),
        "reader must go on after a bad line"
    );
    let err = results
        .pop()
        .and_then(Result::err)
        .expect("first line is an error");
    assert_eq!(err.line(), Some(1));
    assert!(err.is_line_error());
    err
}

#[test]
fn truncated_json() {
    let err = single_error(r#"{"type":"RECORD","record":{"stream":"s","data":{"a":"#);
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("line 1 is not valid JSON (EOF while parsing"),
        "{text}"
    );
    assert!(
        text.contains(r#"{"type":"RECORD""#),
        "excerpt missing: {text}"
    );
}

#[test]
fn emitted_at_as_a_string() {
    let err = single_error(
        r#"{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":"1700000000000"}}"#,
    );
    assert!(matches!(err, Error::InvalidMessage { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("invalid type: string \"1700000000000\", expected i64"),
        "{err}"
    );
}

#[test]
fn emitted_at_as_a_fraction() {
    let err =
        single_error(r#"{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1.5}}"#);
    assert!(matches!(err, Error::InvalidMessage { .. }), "{err:?}");
}

#[test]
fn unknown_type() {
    let err =
        single_error(r#"{"type":"RECORDS","record":{"stream":"s","data":{},"emitted_at":1}}"#);
    assert!(
        err.to_string().contains("unknown variant `RECORDS`"),
        "{err}"
    );
}

#[test]
fn record_without_data() {
    let err = single_error(r#"{"type":"RECORD","record":{"stream":"s","emitted_at":1}}"#);
    assert!(err.to_string().contains("missing field `data`"), "{err}");
}

#[test]
fn record_data_that_is_not_an_object() {
    let err =
        single_error(r#"{"type":"RECORD","record":{"stream":"s","data":[1],"emitted_at":1}}"#);
    assert!(err.to_string().contains("expected a JSON object"), "{err}");
}

#[test]
fn type_without_its_payload() {
    let err = single_error(r#"{"type":"STATE","record":{"stream":"s","data":{},"emitted_at":1}}"#);
    assert!(
        matches!(
            err,
            Error::MissingPayload {
                line: Some(1),
                kind: MessageType::State
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "line 1: message of type STATE has no `state` payload"
    );
}

#[test]
fn a_json_value_that_is_not_an_object() {
    for line in ["[1,2]", "42", "\"text\"", "null"] {
        let err = single_error(line);
        assert!(
            matches!(err, Error::InvalidMessage { .. }),
            "{line}: {err:?}"
        );
    }
}

#[test]
fn ten_megabyte_line_over_the_limit() {
    let big = format!(
        r#"{{"type":"RECORD","record":{{"stream":"s","data":{{"blob":"{}"}},"emitted_at":1}}}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    let input = format!("{GOOD}\n{big}\n{GOOD}\n");
    let results = read_all(input.as_bytes(), 1024 * 1024);
    assert_eq!(results.len(), 3);
    match &results[1] {
        Err(Error::LineTooLong { line, len, limit }) => {
            assert_eq!((*line, *len, *limit), (2, big.len() as u64, 1024 * 1024));
        }
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    assert_eq!(
        results[1].as_ref().unwrap_err().to_string(),
        format!(
            "line 2 is {} bytes long, over the limit of 1048576 bytes",
            big.len()
        )
    );
    assert!(results[2].is_ok(), "the line after a long one is read");
    // Under a higher limit the same line is fine.
    assert!(
        read_all(input.as_bytes(), 16 << 20)
            .iter()
            .all(Result::is_ok)
    );
}

#[test]
fn binary_garbage() {
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(&[0xff, 0xfe, 0x00, 0x01, b'{', 0x80, 0x9f, b'}', b'\n']);
    input.extend_from_slice(
        b"{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"\xff\xfe\"}}\n",
    );
    // Pseudo-random bytes without newlines.
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = (x >> 16) as u8;
        input.push(if b == b'\n' { b'?' } else { b });
    }
    input.push(b'\n');
    input.extend_from_slice(GOOD.as_bytes());
    let results = read_all(&input, 1 << 20);
    assert_eq!(results.len(), 4);
    for (i, r) in results[..3].iter().enumerate() {
        let err = r.as_ref().expect_err("garbage is an error");
        assert_eq!(err.line(), Some(i as u64 + 1));
        assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
        // The excerpt is printable: no raw control characters.
        assert!(!err.to_string().chars().any(|c| c.is_control()), "{err}");
    }
    assert!(results[3].is_ok());
}

#[test]
fn empty_lines_and_crlf_endings() {
    let input = format!("\n\r\n   \n{GOOD}\r\n\r\n{GOOD}\r\n{{broken\r\n{GOOD}");
    let mut reader = MessageReader::new(input.as_bytes());
    assert!(reader.next_message().expect("one").is_ok());
    assert_eq!(reader.line_number(), 4);
    assert!(reader.next_message().expect("two").is_ok());
    assert_eq!(reader.line_number(), 6);
    let err = reader.next_message().expect("three").expect_err("broken");
    assert_eq!(err.line(), Some(7));
    assert!(
        !err.to_string().contains('\r'),
        "CR is not part of the line: {err}"
    );
    assert!(
        reader
            .next_message()
            .expect("last line without newline")
            .is_ok()
    );
    assert_eq!(reader.line_number(), 8);
    assert!(reader.next_message().is_none());
}

#[test]
fn envelope_reports_the_same_errors() {
    let input = "{\"type\":\"RECORD\"}\n{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"emitted_at\":1}}\n{\"type\":\n";
    let mut reader = MessageReader::new(input.as_bytes());
    let e1 = reader.next_envelope().expect("1").expect_err("no payload");
    assert!(matches!(e1, Error::MissingPayload { line: Some(1), .. }));
    let e2 = reader.next_envelope().expect("2").expect_err("no data");
    assert!(e2.to_string().contains("missing field `data`"), "{e2}");
    let e3 = reader.next_envelope().expect("3").expect_err("truncated");
    assert!(matches!(e3, Error::NotJson { line: 3, .. }));
}

#[test]
fn an_io_error_is_not_a_line_error() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let mut reader = MessageReader::new(std::io::BufReader::new(Failing));
    let err = reader.next_message().expect("an error").expect_err("io");
    assert!(!err.is_line_error());
    assert_eq!(err.to_string(), "I/O error after line 0: disk on fire");
}

#[test]
fn async_reader_applies_the_same_rules() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let big = "x".repeat(2048);
        let input = format!("\r\n{GOOD}\r\n{big}\n{{\"type\":\"LOG\"}}\n{GOOD}");
        let mut reader =
            airbyte_protocol::AsyncMessageReader::new(input.as_bytes()).with_max_line_bytes(1024);
        assert!(reader.next_message().await.expect("1").is_ok());
        let e = reader
            .next_message()
            .await
            .expect("2")
            .expect_err("too long");
        assert!(
            matches!(
                e,
                Error::LineTooLong {
                    line: 3,
                    len: 2048,
                    limit: 1024
                }
            ),
            "{e:?}"
        );
        let e = reader
            .next_message()
            .await
            .expect("3")
            .expect_err("no payload");
        assert!(matches!(e, Error::MissingPayload { line: Some(4), .. }));
        assert!(reader.next_message().await.expect("4").is_ok());
        assert!(reader.next_message().await.is_none());
    });
}
