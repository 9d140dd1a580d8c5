//! One number submission, written in one transaction: its limits' counts, the journey (started
//! here, or moved on), its events, and the link with its text. The journey step decided
//! everything before (`journeys::submit_number`); this only writes, or reports what stopped it.

use super::batch::{bind_args, Arg};
use super::journeys::JourneyWrite;
use super::limits::count_hits;
use super::links::write_link;
use super::Begin as _;
use super::{now_ms, Count, Db, QueueLinkSms, Result, Store};
use crate::kinds::{Event, Outcome, Step};

/// The journey a submission writes to.
#[derive(Debug, Clone, Copy)]
pub enum SubmittedJourney<'a> {
    /// Starts it, under `public_id`.
    New {
        public_id: &'a str,
        operator_id: i64,
        invite_id: i64,
        channel: &'a str,
    },
    /// Moves it on, while its member and number are still as they were read (`member_id`,
    /// `entered_mobile`) and its step `step`.
    Read {
        id: i64,
        step: &'a str,
        outcome: Option<&'a str>,
        member_id: Option<i64>,
        entered_mobile: Option<&'a str>,
    },
}

/// The limit that stopped a submission: before the verdict (`gate`) or its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub gate: bool,
    /// The limit's index in `gate` or `texts`.
    pub index: usize,
    pub retry_after_ms: i64,
}

/// What a submission writes.
pub struct Submission<'a> {
    pub journey: SubmittedJourney<'a>,
    /// Counted first: one refusing leaves the journey's number and verdict unwritten.
    pub gate: &'a [Count<'a>],
    /// The verdict's writes.
    pub writes: &'a [JourneyWrite],
    /// Counted for the text; one refusing means no link.
    pub texts: &'a [Count<'a>],
    /// Counted as well when a text's limit refused (the attempt texted nobody after all).
    pub on_text_refused: &'a [Count<'a>],
    /// The first `address_gates` limits of `gate` are the client address's own: their refusal
    /// starts no journey, and repeats nothing on a journey that already says so.
    pub address_gates: usize,
    /// The link (its `journey_id` is the submission's; `body` empty for strict mode's stand-in).
    pub link: Option<QueueLinkSms<'a>>,
    /// What the journey records when a limit refuses (after the verdict's writes when the
    /// refusal is the text's).
    pub refused: &'a (dyn Fn(Refusal) -> Vec<JourneyWrite> + Sync),
}

/// How a submission's transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Committed: the journey's id (none when a limit before the verdict stopped a journey that
    /// did not exist yet: nothing of it was written), and the limit that refused, if one did.
    Done {
        journey_id: Option<i64>,
        refused: Option<Refusal>,
    },
    /// The journey's public id is taken, or the journey changed since it was read: nothing was
    /// written; read again and decide again.
    Changed,
}

/// The journey's state after `writes`, from `(step, outcome, member, number)`.
fn fold<'a>(
    mut state: (&'a str, Option<&'a str>, Option<i64>, Option<&'a str>),
    writes: &'a [JourneyWrite],
) -> (&'a str, Option<&'a str>, Option<i64>, Option<&'a str>) {
    for w in writes {
        if let Some(step) = w.step {
            state.0 = step.as_str();
            state.1 = w.outcome.map(Outcome::as_str);
            state.2 = state.2.or(w.member_id);
            state.3 = w.entered_mobile.as_deref().or(state.3);
        }
    }
    state
}

/// `INSERT INTO journey_events` for `n` events of one journey at one time (`$1`, `$2`), kind and
/// detail from `$3` on.
fn events_sql(n: usize) -> String {
    let values = (0..n)
        .map(|i| format!("($1, $2, ${}, ${})", 3 + 2 * i, 4 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    format!("INSERT INTO journey_events (journey_id, at, kind, detail) VALUES {values}")
}

/// The limits a submission counts at once: `n` of them, their scope, key, max, window and what
/// the hit adds bound from `$base` on, five each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counted {
    n: usize,
    base: usize,
}

impl Counted {
    /// True while no limit is at its max (read before any is counted).
    fn under_max(self) -> String {
        (0..self.n)
            .map(|i| {
                let b = self.base + 5 * i;
                format!(
                    "NOT EXISTS (SELECT 1 FROM rate_counters WHERE scope = ${b} AND key = ${} \
                     AND window_start > $1 - ${} AND hits >= ${})",
                    b + 1,
                    b + 3,
                    b + 2
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `lim(s, k, m, w, a)`: the limits as rows.
    fn values(self) -> String {
        let rows = (0..self.n)
            .map(|i| {
                let b = self.base + 5 * i;
                format!("(${b}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("lim(s, k, m, w, a) AS (VALUES {rows})")
    }

    /// Counts every limit of `lim`, from `rows` (`lim`, joined with what must exist for the count).
    fn upsert(rows: &str) -> String {
        format!(
            "INSERT INTO rate_counters (scope, key, window_start, hits, last_at, cap, window_ms) \
             SELECT lim.s, lim.k, $1, lim.a, $1, lim.m, lim.w FROM {rows} {}",
            super::limits::UPSERT_SET
        )
    }
}

/// PostgreSQL's one statement for a submission's journey, `events` events, its link (`link`) and
/// its text (`texted`); it returns the journey's id, or nothing when the journey is taken or
/// changed. `$1` is now; the journey's three keys (`New`: public id, operator, invite; `Read`:
/// id, member and number as read) `$2`–`$4`; its new step, outcome, member and number `$5`–`$8`;
/// kind and detail per event; then the link's token hash, expiry, code hash, member and number;
/// then the text's operator and body.
///
/// With `counted`, the statement counts the limits too, and writes only while none is at its
/// max (`g`); it returns that and the journey's id. A limit that reached its max meanwhile (a
/// racing submission counted the last hit first) fails the statement with a division by zero,
/// so nothing of it is written: the caller then counts in a transaction of its own.
fn pg_tail_sql(
    journey: &SubmittedJourney<'_>,
    events: usize,
    link: bool,
    texted: bool,
    counted: Option<Counted>,
) -> String {
    let guard = if counted.is_some() {
        " AND (SELECT ok FROM g)"
    } else {
        ""
    };
    let mut ctes = Vec::new();
    if let Some(c) = counted {
        ctes.push(format!("g AS (SELECT {} AS ok)", c.under_max()));
    }
    ctes.push(match journey {
        SubmittedJourney::New { .. } => format!(
            "j AS (INSERT INTO journeys (public_id, operator_id, invite_id, step, \
             outcome, member_id, entered_mobile, started_at, updated_at) \
             SELECT $2, $3, $4, $5, $6, $7, $8, $1, $1 WHERE true{guard} \
             ON CONFLICT (public_id) DO NOTHING RETURNING id)"
        ),
        SubmittedJourney::Read { .. } => format!(
            "j AS (UPDATE journeys SET step = $5, outcome = $6, member_id = $7, \
             entered_mobile = $8, updated_at = $1 WHERE id = $2 AND COALESCE(member_id, -1) = COALESCE($3, -1) \
             AND COALESCE(entered_mobile, '') = COALESCE($4, ''){guard} RETURNING id)"
        ),
    });
    let values = (0..events)
        .map(|i| format!("(${}::text, ${}::text, {i})", 9 + 2 * i, 10 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    ctes.push(format!(
        "e AS (INSERT INTO journey_events (journey_id, at, kind, detail) \
         SELECT j.id, $1, v.kind, v.detail FROM j, (VALUES {values}) AS v(kind, detail, n) ORDER BY v.n)"
    ));
    let k = 9 + 2 * events;
    if link {
        if matches!(journey, SubmittedJourney::Read { .. }) {
            ctes.push(
                "r AS (UPDATE link_tokens SET revoked_at = $1 WHERE journey_id IN (SELECT id FROM j) \
                 AND revoked_at IS NULL)"
                    .to_owned(),
            );
        }
        ctes.push(format!(
            "l AS (INSERT INTO link_tokens (journey_id, token_hash, expires_at, created_at, code_hash, \
             member_id, to_e164) SELECT j.id, ${k}, ${}, $1, ${}, ${}, ${} FROM j)",
            k + 1,
            k + 2,
            k + 3,
            k + 4
        ));
        if texted {
            ctes.push(format!(
                "o AS (INSERT INTO sms_outbox (journey_id, operator_id, to_e164, body, status, attempts, \
                 next_attempt_at, created_at) SELECT j.id, ${}, ${}, ${}, 'queued', 0, $1, $1 FROM j)",
                k + 5,
                k + 4,
                k + 6
            ));
        }
    }
    let Some(c) = counted else {
        return format!("WITH {} SELECT id FROM j", ctes.join(", "));
    };
    ctes.push(c.values());
    ctes.push(format!("c AS ({} RETURNING 1)", Counted::upsert("lim, j")));
    format!(
        "WITH {} SELECT g.ok, j.id FROM g LEFT JOIN j ON true \
         WHERE 1 / (CASE WHEN j.id IS NULL OR (SELECT count(*) FROM c) = {} THEN 1 ELSE 0 END) = 1",
        ctes.join(", "),
        c.n
    )
}

/// SQLite's batch for a new journey, with `pg_tail_sql`'s parameters: the statements run in
/// order on the connection's thread, each finding the journey by its public id (`$2`); a public
/// id taken meanwhile fails the first insert, and the batch with it.
///
/// With `counted`, the batch is the whole transaction (one hand-over to the writer's group
/// commit, `batch::LiteGroup`, so the write lock never waits on the caller): every statement
/// writes only while no limit is at its max, read before the limits are counted last; the batch
/// returns that and the journey's id.
fn sqlite_new_tail_sql(
    events: usize,
    link: bool,
    texted: bool,
    counted: Option<Counted>,
) -> String {
    const J: &str = "(SELECT id FROM journeys WHERE public_id = $2)";
    let guard = counted.map(Counted::under_max);
    let only = |sql: String| match &guard {
        Some(g) => format!("SELECT * FROM ({sql}) WHERE {g}"),
        None => sql,
    };
    let mut sql = Vec::new();
    sql.push(format!(
        "INSERT INTO journeys (public_id, operator_id, invite_id, step, outcome, member_id, \
         entered_mobile, started_at, updated_at) {}",
        only("VALUES ($2, $3, $4, $5, $6, $7, $8, $1, $1)".to_owned())
    ));
    let values = (0..events)
        .map(|i| format!("({J}, $1, ${}, ${})", 9 + 2 * i, 10 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(format!(
        "INSERT INTO journey_events (journey_id, at, kind, detail) {}",
        only(format!("VALUES {values}"))
    ));
    let k = 9 + 2 * events;
    if link {
        sql.push(format!(
            "INSERT INTO link_tokens (journey_id, token_hash, expires_at, created_at, code_hash, member_id, \
             to_e164) {}",
            only(format!(
                "VALUES ({J}, ${k}, ${}, $1, ${}, ${}, ${})",
                k + 1,
                k + 2,
                k + 3,
                k + 4
            ))
        ));
        if texted {
            sql.push(format!(
                "INSERT INTO sms_outbox (journey_id, operator_id, to_e164, body, status, attempts, \
                 next_attempt_at, created_at) {}",
                only(format!(
                    "VALUES ({J}, ${}, ${}, ${}, 'queued', 0, $1, $1)",
                    k + 5,
                    k + 4,
                    k + 6
                ))
            ));
        }
    }
    match (counted, guard) {
        (Some(c), Some(g)) => {
            sql.push(format!("SELECT {g}, {J}"));
            sql.push(format!(
                "WITH {} {}",
                c.values(),
                Counted::upsert(&format!("lim WHERE {g}"))
            ));
        }
        _ => sql.push(J[1..J.len() - 1].to_owned()),
    }
    sql.join("; ")
}

/// What a submission writes once its limits are counted (`refused`, the one that refused).
struct Planned<'s> {
    events: Vec<(&'s str, &'s str)>,
    /// The journey's step, outcome, member and number after it.
    state: (&'s str, Option<&'s str>, Option<i64>, Option<&'s str>),
    link: Option<&'s QueueLinkSms<'s>>,
    texted: bool,
}

fn plan<'s>(
    s: &'s Submission<'s>,
    writes: &'s [JourneyWrite],
    refused: Option<Refusal>,
) -> Planned<'s> {
    let link = s.link.as_ref().filter(|_| refused.is_none());
    let texted = link.is_some_and(|l| l.member_id.is_some());
    let mut events: Vec<(&str, &str)> = Vec::with_capacity(writes.len() + 2);
    let start = match s.journey {
        SubmittedJourney::New { channel, .. } => {
            events.push((Event::InviteOpened.as_str(), channel));
            (Step::InviteOpened.as_str(), None, None, None)
        }
        SubmittedJourney::Read {
            step,
            outcome,
            member_id,
            entered_mobile,
            ..
        } => (step, outcome, member_id, entered_mobile),
    };
    let mut state = fold(start, writes);
    if texted {
        state.0 = Step::SmsQueued.as_str();
    }
    events.extend(writes.iter().map(|w| (w.event.as_str(), w.detail.as_str())));
    if let (true, Some(l)) = (texted, link) {
        events.push((Event::SmsQueued.as_str(), l.detail));
    }
    Planned {
        events,
        state,
        link,
        texted,
    }
}

/// `pg_tail_sql`'s parameters, in order.
fn tail_args(s: &Submission<'_>, p: &Planned<'_>, now: i64) -> Vec<Arg> {
    let mut args = vec![Arg::int(now)];
    match s.journey {
        SubmittedJourney::New {
            public_id,
            operator_id,
            invite_id,
            ..
        } => args.extend([
            Arg::text(public_id),
            Arg::int(operator_id),
            Arg::int(invite_id),
        ]),
        SubmittedJourney::Read {
            id,
            member_id,
            entered_mobile,
            ..
        } => args.extend([
            Arg::int(id),
            Arg::Int(member_id),
            Arg::opt_text(entered_mobile),
        ]),
    }
    let (step, outcome, member_id, entered_mobile) = p.state;
    args.extend([
        Arg::text(step),
        Arg::opt_text(outcome),
        Arg::Int(member_id),
        Arg::opt_text(entered_mobile),
    ]);
    for (kind, detail) in &p.events {
        args.extend([Arg::text(kind), Arg::text(detail)]);
    }
    if let Some(l) = p.link {
        args.extend([
            Arg::text(l.token_hash),
            Arg::int(l.expires_at),
            Arg::opt_text(l.code_hash),
            Arg::Int(l.member_id),
            Arg::text(l.to_e164),
        ]);
        if p.texted {
            args.extend([Arg::int(l.operator_id), Arg::text(l.body)]);
        }
    }
    args
}

/// A statement that a limit reached meanwhile stopped (see `pg_tail_sql`).
fn division_by_zero(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("22012"))
}

impl Store {
    /// Writes a decided submission in one transaction (see `Submission`).
    pub async fn write_submission(&self, s: &Submission<'_>) -> Result<Written> {
        let now = now_ms();
        let postgres = self.is_postgres();
        let new_journey = matches!(s.journey, SubmittedJourney::New { .. });
        // The gate's and the text's limits in one statement: a text refused leaves the gate's
        // hits counted, a gate refused counts nothing.
        let mut counts: Vec<Count<'_>> = s.gate.to_vec();
        if s.link.is_some() {
            counts.extend_from_slice(s.texts);
        }
        // Most submissions pass every limit: they are written in one hand-over, limits and all.
        // One a limit stops, or would, is written below, in a transaction that counts first.
        if (postgres || new_journey) && counts.iter().all(|c| c.max > 0) {
            if let Some(written) = self.write_at_once(s, &counts, now).await? {
                return Ok(written);
            }
        }
        on_pool!(self, |p| {
            let mut tx = p.write().await?;
            let gate = s.gate.len();
            let refused =
                count_hits!(tx, &counts, now, gate).map(|(index, retry_after_ms)| Refusal {
                    gate: index < gate,
                    index: if index < gate { index } else { index - gate },
                    retry_after_ms,
                });
            if refused.is_some_and(|r| !r.gate) {
                count_hits!(tx, s.on_text_refused, now);
            }
            // The address's own limit writes nothing more once it has said so: a journey that
            // does not exist yet is not started (an address past its limit adds no rows), and one
            // whose outcome already is "rate limited" stays as it is. (An invite's or poster's
            // ceiling is recorded: the dashboard shows who it stopped.)
            if refused.is_some_and(|r| r.gate && r.index < s.address_gates) {
                let said = match s.journey {
                    SubmittedJourney::New { .. } => true,
                    SubmittedJourney::Read { outcome, .. } => {
                        outcome == Some(Outcome::RateLimited.as_str())
                    }
                };
                if said {
                    tx.commit().await?;
                    let journey_id = match s.journey {
                        SubmittedJourney::Read { id, .. } => Some(id),
                        SubmittedJourney::New { .. } => None,
                    };
                    return Ok(Written::Done {
                        journey_id,
                        refused,
                    });
                }
            }
            let mut writes: Vec<JourneyWrite> = match refused {
                Some(r) if r.gate => Vec::new(),
                _ => s.writes.to_vec(),
            };
            if let Some(r) = refused {
                writes.extend((s.refused)(r));
            }
            let planned = plan(s, &writes, refused);
            let (step, outcome, member_id, entered_mobile) = planned.state;
            let (events, link, texted) = (&planned.events, planned.link, planned.texted);

            // The journey, its events, the link and its text in one round trip: on PostgreSQL
            // one statement; on SQLite, for a new journey, one batch of statements (one hand-over
            // to the connection's thread). A journey moved on runs them one by one on SQLite.
            if postgres || new_journey {
                let sql = if postgres {
                    pg_tail_sql(&s.journey, events.len(), link.is_some(), texted, None)
                } else {
                    sqlite_new_tail_sql(events.len(), link.is_some(), texted, None)
                };
                let args = tail_args(s, &planned, now);
                let q = bind_args!(sqlx::query_scalar::<_, i64>(&sql), &args);
                let journey_id = match q.fetch_optional(&mut *tx).await {
                    Ok(Some(id)) => id,
                    Ok(None) => return Ok(Written::Changed),
                    // SQLite's batch inserts without ON CONFLICT: a public id taken meanwhile.
                    Err(err) if super::unique_violation(&err) => return Ok(Written::Changed),
                    Err(err) => return Err(err.into()),
                };
                tx.commit().await?;
                return Ok(Written::Done {
                    journey_id: Some(journey_id),
                    refused,
                });
            }
            let journey_id: i64 = match s.journey {
                SubmittedJourney::New {
                    public_id,
                    operator_id,
                    invite_id,
                    ..
                } => {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO journeys (public_id, operator_id, invite_id, step, outcome, member_id, \
                         entered_mobile, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                         ON CONFLICT (public_id) DO NOTHING RETURNING id",
                    )
                    .bind(public_id)
                    .bind(operator_id)
                    .bind(invite_id)
                    .bind(step)
                    .bind(outcome)
                    .bind(member_id)
                    .bind(entered_mobile)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match id {
                        Some(id) => id,
                        None => return Ok(Written::Changed),
                    }
                }
                SubmittedJourney::Read {
                    id,
                    member_id: read_member,
                    entered_mobile: read_mobile,
                    ..
                } => {
                    let n = sqlx::query(
                        "UPDATE journeys SET step = $2, outcome = $3, member_id = $4, entered_mobile = $5, \
                         updated_at = $6 WHERE id = $1 AND COALESCE(member_id, -1) = COALESCE($7, -1) \
                         AND COALESCE(entered_mobile, '') = COALESCE($8, '')",
                    )
                    .bind(id)
                    .bind(step)
                    .bind(outcome)
                    .bind(member_id)
                    .bind(entered_mobile)
                    .bind(now)
                    .bind(read_member)
                    .bind(read_mobile)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Ok(Written::Changed);
                    }
                    id
                }
            };

            let sql = events_sql(events.len());
            let mut q = sqlx::query(&sql).bind(journey_id).bind(now);
            for (kind, detail) in events {
                q = q.bind(*kind).bind(*detail);
            }
            q.execute(&mut *tx).await?;

            if let Some(l) = link {
                write_link!(tx, journey_id, now, l);
            }
            tx.commit().await?;
            Ok(Written::Done {
                journey_id: Some(journey_id),
                refused,
            })
        })
    }

    /// A submission that no limit stops, written in one hand-over: on PostgreSQL one statement,
    /// on SQLite one batch that is the whole transaction. `None` when a limit is at its max (or
    /// reached it meanwhile): nothing was written.
    async fn write_at_once(
        &self,
        s: &Submission<'_>,
        counts: &[Count<'_>],
        now: i64,
    ) -> Result<Option<Written>> {
        let planned = plan(s, s.writes, None);
        let (events, link, texted) = (planned.events.len(), planned.link.is_some(), planned.texted);
        let mut args = tail_args(s, &planned, now);
        let counted = Counted {
            n: counts.len(),
            base: args.len() + 1,
        };
        for c in counts {
            args.extend([
                Arg::text(c.scope),
                Arg::text(c.key),
                Arg::int(c.max),
                Arg::int(c.window_ms),
                Arg::int(c.add),
            ]);
        }
        let answer = match &self.db {
            Db::Postgres(_) => {
                // Every PostgreSQL store has its group commit (`Store::with`).
                let Some(grouped) = &self.grouped else {
                    return Ok(None);
                };
                let sql = pg_tail_sql(&s.journey, events, link, texted, Some(counted));
                match grouped.write(sql, args).await {
                    Err(err) if division_by_zero(&err) => return Ok(None),
                    answer => answer?,
                }
            }
            Db::Sqlite(lite) => {
                let sql = sqlite_new_tail_sql(events, link, texted, Some(counted));
                let rows = super::batch::lite::<(bool, Option<i64>)>(lite, sql, args).await;
                match rows {
                    Ok(rows) => rows.into_iter().next().unwrap_or((false, None)),
                    // A public id taken meanwhile.
                    Err(err) if super::unique_violation(&err) => return Ok(Some(Written::Changed)),
                    Err(err) => return Err(err.into()),
                }
            }
        };
        Ok(match answer {
            (false, _) => None,
            (true, None) => Some(Written::Changed),
            (true, Some(journey_id)) => Some(Written::Done {
                journey_id: Some(journey_id),
                refused: None,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fold_into_the_journey_they_leave() {
        let writes = [
            JourneyWrite {
                step: Some(Step::NumberEntered),
                entered_mobile: Some("+447400123001".into()),
                ..JourneyWrite::new(Event::NumberSubmitted, String::new())
            },
            JourneyWrite::new(Event::RateLimited, String::new()),
            JourneyWrite {
                step: Some(Step::Matched),
                member_id: Some(3),
                ..JourneyWrite::new(Event::MemberMatched, String::new())
            },
        ];
        assert_eq!(
            fold(("invite_opened", Some("not_found"), None, None), &writes),
            ("matched", None, Some(3), Some("+447400123001")),
            "the last step and its outcome, the first member, the last number"
        );
        assert_eq!(
            fold(("matched", None, Some(2), Some("+1")), &writes[2..]),
            ("matched", None, Some(2), Some("+1")),
            "a journey's member never changes"
        );
    }

    #[test]
    fn sqlite_finds_the_new_journey_by_its_public_id_in_every_statement() {
        let sql = sqlite_new_tail_sql(2, true, true, None);
        assert_eq!(
            sql.matches("(SELECT id FROM journeys WHERE public_id = $2)")
                .count(),
            4
        );
        assert!(
            sql.ends_with("; SELECT id FROM journeys WHERE public_id = $2"),
            "{sql}"
        );
        assert!(!sqlite_new_tail_sql(1, true, false, None).contains("sms_outbox"));
    }

    #[test]
    fn several_events_are_one_statement() {
        assert_eq!(
            events_sql(2),
            "INSERT INTO journey_events (journey_id, at, kind, detail) VALUES ($1, $2, $3, $4), ($1, $2, $5, $6)"
        );
    }
}
