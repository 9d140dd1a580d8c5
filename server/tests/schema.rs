//! Guards the two migration folders (`domain/migrations/sqlite` and `domain/migrations/postgres`)
//! against drifting apart. A fresh SQLite file and a fresh PostgreSQL database are migrated with
//! `Store::connect`, each schema is read back from the database's own catalogue, and the two are
//! compared: tables; columns (a normalised type kind, nullability, default, generated id);
//! primary keys; UNIQUE constraints (as column lists per table: SQLite names them
//! `sqlite_autoindex_*`, PostgreSQL `*_key`); and named indexes (table, columns, unique, partial
//! WHERE). CHECK constraints, foreign keys and triggers are not compared. The failure lists every
//! difference.
//!
//! Needs ELUMO_TEST_DATABASE_URL like the rest of the PostgreSQL suite; without it the test is
//! skipped with a note (so `make test` without PostgreSQL still passes; `.ci/run` sets it).

mod common;

use std::collections::BTreeMap;

use sqlx::Row as _;

/// One schema as comparable facts: what (`column operators.slug`) → its description
/// (`text not null`; empty when the fact is only that it exists, as for a table). Two schemas
/// agree when their facts are equal.
type Facts = BTreeMap<String, String>;

/// sqlx's own bookkeeping, present on both sides but not part of the schema.
const SQLX_TABLE: &str = "_sqlx_migrations";

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    let Some(postgres) = common::postgres_store().await else {
        eprintln!(
            "note: the SQLite/PostgreSQL schema comparison is SKIPPED: set {} to a PostgreSQL \
             server URL (as .ci/run does) to compare the two migration folders",
            common::PG_ENV
        );
        return;
    };
    let sqlite = common::sqlite_store().await;
    let lite = sqlite_facts(&sqlite.url).await;
    let pg = postgres_facts(&postgres.url).await;
    for side in [&lite, &pg] {
        assert!(
            side.contains_key("table operators"),
            "the schema reader found no operators table: {side:#?}"
        );
    }
    let diff = differences(&lite, &pg);
    assert!(
        diff.is_empty(),
        "domain/migrations/sqlite and domain/migrations/postgres make different schemas \
         ({} differences):\n{}",
        diff.len(),
        diff.join("\n")
    );
}

// ---- comparing ----

/// Every fact present on one side only, or described differently, one readable line each.
fn differences(sqlite: &Facts, postgres: &Facts) -> Vec<String> {
    let mut keys: Vec<&String> = sqlite.keys().chain(postgres.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| match (sqlite.get(key), postgres.get(key)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(format!(
                "  {key}:\n      sqlite:   {a}\n      postgres: {b}"
            )),
            (Some(a), None) => Some(format!("  {key}: only in sqlite{}", aside(a))),
            (None, Some(b)) => Some(format!("  {key}: only in postgres{}", aside(b))),
            (None, None) => None,
        })
        .collect()
}

/// A fact's description in parentheses, when it has more to say than that it exists.
fn aside(description: &str) -> String {
    if description.is_empty() {
        String::new()
    } else {
        format!(" ({description})")
    }
}

/// A declared or catalogue type as a small kind, so INTEGER and BIGINT (both 64-bit here) agree.
/// An unknown type stays as written, so it shows in the diff.
fn type_kind(declared: &str) -> String {
    let lower = declared.trim().to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or_default().trim();
    let kind = match base {
        "integer" | "int" | "bigint" | "smallint" | "tinyint" | "int2" | "int4" | "int8"
        | "serial" | "bigserial" | "smallserial" => "integer",
        "text" | "varchar" | "character varying" | "char" | "character" | "clob" => "text",
        "real" | "double" | "double precision" | "float" | "float4" | "float8" => "real",
        "blob" | "bytea" => "blob",
        "boolean" | "bool" => "boolean",
        _ => return lower,
    };
    kind.to_owned()
}

/// An SQL fragment (a default, an index's WHERE) in a form both dialects print alike: outside
/// quoted strings, lower case, no parentheses (PostgreSQL adds them around every term), no
/// `::type` casts (PostgreSQL adds `'x'::text`), single spaces.
fn normalise_sql(fragment: &str) -> String {
    let mut out = String::new();
    let mut chars = fragment.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            out.push(c);
            quoted = c != '\'';
            continue;
        }
        match c {
            '\'' => {
                quoted = true;
                out.push(c);
            }
            '(' | ')' => {}
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                while chars
                    .peek()
                    .is_some_and(|t| t.is_ascii_alphanumeric() || *t == '_')
                {
                    chars.next();
                }
            }
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out.trim_end().to_owned()
}

/// How a column reads in the diff: `integer not null default 0`.
fn describe_column(kind: &str, not_null: bool, default: Option<&str>, generated: bool) -> String {
    let mut text = format!("{kind} {}", if not_null { "not null" } else { "null" });
    if let Some(default) = default {
        text.push_str(&format!(" default {}", normalise_sql(default)));
    }
    if generated {
        text.push_str(" generated id");
    }
    text
}

/// How a named index reads in the diff: `unique on credentials (member_id) where …`.
fn describe_index(
    table: &str,
    columns: &[String],
    unique: bool,
    predicate: Option<&str>,
) -> String {
    let mut text = format!(
        "{}on {table} ({})",
        if unique { "unique " } else { "" },
        columns.join(", ")
    );
    if let Some(predicate) = predicate {
        text.push_str(&format!(" where {}", normalise_sql(predicate)));
    }
    text
}

/// A catalogue's column name without PostgreSQL's quoting of keywords (`"key"`).
fn unquote(name: &str) -> String {
    name.trim_matches('"').to_owned()
}

// ---- reading SQLite ----

async fn sqlite_facts(url: &str) -> Facts {
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("open the migrated SQLite file");
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> $1 ORDER BY name",
    )
    .bind(SQLX_TABLE)
    .fetch_all(&pool)
    .await
    .expect("list SQLite tables");
    let mut facts = Facts::new();
    for (table, sql) in &tables {
        facts.insert(format!("table {table}"), String::new());
        sqlite_columns(&pool, table, sql, &mut facts).await;
        sqlite_indexes(&pool, table, &mut facts).await;
    }
    pool.close().await;
    facts
}

/// Columns and the primary key. SQLite reports a primary key column as nullable (an INTEGER
/// PRIMARY KEY is the rowid and never NULL; PostgreSQL makes every key column NOT NULL), so key
/// columns count as NOT NULL. Its rowid with AUTOINCREMENT is what PostgreSQL's identity is.
async fn sqlite_columns(pool: &sqlx::SqlitePool, table: &str, sql: &str, facts: &mut Facts) {
    let rows = sqlx::query(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1) ORDER BY cid",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .expect("read SQLite columns");
    let mut key: Vec<(i64, String)> = Vec::new();
    for row in &rows {
        let name: String = row.get("name");
        let declared: String = row.get("type");
        let pk: i64 = row.get("pk");
        if pk > 0 {
            key.push((pk, name.clone()));
        }
        let not_null = row.get::<i64, _>("notnull") != 0 || pk > 0;
        let default: Option<String> = row.get("dflt_value");
        let rowid = pk > 0 && declared.eq_ignore_ascii_case("integer");
        let generated = rowid && sql.to_ascii_uppercase().contains("AUTOINCREMENT");
        facts.insert(
            format!("column {table}.{name}"),
            describe_column(
                &type_kind(&declared),
                not_null,
                default.as_deref(),
                generated,
            ),
        );
    }
    if !key.is_empty() {
        key.sort();
        let columns: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
        facts.insert(format!("primary key of {table}"), columns.join(", "));
    }
}

/// Named indexes (`CREATE INDEX`) by name; UNIQUE constraints by their columns. The primary
/// key's own index is covered by `sqlite_columns`.
async fn sqlite_indexes(pool: &sqlx::SqlitePool, table: &str, facts: &mut Facts) {
    let indexes = sqlx::query(
        "SELECT l.name, l.\"unique\", l.origin, m.sql FROM pragma_index_list($1) l \
         LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .expect("list SQLite indexes");
    for index in &indexes {
        let name: String = index.get("name");
        let origin: String = index.get("origin");
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(pool)
                .await
                .expect("read SQLite index columns");
        match origin.as_str() {
            "pk" => {}
            "u" => {
                facts.insert(
                    format!("unique constraint on {table} ({})", columns.join(", ")),
                    String::new(),
                );
            }
            _ => {
                let sql: Option<String> = index.get("sql");
                let predicate = sql.as_deref().and_then(sqlite_index_predicate);
                let unique = index.get::<i64, _>("unique") != 0;
                facts.insert(
                    format!("index {name}"),
                    describe_index(table, &columns, unique, predicate.as_deref()),
                );
            }
        }
    }
}

/// The WHERE of a partial index, from its `CREATE INDEX` text (SQLite keeps only the text).
fn sqlite_index_predicate(create: &str) -> Option<String> {
    let flat = create.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = flat.to_ascii_uppercase().find(" WHERE ")?;
    Some(flat[at + " WHERE ".len()..].to_owned())
}

// ---- reading PostgreSQL ----

async fn postgres_facts(url: &str) -> Facts {
    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("open the migrated PostgreSQL database");
    let mut facts = Facts::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> $1",
    )
    .bind(SQLX_TABLE)
    .fetch_all(&pool)
    .await
    .expect("list PostgreSQL tables");
    for table in &tables {
        facts.insert(format!("table {table}"), String::new());
    }
    postgres_columns(&pool, &mut facts).await;
    postgres_indexes(&pool, &mut facts).await;
    pool.close().await;
    facts
}

/// Columns. An identity (or serial) column is a generated id; its sequence is not a default.
async fn postgres_columns(pool: &sqlx::PgPool, facts: &mut Facts) {
    let rows = sqlx::query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, is_nullable = 'NO' AS not_null, \
                column_default::text AS column_default, is_identity = 'YES' AS identity \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> $1",
    )
    .bind(SQLX_TABLE)
    .fetch_all(pool)
    .await
    .expect("read PostgreSQL columns");
    for row in &rows {
        let table: String = row.get("table_name");
        let name: String = row.get("column_name");
        let data_type: String = row.get("data_type");
        let mut default: Option<String> = row.get("column_default");
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        if serial {
            default = None;
        }
        let generated = row.get::<bool, _>("identity") || serial;
        facts.insert(
            format!("column {table}.{name}"),
            describe_column(
                &type_kind(&data_type),
                row.get("not_null"),
                default.as_deref(),
                generated,
            ),
        );
    }
}

/// Primary keys and UNIQUE constraints (PostgreSQL backs both with an index), and named
/// indexes. Index columns are read in key order.
async fn postgres_indexes(pool: &sqlx::PgPool, facts: &mut Facts) {
    let rows = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS table_name, ix.indisunique AS is_unique, \
                c.contype::text AS constraint_kind, \
                pg_get_expr(ix.indpred, ix.indrelid) AS predicate, \
                ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) \
                      FROM generate_series(1, ix.indnkeyatts::int) AS k ORDER BY k) AS columns \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.contype IN ('p', 'u') \
         WHERE n.nspname = 'public' AND t.relname <> $1",
    )
    .bind(SQLX_TABLE)
    .fetch_all(pool)
    .await
    .expect("read PostgreSQL indexes");
    for row in &rows {
        let name: String = row.get("name");
        let table: String = row.get("table_name");
        let columns: Vec<String> = row
            .get::<Vec<String>, _>("columns")
            .iter()
            .map(|c| unquote(c))
            .collect();
        let constraint: Option<String> = row.get("constraint_kind");
        match constraint.as_deref() {
            Some("p") => {
                facts.insert(format!("primary key of {table}"), columns.join(", "));
            }
            Some(_) => {
                facts.insert(
                    format!("unique constraint on {table} ({})", columns.join(", ")),
                    String::new(),
                );
            }
            None => {
                let predicate: Option<String> = row.get("predicate");
                facts.insert(
                    format!("index {name}"),
                    describe_index(&table, &columns, row.get("is_unique"), predicate.as_deref()),
                );
            }
        }
    }
}

#[test]
fn normalising_makes_the_dialects_print_alike() {
    assert_eq!(
        normalise_sql("((source = 'digital'::text) AND (revoked_at IS NULL))"),
        normalise_sql("source = 'digital' AND revoked_at IS NULL")
    );
    assert_eq!(normalise_sql("'GB'::text"), "'GB'");
    assert_eq!(normalise_sql("TRUE"), "true");
    assert_eq!(type_kind("BIGINT"), type_kind("INTEGER"));
    assert_eq!(type_kind("character varying(64)"), "text");
    assert_eq!(
        type_kind("timestamp with time zone"),
        "timestamp with time zone"
    );
}
