//! From response to records: decoding and extraction.

mod extractor;

pub use extractor::{DpathExtractor, decode_json};
