//! SPEC: what a connector needs to be configured, and its OAuth flows.

use serde::{Deserialize, Serialize};

use crate::catalog::DestinationSyncMode;
use crate::raw::JsonObject;
use crate::wire::wire_struct;

wire_struct! {
    /// The answer to `spec` (`ConnectorSpecification`).
    ///
    /// ```
    /// use airbyte_protocol::{ConnectorSpecification, JsonObject};
    /// let spec = ConnectorSpecification::new(
    ///     JsonObject::from_string(r#"{"type":"object","properties":{}}"#.into()).unwrap(),
    /// );
    /// assert_eq!(
    ///     serde_json::to_string(&spec).unwrap(),
    ///     r#"{"connectionSpecification":{"type":"object","properties":{}}}"#
    /// );
    /// ```
    #[derive(Default)]
    pub struct ConnectorSpecification {
        /// The connector's documentation.
        "documentationUrl" => opt documentation_url: String,
        /// The connector's changelog.
        "changelogUrl" => opt changelog_url: String,
        /// The JSON Schema of the config, kept as the original text.
        "connectionSpecification" => req connection_specification: JsonObject,
        /// Deprecated.
        "supportsIncremental" => opt supports_incremental: bool,
        /// Whether the destination supports normalization.
        "supportsNormalization" => opt supports_normalization: bool,
        /// Whether the destination supports dbt.
        "supportsDBT" => opt supports_dbt: bool,
        /// The destination sync modes a destination supports.
        "supported_destination_sync_modes" => opt supported_destination_sync_modes: Vec<DestinationSyncMode>,
        /// Deprecated OAuth description; use `advanced_auth`.
        "authSpecification" => opt auth_specification: AuthSpecification,
        /// The OAuth flow, if the connector has one.
        "advanced_auth" => opt advanced_auth: AdvancedAuth,
        /// The protocol version the connector speaks.
        "protocol_version" => opt protocol_version: String,
    }
}

impl ConnectorSpecification {
    /// A spec with only `connectionSpecification` set.
    pub fn new(connection_specification: JsonObject) -> Self {
        ConnectorSpecification {
            connection_specification,
            ..Default::default()
        }
    }
}

wire_struct! {
    /// Deprecated OAuth description (`ConnectorSpecification.authSpecification`).
    ///
    /// ```
    /// use airbyte_protocol::AuthSpecification;
    /// let a: AuthSpecification = serde_json::from_str(r#"{"auth_type":"oauth2.0","oauth2Specification":{"rootObject":["credentials",0]}}"#).unwrap();
    /// assert!(a.oauth2_specification.is_some());
    /// ```
    #[derive(Default)]
    pub struct AuthSpecification {
        /// Always `oauth2.0`.
        "auth_type" => opt auth_type: AuthType,
        /// The OAuth 2.0 details.
        "oauth2Specification" => opt oauth2_specification: OAuth2Specification,
    }
}

/// The deprecated auth type (`authSpecification.auth_type`).
///
/// ```
/// use airbyte_protocol::AuthType;
/// assert_eq!(serde_json::to_string(&AuthType::OAuth2_0).unwrap(), r#""oauth2.0""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthType {
    /// OAuth 2.0.
    #[serde(rename = "oauth2.0")]
    OAuth2_0,
}

wire_struct! {
    /// Deprecated OAuth 2.0 details (`OAuth2Specification`).
    ///
    /// ```
    /// use airbyte_protocol::{OAuth2Specification, PathSegment};
    /// let o: OAuth2Specification = serde_json::from_str(r#"{"rootObject":["credentials",0],"oauthFlowInitParameters":[["client_id"]]}"#).unwrap();
    /// assert_eq!(o.root_object.unwrap()[1], PathSegment::Index(0));
    /// ```
    #[derive(Default)]
    pub struct OAuth2Specification {
        /// Where the OAuth parameters live in the config.
        "rootObject" => opt root_object: Vec<PathSegment>,
        /// Fields needed to start the flow.
        "oauthFlowInitParameters" => opt oauth_flow_init_parameters: Vec<Vec<String>>,
        /// Fields the flow fills in.
        "oauthFlowOutputParameters" => opt oauth_flow_output_parameters: Vec<Vec<String>>,
    }
}

/// One step of a path into a config: a property name or a `oneOf` index.
///
/// ```
/// use airbyte_protocol::PathSegment;
/// let p: Vec<PathSegment> = serde_json::from_str(r#"["a",1]"#).unwrap();
/// assert_eq!(p, vec![PathSegment::Name("a".into()), PathSegment::Index(1)]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A property name.
    Name(String),
    /// An index.
    Index(i64),
}

wire_struct! {
    /// An advanced (OAuth) auth flow (`ConnectorSpecification.advanced_auth`).
    ///
    /// ```
    /// use airbyte_protocol::{AdvancedAuth, AuthFlowType};
    /// let a: AdvancedAuth = serde_json::from_str(r#"{"auth_flow_type":"oauth2.0","predicate_key":["credentials","auth_type"],"predicate_value":"Client"}"#).unwrap();
    /// assert_eq!(a.auth_flow_type, Some(AuthFlowType::OAuth2_0));
    /// ```
    #[derive(Default)]
    pub struct AdvancedAuth {
        /// OAuth 2.0 or 1.0.
        "auth_flow_type" => opt auth_flow_type: AuthFlowType,
        /// Path of the config field that selects this flow.
        "predicate_key" => opt predicate_key: Vec<String>,
        /// The value of that field that selects this flow.
        "predicate_value" => opt predicate_value: String,
        /// How the flow maps onto the config.
        "oauth_config_specification" => opt oauth_config_specification: OAuthConfigSpecification,
    }
}

/// The kind of OAuth flow (`advanced_auth.auth_flow_type`).
///
/// ```
/// use airbyte_protocol::AuthFlowType;
/// assert_eq!(serde_json::to_string(&AuthFlowType::OAuth1_0).unwrap(), r#""oauth1.0""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthFlowType {
    /// OAuth 2.0.
    #[serde(rename = "oauth2.0")]
    OAuth2_0,
    /// OAuth 1.0.
    #[serde(rename = "oauth1.0")]
    OAuth1_0,
}

wire_struct! {
    /// How an OAuth flow maps onto the config (`OAuthConfigSpecification`).
    ///
    /// ```
    /// use airbyte_protocol::OAuthConfigSpecification;
    /// let o: OAuthConfigSpecification = serde_json::from_str(r#"{"complete_oauth_output_specification":{"type":"object"}}"#).unwrap();
    /// assert!(o.complete_oauth_output_specification.is_some());
    /// ```
    #[derive(Default)]
    pub struct OAuthConfigSpecification {
        /// Config values the user enters that the flow also needs.
        "oauth_user_input_from_connector_config_specification" => opt oauth_user_input_from_connector_config_specification: JsonObject,
        /// A declarative OAuth flow.
        "oauth_connector_input_specification" => opt oauth_connector_input_specification: OAuthConnectorInputSpecification,
        /// What the flow returns, and where it goes in the config.
        "complete_oauth_output_specification" => opt complete_oauth_output_specification: JsonObject,
        /// Server-side inputs (client id and secret).
        "complete_oauth_server_input_specification" => opt complete_oauth_server_input_specification: JsonObject,
        /// Where the server-side inputs go in the config.
        "complete_oauth_server_output_specification" => opt complete_oauth_server_output_specification: JsonObject,
    }
}

wire_struct! {
    /// A declarative OAuth flow (`oauth_connector_input_specification`).
    ///
    /// ```
    /// use airbyte_protocol::OAuthConnectorInputSpecification;
    /// let o: OAuthConnectorInputSpecification = serde_json::from_str(
    ///     r#"{"consent_url":"https://a/auth","access_token_url":"https://a/token","state":{"min":7,"max":128}}"#,
    /// ).unwrap();
    /// assert_eq!(o.state.unwrap().max, Some(128));
    /// ```
    pub struct OAuthConnectorInputSpecification {
        /// The consent URL template.
        "consent_url" => req consent_url: String,
        /// The scopes to request.
        "scope" => opt scope: String,
        /// The token URL template.
        "access_token_url" => req access_token_url: String,
        /// Headers for the token request.
        "access_token_headers" => opt access_token_headers: JsonObject,
        /// Parameters for the token request.
        "access_token_params" => opt access_token_params: JsonObject,
        /// Keys to extract from the token response.
        "extract_output" => opt extract_output: Vec<String>,
        /// The length range of the `state` parameter.
        "state" => opt state: OAuthStateRange,
        /// Name of the client-id parameter.
        "client_id_key" => opt client_id_key: String,
        /// Name of the client-secret parameter.
        "client_secret_key" => opt client_secret_key: String,
        /// Name of the scope parameter.
        "scope_key" => opt scope_key: String,
        /// Name of the state parameter.
        "state_key" => opt state_key: String,
        /// Name of the authorization-code parameter.
        "auth_code_key" => opt auth_code_key: String,
        /// Name of the redirect-URI parameter.
        "redirect_uri_key" => opt redirect_uri_key: String,
        /// Name of the token-expiry field.
        "token_expiry_key" => opt token_expiry_key: String,
    }
}

wire_struct! {
    /// The length range of an OAuth `state` parameter.
    ///
    /// ```
    /// use airbyte_protocol::OAuthStateRange;
    /// let r: OAuthStateRange = serde_json::from_str(r#"{"min":7}"#).unwrap();
    /// assert_eq!(r.min, Some(7));
    /// ```
    #[derive(Default)]
    pub struct OAuthStateRange {
        /// Shortest length.
        "min" => opt min: i64,
        /// Longest length.
        "max" => opt max: i64,
    }
}
