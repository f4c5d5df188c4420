//! The read loop of a stream (the CDK's `SimpleRetriever` under its
//! concurrent cursor): partitions, then windows, then pages; per page,
//! extract, filter, transform, emit; the state after each closed window.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::async_run::{JobFailures, read_job_slice};
use super::definition::StreamDefinition;
use super::transport::{Answer, Transport};
use crate::error::Error;
use crate::incremental::{StreamCursor, system_clock};
use crate::interpolation::Jinja;
use crate::paginator::{Page, PageReads, TokenGuard};
use crate::partition::{ParentStreams, StreamSlice};
use crate::requester::{InjectInto, RequestContext, RequestOption, RequestOptions, RequestSources};
use crate::transform::apply_all;

/// Where a stream's records and states go.
pub trait Sink: Send {
    /// A record read in `slice`, filtered and transformed: whether to go
    /// on reading ([`Flow::Enough`] ends the read, as `check` does after
    /// one record).
    fn record(&mut self, slice: &StreamSlice, record: Value) -> Result<Flow, Error>;
    /// A state to checkpoint.
    fn state(&mut self, state: Value) -> Result<(), Error>;
    /// The API asked to slow down (a 429 or RATE_LIMITED): about to wait.
    fn rate_limited(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Whether a read goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read on.
    More,
    /// Stop here: the sink has what it needs.
    Enough,
}

/// What every stream of a read shares.
pub struct ReadContext {
    /// The Jinja environment.
    pub jinja: Jinja,
    /// The config.
    pub config: Value,
    /// The HTTP client.
    pub transport: Transport,
}

/// The state of a full-refresh stream at its end.
pub fn no_cursor_state() -> Value {
    json!({"__ab_no_cursor_state_message": true})
}

/// Reads `stream` from its input `state`; returns its final state (also
/// given to the sink).
pub fn read_stream<'a>(
    cx: &'a ReadContext,
    stream: &'a StreamDefinition,
    state: Option<&'a Value>,
    sink: &'a mut dyn Sink,
) -> Pin<Box<dyn Future<Output = Result<Value, Error>> + Send + 'a>> {
    Box::pin(async move {
        let empty = Value::Object(Map::new());
        let state = state.unwrap_or(&empty);
        let mut parents = read_parents(cx, stream, state).await?;
        let mut cursor = StreamCursor::new(
            stream.incremental_sync.as_ref(),
            &stream.router,
            &cx.jinja,
            &cx.config,
            state,
            system_clock(),
        )?;
        let mut partitions = stream.router.partitions();
        let mut failed_jobs = JobFailures::default();
        let read: Result<Flow, Error> = async {
            while let Some(partition) = partitions.next(&mut parents)? {
                for slice in cursor.slices(&cx.jinja, &partition)? {
                    let flow = match &stream.async_jobs {
                        None => read_slice(cx, stream, &slice, &mut cursor, sink).await?,
                        Some(jobs) => {
                            let read = read_job_slice(
                                cx,
                                stream,
                                jobs,
                                &slice,
                                &mut cursor,
                                sink,
                                &mut failed_jobs,
                            );
                            // A slice whose job failed or was skipped stays open.
                            match read.await? {
                                Some(flow) => flow,
                                None => continue,
                            }
                        }
                    };
                    if flow == Flow::Enough {
                        return Ok(Flow::Enough);
                    }
                    if let Some(state) = cursor.close_slice(&slice)? {
                        sink.state(state)?;
                    }
                }
            }
            match std::mem::take(&mut failed_jobs).into_error() {
                Some(error) => Err(error),
                None => Ok(Flow::More),
            }
        }
        .await;
        match read {
            Ok(Flow::Enough) => return Ok(Value::Null),
            Ok(Flow::More) => {}
            Err(error) => {
                // As the CDK does, a failed stream still checkpoints what
                // its closed slices read (mid-sync states are throttled
                // under a partition router), then fails.
                if let Ok(state) = cursor.final_state(partitions.stream_state(&parents)) {
                    sink.state(state)?;
                }
                return Err(error);
            }
        }
        let final_state = cursor.final_state(partitions.stream_state(&parents))?;
        sink.state(final_state.clone())?;
        Ok(final_state)
    })
}

/// The parents' records, read in full before the child's partitions.
struct ReadParents {
    records: Vec<std::collections::VecDeque<(Map<String, Value>, Value)>>,
    states: Vec<Value>,
}

impl ParentStreams for ReadParents {
    fn next_record(&mut self, parent: usize) -> Result<Option<(Map<String, Value>, Value)>, Error> {
        Ok(self.records.get_mut(parent).and_then(|r| r.pop_front()))
    }

    fn state(&self, parent: usize) -> Value {
        self.states
            .get(parent)
            .cloned()
            .unwrap_or_else(no_cursor_state)
    }
}

/// Collects a parent's records with their partitions.
struct Collect {
    records: std::collections::VecDeque<(Map<String, Value>, Value)>,
}

impl Sink for Collect {
    fn record(&mut self, slice: &StreamSlice, record: Value) -> Result<Flow, Error> {
        self.records.push_back((slice.partition.clone(), record));
        Ok(Flow::More)
    }

    fn state(&mut self, _: Value) -> Result<(), Error> {
        Ok(())
    }
}

async fn read_parents(
    cx: &ReadContext,
    stream: &StreamDefinition,
    state: &Value,
) -> Result<ReadParents, Error> {
    let mut parents = ReadParents {
        records: Vec::new(),
        states: Vec::new(),
    };
    // Each router of a product reads its own parents, one after the other.
    for router in stream.substream_routers() {
        for (i, config) in router.parent_stream_configs.iter().enumerate() {
            let parent = StreamDefinition::from_manifest(&config.stream, &cx.jinja, &cx.config)?;
            let cursor_field = parent.info.cursor_field.clone();
            let input = router.parent_input_state(i, state, cursor_field.as_deref());
            let mut collect = Collect {
                records: Default::default(),
            };
            let final_state = read_stream(cx, &parent, input.as_ref(), &mut collect).await?;
            parents.records.push(collect.records);
            parents.states.push(final_state);
        }
    }
    Ok(parents)
}

/// Reads every page of one slice.
pub(super) async fn read_slice(
    cx: &ReadContext,
    stream: &StreamDefinition,
    slice: &StreamSlice,
    cursor: &mut StreamCursor,
    sink: &mut dyn Sink,
) -> Result<Flow, Error> {
    let (jinja, config) = (&cx.jinja, &cx.config);
    // With its parts (`stream_slice.extra_fields`...), for the templates.
    let slice_value = slice.template_value();
    // An async stream's download has no options of the slicer's.
    let slicer = match stream.async_jobs {
        None => slicer_options(stream, cursor, slice, jinja, config)?,
        Some(_) => RequestOptions::default(),
    };
    let empty = RequestOptions::default();
    let data_feed = cursor.is_data_feed();
    let client_side = cursor.is_client_side_incremental();
    'slice: loop {
        let mut token = stream.paginator.initial_token();
        let mut guard = TokenGuard::new();
        loop {
            let context = RequestContext {
                config,
                stream_slice: Some(&slice_value),
                extra_fields: Some(&slice.extra_fields),
                next_page_token: token.as_ref(),
            };
            let paginator_options =
                stream
                    .paginator
                    .request_options(token.as_ref(), jinja, config)?;
            let path = stream.paginator.path(token.as_ref());
            let later_page = token.is_some() && stream.ignore_slicer_on_later_pages;
            let auth = stream.auth.options().await?;
            let parts = stream.requester.build(
                jinja,
                &context,
                RequestSources {
                    paginator: &paginator_options,
                    paginator_path: path.as_deref(),
                    slicer: if later_page { &empty } else { &slicer },
                    auth: &auth,
                },
            )?;
            let mut rate_limited = || sink.rate_limited();
            let fetched = match cx
                .transport
                .send_authed(
                    &parts,
                    &stream.requester.error_handler,
                    jinja,
                    config,
                    &mut rate_limited,
                    &stream.auth,
                )
                .await?
            {
                Answer::Success(fetched) => fetched,
                Answer::Ignored => break 'slice,
                Answer::ResetPagination => continue 'slice,
            };
            let mut bodies = stream.decoder.page_bodies(&fetched.view())?;
            // The records move out of the body unless the paginator reads
            // them there: when it reads only the body, its token is taken
            // first (its error waits until the page's records are out).
            let mut early_token = None;
            let mut kept_bodies = None;
            let extracted = match stream.paginator.page_reads() {
                PageReads::Nothing => stream.extractor.extract_owned(bodies, jinja, config)?,
                PageReads::Body => {
                    let first =
                        Arc::new(bodies.first_mut().map(std::mem::take).unwrap_or_default());
                    let view = fetched.view();
                    let page = Page {
                        response: &view,
                        body: &first,
                        emitted: 0,
                        extracted: None,
                        last_record: None,
                        stream_slice: Some(&slice_value),
                    };
                    early_token = Some(stream.paginator.next_page_token(
                        &page,
                        token.as_ref(),
                        jinja,
                        config,
                    ));
                    if let Some(body) = bodies.first_mut() {
                        *body = Arc::try_unwrap(first).unwrap_or_else(|shared| (*shared).clone());
                    }
                    stream.extractor.extract_owned(bodies, jinja, config)?
                }
                PageReads::Records => {
                    let extracted = stream.extractor.extract_bodies(&bodies, jinja, config)?;
                    kept_bodies = Some(bodies);
                    extracted
                }
            };
            let extracted_count = extracted.len();
            // The filter's context, built once a page: only the record changes.
            let mut filter_context = match &stream.record_filter {
                Some((_, parameters)) => context.jinja(parameters),
                None => Map::new(),
            };
            let mut emitted = 0usize;
            // The last record emitted: only it is kept (for the paginator),
            // and each record is handed on one step late.
            let mut last_record: Option<Value> = None;
            let mut stop_feed = false;
            for mut record in extracted {
                if stream.transform_before_filtering {
                    apply_all(
                        &stream.transformations,
                        jinja,
                        &mut record,
                        config,
                        &slice_value,
                    )?;
                }
                if let Some((condition, _)) = &stream.record_filter {
                    filter_context.insert("record".into(), record.clone());
                    if !jinja.boolean(condition, &filter_context)? {
                        continue;
                    }
                }
                if (client_side || data_feed) && !cursor.should_be_synced(jinja, slice, &record)? {
                    stop_feed |= data_feed;
                    continue;
                }
                if !stream.transform_before_filtering {
                    apply_all(
                        &stream.transformations,
                        jinja,
                        &mut record,
                        config,
                        &slice_value,
                    )?;
                }
                if stream.normalize {
                    crate::schema::normalize(&stream.info.json_schema, &mut record);
                }
                cursor.observe(slice, &record)?;
                emitted += 1;
                if let Some(previous) = last_record.replace(record)
                    && sink.record(slice, previous)? == Flow::Enough
                {
                    return Ok(Flow::Enough);
                }
            }
            if let Some(last) = &last_record
                && sink.record(slice, last.clone())? == Flow::Enough
            {
                return Ok(Flow::Enough);
            }
            if !fetched.view().ok() || stop_feed {
                break 'slice;
            }
            let next = match early_token {
                Some(next) => next?,
                None => {
                    let first = kept_bodies.and_then(|bodies| bodies.into_iter().next());
                    let body = Arc::new(first.unwrap_or_else(|| json!({})));
                    let view = fetched.view();
                    let page = Page {
                        response: &view,
                        body: &body,
                        emitted,
                        extracted: Some(extracted_count),
                        last_record: last_record.as_ref(),
                        stream_slice: Some(&slice_value),
                    };
                    stream
                        .paginator
                        .next_page_token(&page, token.as_ref(), jinja, config)?
                }
            };
            match next {
                None => break 'slice,
                Some(next) => {
                    guard.check(&next)?;
                    token = Some(next);
                }
            }
        }
    }
    Ok(Flow::More)
}

/// The options the partition routers and the cursor put in a slice's
/// requests.
fn slicer_options(
    stream: &StreamDefinition,
    cursor: &StreamCursor,
    slice: &StreamSlice,
    jinja: &Jinja,
    config: &Value,
) -> Result<RequestOptions, Error> {
    let mut options = RequestOptions::default();
    let mut pairs = stream.router.request_options(slice);
    pairs.extend(cursor.request_options(jinja, config, slice)?);
    for (option, value) in pairs {
        let option = RequestOption::from_manifest(&option)?;
        let target = match option.inject_into {
            InjectInto::RequestParameter => &mut options.params,
            InjectInto::Header => &mut options.headers,
            InjectInto::BodyData => &mut options.body_data,
            InjectInto::BodyJson => &mut options.body_json,
        };
        option.inject(target, value, jinja, config)?;
    }
    Ok(options)
}
