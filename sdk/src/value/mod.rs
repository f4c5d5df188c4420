//! Values as Airbyte records carry them, parsed the same way everywhere:
//! one calendar ([`calendar`]), dates, times and timestamps against a
//! store's [`Range`] ([`temporal`]), exact decimals ([`Decimal`]) and JSON
//! string escapes ([`json_string`]). Sources compare cursors with them,
//! destinations check and encode values with them; nothing on these paths
//! allocates.
//!
//! ```
//! use airbyte_sdk::value::{Decimal, Range, temporal};
//!
//! // A destination's cast, with PostgreSQL's limits: 2024-02-30 is no date anywhere.
//! assert!(temporal::date("2024-02-29", &Range::POSTGRES).is_some());
//! assert!(temporal::date("2024-02-30", &Range::POSTGRES).is_none());
//! assert!(Decimal::parse("12.50").unwrap().fits(38, 9));
//! ```

pub mod calendar;
pub mod cases;
mod decimal;
pub mod json_string;
mod range;
pub mod temporal;

pub use decimal::Decimal;
pub use range::{Range, Rounding};
