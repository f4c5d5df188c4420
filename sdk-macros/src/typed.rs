//! `#[record]`, `#[state]` and `#[source]`: the derives and the check of a
//! typed source.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, Item, ItemImpl};

/// Prepends `derives` (paths under `::airbyte_sdk::__private`) to a struct or enum.
fn derive(args: TokenStream, input: TokenStream, what: &str, derives: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(
            args.span(),
            format!("#[airbyte_sdk::{what}] takes no arguments"),
        )
        .to_compile_error();
    }
    let item: Item = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    if !matches!(item, Item::Struct(_) | Item::Enum(_)) {
        return syn::Error::new(
            item.span(),
            format!("#[airbyte_sdk::{what}] goes on a struct or an enum"),
        )
        .to_compile_error();
    }
    let schemars = if what == "record" {
        quote! { #[schemars(crate = "::airbyte_sdk::__private::schemars")] }
    } else {
        TokenStream::new()
    };
    quote! {
        #[derive(#derives)]
        #[serde(crate = "::airbyte_sdk::__private::serde")]
        #schemars
        #item
    }
}

pub fn record(args: TokenStream, input: TokenStream) -> TokenStream {
    derive(
        args,
        input,
        "record",
        quote! {
            ::airbyte_sdk::__private::serde::Serialize,
            ::airbyte_sdk::__private::schemars::JsonSchema
        },
    )
}

pub fn state(args: TokenStream, input: TokenStream) -> TokenStream {
    derive(
        args,
        input,
        "state",
        quote! {
            ::airbyte_sdk::__private::serde::Serialize,
            ::airbyte_sdk::__private::serde::Deserialize
        },
    )
}

/// Checks that a `Source` impl gives its streams or reads, then applies `async_trait`.
pub fn source(args: TokenStream, input: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(args.span(), "#[airbyte_sdk::source] takes no arguments")
            .to_compile_error();
    }
    let item: ItemImpl = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let has = |name: &str| {
        item.items
            .iter()
            .any(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == name))
    };
    let self_ty = &item.self_ty;
    let error = if has("streams") {
        None
    } else if !(has("read") || has("read_stream")) {
        Some(
            "this source has no streams and no read: implement `streams` (typed streams, \
             which give `discover` and `read`), or `discover` with `read_stream` or `read`",
        )
    } else if !has("discover") {
        Some(
            "this source reads without typed streams, so it needs `discover` (or implement `streams` instead)",
        )
    } else {
        None
    };
    // The impl is kept even with the error, so that only the error shows.
    let error = error.map(|message| {
        quote_spanned! { self_ty.span() => ::core::compile_error!(#message); }
    });
    quote! {
        #error
        #[::airbyte_sdk::async_trait]
        #item
    }
}
