//! Server functions: what the pages and the phone-form island ask of the server.

pub mod admin;
pub mod journey;
pub mod wallet;
