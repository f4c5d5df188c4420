//! A `DeclarativeStream` built for reading: its `SimpleRetriever`'s parts,
//! its cursor and its transformations.

use serde_json::{Map, Value};

use super::async_job::AsyncJobs;
use crate::auth::Auth;
use crate::decoder::Decoder;
use crate::error::Error;
use crate::incremental::{StreamCursor, system_clock};
use crate::interpolation::{Jinja, python_str};
use crate::paginator::Paginator;
use crate::partition::{PartitionRouter, SubstreamPartitionRouter};
use crate::records::DpathExtractor;
use crate::requester::HttpRequester;
use crate::stream::StreamInfo;
use crate::transform::Transformation;

/// A stream, every component built.
#[derive(Debug, Clone)]
pub struct StreamDefinition {
    /// What discover says of it.
    pub info: StreamInfo,
    /// `retriever.requester`.
    pub requester: HttpRequester,
    /// The requester's authenticator.
    pub auth: Auth,
    /// `record_selector.extractor`.
    pub extractor: DpathExtractor,
    /// `record_selector.record_filter.condition`, and its parameters.
    pub record_filter: Option<(String, Map<String, Value>)>,
    /// `record_selector.transform_before_filtering` (default: whether the
    /// cursor filters client-side).
    pub transform_before_filtering: bool,
    /// `retriever.paginator`.
    pub paginator: Paginator,
    /// `retriever.partition_router`.
    pub router: PartitionRouter,
    /// `ignore_stream_slicer_parameters_on_paginated_requests`.
    pub ignore_slicer_on_later_pages: bool,
    /// `incremental_sync`, as the manifest gives it (its cursor is built
    /// for each read, from the input state).
    pub incremental_sync: Option<Value>,
    /// `transformations`.
    pub transformations: Vec<Transformation>,
    /// `retriever.decoder` (an `AsyncRetriever`'s `download_decoder`).
    pub decoder: Decoder,
    /// An `AsyncRetriever`'s jobs; its download is read with the fields
    /// above (`download_requester`, `download_paginator`,
    /// `download_extractor`).
    pub async_jobs: Option<Box<AsyncJobs>>,
    /// `record_selector.schema_normalization: Default`: records are cast
    /// to the types of `info.json_schema` (see [`crate::schema::normalize`]).
    pub normalize: bool,
}

impl StreamDefinition {
    /// Builds a `DeclarativeStream` mapping for `config`.
    pub fn from_manifest(stream: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let info = StreamInfo::from_manifest(stream, config, jinja)?;
        let name = &info.name;
        let retriever = stream
            .get("retriever")
            .ok_or_else(|| Error::Manifest(format!("stream `{name}` has no retriever")))?;
        let is_async = match retriever.get("type").and_then(Value::as_str) {
            Some("SimpleRetriever") => false,
            Some("AsyncRetriever") => true,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "stream `{name}`: the retriever `{other}` is not supported (SimpleRetriever \
                     and AsyncRetriever are)"
                )));
            }
            None => {
                return Err(Error::Manifest(format!(
                    "stream `{name}`: its retriever has no type"
                )));
            }
        };
        // An AsyncRetriever's download is read as a SimpleRetriever's pages.
        let field = |simple: &'static str, download: &'static str| match is_async {
            true => download,
            false => simple,
        };
        let requester_field = field("requester", "download_requester");
        let requester_value = retriever.get(requester_field).ok_or_else(|| {
            Error::Manifest(format!(
                "stream `{name}`: its retriever has no {requester_field}"
            ))
        })?;
        let requester = HttpRequester::from_manifest(requester_value, jinja, config)?;
        let auth = Auth::from_manifest(requester.authenticator.as_ref(), jinja, config)?;
        let selector = retriever.get("record_selector").ok_or_else(|| {
            Error::Manifest(format!(
                "stream `{name}`: its retriever has no record_selector"
            ))
        })?;
        let extractor = match is_async {
            false => extractor(selector.get("extractor"), name)?,
            true => match retriever.get("download_extractor").filter(|v| !v.is_null()) {
                Some(download) => extractor(Some(download), name)?,
                None => DpathExtractor {
                    field_path: Vec::new(),
                },
            },
        };
        let decoder = Decoder::from_manifest(retriever.get(field("decoder", "download_decoder")))?;
        let paginator = Paginator::from_manifest(
            retriever.get(field("paginator", "download_paginator")),
            jinja,
            config,
        )?;
        if paginator != Paginator::None {
            decoder.check_pagination()?;
        }
        let async_jobs = match is_async {
            true => Some(Box::new(AsyncJobs::from_manifest(
                retriever, name, jinja, config,
            )?)),
            false => None,
        };
        let record_filter = match selector.get("record_filter") {
            Some(filter @ Value::Object(_)) => match filter.get("condition") {
                Some(Value::String(c)) if !c.is_empty() => Some((
                    c.clone(),
                    filter
                        .get("$parameters")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                )),
                _ => None,
            },
            _ => None,
        };
        let normalize = match selector.get("schema_normalization") {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) if s == "None" => false,
            Some(Value::String(s)) if s == "Default" => true,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "stream `{name}`: schema_normalization {} is not supported (None and Default are)",
                    python_str(other)
                )));
            }
        };
        let incremental_sync = stream
            .get("incremental_sync")
            .filter(|s| !s.is_null())
            .cloned();
        let router =
            PartitionRouter::from_manifest(retriever.get("partition_router"), jinja, config)?;
        // Built once now, so that a broken cursor fails before any request.
        let empty = Value::Object(Map::new());
        let cursor = StreamCursor::new(
            incremental_sync.as_ref(),
            &router,
            jinja,
            config,
            &empty,
            system_clock(),
        )?;
        let client_side = cursor.is_client_side_incremental();
        Ok(StreamDefinition {
            transform_before_filtering: selector
                .get("transform_before_filtering")
                .and_then(Value::as_bool)
                .unwrap_or(client_side),
            paginator,
            router,
            ignore_slicer_on_later_pages: retriever
                .get("ignore_stream_slicer_parameters_on_paginated_requests")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            transformations: Transformation::list_from_manifest(stream.get("transformations"))?,
            info,
            requester,
            auth,
            extractor,
            record_filter,
            incremental_sync,
            decoder,
            async_jobs,
            normalize,
        })
    }

    /// The substream routers whose parents must be read before this
    /// stream's partitions (directly, under a grouping router, or each
    /// element of a product of routers, which reads its own parents).
    pub fn substream_routers(&self) -> Vec<&SubstreamPartitionRouter> {
        self.router.substream_routers()
    }
}

pub(super) fn extractor(value: Option<&Value>, stream: &str) -> Result<DpathExtractor, Error> {
    let Some(value) = value else {
        return Err(Error::Manifest(format!(
            "stream `{stream}`: its record_selector has no extractor"
        )));
    };
    match value.get("type").and_then(Value::as_str) {
        Some("DpathExtractor") | None => {}
        Some(other) => {
            return Err(Error::Manifest(format!(
                "stream `{stream}`: the extractor `{other}` is not supported (DpathExtractor is)"
            )));
        }
    }
    let field_path = match value.get("field_path") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => python_str(other),
            })
            .collect(),
        None => Vec::new(),
        Some(_) => {
            return Err(Error::Manifest(format!(
                "stream `{stream}`: the extractor's field_path is not a list"
            )));
        }
    };
    Ok(DpathExtractor { field_path })
}
