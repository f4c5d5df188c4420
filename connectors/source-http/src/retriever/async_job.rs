//! An `AsyncRetriever`'s job components: the requesters that create, poll,
//! abort and delete a server-side job, the status extraction and mapping,
//! and the download targets. The download itself is the stream's own
//! requester, decoder, paginator and extractor (`download_requester`,
//! `download_decoder`, `download_paginator`, `download_extractor`), read as
//! a `SimpleRetriever` is (see [`super::async_run`]).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::auth::StaticAuth;
use crate::decoder::Decoder;
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};
use crate::records::DpathExtractor;
use crate::requester::HttpRequester;

/// A job's status, as the CDK's `AsyncJobStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// `running`: poll again.
    Running,
    /// `completed`: download.
    Completed,
    /// `failed`: start the job again, up to three attempts.
    Failed,
    /// `timeout` (or the job's own timeout passed): abort, start again.
    TimedOut,
    /// `skipped`: no data, and no error.
    Skipped,
}

/// A requester with its authenticator.
#[derive(Debug, Clone)]
pub struct JobRequester {
    /// The requester.
    pub requester: HttpRequester,
    /// Its authenticator.
    pub auth: StaticAuth,
}

impl JobRequester {
    fn from_manifest(value: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let requester = HttpRequester::from_manifest(value, jinja, config)?;
        let auth = StaticAuth::from_manifest(requester.authenticator.as_ref(), jinja, config)?;
        Ok(JobRequester { requester, auth })
    }
}

/// The job side of an `AsyncRetriever`.
#[derive(Debug, Clone)]
pub struct AsyncJobs {
    /// `creation_requester`.
    pub creation: JobRequester,
    /// `polling_requester`.
    pub polling: JobRequester,
    /// `abort_requester`.
    pub abort: Option<JobRequester>,
    /// `delete_requester`.
    pub delete: Option<JobRequester>,
    /// `decoder`: of the creation and polling responses.
    pub decoder: Decoder,
    /// `status_extractor`.
    pub status_extractor: DpathExtractor,
    /// `status_mapping`: each API status with the CDK's.
    pub status_mapping: Vec<(String, JobStatus)>,
    /// `download_target_extractor` (none: one download, target `""`).
    pub download_target_extractor: Option<DpathExtractor>,
    /// `polling_job_timeout` (minutes; 60 by default).
    pub timeout: Duration,
    /// `failed_retry_wait_time_in_seconds`.
    pub failed_retry_wait: Option<Duration>,
}

/// How many times a slice's job is started before its failure stands
/// (the CDK's `_DEFAULT_MAX_JOB_RETRY`).
pub const MAX_JOB_ATTEMPTS: u32 = 3;

/// The wait between two polls (the CDK's
/// `_WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS`).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

impl AsyncJobs {
    /// Builds the job side of an `AsyncRetriever` mapping; `extractor`
    /// builds a `DpathExtractor` as the stream's record selector does.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::retriever::{AsyncJobs, JobStatus};
    /// let retriever = json!({
    ///     "type": "AsyncRetriever",
    ///     "creation_requester": {"type": "HttpRequester", "url_base": "http://x", "path": "/jobs", "http_method": "POST"},
    ///     "polling_requester": {"type": "HttpRequester", "url_base": "http://x", "path": "/jobs/{{ creation_response.id }}"},
    ///     "status_extractor": {"type": "DpathExtractor", "field_path": ["status"]},
    ///     "status_mapping": {"type": "AsyncJobStatusMap", "running": ["pending"], "completed": ["done"],
    ///                        "failed": ["error"], "timeout": []},
    ///     "polling_job_timeout": 2
    /// });
    /// let jobs = AsyncJobs::from_manifest(&retriever, "s", &Jinja::new(), &json!({})).unwrap();
    /// assert_eq!(jobs.status_of(&json!("done")).unwrap(), JobStatus::Completed);
    /// assert!(jobs.status_of(&json!("lost")).is_err());
    /// assert_eq!(jobs.timeout.as_secs(), 120);
    /// ```
    pub fn from_manifest(
        retriever: &Value,
        stream: &str,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Self, Error> {
        let missing = |field: &str| {
            Error::Manifest(format!(
                "stream `{stream}`: its AsyncRetriever has no {field}"
            ))
        };
        let requester = |field: &str| -> Result<Option<JobRequester>, Error> {
            match retriever.get(field).filter(|v| !v.is_null()) {
                Some(value) => JobRequester::from_manifest(value, jinja, config).map(Some),
                None => Ok(None),
            }
        };
        if retriever
            .get("download_target_requester")
            .is_some_and(|v| !v.is_null())
        {
            return Err(Error::Manifest(format!(
                "stream `{stream}`: the AsyncRetriever's download_target_requester is not \
                 supported by source-http yet"
            )));
        }
        let status_extractor = super::definition::extractor(
            Some(
                retriever
                    .get("status_extractor")
                    .ok_or_else(|| missing("status_extractor"))?,
            ),
            stream,
        )?;
        let download_target_extractor = match retriever.get("download_target_extractor") {
            Some(value) if !value.is_null() => {
                Some(super::definition::extractor(Some(value), stream)?)
            }
            _ => None,
        };
        let minutes = evaluate_int(retriever.get("polling_job_timeout"), jinja, config)?;
        let wait = evaluate_int(
            retriever.get("failed_retry_wait_time_in_seconds"),
            jinja,
            config,
        )?;
        if wait.is_some_and(|w| w <= 0) {
            return Err(Error::Manifest(
                "failed_retry_wait_time_in_seconds must be >= 1".into(),
            ));
        }
        Ok(AsyncJobs {
            creation: requester("creation_requester")?
                .ok_or_else(|| missing("creation_requester"))?,
            polling: requester("polling_requester")?.ok_or_else(|| missing("polling_requester"))?,
            abort: requester("abort_requester")?,
            delete: requester("delete_requester")?,
            decoder: Decoder::from_manifest(retriever.get("decoder"))?,
            status_extractor,
            status_mapping: status_mapping(
                retriever
                    .get("status_mapping")
                    .ok_or_else(|| missing("status_mapping"))?,
            )?,
            download_target_extractor,
            timeout: Duration::from_secs(
                minutes.filter(|m| *m != 0).unwrap_or(60).max(0) as u64 * 60,
            ),
            failed_retry_wait: wait.map(|w| Duration::from_secs(w as u64)),
        })
    }

    /// The CDK's status for the API's `status` (its `str()`), or the
    /// `ValueError` the CDK raises for one the mapping lacks.
    pub fn status_of(&self, status: &Value) -> Result<JobStatus, Error> {
        let text = python_str(status);
        self.status_mapping
            .iter()
            .find(|(api, _)| *api == text)
            .map(|(_, status)| *status)
            .ok_or_else(|| Error::Request {
                kind: "ValueError".into(),
                message: format!(
                    "API status `{text}` is unknown. Contact the connector developer to make \
                     sure this status is supported."
                ),
            })
    }
}

/// `status_mapping`: `running`, `completed`, `failed` and `timeout` are
/// required (a list, maybe empty), `skipped` is optional; an API status
/// may be mapped once only.
fn status_mapping(value: &Value) -> Result<Vec<(String, JobStatus)>, Error> {
    let fields = [
        ("running", JobStatus::Running, true),
        ("completed", JobStatus::Completed, true),
        ("failed", JobStatus::Failed, true),
        ("timeout", JobStatus::TimedOut, true),
        ("skipped", JobStatus::Skipped, false),
    ];
    let mut mapping: Vec<(String, JobStatus)> = Vec::new();
    for (field, status, required) in fields {
        let statuses = match value.get(field) {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) if !required => continue,
            _ => {
                return Err(Error::Manifest(format!(
                    "Required CDK status '{field}' has no API statuses mapped. Please provide at \
                     least an empty list for required status fields."
                )));
            }
        };
        for api in statuses {
            let api = python_str(api);
            if mapping.iter().any(|(known, _)| *known == api) {
                return Err(Error::Manifest(format!(
                    "API status {api} is already set for CDK status {field}. Please ensure API \
                     statuses are only provided once"
                )));
            }
            mapping.push((api, status));
        }
    }
    Ok(mapping)
}

/// An integer field that may be a template of the config (`int()` of it).
fn evaluate_int(
    value: Option<&Value>,
    jinja: &Jinja,
    config: &Value,
) -> Result<Option<i64>, Error> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(other) => python_str(other),
    };
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    match jinja.eval(&text, &context, None)? {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64()),
        Value::Number(n) => Ok(n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| Error::Request {
            kind: "ValueError".into(),
            message: format!("invalid literal for int() with base 10: '{s}'"),
        }),
        other => Err(Error::Request {
            kind: "TypeError".into(),
            message: format!(
                "int() argument must be a number, not {}",
                python_str(&other)
            ),
        }),
    }
}
