//! Stream schemas beyond the inline ones: [`load_dynamic_schema`]
//! (`DynamicSchemaLoader`, built from API records), and the records'
//! [`normalize`] to a schema's types (`schema_normalization: Default`).

mod dynamic;
mod normalize;

pub use dynamic::load_dynamic_schema;
pub use normalize::normalize;

/// Whether a stream's `schema_loader` is a `DynamicSchemaLoader` (its
/// schema comes from the API, so discover and read load it first).
///
/// ```
/// use serde_json::json;
/// let stream = json!({"schema_loader": {"type": "DynamicSchemaLoader"}});
/// assert!(source_http::schema::is_dynamic(&stream));
/// assert!(!source_http::schema::is_dynamic(&json!({})));
/// ```
pub fn is_dynamic(stream: &serde_json::Value) -> bool {
    stream
        .get("schema_loader")
        .and_then(|l| l.get("type"))
        .is_some_and(|t| t == "DynamicSchemaLoader")
}
