//! Procedural macros for `airbyte-sdk`.
//!
//! Use them through `airbyte-sdk`, which re-exports them
//! (`#[airbyte_sdk::config]`); the generated code only reaches its
//! dependencies through `::airbyte_sdk::__private`, so a connector crate needs
//! no direct `serde` or `schemars` dependency.

mod attrs;
mod expand;
mod typed;

use proc_macro::TokenStream;

/// Turns a struct or enum into an Airbyte connector configuration: it derives
/// `Deserialize`, `Serialize` and `JsonSchema` for it and translates
/// `#[airbyte(...)]` attributes into the Airbyte `connectionSpecification`
/// conventions (`airbyte_secret`, `order`, `group`, …).
///
/// Pass the type to `airbyte_sdk::spec::connection_specification` to get the
/// JSON Schema the connector prints for `spec`.
///
/// # Doc comments are required
///
/// Every field and every enum variant needs a doc comment: it becomes the
/// `description` shown in the Airbyte UI. A missing one is a compile error.
/// The doc comment of the struct becomes the description of the whole
/// specification.
///
/// # Field keys: `#[airbyte(...)]` on a field
///
/// | key | effect in the JSON Schema |
/// |---|---|
/// | `secret` | `"airbyte_secret": true` (masked in the UI; not allowed on `bool`) |
/// | `order = 2` | `"order": 2`, the position in the form |
/// | `title = "Host"` | `"title"` |
/// | `example = ".."` / `examples = [..]` | `"examples": [..]` |
/// | `default = <JSON literal>` | `"default"`, and a missing key deserializes to it |
/// | `pattern = "^..$"` | `"pattern"` |
/// | `pattern_descriptor = "YYYY-MM-DD"` | `"pattern_descriptor"` |
/// | `always_show` | `"always_show": true` |
/// | `hidden` | `"airbyte_hidden": true` |
/// | `multiline` | `"multiline": true` |
/// | `group = "db"` | `"group": "db"` (top-level fields only; declare it in `groups`) |
/// | `rename = "json_name"` | the property name (serde and schema) |
///
/// A JSON literal is a string, a number, `true`, `false`, `null` or an array of
/// those. `default` is turned into the field's value with `serde_json` when the
/// key is missing, so it works for any deserializable field type (strings,
/// integers, booleans, vectors, unit enums, `Option`s); a literal that does not
/// fit the field type panics the first time it is needed, which includes
/// generating the spec.
///
/// # Container keys: `#[airbyte(...)]` on the struct or enum
///
/// They can also be written as macro arguments:
/// `#[airbyte_sdk::config(title = "...")]`.
///
/// | key | effect |
/// |---|---|
/// | `title = "Postgres Source Spec"` | `"title"` of the schema |
/// | `groups = [("db", "Database"), "advanced"]` | root `"groups": [{"id": "db", "title": "Database"}, {"id": "advanced"}]` |
/// | `tag = "mode"` | enums only: internally tagged, rendered as a `oneOf` whose options have a `const` `mode` property |
///
/// # Enums
///
/// An enum of unit variants becomes a string `enum`. An enum with struct
/// variants needs `tag`; each variant becomes one option of a `oneOf`. Variants
/// accept `#[airbyte(rename = "verify-full", title = "Verify Full")]`: `rename`
/// is the value of the tag property, `title` the label in the UI.
///
/// # Example
///
/// ```
/// /// How to connect to the database.
/// #[airbyte_sdk::config(title = "Example Source Spec")]
/// #[airbyte(groups = [("db", "Database"), ("auth", "Authentication")])]
/// pub struct Config {
///     /// Hostname of the database.
///     #[airbyte(order = 0, group = "db", example = "db.example.com")]
///     pub host: String,
///     /// Port of the database.
///     #[airbyte(order = 1, group = "db", default = 5432)]
///     pub port: u16,
///     /// Password of the user.
///     #[airbyte(order = 0, group = "auth", secret, always_show)]
///     pub password: Option<String>,
///     /// How to encrypt the connection.
///     #[airbyte(order = 2, group = "db")]
///     pub ssl_mode: SslMode,
/// }
///
/// /// How to encrypt the connection.
/// #[airbyte_sdk::config]
/// #[airbyte(tag = "mode")]
/// pub enum SslMode {
///     /// No encryption.
///     #[airbyte(rename = "disable")]
///     Disable,
///     /// Encrypt and check the server certificate.
///     #[airbyte(rename = "verify-full", title = "Verify Full")]
///     VerifyFull {
///         /// CA certificate (PEM).
///         #[airbyte(secret, multiline)]
///         ca_certificate: String,
///     },
/// }
///
/// let config: Config = airbyte_sdk::__private::serde_json::from_str(
///     r#"{"host": "localhost", "ssl_mode": {"mode": "disable"}}"#,
/// )
/// .expect("valid config");
/// assert_eq!(config.port, 5432);
///
/// let spec = airbyte_sdk::spec::connection_specification::<Config>();
/// assert_eq!(spec["properties"]["password"]["airbyte_secret"], true);
/// assert_eq!(spec["properties"]["ssl_mode"]["type"], "object");
/// assert!(airbyte_sdk::spec::check_spec_rules(&spec).is_empty());
/// ```
#[proc_macro_attribute]
pub fn config(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::expand(args.into(), input.into()).into()
}

/// Makes a struct a typed stream's record: derives `Serialize` and
/// `JsonSchema`, so its JSON Schema becomes the stream's `json_schema`
/// (doc comments become descriptions; `Option` fields are nullable). Use
/// [`airbyte_sdk::types`](https://docs.rs/airbyte-sdk) for timestamps,
/// dates, times and exact decimals; `#[serde(...)]` attributes work.
///
/// ```
/// /// An order.
/// #[airbyte_sdk::record]
/// pub struct Order {
///     /// Its id.
///     pub id: i64,
///     #[serde(rename = "totalAmount")]
///     pub total: airbyte_sdk::types::Decimal,
/// }
///
/// let schema = airbyte_sdk::source::record_schema::<Order>().unwrap().to_map();
/// assert_eq!(schema["properties"]["totalAmount"]["type"], "number");
/// assert_eq!(schema["properties"]["id"]["description"], "Its id.");
/// ```
#[proc_macro_attribute]
pub fn record(args: TokenStream, input: TokenStream) -> TokenStream {
    typed::record(args.into(), input.into()).into()
}

/// Makes a type a typed stream's state: derives `Serialize` and `Deserialize`.
///
/// ```
/// #[airbyte_sdk::state]
/// pub struct Seen { pub updated_at: Option<String> }
///
/// let seen: Seen = airbyte_sdk::serde_json::from_str(r#"{"updated_at": "2024-01-01"}"#).unwrap();
/// assert_eq!(seen.updated_at.as_deref(), Some("2024-01-01"));
/// ```
#[proc_macro_attribute]
pub fn state(args: TokenStream, input: TokenStream) -> TokenStream {
    typed::state(args.into(), input.into()).into()
}

/// Goes on `impl Source for ...`: checks at compile time that the source
/// either gives typed `streams`, or has `discover` and `read_stream` (or
/// `read`), then applies `async_trait`. A source with neither does not compile.
#[proc_macro_attribute]
pub fn source(args: TokenStream, input: TokenStream) -> TokenStream {
    typed::source(args.into(), input.into()).into()
}
