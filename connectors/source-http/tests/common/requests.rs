//! The requests a fixture server answered (its `/__requests` log), and
//! their comparison between the two engines.
//!
//! Both engines read two streams at once, and the CDK reads a stream's
//! partitions on its workers too, so the global order of requests is not
//! defined. What is: the order within one slice, its pages one after the
//! other and each retry after the failure it retries. So requests are
//! grouped by slice (method, path, and the query and body without the
//! pagination keys [`PAGE_KEYS`]); within a group, the order of first
//! appearance of each distinct request must be the same, and the groups,
//! and how often each request was sent, are compared as multisets.
//!
//! One difference is allowed: the CDK caches the responses of parent
//! streams (`use_cache`, every 200 to a GET, shared by all streams), so a
//! parent's pages that ours requests once for each stream that reads them
//! SDM may request fewer times (how many depends on its workers' timing).
//! For the `cached` paths, SDM's count may be lower than ours.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fixture::FixtureServer;

/// Query and body keys that carry a page token in the fixtures' APIs:
/// requests that differ only there belong to the same slice.
pub const PAGE_KEYS: [&str; 4] = ["page", "cursor", "offset", "page_token"];

/// One request a fixture server answered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    /// `GET`, `POST`...
    pub method: String,
    /// The URL's path.
    pub path: String,
    /// The query's pairs, sorted.
    pub query: Vec<(String, String)>,
    /// The body, normalized (JSON text; `null` for none).
    pub body: String,
    /// The status answered.
    pub status: u16,
    /// Whether the answer was an injected failure.
    pub injected: bool,
}

impl Request {
    fn from_value(v: &Value) -> Request {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let query = v["query"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| (text(&pair[0]), text(&pair[1])))
            .collect();
        Request {
            method: text(&v["method"]),
            path: text(&v["path"]),
            query,
            body: v["body"].to_string(),
            status: v["status"].as_u64().unwrap_or(0) as u16,
            injected: v["injected"].as_bool().unwrap_or(false),
        }
    }

    /// The slice this request reads: the request without its page token.
    fn group(&self) -> String {
        let query: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| !PAGE_KEYS.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut body: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        match &mut body {
            Value::Object(map) => map.retain(|k, _| !PAGE_KEYS.contains(&k.as_str())),
            Value::Array(pairs) => {
                pairs.retain(|p| !p[0].as_str().is_some_and(|k| PAGE_KEYS.contains(&k)))
            }
            _ => {}
        }
        format!("{} {}?{} {body}", self.method, self.path, query.join("&"))
    }

    /// Whether the CDK could have answered this from its cache.
    fn cacheable(&self, cached: &[String]) -> bool {
        self.method == "GET" && self.status == 200 && !self.injected && cached.contains(&self.path)
    }

    /// The request as a line of a diff.
    pub fn line(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let injected = if self.injected { " (injected)" } else { "" };
        format!(
            "{} {}?{} {} -> {}{injected}",
            self.method,
            self.path,
            query.join("&"),
            self.body,
            self.status
        )
    }
}

impl FixtureServer {
    /// The requests answered since the last call (the server's
    /// `/__requests`, which forgets them).
    pub fn requests(&self) -> Vec<Request> {
        match self.get_json("/__requests") {
            Value::Array(items) => items.iter().map(Request::from_value).collect(),
            other => panic!("/__requests answered {other}"),
        }
    }
}

/// What is compared of one group: its distinct requests in the order of
/// their first appearance, and how often each was sent.
#[derive(Debug, PartialEq)]
struct Group {
    order: Vec<Request>,
    counts: BTreeMap<Request, usize>,
}

fn groups(requests: &[Request]) -> BTreeMap<String, Group> {
    let mut out: BTreeMap<String, Group> = BTreeMap::new();
    for request in requests {
        let group = out.entry(request.group()).or_insert_with(|| Group {
            order: Vec::new(),
            counts: BTreeMap::new(),
        });
        let count = group.counts.entry(request.clone()).or_insert(0);
        if *count == 0 {
            group.order.push(request.clone());
        }
        *count += 1;
    }
    out
}

/// Asserts that the two engines sent the same requests (see the module's
/// doc); `what` names the run, `cached` the paths of parent streams.
pub fn assert_same_requests(what: &str, theirs: &[Request], mine: &[Request], cached: &[String]) {
    let (their_groups, my_groups) = (groups(theirs), groups(mine));
    let listing = |requests: &[Request]| -> String {
        requests
            .iter()
            .map(|r| format!("\n    {}", r.line()))
            .collect()
    };
    let names = |g: &BTreeMap<String, Group>| g.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&my_groups),
        names(&their_groups),
        "{what}: the slices requested differ\nSDM's requests:{}\nours:{}",
        listing(theirs),
        listing(mine)
    );
    for (name, their) in &their_groups {
        let my = &my_groups[name];
        assert_eq!(
            my.order.iter().map(Request::line).collect::<Vec<_>>(),
            their.order.iter().map(Request::line).collect::<Vec<_>>(),
            "{what}: the requests of the slice {name}, in order"
        );
        // How often each was sent: the same, but for a cached request,
        // which SDM may have sent less often (at least once: see above).
        let differ: Vec<(String, usize, usize)> = my
            .counts
            .iter()
            .filter_map(|(r, &n)| {
                let theirs = their.counts.get(r).copied().unwrap_or(0);
                let fine = if r.cacheable(cached) {
                    theirs <= n
                } else {
                    theirs == n
                };
                (!fine).then(|| (r.line(), theirs, n))
            })
            .collect();
        assert!(
            differ.is_empty(),
            "{what}: how often these requests of the slice {name} were sent (SDM, ours): {differ:#?}"
        );
    }
}
