//! The members' side of CRM sync (`members`, `crm_webhook_events`, and the run's counts and
//! problems): each page of members is written in one transaction with the run's cursor and
//! counts (so a failed run resumes where it stopped), and leaving members have their passes
//! voided.

use super::Begin as _;
use super::{now_ms, Db, Result, Store};

/// One member as the CRM has it, checked and normalised, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRecord {
    pub external_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// The mobile on record in E.164, when the CRM's value is a valid mobile.
    pub mobile_e164: Option<String>,
    /// Why the CRM's record cannot be used to provision (no mobile, invalid mobile). A new
    /// member with a problem is kept out of the directory; a known one loses their old mobile.
    pub problem: Option<String>,
    pub active: bool,
    /// The physical card on record: `None` when the source carries no card fields, `Some(None)`
    /// when it carries them empty.
    pub card: Option<Option<(u8, u16)>>,
    /// When the CRM last changed the member (milliseconds), if it says.
    pub crm_modified_at: Option<i64>,
    /// When the membership ends (milliseconds), if the CRM says.
    pub membership_ends_at: Option<i64>,
    /// The member's language, when the source names one we have (`domain::i18n::known`).
    pub language: Option<String>,
    /// The source says nothing of names / email: a known member keeps theirs.
    pub keep_names: bool,
    pub keep_email: bool,
    /// Where the record came from, for the report: "row 4", "id 9001".
    pub row_ref: String,
}

/// A row refused before it reached the directory (malformed, a duplicate in the source).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRejection {
    pub external_id: Option<String>,
    pub row_ref: String,
    pub reason: String,
}

/// What one page (or one webhook event) did to the directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageResult {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub deactivated: i64,
    pub conflicts: i64,
    /// Every refusal and conflict, with its reason.
    pub problems: Vec<SyncProblem>,
    /// The webhook event was seen before; nothing was written.
    pub duplicate_event: bool,
}

impl PageResult {
    pub fn add(&mut self, other: PageResult) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        self.deactivated += other.deactivated;
        self.conflicts += other.conflicts;
        self.problems.extend(other.problems);
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SyncProblem {
    /// `rejected` (kept out of the directory) or `conflict` (synced, but one part was refused).
    pub kind: String,
    pub external_id: Option<String>,
    pub row_ref: Option<String>,
    pub reason: String,
}

/// A page to write.
#[derive(Debug, Clone)]
pub struct PageWrite<'a> {
    pub operator_id: i64,
    /// `import`, `rest`, `hubspot`, `webhook`: recorded on each member as where it came from.
    pub source: &'a str,
    pub run_id: Option<i64>,
    pub records: &'a [SyncRecord],
    pub rejections: &'a [SyncRejection],
    /// Where the next page starts; saved on the run with the page.
    pub next_cursor: Option<&'a str>,
    /// A webhook delivery's id: written with the page, so a repeat delivery changes nothing.
    pub webhook_event: Option<&'a str>,
    /// Work everything out, then roll it back.
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SqlMemberSync {
    pub id: i64,
    pub external_id: String,
    pub source: String,
    pub synced_at: Option<i64>,
    pub active: bool,
    pub sync_problem: Option<String>,
    pub deactivated_at: Option<i64>,
    pub pass_revocation_requested_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    first_name: String,
    last_name: String,
    email: Option<String>,
    mobile_e164: Option<String>,
    active: bool,
    crm_modified_at: Option<i64>,
    sync_problem: Option<String>,
    synced_at: Option<i64>,
    membership_ends_at: Option<i64>,
}

/// Voids the member's passes, ends their live links and records the revocation request.
/// Their devices are due a push, so Wallet fetches the voided pass.
const VOID_PASSES_SQL: &str =
    "UPDATE wallet_passes SET voided_at = $2, updated_at = $2, push_due_at = $2 \
     WHERE member_id = $1 AND voided_at IS NULL";

const END_LINKS_SQL: &str =
    "UPDATE link_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND member_id = $1";

/// Writes one page of records inside `$tx` (the same text compiles for both dialects).
macro_rules! write_page {
    ($tx:ident, $w:expr, $now:expr) => {{
        let w = $w;
        let now = $now;
        let mut out = PageResult::default();
        let mut fresh = true;
        if let Some(event) = w.webhook_event {
            let inserted = sqlx::query(
                "INSERT INTO crm_webhook_events (operator_id, event_id, received_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (operator_id, event_id) DO NOTHING",
            )
            .bind(w.operator_id)
            .bind(event)
            .bind(now)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            fresh = inserted == 1;
            out.duplicate_event = !fresh;
        }
        if fresh {
            for r in w.rejections {
                out.rejected += 1;
                out.problems.push(SyncProblem {
                    kind: "rejected".into(),
                    external_id: r.external_id.clone(),
                    row_ref: Some(r.row_ref.clone()),
                    reason: r.reason.clone(),
                });
                if let (Some(ext), Some(run)) = (&r.external_id, w.run_id) {
                    // Seen in the CRM, even if this row could not be used: not a leaver.
                    sqlx::query("UPDATE members SET seen_in_run = $3 WHERE operator_id = $1 AND external_id = $2")
                        .bind(w.operator_id)
                        .bind(ext)
                        .bind(run)
                        .execute(&mut *$tx)
                        .await?;
                }
            }
            for rec in w.records {
                let existing: Option<Existing> = sqlx::query_as(
                    "SELECT id, first_name, last_name, email, mobile_e164, active, crm_modified_at, \
                     sync_problem, synced_at, membership_ends_at FROM members WHERE operator_id = $1 AND external_id = $2",
                )
                .bind(w.operator_id)
                .bind(&rec.external_id)
                .fetch_optional(&mut *$tx)
                .await?;
                if let (Some(old), Some(at)) = (&existing, rec.crm_modified_at) {
                    if old.crm_modified_at.is_some_and(|seen| seen > at) {
                        // An older change arriving late (webhooks are not ordered): the newer stays.
                        out.unchanged += 1;
                        continue;
                    }
                }
                if let Some(problem) = &rec.problem {
                    out.rejected += 1;
                    out.problems.push(SyncProblem {
                        kind: "rejected".into(),
                        external_id: Some(rec.external_id.clone()),
                        row_ref: Some(rec.row_ref.clone()),
                        reason: problem.clone(),
                    });
                    if existing.is_none() {
                        continue;
                    }
                }
                let member_id = match &existing {
                    None => {
                        out.created += 1;
                        sqlx::query_scalar::<_, i64>(
                            "INSERT INTO members (operator_id, external_id, first_name, last_name, email, \
                             mobile_e164, source, synced_at, active, created_at, updated_at, crm_modified_at, \
                             seen_in_run, sync_problem, membership_ends_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8, $10, $11, NULL, $12) RETURNING id",
                        )
                        .bind(w.operator_id)
                        .bind(&rec.external_id)
                        .bind(&rec.first_name)
                        .bind(&rec.last_name)
                        .bind(&rec.email)
                        .bind(&rec.mobile_e164)
                        .bind(w.source)
                        .bind(now)
                        .bind(rec.active)
                        .bind(rec.crm_modified_at)
                        .bind(w.run_id)
                        .bind(rec.membership_ends_at)
                        .fetch_one(&mut *$tx)
                        .await?
                    }
                    Some(old) => {
                        let same = (rec.keep_names
                            || (old.first_name == rec.first_name && old.last_name == rec.last_name))
                            && (rec.keep_email || old.email == rec.email)
                            && old.mobile_e164 == rec.mobile_e164
                            && old.active == rec.active
                            && old.sync_problem == rec.problem
                            && old.membership_ends_at == rec.membership_ends_at
                            && old.synced_at.is_some();
                        if rec.problem.is_none() {
                            if same {
                                out.unchanged += 1;
                            } else {
                                out.updated += 1;
                            }
                        }
                        let leaving = old.active && !rec.active;
                        if leaving {
                            out.deactivated += 1;
                            sqlx::query(VOID_PASSES_SQL)
                                .bind(old.id)
                                .bind(now)
                                .execute(&mut *$tx)
                                .await?;
                            sqlx::query(END_LINKS_SQL)
                                .bind(old.id)
                                .bind(now)
                                .execute(&mut *$tx)
                                .await?;
                        }
                        sqlx::query(
                            "UPDATE members SET first_name = CASE WHEN $15 THEN first_name ELSE $2 END, \
                             last_name = CASE WHEN $15 THEN last_name ELSE $3 END, \
                             email = CASE WHEN $16 THEN email ELSE $4 END, mobile_e164 = $5, \
                             source = $6, synced_at = $7, active = $8, crm_modified_at = COALESCE($9, crm_modified_at), \
                             seen_in_run = COALESCE($10, seen_in_run), sync_problem = $11, \
                             updated_at = CASE WHEN $12 THEN updated_at ELSE $7 END, \
                             deactivated_at = CASE WHEN $8 THEN NULL WHEN $13 THEN $7 ELSE deactivated_at END, \
                             pass_revocation_requested_at = CASE WHEN $13 THEN $7 ELSE pass_revocation_requested_at END, \
                             membership_ends_at = $14 \
                             WHERE id = $1",
                        )
                        .bind(old.id)
                        .bind(&rec.first_name)
                        .bind(&rec.last_name)
                        .bind(&rec.email)
                        .bind(&rec.mobile_e164)
                        .bind(w.source)
                        .bind(now)
                        .bind(rec.active)
                        .bind(rec.crm_modified_at)
                        .bind(w.run_id)
                        .bind(&rec.problem)
                        .bind(same)
                        .bind(leaving)
                        .bind(rec.membership_ends_at)
                        .bind(rec.keep_names)
                        .bind(rec.keep_email)
                        .execute(&mut *$tx)
                        .await?;
                        old.id
                    }
                };
                if rec.language.is_some() {
                    sqlx::query(
                        "UPDATE members SET language = $2 WHERE id = $1 \
                         AND (language IS NULL OR language <> $2)",
                    )
                    .bind(member_id)
                    .bind(&rec.language)
                    .execute(&mut *$tx)
                    .await?;
                }
                if let Some(card) = rec.card {
                    let live: Vec<(i64, i64, i64)> = sqlx::query_as(
                        "SELECT id, facility_code, card_number FROM credentials \
                         WHERE member_id = $1 AND source = 'physical_card' AND revoked_at IS NULL",
                    )
                    .bind(member_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                    let wanted = card.map(|(f, n)| (i64::from(f), i64::from(n)));
                    let already = wanted.is_some_and(|(f, n)| live.iter().any(|c| c.1 == f && c.2 == n));
                    if !already {
                        let holder: Option<(i64, String)> = match wanted {
                            None => None,
                            Some((f, n)) => {
                                sqlx::query_as(
                                    "SELECT c.member_id, m.external_id FROM credentials c JOIN members m ON m.id = c.member_id \
                                     WHERE c.operator_id = $1 AND c.facility_code = $2 AND c.card_number = $3",
                                )
                                .bind(w.operator_id)
                                .bind(f)
                                .bind(n)
                                .fetch_optional(&mut *$tx)
                                .await?
                            }
                        };
                        match (wanted, holder) {
                            (Some((f, n)), Some((holder_id, holder_ext))) => {
                                let whose = if holder_id == member_id {
                                    "this member's, and was revoked".to_string()
                                } else {
                                    format!("already member {holder_ext}'s")
                                };
                                out.conflicts += 1;
                                out.problems.push(SyncProblem {
                                    kind: "conflict".into(),
                                    external_id: Some(rec.external_id.clone()),
                                    row_ref: Some(rec.row_ref.clone()),
                                    reason: format!("card {f}/{n} is {whose}; the card was not imported"),
                                });
                            }
                            (wanted, _) => {
                                // The CRM's card changed or went: the old one stops, the new one is theirs.
                                sqlx::query(
                                    "UPDATE credentials SET revoked_at = $2 WHERE member_id = $1 \
                                     AND source = 'physical_card' AND revoked_at IS NULL",
                                )
                                .bind(member_id)
                                .bind(now)
                                .execute(&mut *$tx)
                                .await?;
                                if let Some((f, n)) = wanted {
                                    sqlx::query(
                                        "INSERT INTO credentials (operator_id, member_id, source, facility_code, card_number, created_at) \
                                         VALUES ($1, $2, 'physical_card', $3, $4, $5)",
                                    )
                                    .bind(w.operator_id)
                                    .bind(member_id)
                                    .bind(f)
                                    .bind(n)
                                    .bind(now)
                                    .execute(&mut *$tx)
                                    .await?;
                                }
                            }
                        }
                    }
                }
            }
            for p in &out.problems {
                sqlx::query(
                    "INSERT INTO sync_problems (operator_id, run_id, kind, external_id, row_ref, reason, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(w.operator_id)
                .bind(w.run_id)
                .bind(&p.kind)
                .bind(&p.external_id)
                .bind(&p.row_ref)
                .bind(&p.reason)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            }
            if let Some(run) = w.run_id {
                sqlx::query(
                    "UPDATE sync_runs SET cursor = $2, pages = pages + 1, created = created + $3, \
                     updated = updated + $4, unchanged = unchanged + $5, rejected = rejected + $6, \
                     deactivated = deactivated + $7, conflicts = conflicts + $8 WHERE id = $1",
                )
                .bind(run)
                .bind(w.next_cursor)
                .bind(out.created)
                .bind(out.updated)
                .bind(out.unchanged)
                .bind(out.rejected)
                .bind(out.deactivated)
                .bind(out.conflicts)
                .execute(&mut *$tx)
                .await?;
            }
        }
        out
    }};
}

impl Store {
    /// Writes one page of the CRM's members atomically (or works it out and rolls it back).
    pub async fn write_sync_page(&self, w: &PageWrite<'_>) -> Result<PageResult> {
        let now = now_ms();
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let out = write_page!(tx, w, now);
            if w.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(out)
        })
    }

    /// The end of a full sync: members of the operator the run did not see have left the CRM.
    /// They are deactivated (never deleted), their passes voided and their links ended.
    pub async fn deactivate_unseen(&self, operator_id: i64, run_id: i64) -> Result<i64> {
        let now = now_ms();
        // Members a webhook created or changed while the run went on are newer news than the
        // listing: they stay.
        let unseen = "SELECT id FROM members WHERE operator_id = $1 AND active \
                      AND (seen_in_run IS NULL OR seen_in_run <> $2) \
                      AND updated_at < (SELECT started_at FROM sync_runs WHERE id = $2)";
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let ids: Vec<i64> = sqlx::query_scalar(unseen)
                .bind(operator_id)
                .bind(run_id)
                .fetch_all(&mut *tx)
                .await?;
            for id in &ids {
                sqlx::query(VOID_PASSES_SQL)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(END_LINKS_SQL)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE members SET active = FALSE, deactivated_at = $2, pass_revocation_requested_at = $2, \
                     updated_at = $2, sync_problem = 'not in the CRM any more' WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let n = ids.len() as i64;
            sqlx::query("UPDATE sync_runs SET deactivated = deactivated + $2 WHERE id = $1")
                .bind(run_id)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    /// A member's sync record: source, synced-at, problem and deactivation.
    pub async fn member_sync(
        &self,
        operator_id: i64,
        external_id: &str,
    ) -> Result<Option<SqlMemberSync>> {
        let sql = "SELECT id, external_id, source, synced_at, active, sync_problem, deactivated_at, \
                   pass_revocation_requested_at FROM members WHERE operator_id = $1 AND external_id = $2";
        Ok(on_read!(self, |p| sqlx::query_as(sql)
            .bind(operator_id)
            .bind(external_id)
            .fetch_optional(p)
            .await)?)
    }
}
