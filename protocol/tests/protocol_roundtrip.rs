//! Every corpus line survives parse → serialize without loss.

mod common;

use airbyte_protocol::{AirbyteMessage, MessageReader, MessageType, MessageWriter};
use common::{VALID, number_tokens, without_nulls};

fn reserialize(line: &str) -> String {
    let msg: AirbyteMessage = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    serde_json::to_string(&msg).expect("serialize")
}

#[test]
fn every_corpus_line_round_trips_without_loss() {
    for (n, line) in VALID.lines().enumerate() {
        let out = reserialize(line);
        let before = without_nulls(serde_json::from_str(line).expect("corpus is JSON"));
        let after = without_nulls(serde_json::from_str(&out).expect("output is JSON"));
        assert_eq!(
            before,
            after,
            "line {} changed:\n in: {line}\nout: {out}",
            n + 1
        );
        let mut tokens_in = number_tokens(line);
        let mut tokens_out = number_tokens(&out);
        tokens_in.sort();
        tokens_out.sort();
        assert_eq!(
            tokens_in,
            tokens_out,
            "line {}: number spellings changed",
            n + 1
        );
        assert_eq!(
            reserialize(&out),
            out,
            "line {}: second round trip differs",
            n + 1
        );
    }
}

#[test]
fn every_message_kind_is_in_the_corpus() {
    let mut seen: Vec<MessageType> = MessageReader::new(VALID.as_bytes())
        .map(|m| m.expect("valid").r#type)
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, MessageType::ALL.to_vec());
}

#[test]
fn forty_digit_decimal_passes_byte_for_byte() {
    let line = VALID
        .lines()
        .find(|l| l.contains("\"ledger\""))
        .expect("ledger line");
    let msg: AirbyteMessage = serde_json::from_str(line).expect("parse");
    let data = &msg.record.as_ref().expect("record").data;
    assert_eq!(
        data.as_str(),
        r#"{"big":1234567890123456789012345678901234567890.123456789,"i":18446744073709551616,"neg":-0.000000000000000000000001,"f":1.10,"e":6.02214076E+23}"#
    );
    assert!(reserialize(line).contains(data.as_str()));
}

#[test]
fn state_id_and_unknown_keys_at_every_level_are_echoed() {
    let line = VALID
        .lines()
        .find(|l| l.contains("\"id\":7"))
        .expect("state line");
    let msg: AirbyteMessage = serde_json::from_str(line).expect("parse");
    let state = msg.state.as_ref().expect("state");
    assert_eq!(state.extra.get_as::<i64>("id").expect("int"), Some(7));
    assert_eq!(
        msg.extra.get("sync_attempt").map(|v| v.as_str()),
        Some(r#"{"n":1.50}"#)
    );
    let stream = state.stream.as_ref().expect("stream");
    assert_eq!(
        stream.extra.get("extra_in_stream").map(|v| v.as_str()),
        Some("[]")
    );
    assert_eq!(
        stream
            .stream_descriptor
            .extra
            .get("extra_in_descriptor")
            .map(|v| v.as_str()),
        Some("1")
    );
    assert_eq!(
        state
            .source_stats
            .as_ref()
            .and_then(|s| s.extra.get("stats_extra"))
            .map(|v| v.as_str()),
        Some("\"x\"")
    );
    let out = reserialize(line);
    for needle in [
        r#""id":7"#,
        r#""sync_attempt":{"n":1.50}"#,
        r#""state_extra":{"a":{"b":[null,true,false]}}"#,
        r#""recordCount":0.0"#,
        r#""rejectedRecordCount":1.0"#,
    ] {
        assert!(out.contains(needle), "{needle} missing from {out}");
    }
}

#[test]
fn nulls_are_accepted_and_absent_fields_omitted() {
    let line = r#"{"type":"RECORD","record":{"stream":"users","namespace":null,"data":{"id":1,"x":null},"emitted_at":3,"meta":null},"log":null}"#;
    assert_eq!(
        reserialize(line),
        r#"{"type":"RECORD","record":{"stream":"users","data":{"id":1,"x":null},"emitted_at":3}}"#
    );
}

#[test]
fn legacy_state_and_state_without_type() {
    let mut reader = MessageReader::new(VALID.as_bytes());
    let states: Vec<_> = reader
        .by_ref()
        .filter_map(|m| m.expect("valid").state)
        .filter(|s| s.data.is_some())
        .collect();
    assert_eq!(states.len(), 2);
    for s in &states {
        assert_eq!(
            s.effective_type(),
            airbyte_protocol::AirbyteStateType::Legacy
        );
    }
    assert_eq!(states[1].r#type, None);
}

#[test]
fn unicode_and_escapes_are_kept_verbatim() {
    let line = VALID
        .lines()
        .find(|l| l.contains("\"film\",\"data\""))
        .expect("film line");
    let out = reserialize(line);
    assert!(out.contains("Ærøskøbing ☃ 東京 🚀"));
    assert!(out.contains(r#"tab\there \"quoted\" \\ back \u00e9 \ud83d\ude00"#));
    assert!(out.contains(r#""description":"""#));
}

#[test]
fn writer_output_equals_serde_output_for_the_corpus() {
    let mut writer = MessageWriter::new(Vec::new());
    let mut expected = String::new();
    for message in MessageReader::new(VALID.as_bytes()) {
        let message = message.expect("valid");
        writer.write(&message).expect("write");
        expected.push_str(&serde_json::to_string(&message).expect("serialize"));
        expected.push('\n');
    }
    assert_eq!(
        String::from_utf8(writer.into_inner().expect("flush")).expect("utf8"),
        expected
    );
}

#[test]
fn envelope_agrees_with_the_typed_parse() {
    let mut reader = MessageReader::new(VALID.as_bytes());
    while let Some(line) = reader.next_line() {
        let line = line.expect("line");
        let env = line.envelope().expect("envelope");
        let msg = line.parse().expect("message");
        assert_eq!(env.kind, msg.r#type);
        if let (Some(r), Some(m)) = (&env.record, &msg.record) {
            assert_eq!(r.stream, m.stream);
            assert_eq!(r.namespace.as_deref(), m.namespace.as_deref());
            assert_eq!(r.data.get(), m.data.as_str());
            assert_eq!(r.emitted_at, m.emitted_at);
        } else {
            assert_eq!(env.record.is_some(), msg.record.is_some());
        }
    }
}
