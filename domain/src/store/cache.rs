//! What every phone page request reads and almost nothing changes: the invite behind a token,
//! its operator and its site. Kept for a few seconds; a change made through this store (the
//! dashboard, a command in this process) forgets everything at once, and another process's
//! change is seen when the few seconds are over.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Result, SqlInvite, SqlOperator, SqlSite, Store};

/// How long a read is kept.
const KEEP: Duration = Duration::from_secs(3);
/// A flood of distinct tokens never grows the cache past this: it starts over.
const MOST: usize = 10_000;

struct Kept<T> {
    at: Instant,
    value: T,
}

struct Map<K, T>(Mutex<HashMap<K, Kept<T>>>);

impl<K, T> Default for Map<K, T> {
    fn default() -> Self {
        Map(Mutex::new(HashMap::new()))
    }
}

impl<K: std::hash::Hash + Eq, T: Clone> Map<K, T> {
    fn get(&self, key: &K) -> Option<T> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|k| k.at.elapsed() < KEEP)
            .map(|k| k.value.clone())
    }

    fn put(&self, key: K, value: T) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MOST {
                map.clear();
            }
            map.insert(
                key,
                Kept {
                    at: Instant::now(),
                    value,
                },
            );
        }
    }

    fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

#[derive(Default)]
pub(super) struct Cache {
    invites: Map<String, SqlInvite>,
    operators: Map<i64, SqlOperator>,
    sites: Map<i64, SqlSite>,
}

impl Cache {
    pub(super) fn clear(&self) {
        self.invites.clear();
        self.operators.clear();
        self.sites.clear();
    }
}

impl Store {
    /// `invite_by_token_hash`, kept for a few seconds. An unknown token is not kept.
    pub async fn cached_invite_by_token_hash(&self, token_hash: &str) -> Result<Option<SqlInvite>> {
        if let Some(invite) = self.cache.invites.get(&token_hash.to_owned()) {
            return Ok(Some(invite));
        }
        let found = self.invite_by_token_hash(token_hash).await?;
        if let Some(invite) = &found {
            self.cache
                .invites
                .put(token_hash.to_owned(), invite.clone());
        }
        Ok(found)
    }

    /// `operator`, kept for a few seconds.
    pub async fn cached_operator(&self, id: i64) -> Result<Option<SqlOperator>> {
        if let Some(operator) = self.cache.operators.get(&id) {
            return Ok(Some(operator));
        }
        let found = self.operator(id).await?;
        if let Some(operator) = &found {
            self.cache.operators.put(id, operator.clone());
        }
        Ok(found)
    }

    /// `site`, kept for a few seconds.
    pub async fn cached_site(&self, id: i64) -> Result<Option<SqlSite>> {
        if let Some(site) = self.cache.sites.get(&id) {
            return Ok(Some(site));
        }
        let found = self.site(id).await?;
        if let Some(site) = &found {
            self.cache.sites.put(id, site.clone());
        }
        Ok(found)
    }

    /// Forgets every kept read: called by every change to invites, operators and sites.
    pub fn forget_cached(&self) {
        self.cache.clear();
    }
}
