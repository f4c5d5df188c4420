//! The OAuth refresh request (the CDK's `_make_handled_request`): a POST
//! of the refresh arguments as a form, or as the query string
//! (`send_refresh_request_as_query_params`), retried on 429, 5xx and
//! transport errors for at most 300 s; an answer with an error code and
//! value of the error rule is a config error.

use std::time::Duration;

use airbyte_sdk::http::reqwest::header::CONTENT_TYPE;
use airbyte_sdk::http::{HttpClient, Resolution, RetryPolicy, StatusTable};
use airbyte_sdk::protocol::FailureType;
use serde_json::Value;

use crate::error::Error;
use crate::interpolation::python_str;
use crate::requester::urlencode;

/// How deep the answer's fields are looked for.
const MAX_DEPTH: usize = 5;

/// What a refresh request is made of.
#[derive(Debug, Clone)]
pub(crate) struct RefreshForm {
    pub endpoint: Option<String>,
    pub grant_type: (String, String),
    pub client_id: (String, String),
    pub client_secret: (String, String),
    pub refresh_token_name: String,
    pub scopes: Vec<String>,
    pub extra: Vec<(String, Value)>,
    pub headers: Vec<(String, String)>,
    pub as_query: bool,
}

impl RefreshForm {
    /// The standard arguments, then the configured extras whose names are
    /// not taken; the client's credentials are left out when the headers
    /// carry an `Authorization`.
    fn arguments(&self, refresh_token: Option<&str>) -> Vec<(String, String)> {
        let mut args = vec![self.grant_type.clone()];
        if !self.headers.iter().any(|(k, _)| k == "Authorization") {
            args.push(self.client_id.clone());
            args.push(self.client_secret.clone());
        }
        if let Some(token) = refresh_token {
            args.push((self.refresh_token_name.clone(), token.to_owned()));
        }
        args.extend(self.scopes.iter().map(|s| ("scopes".to_owned(), s.clone())));
        for (key, value) in &self.extra {
            if args.iter().any(|(k, _)| k == key) {
                continue;
            }
            match value {
                Value::Null => {}
                Value::Array(items) => {
                    args.extend(items.iter().map(|i| (key.clone(), text(i))));
                }
                other => args.push((key.clone(), text(other))),
            }
        }
        args
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| python_str(value), str::to_owned)
}

/// Which rejections mean the refresh token is spent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorRule {
    pub codes: Vec<u16>,
    pub key: String,
    pub values: Vec<String>,
}

impl Default for ErrorRule {
    fn default() -> Self {
        ErrorRule {
            codes: vec![400],
            key: "error".into(),
            values: vec!["invalid_grant".into(), "invalid_permissions".into()],
        }
    }
}

/// Sends refresh requests.
pub(crate) struct TokenClient {
    form: RefreshForm,
    rule: ErrorRule,
    http: HttpClient,
}

impl TokenClient {
    pub fn new(form: RefreshForm, rule: ErrorRule) -> Result<TokenClient, Error> {
        // 429 and 5xx retry, transport errors too; other 4xx are read.
        let statuses = StatusTable::empty()
            .with_range(400..=499, Resolution::ignore())
            .with(429, Resolution::rate_limited())
            .with_range(500..=599, Resolution::retry(FailureType::TransientError));
        let http = HttpClient::builder()
            .statuses(statuses)
            .retry(RetryPolicy {
                max_retries: 8,
                max_time: Duration::from_secs(300),
                honour_retry_after: false,
                ..RetryPolicy::default()
            })
            .secret(form.client_secret.1.clone())
            .build()
            .map_err(|e| Error::Read(e.to_string()))?;
        Ok(TokenClient { form, rule, http })
    }

    pub fn has_no_endpoint(&self) -> bool {
        self.form.endpoint.is_none()
    }

    /// POSTs a refresh; the answer's JSON.
    pub async fn refresh(&self, refresh_token: Option<&str>) -> Result<Value, Error> {
        let failed = |internal: String, failure_type| Error::Traced {
            message: "OAuth access token refresh request failed.".into(),
            internal_message: internal,
            failure_type,
        };
        let Some(endpoint) = &self.form.endpoint else {
            return Err(failed(
                "no token_refresh_endpoint".into(),
                FailureType::SystemError,
            ));
        };
        let encoded = urlencode(&self.form.arguments(refresh_token));
        let mut request = if self.form.as_query {
            let joiner = if endpoint.contains('?') { '&' } else { '?' };
            let url = if encoded.is_empty() {
                endpoint.clone()
            } else {
                format!("{endpoint}{joiner}{encoded}")
            };
            self.http.post(url)
        } else {
            self.http
                .post(endpoint)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(encoded)
        };
        for (name, value) in &self.form.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = self.http.send(request).await.map_err(|e| {
            let internal =
                format!("Error during OAuth token refresh after retries were exhausted: {e}");
            match e.failure_type() {
                FailureType::TransientError => Error::Traced {
                    message: "OAuth access token refresh request failed due to a network error."
                        .into(),
                    internal_message: internal,
                    failure_type: FailureType::TransientError,
                },
                _ => failed(internal, FailureType::SystemError),
            }
        })?;
        let status = response.status();
        let body: Option<Value> = serde_json::from_slice(response.body()).ok();
        if !response.is_ignored() {
            return body.ok_or_else(|| {
                failed(
                    "Unexpected error during OAuth token refresh: the answer is not JSON".into(),
                    FailureType::SystemError,
                )
            });
        }
        let content = body.as_ref().filter(|b| b.is_object());
        let matched = content
            .and_then(|c| c.get(&self.rule.key))
            .and_then(Value::as_str);
        if self.rule.codes.contains(&status.as_u16())
            && matched.is_some_and(|m| self.rule.values.iter().any(|v| v == m))
        {
            let mut message = "Refresh token was rejected by the OAuth provider (invalid, expired, or already used). Re-authenticate this source's credentials in its connection settings.".to_owned();
            if let Some(detail) = content.and_then(provider_detail) {
                message.push_str(&format!(" Provider error: {detail}"));
            }
            let text = response.text();
            let text: String = text.chars().take(1000).collect();
            return Err(Error::Traced {
                message,
                internal_message: format!(
                    "Refresh token rejected by the OAuth token endpoint. HTTP {}: {text}",
                    status.as_u16()
                ),
                failure_type: FailureType::ConfigError,
            });
        }
        // requests' `raise_for_status`, which the CDK lets through.
        let side = if status.is_client_error() {
            "Client"
        } else {
            "Server"
        };
        Err(Error::Request {
            kind: "HTTPError".into(),
            message: format!(
                "{} {side} Error: {} for url: {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                response.url()
            ),
        })
    }
}

/// The provider's `error`, and the code leading `error_description`
/// (`AADSTS50173`), for the user's message.
fn provider_detail(content: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(error) = content
        .get("error")
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
    {
        parts.push(error.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if let Some(description) = content.get("error_description").and_then(Value::as_str) {
        let code = regex::Regex::new(r"^[A-Za-z]{3,}\d{4,}\b").ok()?;
        if let Some(m) = code.find(description.trim()) {
            parts.push(m.as_str().to_owned());
        }
    }
    if parts.is_empty() {
        return None;
    }
    let detail = airbyte_sdk::Masker::default()
        .mask(&parts.join(": "))
        .into_owned();
    Some(match detail.char_indices().nth(64) {
        Some((at, _)) => format!("{}...", &detail[..at]),
        None => detail,
    })
}

/// A field of the answer, at the top or nested (objects, then arrays) up
/// to 5 levels down; deeper is the CDK's `ResponseKeysMaxRecurtionReached`.
///
/// ```
/// use serde_json::json;
/// use source_http::auth::find_field;
/// let body = json!({"data": {"token": {"access_token": "a"}}});
/// assert_eq!(find_field(&body, "access_token").unwrap(), Some(&json!("a")));
/// assert_eq!(find_field(&body, "expires_in").unwrap(), None);
/// let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}});
/// assert!(find_field(&deep, "x").is_err());
/// ```
pub fn find_field<'a>(value: &'a Value, name: &str) -> Result<Option<&'a Value>, Error> {
    find(value, name, 0)
}

pub(crate) fn find<'a>(
    value: &'a Value,
    name: &str,
    depth: usize,
) -> Result<Option<&'a Value>, Error> {
    if depth > MAX_DEPTH {
        let message = format!(
            "The maximum level of recursion is reached. Couldn't find the specified `{name}` in the response."
        );
        return Err(Error::Traced {
            message: message.clone(),
            internal_message: message,
            failure_type: FailureType::ConfigError,
        });
    }
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Object(map) => {
            if let Some(found) = map.get(name) {
                return Ok(Some(found));
            }
            Box::new(map.values())
        }
        Value::Array(items) => Box::new(items.iter()),
        _ => return Ok(None),
    };
    for child in children {
        if let Some(found) = find(child, name, depth + 1)?.filter(|v| !v.is_null()) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(headers: Vec<(String, String)>) -> RefreshForm {
        RefreshForm {
            endpoint: Some("http://127.0.0.1:9/token".into()),
            grant_type: ("grant_type".into(), "refresh_token".into()),
            client_id: ("client_id".into(), "id".into()),
            client_secret: ("client_secret".into(), "s".into()),
            refresh_token_name: "refresh_token".into(),
            scopes: vec!["a".into(), "b".into()],
            extra: vec![
                ("grant_type".into(), "x".into()),
                ("audience".into(), 5.into()),
            ],
            headers,
            as_query: false,
        }
    }

    #[test]
    fn arguments_as_the_cdk_builds_them() {
        let pairs = |f: &RefreshForm| -> Vec<String> {
            f.arguments(Some("r"))
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        };
        assert_eq!(
            pairs(&form(Vec::new())),
            [
                "grant_type=refresh_token",
                "client_id=id",
                "client_secret=s",
                "refresh_token=r",
                "scopes=a",
                "scopes=b",
                "audience=5"
            ]
        );
        // Credentials in an Authorization header are not sent again.
        let basic = form(vec![("Authorization".into(), "Basic x".into())]);
        assert_eq!(
            pairs(&basic)[..2],
            ["grant_type=refresh_token", "refresh_token=r"]
        );
        assert_eq!(form(Vec::new()).arguments(None).len(), 6);
    }

    #[test]
    fn provider_detail_is_the_error_and_its_code() {
        let body = serde_json::json!({"error": "invalid_grant", "error_description": "AADSTS70008: expired at 10:00"});
        assert_eq!(
            provider_detail(&body).as_deref(),
            Some("invalid_grant: AADSTS70008")
        );
        assert_eq!(provider_detail(&serde_json::json!({})), None);
        assert_eq!(ErrorRule::default().codes, [400]);
    }
}
