//! Shapes that must keep compiling: generics, raw identifiers, user derives
//! and serde attributes next to the macro, defaults in enum variants.

/// A generic config.
#[airbyte_sdk::config]
#[derive(Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Config<T> {
    /// A raw identifier.
    #[airbyte(default = "full")]
    pub r#type: String,
    /// A generic value.
    pub value: T,
    /// An optional value with a default.
    #[airbyte(default = 3)]
    pub retry_count: Option<u8>,
    /// A unit enum with a default.
    #[airbyte(default = "b")]
    pub level: Level,
    /// A tagged enum.
    pub method: Method,
}

/// A unit enum.
#[airbyte_sdk::config]
#[derive(Debug, Clone, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// First.
    A,
    /// Second.
    B,
}

/// A tagged enum with a default inside a variant.
#[airbyte_sdk::config]
#[airbyte(tag = "method")]
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Full scans.
    Standard,
    /// Change data capture.
    #[airbyte(rename = "CDC")]
    Cdc {
        /// Seconds to wait.
        #[airbyte(default = 300)]
        wait: u32,
    },
}

/// A config without options.
#[airbyte_sdk::config]
pub struct Empty {}

fn main() {
    let config: Config<u64> = airbyte_sdk::serde_json::from_str(
        r#"{"value": 7, "method": {"method": "CDC"}}"#,
    )
    .expect("deserializes");
    assert_eq!(config.r#type, "full");
    assert_eq!(config.retry_count, Some(3));
    assert_eq!(config.level, Level::B);
    assert_eq!(config.method, Method::Cdc { wait: 300 });
    let spec = airbyte_sdk::spec::connection_specification::<Config<u64>>();
    assert_eq!(spec["properties"]["type"]["default"], "full");
    assert_eq!(spec["properties"]["retryCount"]["default"], 3);
    assert_eq!(spec["properties"]["level"]["enum"][1], "b");
    let empty = airbyte_sdk::spec::connection_specification::<Empty>();
    assert!(airbyte_sdk::spec::check_spec_rules(&empty).is_empty());
}
