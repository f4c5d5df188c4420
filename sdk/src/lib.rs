//! The Airbyte connector SDK for Rust (work in progress: see the issues).
//!
//! The protocol types it builds on are re-exported as [`protocol`].
//!
//! ```
//! use airbyte_sdk::protocol::MessageType;
//! assert_eq!(MessageType::Record.as_str(), "RECORD");
//! ```

pub use airbyte_protocol as protocol;
