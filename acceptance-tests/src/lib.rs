//! Connector acceptance tests and a local sync runner (work in progress: see the issues).
