//! An `AsyncRetriever`'s read of one slice, as the CDK's
//! `AsyncJobOrchestrator` and `AsyncHttpJobRepository` run it: create the
//! job, poll it every 5 seconds until its status is no longer running,
//! then download each target (`download_target`, `creation_response` and
//! `polling_response` in the download's templates) and delete the job. A
//! failed or timed-out job is started again, three attempts in all; the
//! slice's failure is then reported when the other slices are read.
//!
//! Jobs run one at a time (the CDK's default `max_concurrent_async_job_count`).

use std::time::Instant;

use airbyte_sdk::protocol::FailureType;
use serde_json::{Value, json};

use super::async_job::{AsyncJobs, JobRequester, JobStatus, MAX_JOB_ATTEMPTS, POLL_INTERVAL};
use super::definition::StreamDefinition;
use super::read::{Flow, ReadContext, Sink, read_slice};
use super::transport::{Answer, Fetched};
use crate::error::Error;
use crate::incremental::StreamCursor;
use crate::partition::StreamSlice;
use crate::requester::{RequestContext, RequestOptions, RequestSources};

/// The slices whose jobs failed, reported at the end of the read.
#[derive(Debug, Default)]
pub struct JobFailures {
    slices: Vec<String>,
}

impl JobFailures {
    /// The CDK's error for the failed jobs, if any.
    ///
    /// ```
    /// use source_http::retriever::JobFailures;
    /// assert!(JobFailures::default().into_error().is_none());
    /// ```
    pub fn into_error(self) -> Option<Error> {
        (!self.slices.is_empty()).then(|| Error::Traced {
            message: "One or more async jobs failed after exhausting all retry attempts.".into(),
            internal_message: self.slices.join("\n"),
            failure_type: FailureType::SystemError,
        })
    }
}

/// A started job: what its creation answered.
struct Job {
    /// `creation_response`: the creation body, with `headers` and `request`.
    creation_response: Value,
    started: Instant,
}

/// Reads one slice of an async stream: `None` when its job failed (noted
/// in `failures`) or was skipped, so that the slice is not closed.
pub async fn read_job_slice(
    cx: &ReadContext,
    stream: &StreamDefinition,
    jobs: &AsyncJobs,
    slice: &StreamSlice,
    cursor: &mut StreamCursor,
    sink: &mut dyn Sink,
    failures: &mut JobFailures,
) -> Result<Option<Flow>, Error> {
    let mut attempt = 1;
    loop {
        let job = match start(cx, jobs, slice, sink).await {
            Ok(job) => Some(job),
            Err(error) if error.failure_type() == FailureType::ConfigError => return Err(error),
            Err(error) => {
                tracing::warn!("Exception has occurred during job creation: {error}");
                None
            }
        };
        let (status, polled) = match &job {
            Some(job) => poll(cx, jobs, slice, job, sink).await?,
            None => (JobStatus::Failed, None),
        };
        match (status, job, polled) {
            (JobStatus::Completed, Some(job), Some(polled)) => {
                // Each download target is read as a SimpleRetriever's slice.
                let mut flow = Flow::More;
                for download in download_slices(cx, jobs, slice, &job, &polled)? {
                    if read_slice(cx, stream, &download, cursor, sink).await? == Flow::Enough {
                        flow = Flow::Enough;
                        break;
                    }
                }
                if flow == Flow::More
                    && let Some(delete) = &jobs.delete
                {
                    send(cx, delete, &creation_slice(slice, &job), sink).await?;
                }
                return Ok(Some(flow));
            }
            (JobStatus::Skipped, ..) => return Ok(None),
            (status, job, _) => {
                if status == JobStatus::TimedOut
                    && let (Some(job), Some(abort)) = (&job, &jobs.abort)
                    && let Err(error) = send(cx, abort, &creation_slice(slice, job), sink).await
                {
                    tracing::warn!("Could not abort the timed-out job: {error}");
                }
                if attempt >= MAX_JOB_ATTEMPTS {
                    failures.slices.push(format!(
                        "At least one job could not be completed for slice {}. Job status was: \
                         {status:?}.",
                        slice.to_value()
                    ));
                    return Ok(None);
                }
                attempt += 1;
                tokio::time::sleep(POLL_INTERVAL).await;
                if let (JobStatus::Failed, Some(_), Some(wait)) =
                    (status, &job, jobs.failed_retry_wait)
                {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Creates the job of `slice`.
async fn start(
    cx: &ReadContext,
    jobs: &AsyncJobs,
    slice: &StreamSlice,
    sink: &mut dyn Sink,
) -> Result<Job, Error> {
    let started = Instant::now();
    let fetched = send(cx, &jobs.creation, slice, sink)
        .await?
        .filter(|f| f.view().ok())
        .ok_or_else(|| Error::Traced {
            message: "Always expect a response or an exception from creation_requester".into(),
            internal_message: "Always expect a response or an exception from creation_requester"
                .into(),
            failure_type: FailureType::SystemError,
        })?;
    Ok(Job {
        creation_response: response_context(&fetched)?,
        started,
    })
}

/// Polls the job until its status is no longer running (or its timeout
/// passes); with the last polling response when it completed.
async fn poll(
    cx: &ReadContext,
    jobs: &AsyncJobs,
    slice: &StreamSlice,
    job: &Job,
    sink: &mut dyn Sink,
) -> Result<(JobStatus, Option<Fetched>), Error> {
    let polling_slice = creation_slice(slice, job);
    loop {
        if job.started.elapsed() >= jobs.timeout {
            return Ok((JobStatus::TimedOut, None));
        }
        let fetched = send(cx, &jobs.polling, &polling_slice, sink)
            .await?
            .ok_or_else(|| Error::Traced {
                message: String::new(),
                internal_message: "Polling Requester received an empty Response.".into(),
                failure_type: FailureType::SystemError,
            })?;
        let bodies = jobs.decoder.decode(&fetched.view())?;
        let extracted = jobs
            .status_extractor
            .extract_bodies(&bodies, &cx.jinja, &cx.config)?;
        let status = jobs.status_of(extracted.first().unwrap_or(&Value::Null))?;
        match status {
            JobStatus::Running => tokio::time::sleep(POLL_INTERVAL).await,
            JobStatus::Completed => return Ok((status, Some(fetched))),
            other => return Ok((other, None)),
        }
    }
}

/// The slices of a completed job's downloads: the job's, with its
/// `download_target`, `creation_response` and `polling_response`.
fn download_slices(
    cx: &ReadContext,
    jobs: &AsyncJobs,
    slice: &StreamSlice,
    job: &Job,
    polled: &Fetched,
) -> Result<Vec<StreamSlice>, Error> {
    let targets = match &jobs.download_target_extractor {
        None => vec![Value::String(String::new())],
        Some(extractor) => {
            let bodies = jobs.decoder.decode(&polled.view())?;
            extractor.extract_bodies(&bodies, &cx.jinja, &cx.config)?
        }
    };
    let polling_response = response_context(polled)?;
    Ok(targets
        .into_iter()
        .map(|target| {
            let mut download = creation_slice(slice, job);
            download
                .extra_fields
                .insert("download_target".into(), target);
            download
                .extra_fields
                .insert("polling_response".into(), polling_response.clone());
            download
        })
        .collect())
}

/// The slice the polling, abort and delete requests are built with: the
/// job's, with `creation_response` among its extra fields.
fn creation_slice(slice: &StreamSlice, job: &Job) -> StreamSlice {
    let mut with_response = slice.clone();
    with_response
        .extra_fields
        .insert("creation_response".into(), job.creation_response.clone());
    with_response
}

/// `dict(response.json())` with the response's `headers` and `request`
/// (unless the body has such keys): what `creation_response` and
/// `polling_response` are in templates.
fn response_context(fetched: &Fetched) -> Result<Value, Error> {
    let view = fetched.view();
    let mut context = match view.json() {
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(Error::Request {
                kind: "ValueError".into(),
                message: "dictionary update sequence element #0 has length 1; 2 is required".into(),
            });
        }
        None => {
            return Err(Error::Request {
                kind: "JSONDecodeError".into(),
                message: "Expecting value: line 1 column 1 (char 0)".into(),
            });
        }
    };
    context
        .entry("headers")
        .or_insert_with(|| Value::Object(view.headers_map()));
    context
        .entry("request")
        .or_insert_with(|| json!({"url": fetched.url}));
    Ok(Value::Object(context))
}

/// Sends one job request for `slice` (its templates see the slice and its
/// extra fields); `None` when the error handler ignored the answer.
async fn send(
    cx: &ReadContext,
    job: &JobRequester,
    slice: &StreamSlice,
    sink: &mut dyn Sink,
) -> Result<Option<Fetched>, Error> {
    let slice_value = slice.to_value();
    let context = RequestContext {
        config: &cx.config,
        stream_slice: Some(&slice_value),
        extra_fields: Some(&slice.extra_fields),
        next_page_token: None,
    };
    let empty = RequestOptions::default();
    let parts = job.requester.build(
        &cx.jinja,
        &context,
        RequestSources {
            paginator: &empty,
            paginator_path: None,
            slicer: &empty,
            auth: &job.auth.options,
        },
    )?;
    let mut rate_limited = || sink.rate_limited();
    let answer = cx
        .transport
        .send(
            &parts,
            &job.requester.error_handler,
            &cx.jinja,
            &cx.config,
            &mut rate_limited,
        )
        .await?;
    Ok(match answer {
        Answer::Success(fetched) => Some(fetched),
        Answer::Ignored | Answer::ResetPagination => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_context_adds_headers_and_request() {
        let fetched = Fetched {
            status: 200,
            reason: "OK".into(),
            url: "http://x/jobs".into(),
            headers: vec![("X-Job".into(), "7".into())],
            body: br#"{"id": 7}"#.to_vec(),
        };
        let context = response_context(&fetched).unwrap();
        assert_eq!(context["id"], json!(7));
        assert_eq!(context["headers"]["X-Job"], json!("7"));
        assert_eq!(context["request"]["url"], json!("http://x/jobs"));
        let list = Fetched {
            body: b"[1]".to_vec(),
            ..fetched
        };
        assert!(response_context(&list).is_err());
    }

    #[test]
    fn failures_become_one_system_error() {
        let failures = JobFailures {
            slices: vec!["slice {}".into()],
        };
        let error = failures.into_error().unwrap();
        assert_eq!(error.failure_type(), FailureType::SystemError);
        assert!(error.to_string().contains("exhausting all retry attempts"));
    }
}
