//! elumo pass's domain: everything the server knows and does, without HTTP or pages. The store
//! and its migrations, the journey from invite to pass (`journeys`, `links`, `limits`), the
//! member directory and CRM sync, credentials, wallets, SMS, mail and pushes, configuration.
//! `app` uses it only under its `ssr` feature and `server` directly: the browser never compiles it.

pub mod api;
pub mod api_keys;
pub mod config;
pub mod credentials;
pub mod crm;
pub mod dashboard;
pub mod demo;
pub mod devices;
pub mod directory;
pub mod i18n;
pub mod invites;
pub mod journeys;
pub mod kinds;
pub mod lease;
pub mod limits;
pub mod links;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod mfa;
pub mod new_phone;
pub mod oidc;
pub mod phone;
pub mod private_file;
pub mod push;
pub mod retry;
pub mod sms;
pub mod sso;
pub mod staff;
pub mod state;
pub mod store;
pub mod tokens;
pub mod totp;
pub mod wallet;
pub mod webhooks;
