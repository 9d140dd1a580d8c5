//! A write in one hand-over. sqlx runs each SQLite connection on a thread of its own, and a
//! transaction written statement by statement holds the one write lock while the task that
//! owns it waits its turn on the runtime between statements, behind every other request. A
//! batch that is the whole transaction (`BEGIN IMMEDIATE` … `COMMIT`) goes to that thread once
//! and holds the lock only while it runs. On PostgreSQL the same write is one statement (a CTE),
//! committed on its own.

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

/// Runs `sql`, statements that begin and commit their own transaction (or one statement), on
/// the hot writer in one hand-over, and returns the rows its statements return. On its own task:
/// a request dropped halfway (the phone went away) must not leave the transaction open on the
/// writer. A batch that stops at an error is rolled back.
pub(super) async fn lite<T>(lite: &super::Lite, sql: String, args: Vec<Arg>) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin + 'static,
{
    let (hot, busy) = (lite.hot.clone(), lite.busy);
    tokio::spawn(async move {
        let mut conn = super::Lite::writing(&hot, busy).await?;
        let rows = bind_args!(sqlx::query_as::<_, T>(&sql), &args)
            .fetch_all(&mut *conn)
            .await;
        if rows.is_err() {
            // Nothing to roll back when BEGIN itself failed: that error is the answer.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        rows
    })
    .await
    .map_err(|_| sqlx::Error::WorkerCrashed)?
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
