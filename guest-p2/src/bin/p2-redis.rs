//! A redis client written for stock tokio with the `redis` crate
//! (`tokio-comp`), unmodified: `p2-redis redis://IP:PORT KEY` sets, bumps,
//! reads and deletes KEY through a multiplexed connection, runs a pipeline,
//! and prints what the server answered. Use an IP literal: stock tokio
//! cannot resolve names on wasm32-wasip2.

use redis::AsyncCommands;

#[tokio::main(flavor = "current_thread")]
async fn main() -> redis::RedisResult<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let key = args.next().unwrap_or_else(|| "wasio-p2-redis".into());
    let client = redis::Client::open(url)?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let () = con.set(&key, 41).await?;
    let n: i64 = con.incr(&key, 1).await?;
    println!("incr: {n}");
    let back: String = con.get(&key).await?;
    println!("get: {back}");
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr(&key, 8)
        .incr(&key, 50)
        .query_async(&mut con)
        .await?;
    println!("pipeline: {a} {b}");
    let removed: i64 = con.del(&key).await?;
    println!("del: {removed}");
    let gone: Option<String> = con.get(&key).await?;
    println!("after del: {gone:?}");
    Ok(())
}
