//! A cold first load on a slow phone network, where every request waits out the latency (over
//! half a second on DevTools' "Slow 4G") before its first byte. Two things keep requests off the
//! path to the phone form:
//! - the member pages carry their stylesheet inline: a linked one is a round trip of its own
//!   before the first paint. The whole file is ~1 KB compressed, so there is no "critical" subset
//!   to pick. The dashboard keeps the link: operators load it once and their browser keeps it.
//! - a `Link` response header names the islands' JS module and WebAssembly, so the browser starts
//!   fetching them when the headers arrive rather than when it has parsed the page's `<head>`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use leptos::prelude::LeptosOptions;

/// Whether the page at `path` inlines the stylesheet: every page but the dashboard's.
pub fn inlines_style(path: &str) -> bool {
    !(path == "/admin" || path.starts_with("/admin/"))
}

/// The built stylesheet (the file the `<link>` would fetch, as cargo-leptos wrote it), or `None`
/// when it is not there (tests that build the router without a site): the page then links it.
/// A release server reads it once; a debug one on every page, so `cargo leptos watch` shows an
/// edited stylesheet on the next reload.
pub fn stylesheet(options: &LeptosOptions) -> Option<Arc<str>> {
    static CACHE: Mutex<Option<(PathBuf, Arc<str>)>> = Mutex::new(None);
    let path = PathBuf::from(options.site_root.as_ref())
        .join(options.site_pkg_dir.as_ref())
        .join(format!("{}.css", options.output_name));
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((cached, css)) = cache.as_ref() {
        if *cached == path && !cfg!(debug_assertions) {
            return Some(css.clone());
        }
    }
    let css: Arc<str> = match std::fs::read_to_string(&path) {
        // A `</style` inside would end the element early; our own file never has one.
        Ok(css) if !css.to_ascii_lowercase().contains("</style") => css.into(),
        Ok(_) => {
            tracing::warn!(path = %path.display(), "the stylesheet cannot be inlined; linking it");
            return None;
        }
        Err(_) => return None,
    };
    *cache = Some((path, css.clone()));
    Some(css)
}

/// The `Link` header value that preloads what `HydrationScripts` will load, under the same URLs
/// and request modes as its `<link>`s (`crossorigin` anonymous, as `fetch()` of a same-origin URL
/// is), so the browser uses one download for both. `None` with hashed file names, whose hashes
/// only `HydrationScripts` reads.
pub fn preload_links(options: &LeptosOptions) -> Option<String> {
    if options.hash_files {
        return None;
    }
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    // HydrationScripts' naming: cargo-leptos sets LEPTOS_OUTPUT_NAME and writes `{name}.wasm`;
    // a plain cargo build has wasm-bindgen's `{name}_bg.wasm`.
    let wasm = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        format!("{pkg}.wasm")
    } else {
        format!("{pkg}_bg.wasm")
    };
    Some(format!(
        "<{pkg}.js>; rel=modulepreload, <{wasm}>; rel=preload; as=fetch; type=\"application/wasm\"; crossorigin"
    ))
}

/// Puts `preload_links` on the answer being rendered.
pub fn send_preload_links(options: &LeptosOptions) {
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Some(value) = preload_links(options).and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        response.append_header(http::header::LINK, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dashboard_links_its_stylesheet() {
        for member in [
            "/",
            "/i/tok",
            "/i/tok/sent",
            "/l/tok",
            "/no/such/page",
            "/administer",
        ] {
            assert!(inlines_style(member), "{member}");
        }
        for dashboard in ["/admin", "/admin/", "/admin/login", "/admin/journeys/abc"] {
            assert!(!inlines_style(dashboard), "{dashboard}");
        }
    }
}
