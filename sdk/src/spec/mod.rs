//! The connector's `connectionSpecification`: generating it from a config
//! type, checking it against the Airbyte acceptance-test rules, and finding the
//! secrets it marks.
//!
//! - [`connection_specification`] turns a `#[airbyte_sdk::config]` type (or any
//!   `schemars::JsonSchema` type) into the JSON Schema the connector prints for
//!   `spec`, normalized by [`normalize_connection_specification`] to the subset
//!   the Airbyte UI understands.
//! - [`check_spec_rules`] checks any `connectionSpecification` against the CAT
//!   `TestSpec` rules that need only the schema, and reports
//!   [`SpecViolation`]s.
//! - [`secret_paths`] and [`secret_values`] list the fields marked
//!   `airbyte_secret` and their values in a config, so they can be masked.
//!
//! # Example
//!
//! ```
//! use airbyte_sdk::spec;
//!
//! /// Settings of the example source.
//! #[airbyte_sdk::config(title = "Example Source Spec")]
//! pub struct Config {
//!     /// Account name.
//!     #[airbyte(order = 0)]
//!     pub account: String,
//!     /// API token of the account.
//!     #[airbyte(order = 1, secret)]
//!     pub token: String,
//! }
//!
//! let schema = spec::connection_specification::<Config>();
//! assert_eq!(schema["title"], "Example Source Spec");
//! assert!(spec::check_spec_rules(&schema).is_empty());
//!
//! let config = serde_json::json!({"account": "acme", "token": "t0k3n"});
//! assert_eq!(spec::secret_paths(&schema), [["token"]]);
//! assert_eq!(spec::secret_values(&schema, &config), ["t0k3n"]);
//! ```

mod generate;
mod rules;
mod secrets;

pub use generate::{DRAFT_07, connection_specification, normalize_connection_specification};
pub use rules::{FORBIDDEN_KEYWORDS, RULES, SpecViolation, check_spec_rules};
pub use secrets::{ANY_ITEM, SECRET_PROPERTY_NAMES, secret_paths, secret_values};
