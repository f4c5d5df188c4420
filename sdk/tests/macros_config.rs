//! `#[airbyte_sdk::config]` end to end, on a realistic Postgres-like config:
//! the generated `connectionSpecification` (snapshot), the CAT rules, config
//! deserialization with defaults, validation against the generated schema,
//! and secret discovery.

use airbyte_sdk::spec::{check_spec_rules, connection_specification, secret_paths, secret_values};
use serde_json::{Value, json};

/// Configuration of the Postgres source.
#[airbyte_sdk::config(title = "Postgres Source Spec")]
#[airbyte(groups = [
    ("db", "Database"),
    ("auth", "Authentication"),
    ("security", "Security"),
    ("advanced", "Advanced"),
])]
#[derive(Debug, PartialEq)]
pub struct PostgresConfig {
    /// Hostname of the database.
    #[airbyte(order = 0, group = "db", title = "Host", example = "db.example.com")]
    pub host: String,
    /// Port of the database.
    #[airbyte(order = 1, group = "db", title = "Port", default = 5432, examples = [5432])]
    pub port: u16,
    /// Name of the database.
    #[airbyte(order = 2, group = "db", title = "Database Name")]
    pub database: String,
    /// The list of schemas (case sensitive) to sync from.
    #[airbyte(order = 3, group = "db", title = "Schemas", default = ["public"])]
    pub schemas: Vec<String>,
    /// Username to access the database.
    #[airbyte(order = 0, group = "auth", title = "Username")]
    pub username: String,
    /// Password associated with the username.
    #[airbyte(order = 1, group = "auth", title = "Password", secret, always_show)]
    pub password: Option<String>,
    /// Additional properties to pass to the JDBC URL string when connecting to
    /// the database, formatted as `key=value` pairs separated by `&`.
    #[airbyte(
        order = 0,
        group = "advanced",
        title = "JDBC URL Parameters (Advanced)",
        pattern = "^([^=&]+=[^=&]*)(&[^=&]+=[^=&]*)*$",
        pattern_descriptor = "key1=value1&key2=value2"
    )]
    pub jdbc_url_params: Option<String>,
    /// SSL connection modes.
    #[airbyte(order = 0, group = "security", title = "SSL Modes")]
    pub ssl_mode: SslMode,
    /// How data is extracted from the database.
    #[airbyte(
        order = 1,
        group = "advanced",
        title = "Update Method",
        rename = "replication_method"
    )]
    pub replication: ReplicationMethod,
    /// Log every query the connector runs (for support only).
    #[airbyte(hidden, default = false)]
    pub debug_queries: bool,
}

/// SSL connection modes.
#[airbyte_sdk::config]
#[airbyte(tag = "mode")]
#[derive(Debug, PartialEq)]
pub enum SslMode {
    /// Disables encryption of communication between Airbyte and the source database.
    #[airbyte(rename = "disable")]
    Disable,
    /// Enables encryption only when required by the source database.
    #[airbyte(rename = "allow")]
    Allow,
    /// Allows unencrypted connection only if the source database does not support encryption.
    #[airbyte(rename = "prefer")]
    Prefer,
    /// Always require encryption. If the source database server does not support encryption, connection will fail.
    #[airbyte(rename = "require")]
    Require,
    /// Always require encryption and verifies that the source database server has a valid SSL certificate.
    #[airbyte(rename = "verify-ca", title = "Verify CA")]
    VerifyCa {
        /// CA certificate.
        #[airbyte(order = 1, title = "CA Certificate", secret, multiline)]
        ca_certificate: String,
        /// Client key (PEM), for client-certificate authentication.
        #[airbyte(order = 2, title = "Client Key", secret, multiline)]
        client_key: Option<String>,
    },
    /// This is the most secure mode. Always require encryption and verifies the identity of the source database server.
    #[airbyte(rename = "verify-full", title = "Verify Full")]
    VerifyFull {
        /// CA certificate.
        #[airbyte(order = 1, title = "CA Certificate", secret, multiline)]
        ca_certificate: String,
        /// Client key (PEM), for client-certificate authentication.
        #[airbyte(order = 2, title = "Client Key", secret, multiline)]
        client_key: Option<String>,
    },
}

/// How data is extracted from the database.
#[airbyte_sdk::config]
#[airbyte(tag = "method")]
#[derive(Debug, PartialEq)]
pub enum ReplicationMethod {
    /// Incrementally detects new inserts and updates using the cursor column chosen when
    /// configuring a connection.
    #[airbyte(title = "Scan Changes with User Defined Cursor")]
    Standard,
    /// Uses the Write-Ahead Log to detect inserts, updates and deletes.
    #[airbyte(rename = "CDC", title = "Read Changes using Write-Ahead Log (CDC)")]
    Cdc {
        /// A plugin logical replication slot.
        #[airbyte(order = 1, title = "Replication Slot")]
        replication_slot: String,
        /// A Postgres publication used for consuming changes.
        #[airbyte(order = 2, title = "Publication")]
        publication: String,
        /// The amount of time the connector will wait when it launches to determine if
        /// there is new data to sync or not, in seconds.
        #[airbyte(
            order = 3,
            title = "Initial Waiting Time in Seconds (Advanced)",
            default = 300
        )]
        initial_waiting_seconds: u32,
    },
}

fn spec() -> Value {
    connection_specification::<PostgresConfig>()
}

/// A config as the Airbyte UI would save it: optional fields left out.
fn sample_config() -> Value {
    json!({
        "host": "db.internal",
        "database": "app",
        "username": "airbyte",
        "password": "s3cr3t-pa55",
        "ssl_mode": {
            "mode": "verify-full",
            "ca_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
        },
        "replication_method": {
            "method": "CDC",
            "replication_slot": "airbyte_slot",
            "publication": "airbyte_publication"
        }
    })
}

#[test]
fn connection_specification_snapshot() {
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!("postgres_connection_specification", spec());
    });
}

#[test]
fn generated_spec_passes_every_cat_rule() {
    let violations = check_spec_rules(&spec());
    assert!(
        violations.is_empty(),
        "violations:\n{}",
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn airbyte_keys_reach_the_schema() {
    let spec = spec();
    let props = &spec["properties"];
    assert_eq!(spec["title"], "Postgres Source Spec");
    assert_eq!(spec["description"], "Configuration of the Postgres source.");
    assert_eq!(
        spec["groups"],
        json!([
            {"id": "db", "title": "Database"},
            {"id": "auth", "title": "Authentication"},
            {"id": "security", "title": "Security"},
            {"id": "advanced", "title": "Advanced"},
        ])
    );
    assert_eq!(props["port"]["default"], 5432);
    assert_eq!(props["port"]["examples"], json!([5432]));
    assert_eq!(props["port"]["type"], "integer");
    assert!(props["port"].get("format").is_none());
    assert_eq!(props["schemas"]["default"], json!(["public"]));
    assert_eq!(props["password"]["airbyte_secret"], true);
    assert_eq!(props["password"]["always_show"], true);
    assert_eq!(props["password"]["type"], "string");
    assert_eq!(props["debug_queries"]["airbyte_hidden"], true);
    assert_eq!(
        props["jdbc_url_params"]["pattern_descriptor"],
        "key1=value1&key2=value2"
    );
    assert_eq!(props["host"]["examples"], json!(["db.example.com"]));
    assert!(
        props.get("replication").is_none(),
        "renamed to replication_method"
    );
    assert_eq!(props["replication_method"]["type"], "object");

    let ssl = &props["ssl_mode"];
    assert_eq!(ssl["type"], "object");
    let modes: Vec<&Value> = ssl["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .map(|option| &option["properties"]["mode"]["const"])
        .collect();
    assert_eq!(
        modes,
        [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full"
        ]
    );
    let verify_full = &ssl["oneOf"][5];
    assert_eq!(verify_full["title"], "Verify Full");
    assert_eq!(
        verify_full["properties"]["ca_certificate"]["multiline"],
        true
    );
    assert_eq!(verify_full["required"], json!(["mode", "ca_certificate"]));

    let cdc = &props["replication_method"]["oneOf"][1];
    assert_eq!(cdc["properties"]["method"]["const"], "CDC");
    assert_eq!(cdc["properties"]["initial_waiting_seconds"]["default"], 300);

    let mut required: Vec<&str> = spec["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort_unstable();
    assert_eq!(
        required,
        [
            "database",
            "host",
            "replication_method",
            "ssl_mode",
            "username"
        ]
    );
}

#[test]
fn sample_config_deserializes_with_defaults() {
    let config: PostgresConfig =
        serde_json::from_value(sample_config()).expect("sample config deserializes");
    assert_eq!(
        config,
        PostgresConfig {
            host: "db.internal".to_owned(),
            port: 5432,
            database: "app".to_owned(),
            schemas: vec!["public".to_owned()],
            username: "airbyte".to_owned(),
            password: Some("s3cr3t-pa55".to_owned()),
            jdbc_url_params: None,
            ssl_mode: SslMode::VerifyFull {
                ca_certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
                    .to_owned(),
                client_key: None,
            },
            replication: ReplicationMethod::Cdc {
                replication_slot: "airbyte_slot".to_owned(),
                publication: "airbyte_publication".to_owned(),
                initial_waiting_seconds: 300,
            },
            debug_queries: false,
        }
    );
}

#[test]
fn configs_validate_against_the_generated_schema() {
    let spec = spec();
    let validator = jsonschema::draft7::new(&spec).expect("the spec is a valid draft-07 schema");

    let sample = sample_config();
    let errors: Vec<String> = validator
        .iter_errors(&sample)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "sample config rejected: {errors:?}");

    // A parsed config, serialized back (defaults filled in, `None`s left out),
    // still validates.
    let parsed: PostgresConfig = serde_json::from_value(sample.clone()).expect("deserializes");
    let round_trip = serde_json::to_value(&parsed).expect("serializes");
    assert!(round_trip.get("password").is_some());
    assert!(round_trip.get("jdbc_url_params").is_none());
    assert!(validator.is_valid(&round_trip), "{round_trip}");

    // Simple modes carry only their tag.
    let mut minimal = sample.clone();
    minimal["ssl_mode"] = json!({"mode": "disable"});
    minimal["replication_method"] = json!({"method": "Standard"});
    assert!(validator.is_valid(&minimal));

    // ... and the schema can fail.
    let mut bad_port = sample.clone();
    bad_port["port"] = json!(70000);
    assert!(!validator.is_valid(&bad_port), "port above u16::MAX");
    let mut missing_certificate = sample.clone();
    missing_certificate["ssl_mode"] = json!({"mode": "verify-ca"});
    assert!(!validator.is_valid(&missing_certificate));
    let mut unknown_mode = sample.clone();
    unknown_mode["ssl_mode"] = json!({"mode": "sometimes"});
    assert!(!validator.is_valid(&unknown_mode));
    let mut no_host = sample;
    no_host.as_object_mut().expect("object").remove("host");
    assert!(!validator.is_valid(&no_host));
}

#[test]
fn secrets_are_found() {
    let spec = spec();
    assert_eq!(
        secret_paths(&spec),
        [
            vec!["password".to_owned()],
            vec!["ssl_mode".to_owned(), "ca_certificate".to_owned()],
            vec!["ssl_mode".to_owned(), "client_key".to_owned()],
        ]
    );
    let mut values = secret_values(&spec, &sample_config());
    values.sort_unstable();
    assert_eq!(
        values,
        [
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "s3cr3t-pa55",
        ]
    );
}

/// Shapes that schemars renders with `anyOf`, nullable types, `oneOf`s of
/// consts or Rust-only formats, all normalized away.
#[airbyte_sdk::config]
pub struct AwkwardShapes {
    /// An optional nested object.
    pub tunnel: Option<Tunnel>,
    /// An optional tagged enum.
    pub ssl_mode: Option<SslMode>,
    /// A documented unit enum.
    #[airbyte(default = "info")]
    pub log_level: LogLevel,
    /// A list of unit enum values.
    pub extra_levels: Vec<LogLevel>,
    /// A 64-bit integer.
    pub max_rows: Option<i64>,
    /// A float.
    pub ratio: f64,
}

/// SSH tunnel.
#[airbyte_sdk::config]
pub struct Tunnel {
    /// Tunnel host.
    pub tunnel_host: String,
}

/// Log level.
#[airbyte_sdk::config]
pub enum LogLevel {
    /// Errors only.
    #[airbyte(rename = "error")]
    Error,
    /// Normal output.
    #[airbyte(rename = "info")]
    Info,
}

#[test]
fn awkward_shapes_are_normalized() {
    let spec = connection_specification::<AwkwardShapes>();
    let violations = check_spec_rules(&spec);
    assert!(violations.is_empty(), "{violations:?}");
    let props = &spec["properties"];
    assert_eq!(props["tunnel"]["type"], "object");
    assert_eq!(props["tunnel"]["description"], "An optional nested object.");
    assert_eq!(props["ssl_mode"]["type"], "object");
    assert_eq!(props["ssl_mode"]["description"], "An optional tagged enum.");
    assert_eq!(props["ssl_mode"]["oneOf"].as_array().map(Vec::len), Some(6));
    assert_eq!(
        props["log_level"],
        json!({
            "description": "A documented unit enum.",
            "type": "string",
            "enum": ["error", "info"],
            "default": "info",
        })
    );
    assert_eq!(
        props["extra_levels"]["items"]["enum"],
        json!(["error", "info"])
    );
    assert_eq!(
        props["max_rows"],
        json!({"description": "A 64-bit integer.", "type": "integer"})
    );
    assert_eq!(
        props["ratio"],
        json!({"description": "A float.", "type": "number"})
    );
    assert_eq!(spec["required"], json!(["extra_levels", "ratio"]));
    let text = serde_json::to_string(&spec).expect("json");
    assert!(
        !text.contains("\"null\"") && !text.contains(":null"),
        "{text}"
    );
}

/// A default that does not fit its field type.
#[airbyte_sdk::config]
pub struct BadDefault {
    /// Port of the database.
    #[airbyte(default = "not a number")]
    pub port: u16,
}

#[test]
#[should_panic(expected = "invalid `#[airbyte(default = ...)]` on field `port`")]
fn a_default_that_does_not_fit_panics_when_generating_the_spec() {
    let _ = connection_specification::<BadDefault>();
}
