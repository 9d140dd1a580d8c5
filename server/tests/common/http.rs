//! Requests through the real router in-process (tower `oneshot`), as a browser or a client sends
//! them, and the one shape every answer comes back in.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use tower::ServiceExt as _;

/// The largest answer a test reads (a `.pkpass` with every image is well below).
const BODY_LIMIT: usize = 16 << 20;

/// One answer: its status, headers and whole body.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Where a redirect sends the browser (empty when it does not).
    pub fn location(&self) -> String {
        location(&self.headers)
    }

    /// The `name=value` part of the first Set-Cookie.
    pub fn cookie(&self) -> Option<String> {
        set_cookies(&self.headers).into_iter().next()
    }

    /// Status, headers and the body as text, for destructuring.
    pub fn parts(self) -> (StatusCode, HeaderMap, String) {
        let text = self.text();
        (self.status, self.headers, text)
    }
}

/// Sends one request through the router and reads the whole answer.
pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), BODY_LIMIT)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// `send` from the client address `address` (`ip`, `ip:port`, or an IPv6 address).
pub async fn send_from(router: &Router, mut req: Request<Body>, address: &str) -> Reply {
    from(&mut req, address);
    send(router, req).await
}

/// Marks `req` as coming from `address` (`ip`, `ip:port`, or an IPv6 address; port 5000 when
/// none is given), as the server's connection info would.
pub fn from(req: &mut Request<Body>, address: &str) {
    let addr: SocketAddr = address.parse().unwrap_or_else(|_| {
        if address.contains(':') {
            format!("[{address}]:5000").parse().unwrap()
        } else {
            format!("{address}:5000").parse().unwrap()
        }
    });
    req.extensions_mut().insert(ConnectInfo(addr));
}

/// A page load as a browser asks for it (`Accept: text/html`), with `cookie` when given.
pub fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri).header(header::ACCEPT, "text/html");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).unwrap()
}

/// A plain HTML form post (`form` already URL-encoded), with `cookie` when given.
pub fn post_form(uri: &str, form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(form.to_owned())).unwrap()
}

/// Form fields URL-encoded as a browser posts them.
pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", app::types::admin::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The Location header (empty when there is none).
pub fn location(h: &HeaderMap) -> String {
    h.get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The `name=value` part of each Set-Cookie.
pub fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

/// The journey id a phone page's form carries.
pub fn journey_in(html: &str) -> String {
    html.split("name=\"journey\" value=\"")
        .nth(1)
        .expect("the phone page carries its journey")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}
