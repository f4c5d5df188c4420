//! Query parameters set on a URL, replacing any of the same name.

use reqwest::Url;

/// Sets `name=value` in the URL's query, removing every earlier `name`
/// (the other parameters keep their order).
///
/// ```
/// use airbyte_sdk::http::set_query_param;
/// use airbyte_sdk::http::reqwest::Url;
///
/// let mut url = Url::parse("https://api.example.com/items?page=1&sort=id").unwrap();
/// set_query_param(&mut url, "page", "2");
/// assert_eq!(url.as_str(), "https://api.example.com/items?sort=id&page=2");
/// set_query_param(&mut url, "q", "a b&c");
/// assert_eq!(url.query(), Some("sort=id&page=2&q=a+b%26c"));
/// ```
pub fn set_query_param(url: &mut Url, name: &str, value: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
}
