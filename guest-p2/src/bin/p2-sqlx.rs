//! A PostgreSQL client written for stock tokio with sqlx (`postgres`,
//! `runtime-tokio`), unmodified: `p2-sqlx postgresql://USER@IP:PORT/DB`
//! opens a pool, makes a temporary table, inserts rows with bound
//! parameters, sums them, rolls a transaction back, and prints each
//! answer. Use an IP literal: stock tokio cannot resolve names on
//! wasm32-wasip2.

use sqlx::postgres::PgPoolOptions;
use sqlx::Row;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sqlx::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "postgresql://postgres@127.0.0.1:5432/postgres".into());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    println!(
        "server: {}",
        version.split_whitespace().next().unwrap_or("")
    );
    // One connection for the temporary table's whole life.
    let mut con = pool.acquire().await?;
    sqlx::query("CREATE TEMP TABLE notes (id INT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut *con)
        .await?;
    for (id, body) in [(1, "one"), (2, "two"), (3, "three")] {
        sqlx::query("INSERT INTO notes (id, body) VALUES ($1, $2)")
            .bind(id)
            .bind(body)
            .execute(&mut *con)
            .await?;
    }
    let row = sqlx::query("SELECT COUNT(*) AS n, SUM(id)::INT AS total FROM notes")
        .fetch_one(&mut *con)
        .await?;
    let (n, total): (i64, i32) = (row.try_get("n")?, row.try_get("total")?);
    println!("rows: {n}, sum of ids: {total}");
    let mut tx = sqlx::Connection::begin(&mut *con).await?;
    sqlx::query("DELETE FROM notes").execute(&mut *tx).await?;
    tx.rollback().await?;
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notes")
        .fetch_one(&mut *con)
        .await?;
    println!("after rollback: {kept}");
    let longest: String =
        sqlx::query_scalar("SELECT body FROM notes ORDER BY length(body) DESC LIMIT 1")
            .fetch_one(&mut *con)
            .await?;
    println!("longest: {longest}");
    Ok(())
}
