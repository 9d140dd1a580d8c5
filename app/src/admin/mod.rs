//! The operator dashboard on the server: its pages as data (`views`). Sign-in and sessions are
//! `domain::staff`; what its forms do, `domain::dashboard`.

pub mod views;

pub use domain::staff::{Role, Session};
