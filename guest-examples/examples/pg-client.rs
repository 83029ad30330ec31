//! `pg-client URL`: tokio-postgres over a wasio `TcpStream`, through
//! `Config::connect_raw` (tokio-postgres without its `runtime` feature,
//! which needs tokio's sockets).
//!
//! `wasio run --unknown-imports trap --allow-connect 127.0.0.1:5432
//! pg-client.wasm postgresql://postgres@127.0.0.1:5432/postgres`
//!
//! `--unknown-imports trap` because tokio-postgres links whoami 2, which
//! imports WASI 0.2 functions it calls only to guess a user name — give
//! the user in the URL and it is never called. TLS to the server is off
//! (`sslmode=disable` behaviour): use a loopback or trusted network.
//!
//! It prints the server's version, then makes a temporary table, writes
//! rows with a prepared statement, reads them back in a transaction and
//! prints `pg-client: ok` with what it checked.

use std::error::Error;

use tokio_postgres::NoTls;

#[wasio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: pg-client postgresql://USER[:PASSWORD]@HOST:PORT/DB")?;
    let config: tokio_postgres::Config = url.parse()?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => return Err("pg-client: the URL needs a TCP host".into()),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let tcp = wasio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("pg-client: connect {host}:{port}: {e}"))?;
    tcp.set_nodelay(true)?;
    let (mut client, connection) = config.connect_raw(tcp, NoTls).await?;
    wasio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("pg-client: connection: {e}");
        }
    });

    let row = client.query_one("SELECT version()", &[]).await?;
    let version: String = row.get(0);
    println!("server: {version}");

    client
        .batch_execute("CREATE TEMP TABLE wasio_pg (id INT PRIMARY KEY, name TEXT NOT NULL)")
        .await?;
    let insert = client
        .prepare("INSERT INTO wasio_pg (id, name) VALUES ($1, $2)")
        .await?;
    let names = ["wasm", "wasi", "wasio", "tokio", "postgres"];
    for (i, name) in names.iter().enumerate() {
        client.execute(&insert, &[&(i as i32), name]).await?;
    }
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "SELECT id, name FROM wasio_pg WHERE id >= $1 ORDER BY id",
            &[&1i32],
        )
        .await?;
    let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    tx.commit().await?;
    let sum: i64 = client
        .query_one("SELECT sum(id)::BIGINT FROM wasio_pg", &[])
        .await?
        .get(0);
    for (id, name) in &got {
        println!("row {id} {name}");
    }
    let expected = names.len() as i64 * (names.len() as i64 - 1) / 2;
    if got.len() != names.len() - 1 || sum != expected {
        return Err(format!("pg-client: read back {} rows, sum {sum}", got.len()).into());
    }
    println!(
        "pg-client: ok ({} rows written, {} read back, sum {sum})",
        names.len(),
        got.len()
    );
    Ok(())
}
