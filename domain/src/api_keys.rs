//! The REST API's keys: made in the dashboard by an admin (the key is shown once, only its hash
//! is kept), named, with the scope `read` or `read write`, revocable. A request carries its key
//! as `Authorization: Bearer elumo_…`; everything it reads or changes is its operator's.

use crate::staff::{Role, Session};
use crate::state::AppState;
use crate::store::{NewApiKey, SqlApiKey, StoreError};
use crate::tokens::{hash_token, Token};

/// What every key starts with, so a leaked one is recognisable (secret scanners look for it).
pub const KEY_PREFIX: &str = "elumo_";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read members, invites, journeys, passes, sites and events.
    Read,
    /// Also change them: upsert and deactivate members, create and revoke invites, void passes.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

/// A key's scopes as stored: `read`, or `read write`.
fn stored_scopes(write: bool) -> &'static str {
    if write {
        "read write"
    } else {
        "read"
    }
}

/// The caller behind a request's key.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i64,
    pub operator_id: i64,
    pub name: String,
    scopes: String,
}

impl Caller {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.split(' ').any(|s| s == scope.as_str())
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        format!("API key “{}”", self.name)
    }

    /// The caller as the dashboard's actions take a signed-in person: no staff account (the audit
    /// log names the key), never an admin (a key changes no staff or settings), and no form token
    /// (a key is not a browser).
    pub fn as_session(&self) -> Session {
        Session {
            id_hash: String::new(),
            staff_id: 0,
            operator_id: self.operator_id,
            email: self.actor(),
            role: Role::Staff,
            csrf: String::new(),
        }
    }
}

impl From<SqlApiKey> for Caller {
    fn from(k: SqlApiKey) -> Caller {
        Caller {
            key_id: k.id,
            operator_id: k.operator_id,
            name: k.name,
            scopes: k.scopes,
        }
    }
}

/// Why a key could not be made, in words for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    NoName,
    NameTooLong,
}

/// A new key: its row id and the key itself, to be shown once.
pub struct Created {
    pub id: i64,
    pub key: Token,
}

/// Makes a key for the session's operator and audits it.
pub async fn create(
    state: &AppState,
    s: &Session,
    name: &str,
    write: bool,
    ip: &str,
) -> Result<Result<Created, KeyProblem>, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(Err(KeyProblem::NoName));
    }
    if name.chars().count() > 80 {
        return Ok(Err(KeyProblem::NameTooLong));
    }
    let key = Token::from_user(&format!("{KEY_PREFIX}{}", Token::generate(32).expose()));
    let prefix: String = key.expose().chars().take(KEY_PREFIX.len() + 6).collect();
    let scopes = stored_scopes(write);
    let id = state
        .store
        .insert_api_key(&NewApiKey {
            operator_id: s.operator_id,
            name,
            prefix: &prefix,
            key_hash: &key.hash(),
            scopes,
            created_by: &s.email,
        })
        .await?;
    s.audit(
        state,
        "api_key_created",
        &format!("API key {id}"),
        &format!("{name} ({scopes})"),
        ip,
    )
    .await?;
    Ok(Ok(Created { id, key }))
}

/// Revokes one of the operator's keys at once; `None` when it is not theirs.
pub async fn revoke(
    state: &AppState,
    s: &Session,
    id: i64,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    if !state.store.revoke_api_key(s.operator_id, id).await? {
        let theirs = state
            .store
            .api_keys_of(s.operator_id)
            .await?
            .iter()
            .any(|k| k.id == id);
        return Ok(theirs.then_some("key-revoked"));
    }
    s.audit(state, "api_key_revoked", &format!("API key {id}"), "", ip)
        .await?;
    Ok(Some("key-revoked"))
}

/// The caller whose key `bearer` is, if it is a live key. Its last use is noted.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<Option<Caller>, StoreError> {
    let bearer = bearer.trim();
    if !bearer.starts_with(KEY_PREFIX) || bearer.len() > 128 {
        return Ok(None);
    }
    let Some(key) = state.store.live_api_key(&hash_token(bearer)).await? else {
        return Ok(None);
    };
    state.store.touch_api_key(&key).await?;
    Ok(Some(key.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_key_may_not_write() {
        let caller = |scopes: &str| Caller {
            key_id: 1,
            operator_id: 1,
            name: "door sync".into(),
            scopes: scopes.into(),
        };
        assert!(caller("read").may(Scope::Read));
        assert!(!caller("read").may(Scope::Write));
        assert!(caller("read write").may(Scope::Write));
        assert!(!caller("readwrite").may(Scope::Write));
        assert_eq!(caller("read").as_session().role, Role::Staff);
    }
}
