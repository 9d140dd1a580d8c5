//! The sync engine: pages from a connector → checked records → the directory, one transaction
//! per page, under the operator's lease.

use std::collections::HashMap;
use std::time::Duration;

use crate::phone::{mask, normalise};
use crate::retry::RetryPolicy;
use crate::store::{
    now_ms, PageResult, PageWrite, SqlOperator, Store, StoreError, SyncMode, SyncProblem,
    SyncRecord, SyncRejection,
};

use super::{Connector, CrmError, PageRequest, RawMember};

/// Incremental runs ask for changes since the last good run started, less this margin for
/// clocks that disagree.
const CLOCK_MARGIN_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub mode: SyncMode,
    /// Work out the report, write nothing.
    pub dry_run: bool,
    pub retry: RetryPolicy,
    /// Who holds the lease: one id per server instance or command.
    pub holder: String,
    pub lease_ttl_ms: i64,
}

impl SyncOptions {
    pub fn new(mode: SyncMode, holder: impl Into<String>) -> Self {
        SyncOptions {
            mode,
            dry_run: false,
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay_ms: 500,
            },
            holder: holder.into(),
            lease_ttl_ms: 5 * 60_000,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    pub run_id: Option<i64>,
    pub resumed: bool,
    pub pages: i64,
    /// Requests to the CRM that failed and were tried again.
    pub retries: i64,
    pub counts: PageResult,
}

impl SyncReport {
    pub fn problems(&self) -> &[SyncProblem] {
        &self.counts.problems
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("another instance is syncing this operator right now")]
    Busy,
    #[error("{error}; retried {retries} time(s); the next run resumes where this one stopped")]
    Crm {
        run_id: Option<i64>,
        retries: i64,
        error: CrmError,
    },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks what the run has seen so far: duplicates are judged across the whole run.
#[derive(Debug, Default)]
pub struct Checker {
    region: String,
    ids: HashMap<String, String>,
    mobiles: HashMap<String, String>,
}

impl Checker {
    pub fn new(region: &str) -> Self {
        Checker {
            region: region.to_owned(),
            ..Checker::default()
        }
    }

    /// Splits a page into records for the directory and rows refused outright.
    pub fn check(&mut self, raws: Vec<RawMember>) -> (Vec<SyncRecord>, Vec<SyncRejection>) {
        let mut records = Vec::new();
        let mut rejections = Vec::new();
        for raw in raws {
            match self.check_one(raw) {
                Ok(r) => records.push(r),
                Err(r) => rejections.push(r),
            }
        }
        (records, rejections)
    }

    fn check_one(&mut self, raw: RawMember) -> Result<SyncRecord, SyncRejection> {
        let reject = |reason: String| SyncRejection {
            external_id: raw.external_id.clone(),
            row_ref: raw.row_ref.clone(),
            reason,
        };
        if let Some(why) = &raw.malformed {
            return Err(reject(format!("malformed row: {why}")));
        }
        let Some(external_id) = raw.external_id.clone() else {
            return Err(reject("no external id".into()));
        };
        if let Some(first) = self.ids.get(&external_id) {
            return Err(reject(format!(
                "duplicate external id {external_id} (first seen at {first})"
            )));
        }
        let card = if raw.card_mapped {
            match (raw.facility_code.as_deref(), raw.card_number.as_deref()) {
                (None, None) => Some(None),
                (Some(f), Some(n)) => match (f.parse::<u8>(), n.parse::<u16>()) {
                    (Ok(f), Ok(n)) => Some(Some((f, n))),
                    (Err(_), _) => {
                        return Err(reject(format!(
                        "malformed card: facility code {f:?} is not a whole number from 0 to 255"
                    )))
                    }
                    (_, Err(_)) => {
                        return Err(reject(format!(
                        "malformed card: card number {n:?} is not a whole number from 0 to 65535"
                    )))
                    }
                },
                _ => {
                    return Err(reject(
                        "malformed card: a card needs both a facility code and a card number"
                            .into(),
                    ))
                }
            }
        } else {
            None
        };
        self.ids.insert(external_id.clone(), raw.row_ref.clone());
        let (mobile_e164, problem) = match raw.mobile.as_deref() {
            None => (None, Some("no mobile on record".to_owned())),
            Some(typed) => match normalise(typed, &self.region) {
                Err(err) => (
                    None,
                    Some(format!("invalid mobile ({}): {err}", masked_raw(typed))),
                ),
                Ok(e164) => match self.mobiles.get(&e164) {
                    Some(other) => (
                        None,
                        Some(format!(
                            "duplicate mobile {}: the same number as {other}",
                            mask(&e164)
                        )),
                    ),
                    None => {
                        self.mobiles.insert(e164.clone(), raw.row_ref.clone());
                        (Some(e164), None)
                    }
                },
            },
        };
        Ok(SyncRecord {
            external_id,
            first_name: raw.first_name.unwrap_or_default(),
            last_name: raw.last_name.unwrap_or_default(),
            email: raw.email,
            keep_names: !raw.carries_names,
            keep_email: !raw.carries_email,
            mobile_e164,
            problem,
            active: raw.active.unwrap_or(true),
            card,
            crm_modified_at: raw.modified_at,
            membership_ends_at: raw.membership_ends,
            language: raw
                .language
                .as_deref()
                .and_then(crate::i18n::known)
                .map(str::to_owned),
            row_ref: raw.row_ref,
        })
    }
}

/// What a report may show of a number that did not parse: its last three characters.
fn masked_raw(typed: &str) -> String {
    let chars: Vec<char> = typed.trim().chars().collect();
    if chars.len() <= 3 {
        return "•••".into();
    }
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("ending {tail}")
}

/// Fetches one page, trying again on timeouts, 429 and 5xx with exponential back-off.
async fn fetch_with_retry(
    connector: &dyn Connector,
    req: PageRequest<'_>,
    policy: RetryPolicy,
    retries: &mut i64,
) -> Result<super::Page, CrmError> {
    let mut attempt = 1;
    loop {
        match connector.fetch(req).await {
            Ok(page) => return Ok(page),
            Err(err) if err.retryable() && attempt < policy.max_attempts => {
                *retries += 1;
                let wait = policy.delay_ms(attempt);
                tracing::warn!(source = connector.source(), attempt, wait_ms = wait, error = %err, "CRM request failed; trying again");
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Runs one sync of `operator` from `connector`. `on_page` hears how many members each page
/// held (for a progress bar).
pub async fn run(
    store: &Store,
    operator: &SqlOperator,
    connector: &dyn Connector,
    opts: &SyncOptions,
    on_page: &(dyn Fn(u64) + Sync),
) -> Result<SyncReport, SyncError> {
    let source = connector.source();
    if !opts.dry_run
        && !store
            .acquire_sync_lease(operator.id, &opts.holder, opts.lease_ttl_ms)
            .await?
    {
        return Err(SyncError::Busy);
    }
    let result = run_leased(store, operator, connector, opts, on_page).await;
    if !opts.dry_run {
        if let Err(err) = store.release_sync_lease(operator.id, &opts.holder).await {
            tracing::warn!(error = %err, "could not release the sync lease; it expires by itself");
        }
    }
    match &result {
        Ok(r) => tracing::info!(
            operator = %operator.slug, source, mode = opts.mode.as_str(), run = ?r.run_id,
            created = r.counts.created, updated = r.counts.updated, unchanged = r.counts.unchanged,
            rejected = r.counts.rejected, deactivated = r.counts.deactivated, conflicts = r.counts.conflicts,
            "member sync finished"
        ),
        Err(err) => {
            tracing::warn!(operator = %operator.slug, source, error = %err, "member sync failed")
        }
    }
    result
}

async fn run_leased(
    store: &Store,
    operator: &SqlOperator,
    connector: &dyn Connector,
    opts: &SyncOptions,
    on_page: &(dyn Fn(u64) + Sync),
) -> Result<SyncReport, SyncError> {
    let source = connector.source();
    let since = match opts.mode {
        SyncMode::Full => None,
        SyncMode::Incremental => store
            .last_sync_start(operator.id, source)
            .await?
            .map(|t| t - CLOCK_MARGIN_MS),
    };
    let mut report = SyncReport::default();
    let (run_id, mut cursor, since) = if opts.dry_run {
        (None, None, since)
    } else {
        let run = store
            .begin_sync_run(operator.id, source, opts.mode, since)
            .await?;
        report.resumed = run.pages > 0;
        (Some(run.id), run.cursor, run.modified_since)
    };
    report.run_id = run_id;
    let mut checker = Checker::new(&operator.default_region);
    let mut retries = 0;
    loop {
        let req = PageRequest {
            cursor: cursor.as_deref(),
            modified_since: since,
        };
        let page = match fetch_with_retry(connector, req, opts.retry, &mut retries).await {
            Ok(page) => page,
            Err(error) => {
                if let Some(id) = run_id {
                    store
                        .finish_sync_run(id, Some(&error.to_string()), retries)
                        .await?;
                }
                return Err(SyncError::Crm {
                    run_id,
                    retries,
                    error,
                });
            }
        };
        if page.next.is_some() && page.next == cursor {
            let why = "the CRM answered the same page twice; stopped so as not to loop";
            if let Some(id) = run_id {
                store.finish_sync_run(id, Some(why), retries).await?;
            }
            return Err(SyncError::Refused(why.into()));
        }
        let count = page.members.len() as u64;
        let (records, rejections) = checker.check(page.members);
        let written = store
            .write_sync_page(&PageWrite {
                operator_id: operator.id,
                source,
                run_id,
                records: &records,
                rejections: &rejections,
                next_cursor: page.next.as_deref(),
                webhook_event: None,
                dry_run: opts.dry_run,
            })
            .await?;
        report.pages += 1;
        report.counts.add(written);
        on_page(count);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        if !opts.dry_run
            && !store
                .acquire_sync_lease(operator.id, &opts.holder, opts.lease_ttl_ms)
                .await?
        {
            let why = "lost the sync lease to another instance; stopped";
            if let Some(id) = run_id {
                store.finish_sync_run(id, Some(why), retries).await?;
            }
            return Err(SyncError::Refused(why.into()));
        }
    }
    report.retries = retries;
    let Some(run_id) = run_id else {
        return Ok(report);
    };
    if opts.mode == SyncMode::Full {
        let run = store.sync_run(run_id).await?;
        let seen = run.map_or(0, |r| r.created + r.updated + r.unchanged + r.rejected);
        if seen == 0 {
            let why = "the full sync saw no members at all, so nobody was deactivated; check the connection";
            store.finish_sync_run(run_id, Some(why), retries).await?;
            return Err(SyncError::Refused(why.into()));
        }
        store.deactivate_unseen(operator.id, run_id).await?;
    }
    let run = store.finish_sync_run(run_id, None, retries).await?;
    // The whole run's figures, including pages written before a resume.
    report.pages = run.pages;
    report.counts = PageResult {
        created: run.created,
        updated: run.updated,
        unchanged: run.unchanged,
        rejected: run.rejected,
        deactivated: run.deactivated,
        conflicts: run.conflicts,
        problems: store.sync_problems(run_id).await?,
        duplicate_event: false,
    };
    let c = &report.counts;
    if c.created + c.updated + c.deactivated > 0 {
        crate::webhooks::emit(
            store,
            None,
            operator.id,
            crate::webhooks::EventType::MemberSynced,
            serde_json::json!({
                "source": source,
                "sync_run": run_id,
                "created": c.created,
                "updated": c.updated,
                "deactivated": c.deactivated,
                "rejected": c.rejected,
            }),
        )
        .await;
    }
    Ok(report)
}

/// Runs every operator's sync that is due: incremental once its interval has passed since the
/// last run started, or full when one was asked for. Returns how many ran.
pub async fn sync_due(
    store: &Store,
    holder: &str,
    retry: RetryPolicy,
) -> Result<usize, StoreError> {
    let now = now_ms();
    let mut ran = 0;
    for conn in store.crm_connections().await? {
        let Some(operator) = store.operator(conn.operator_id).await? else {
            continue;
        };
        let connector = match super::connector_for(&conn) {
            Ok(c) => c,
            Err(err) => {
                tracing::warn!(operator = %operator.slug, error = %err, "the CRM connection cannot be used");
                continue;
            }
        };
        let last = store.sync_runs(operator.id, 1).await?;
        let due = match last.first() {
            None => true,
            Some(r) if r.status == "succeeded" => r.started_at + conn.interval_secs * 1000 <= now,
            // A failed run (or one whose instance died) is taken up again a minute later.
            Some(r) => r.finished_at.unwrap_or(r.started_at) + 60_000 <= now,
        };
        let mode = if conn.full_requested_at.is_some() || last.is_empty() {
            SyncMode::Full
        } else {
            SyncMode::Incremental
        };
        if !due && mode == SyncMode::Incremental {
            continue;
        }
        let mut opts = SyncOptions::new(mode, holder);
        opts.retry = retry;
        match run(store, &operator, connector.as_ref(), &opts, &|_| {}).await {
            Ok(_) => {
                ran += 1;
                if mode == SyncMode::Full && conn.full_requested_at.is_some() {
                    store.request_full_sync(operator.id, None).await?;
                }
            }
            Err(SyncError::Store(err)) => return Err(err),
            Err(_) => {}
        }
    }
    Ok(ran)
}

/// Syncs on schedule until `stop` turns true.
pub async fn run_scheduler(
    store: Store,
    holder: String,
    tick: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let retry = RetryPolicy {
        max_attempts: 5,
        base_delay_ms: 2_000,
    };
    loop {
        if let Err(err) = sync_due(&store, &holder, retry).await {
            tracing::warn!(error = %err, "the sync schedule could not read the database");
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, mobile: Option<&str>) -> RawMember {
        RawMember {
            row_ref: format!("row {id}"),
            external_id: Some(id.into()),
            first_name: Some("A".into()),
            mobile: mobile.map(Into::into),
            ..RawMember::default()
        }
    }

    #[test]
    fn checks_each_rule_of_the_directory() {
        let mut c = Checker::new("GB");
        let mut bad_card = raw("6", Some("07400 123006"));
        bad_card.card_mapped = true;
        bad_card.facility_code = Some("300".into());
        bad_card.card_number = Some("5".into());
        let (records, rejections) = c.check(vec![
            raw("1", Some("07400 123001")),
            raw("2", None),
            raw("3", Some("12345")),
            raw("1", Some("07400 123009")),
            raw("4", Some("+44 7400 123001")),
            bad_card,
        ]);
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].mobile_e164.as_deref(), Some("+447400123001"));
        assert_eq!(records[0].problem, None);
        assert_eq!(records[1].problem.as_deref(), Some("no mobile on record"));
        assert!(records[2]
            .problem
            .as_deref()
            .unwrap()
            .starts_with("invalid mobile (ending 345)"));
        assert!(records[3]
            .problem
            .as_deref()
            .unwrap()
            .starts_with("duplicate mobile •••• ••• 001: the same number as row 1"));
        assert_eq!(rejections.len(), 2);
        assert!(rejections[0].reason.starts_with("duplicate external id 1"));
        assert!(rejections[1].reason.contains("facility code \"300\""));
    }
}
