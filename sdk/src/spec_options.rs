//! The fields of a connector's SPEC besides its config schema.

use airbyte_protocol::{ConnectorSpecification, DestinationSyncMode, JsonObject};

/// The fields of the SPEC message besides `connectionSpecification`.
///
/// ```
/// use airbyte_sdk::SpecOptions;
/// let options = SpecOptions {
///     documentation_url: Some("https://docs.example.com/source-x".into()),
///     ..SpecOptions::default()
/// };
/// assert!(options.supported_destination_sync_modes.is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SpecOptions {
    /// The connector's documentation.
    pub documentation_url: Option<String>,
    /// The connector's changelog.
    pub changelog_url: Option<String>,
    /// For destinations: the sync modes supported.
    pub supported_destination_sync_modes: Option<Vec<DestinationSyncMode>>,
}

impl SpecOptions {
    pub(crate) fn into_spec(
        self,
        connection_specification: JsonObject,
        incremental: Option<bool>,
    ) -> ConnectorSpecification {
        let mut spec = ConnectorSpecification::new(connection_specification);
        spec.documentation_url = self.documentation_url;
        spec.changelog_url = self.changelog_url;
        spec.supported_destination_sync_modes = self.supported_destination_sync_modes;
        spec.supports_incremental = incremental;
        spec.protocol_version = Some(airbyte_protocol::PROTOCOL_VERSION.to_owned());
        spec
    }
}
