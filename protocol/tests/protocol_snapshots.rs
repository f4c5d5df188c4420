//! The exact line printed for every message kind.

mod common;

#[test]
fn every_message_kind_serializes_as_snapshotted() {
    for (name, message) in common::sample_messages() {
        let line = serde_json::to_string(&message).expect("serialize");
        insta::assert_snapshot!(name, line);
        let back: airbyte_protocol::AirbyteMessage = serde_json::from_str(&line).expect("parse");
        assert_eq!(back, message, "{name} does not round-trip");
    }
}
