//! Throw-away PostgreSQL databases: created on the server an admin URL names, dropped again when
//! their guard goes out of scope (at the end of the test, passed or failed).
//!
//! Also used by the benches (server/benches/support), so it names nothing else in `common`.

/// A database of its own on a PostgreSQL server, dropped (`WITH (FORCE)`, so connections still
/// open do not keep it) when this goes out of scope.
pub struct TestDatabase {
    /// The database's URL.
    pub url: String,
    pub name: String,
    admin_url: String,
    keep: bool,
}

impl TestDatabase {
    /// A fresh database named `{prefix}_{random}` on the server `admin_url` names.
    pub async fn create(admin_url: &str, prefix: &str) -> TestDatabase {
        let name = format!(
            "{prefix}_{}",
            domain::tokens::Token::generate(9)
                .expose()
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        let admin = domain::store::Store::connect_admin(admin_url)
            .await
            .expect("the PostgreSQL test server is reachable");
        admin.create_database(&name).await.expect("a test database");
        admin.close().await;
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("a database URL ends with /dbname");
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
            admin_url: admin_url.to_owned(),
            keep: false,
        }
    }

    /// Keeps the database after all (for a run to look at afterwards); its URL.
    pub fn keep(mut self) -> String {
        self.keep = true;
        std::mem::take(&mut self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        // Drop is synchronous and may run inside a test's (current-thread) runtime, which
        // cannot be blocked on: the DROP runs on a thread with a small runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                use sqlx::Connection as _;
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        // Never panic here: a drop while a failed test unwinds would abort the test binary.
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("note: test database {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("note: dropping test database {} panicked", self.name),
        }
    }
}
