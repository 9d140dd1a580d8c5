//! The headers that keep pages to themselves: a Content-Security-Policy with a fresh nonce on
//! every HTML answer (the Leptos render puts the same nonce on the inline scripts it writes),
//! HSTS when the public URL is https, and `no-store` on the pages that show a member's journey or
//! an operator's dashboard.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// True when the request came through a proxy or tunnel (it names a client or hop): a surface
/// allowed by the connection's own address (`/metrics`, `/dev/outbox`) refuses it, since behind
/// a proxy on the same host every client's connection is loopback.
pub fn forwarded(headers: &axum::http::HeaderMap) -> bool {
    ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h))
}

/// The request's CSP nonce, kept in its extensions for the page render.
#[derive(Clone)]
pub struct RequestNonce(pub Nonce);

/// What the headers depend on, read once from the configuration.
#[derive(Clone, Copy)]
pub struct Settings {
    /// Browsers honour HSTS only over https; over http it would only mislead.
    pub hsts: bool,
}

impl Settings {
    pub fn from_public_url(public_url: &str) -> Settings {
        Settings {
            hsts: public_url.starts_with("https://"),
        }
    }
}

pub const HSTS: &str = "max-age=31536000";

/// The policy every HTML answer carries. Why each source:
/// - `default-src 'self'`: everything else (the WASM fetch, the live list's `fetch`, server
///   functions, the CSS, fonts) comes from our own origin only.
/// - `script-src 'self' 'wasm-unsafe-eval' 'nonce-…'`: the islands' JS module from `/pkg`, the
///   compilation of its WebAssembly, and the inline loader (and any resource data) Leptos
///   writes with this response's nonce. No `'unsafe-inline'`, no `'unsafe-eval'`.
/// - `style-src 'self' 'nonce-…'`: the stylesheets, and the member pages' stylesheet inlined
///   with this response's nonce (`app::first_load`); any other `<style>` element is refused.
///   `style-src-attr 'unsafe-inline'`: the operator's brand colours are `style="--brand: #…"`
///   attributes on the page (only hex colours get there).
/// - `img-src 'self' https:`: the poster QR and uploaded pass images are ours; the poster also
///   shows the operator's logo from the https URL set in the dashboard.
/// - `object-src 'none'`, `base-uri 'none'`: no plugins; no `<base>` to re-point relative links.
/// - `form-action 'self' https://pay.google.com`: our forms, and the Google Wallet button's
///   redirect to Google's save page (browsers check a form's redirects against this too).
/// - `frame-ancestors 'none'`: no page of ours inside another site's frame.
/// - `'unsafe-hashes' 'sha256-…'`: exactly one inline handler, the dashboard's "revoke this
///   member's passes?" confirmation (`app::pages::admin::REVOKE_CONFIRM`), by its hash.
pub fn policy(nonce: &str) -> String {
    static REVOKE_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        openssl::base64::encode_block(&openssl::sha::sha256(
            app::pages::admin::REVOKE_CONFIRM.as_bytes(),
        ))
    });
    let revoke = &*REVOKE_HASH;
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}' \
         'unsafe-hashes' 'sha256-{revoke}'; \
         style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; img-src 'self' https:; object-src 'none'; \
         base-uri 'none'; form-action 'self' https://pay.google.com; frame-ancestors 'none'"
    )
}

/// Pages a shared cache or the browser's history must not keep: the dashboard, an invite page
/// that carries its journey (`/i/{t}?j=…`), "check your messages" and the link's pass page.
pub fn must_not_store(uri: &Uri) -> bool {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let has_journey = uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("j")));
    match segments.as_slice() {
        ["admin", ..] => true,
        ["i", _, "sent"] => true,
        ["i", _] => has_journey,
        ["l", _] => true,
        _ => false,
    }
}

fn is_document(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("image/svg+xml"))
}

/// The middleware: a nonce into the request, the headers onto the answer.
pub async fn headers(State(settings): State<Settings>, mut req: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    let no_store = must_not_store(req.uri());
    req.extensions_mut().insert(RequestNonce(nonce.clone()));
    let mut res = next.run(req).await;
    // Only documents get a policy; a handler that set its own keeps it.
    let document = is_document(&res);
    let h = res.headers_mut();
    if document && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&policy(&nonce)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if settings.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if no_store {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// In the Leptos render context: the request's nonce replaces the one Leptos generated, so the
/// inline scripts it writes carry the nonce the header names.
pub fn provide_request_nonce() {
    if let Some(nonce) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestNonce>().cloned())
    {
        provide_context(nonce.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_pages_are_not_stored() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(must_not_store(&uri("/admin")));
        assert!(must_not_store(&uri("/admin/journeys/abc")));
        assert!(must_not_store(&uri("/i/tok/sent?j=x")));
        assert!(must_not_store(&uri("/i/tok?j=abc")));
        assert!(must_not_store(&uri("/i/tok?x=1&j=abc")));
        assert!(!must_not_store(&uri("/i/tok")));
        assert!(!must_not_store(&uri("/i/tok?jj=1")));
        assert!(!must_not_store(&uri("/pkg/elumo-pass.css")));
        assert!(!must_not_store(&uri("/admin.css")));
    }
}
