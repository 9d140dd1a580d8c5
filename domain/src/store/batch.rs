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
    let hot = lite.hot.clone();
    tokio::spawn(async move {
        let mut conn = hot.lock().await;
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
