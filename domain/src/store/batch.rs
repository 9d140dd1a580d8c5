//! A write in one hand-over, and writes that arrive together in one commit. sqlx runs each
//! SQLite connection on a thread of its own, and a transaction written statement by statement
//! holds the one write lock while the task that owns it waits its turn on the runtime between
//! statements, behind every other request. A body that is the whole transaction goes to that
//! thread once (`LiteGroup`, with the others waiting). On PostgreSQL the same write is one
//! statement (a CTE), committed with the others waiting (`Grouped`).

use sqlx::sqlite::SqliteRow;

/// A value a batch binds, owned: the batch runs on a task of its own.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Arg {
    pub(super) fn text(s: &str) -> Self {
        Arg::Text(Some(s.to_owned()))
    }

    pub(super) fn int(i: i64) -> Self {
        Arg::Int(Some(i))
    }

    pub(super) fn opt_text(s: Option<&str>) -> Self {
        Arg::Text(s.map(str::to_owned))
    }
}

/// Binds `args` in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::store::batch::Arg::Int(v) => q.bind(*v),
                $crate::store::batch::Arg::Text(v) => q.bind(v.as_deref()),
            };
        }
        q
    }};
}
pub(super) use bind_args;

/// Runs `body`, the statements of one transaction (or one statement), on the hot writer in one
/// hand-over, and returns the rows its statements return. The writer's task (`LiteGroup`) runs
/// it: a request dropped halfway (the phone went away) never leaves a transaction open. A body
/// that stops at an error writes nothing.
pub(super) async fn lite<T>(
    lite: &super::Lite,
    body: String,
    args: Vec<Arg>,
) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin + 'static,
{
    let rows = lite.group.write(body, args).await?;
    rows.iter().map(T::from_row).collect()
}

/// The most bodies one SQLite commit takes.
const LITE_GROUP: usize = 64;

/// SQLite's group commit. Every hot write (a submission, a text's claim and its outcome) is a
/// body sent to one task that owns the hot writer's turn: it takes the bodies waiting, writes
/// them in one `BEGIN IMMEDIATE` … `COMMIT`, each inside a savepoint of its own, and answers
/// each once the commit is done. The pages the writes share (the newest rows of each table and
/// index, a poster's counters) go to the log once per group instead of once per write, and the
/// turn is not handed from request to request between writes. Each body sees the ones before
/// it, so the limits stay exact; a body that fails is rolled back to its savepoint alone and
/// gets its error.
#[derive(Clone)]
pub(super) struct LiteGroup {
    jobs: tokio::sync::mpsc::UnboundedSender<LiteJob>,
}

struct LiteJob {
    body: String,
    args: Vec<Arg>,
    reply: tokio::sync::oneshot::Sender<sqlx::Result<Vec<SqliteRow>>>,
}

type Hot = std::sync::Arc<tokio::sync::Mutex<sqlx::SqliteConnection>>;

impl LiteGroup {
    /// Starts the writing task; it ends when the last clone of the store is dropped.
    pub(super) fn start(hot: Hot, busy: std::time::Duration) -> Self {
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_lite_groups(hot, busy, queue));
        LiteGroup { jobs }
    }

    async fn write(&self, body: String, args: Vec<Arg>) -> sqlx::Result<Vec<SqliteRow>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(LiteJob { body, args, reply })
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

async fn write_lite_groups(
    hot: Hot,
    busy: std::time::Duration,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<LiteJob>,
) {
    let mut jobs = Vec::with_capacity(LITE_GROUP);
    while queue.recv_many(&mut jobs, LITE_GROUP).await > 0 {
        let mut conn = match super::Lite::writing(&hot, busy).await {
            Ok(conn) => conn,
            Err(_) => {
                fail_all(&mut jobs, || sqlx::Error::PoolTimedOut);
                continue;
            }
        };
        // Waits (the busy timeout) while another process writes.
        if let Err(err) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            fail_all(&mut jobs, || failed(&err));
            continue;
        }
        let mut answers = Vec::with_capacity(jobs.len());
        let mut broken = None;
        for job in &jobs {
            let sql = format!("SAVEPOINT g; {}; RELEASE g", job.body);
            let rows = bind_args!(sqlx::query(&sql), &job.args)
                .fetch_all(&mut *conn)
                .await;
            match rows {
                Err(err) if !constraint(&err) => {
                    // An I/O or memory error may have ended the transaction itself: whatever
                    // ran after it would commit on its own. Nothing of the group is written.
                    broken = Some(err);
                    break;
                }
                Err(_) => {
                    let _ = sqlx::query("ROLLBACK TO g; RELEASE g")
                        .execute(&mut *conn)
                        .await;
                }
                Ok(_) => {}
            }
            answers.push(rows);
        }
        if let Some(err) = broken {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            fail_all(&mut jobs, || failed(&err));
            continue;
        }
        match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => {
                for (job, rows) in jobs.drain(..).zip(answers) {
                    let _ = job.reply.send(rows);
                }
            }
            Err(err) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                fail_all(&mut jobs, || failed(&err));
            }
        }
    }
}

/// Every job of a group that wrote nothing gets the group's error.
fn fail_all(jobs: &mut Vec<LiteJob>, err: impl Fn() -> sqlx::Error) {
    for job in jobs.drain(..) {
        let _ = job.reply.send(Err(err()));
    }
}

/// A statement refused by a constraint (a public id taken meanwhile): the transaction goes on.
fn constraint(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.kind() != sqlx::error::ErrorKind::Other)
}

fn failed(err: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("the write failed: {err}"))
}

/// What a submission's statement answers on PostgreSQL: whether no limit was at its max, and the
/// journey's id (see `submission::pg_tail_sql`).
pub(super) type Answer = (bool, Option<i64>);

/// The most submissions one commit takes.
const GROUP: usize = 64;

/// PostgreSQL's group commit for submissions. A submission's statement counts its limits, and a
/// limit shared by everyone (the poster's ceiling, the operator's hourly budget) is one row: each
/// transaction holds that row from its statement until its commit is on disk, so one commit per
/// submission made them wait for each other's flush, one at a time. One task writes the
/// submissions that arrive meanwhile in one transaction, one statement each, and commits once.
/// Inside it each statement sees the ones before, so the limits stay exact; a statement that
/// fails (a racing instance took a limit's last hit) has the group written again one by one, each
/// on its own, so only that submission gets its error.
#[derive(Clone)]
pub(super) struct Grouped {
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
}

struct Job {
    sql: String,
    args: Vec<Arg>,
    reply: tokio::sync::oneshot::Sender<sqlx::Result<Answer>>,
}

impl Grouped {
    /// Starts the writing task; it ends when the last clone of the store is dropped.
    pub(super) fn start(pool: sqlx::PgPool) -> Self {
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_groups(pool, queue));
        Grouped { jobs }
    }

    /// Writes one submission's statement, with whichever others are waiting.
    pub(super) async fn write(&self, sql: String, args: Vec<Arg>) -> sqlx::Result<Answer> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job { sql, args, reply })
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

async fn write_groups(pool: sqlx::PgPool, mut queue: tokio::sync::mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::with_capacity(GROUP);
    while queue.recv_many(&mut jobs, GROUP).await > 0 {
        if jobs.len() > 1 {
            match write_together(&pool, &jobs).await {
                Together::Committed(answers) => {
                    for (job, answer) in jobs.drain(..).zip(answers) {
                        let _ = job.reply.send(Ok(answer));
                    }
                }
                // Whether the commit reached the disk is unknown: writing again could write twice.
                Together::CommitFailed(err) => {
                    for job in jobs.drain(..) {
                        let _ = job.reply.send(Err(sqlx::Error::Protocol(format!(
                            "the commit failed: {err}"
                        ))));
                    }
                }
                Together::RolledBack => {}
            }
        }
        for job in jobs.drain(..) {
            let answer = bind_args!(sqlx::query_as::<_, Answer>(&job.sql), &job.args)
                .fetch_one(&pool)
                .await;
            let _ = job.reply.send(answer);
        }
    }
}

enum Together {
    Committed(Vec<Answer>),
    CommitFailed(sqlx::Error),
    /// A statement failed, so nothing was written.
    RolledBack,
}

async fn write_together(pool: &sqlx::PgPool, jobs: &[Job]) -> Together {
    let Ok(mut tx) = pool.begin().await else {
        return Together::RolledBack;
    };
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        match bind_args!(sqlx::query_as::<_, Answer>(&job.sql), &job.args)
            .fetch_one(&mut *tx)
            .await
        {
            Ok(answer) => answers.push(answer),
            Err(_) => {
                let _ = tx.rollback().await;
                return Together::RolledBack;
            }
        }
    }
    match tx.commit().await {
        Ok(()) => Together::Committed(answers),
        Err(err) => Together::CommitFailed(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies that arrive together commit together, and one that fails writes nothing of its
    /// own (its first statement included) while the others in its group are kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_body_in_a_group_writes_nothing_and_the_others_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("group.db").display());
        let store = crate::store::Store::connect(&url, 2).await.unwrap();
        let crate::store::Db::Sqlite(lite) = &store.db else {
            unreachable!()
        };
        let body = "INSERT INTO operators (slug, name, created_at) VALUES ($1, 'first', 0); \
                    INSERT INTO operators (slug, name, created_at) VALUES ($2, 'second', 0); \
                    SELECT COUNT(*) FROM operators";
        lite.group
            .write(body.into(), vec![Arg::text("taken-a"), Arg::text("taken")])
            .await
            .unwrap();
        // The writer's turn is held while the bodies queue, so they go in one group.
        let held = lite.hot.lock().await;
        let mut writes = Vec::new();
        for i in 0..40 {
            let second = if i % 4 == 3 {
                "taken".to_owned()
            } else {
                format!("b{i}")
            };
            let (group, first) = (lite.group.clone(), format!("a{i}"));
            writes.push(tokio::spawn(async move {
                group
                    .write(
                        body.into(),
                        vec![Arg::text(&first), Arg::Text(Some(second))],
                    )
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(held);
        let mut refused = 0;
        for (i, write) in writes.into_iter().enumerate() {
            match write.await.unwrap() {
                Ok(rows) => assert_eq!(rows.len(), 1, "body {i} answers its count"),
                Err(err) => {
                    assert!(crate::store::unique_violation(&err), "body {i}: {err}");
                    assert_eq!(i % 4, 3, "body {i} was refused");
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 10);
        let slugs: Vec<String> = sqlx::query_scalar("SELECT slug FROM operators ORDER BY id")
            .fetch_all(&lite.read)
            .await
            .unwrap();
        assert_eq!(slugs.len(), 2 + 30 * 2, "{slugs:?}");
        for i in 0..40 {
            let kept = slugs.contains(&format!("a{i}"));
            assert_eq!(kept, i % 4 != 3, "a{i} kept: {kept}");
        }
    }
}
