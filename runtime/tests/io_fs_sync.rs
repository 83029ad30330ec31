//! I/O helpers, files and channels.

mod common;

use std::io::Cursor;

use futures_util::StreamExt;

use wasio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, SeekFrom};

#[wasio::test]
async fn copy_and_split() {
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut out = Vec::new();
    let n = wasio::io::copy(&mut Cursor::new(data.clone()), &mut out)
        .await
        .unwrap();
    assert_eq!(n, 100_000);
    assert_eq!(out, data);
    let (mut r, mut w) = wasio::io::split(Cursor::new(Vec::new()));
    w.write_all(b"abc").await.unwrap();
    let mut s = String::new();
    r.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "");
}

#[wasio::test]
async fn files_round_trip() {
    let dir = common::scratch("files");
    let p = dir.join("a.txt");
    wasio::fs::write(&p, "line one\nline two\n").await.unwrap();
    assert_eq!(
        wasio::fs::read_to_string(&p).await.unwrap(),
        "line one\nline two\n"
    );

    let mut f = wasio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&p)
        .await
        .unwrap();
    f.seek(SeekFrom::Start(5)).await.unwrap();
    f.write_all(b"ONE").await.unwrap();
    f.seek(SeekFrom::Start(0)).await.unwrap();
    let mut lines = BufReader::new(f).lines();
    assert_eq!(lines.next_line().await.unwrap().unwrap(), "line ONE");
    assert_eq!(lines.next_line().await.unwrap().unwrap(), "line two");
    assert!(lines.next_line().await.unwrap().is_none());

    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    wasio::fs::write(dir.join("big"), &big).await.unwrap();
    assert_eq!(
        wasio::fs::copy(dir.join("big"), dir.join("big2"))
            .await
            .unwrap(),
        1_000_000
    );
    assert_eq!(wasio::fs::read(dir.join("big2")).await.unwrap(), big);
    wasio::fs::rename(dir.join("big2"), dir.join("big3"))
        .await
        .unwrap();
    assert!(!wasio::fs::try_exists(dir.join("big2")).await.unwrap());
    let meta = wasio::fs::metadata(dir.join("big3")).await.unwrap();
    assert_eq!(meta.len(), 1_000_000);

    let f = wasio::fs::File::open(dir.join("big3")).await.unwrap();
    drop(f);
    let f = wasio::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("big3"))
        .await
        .unwrap();
    f.set_len(10).await.unwrap();
    f.sync_all().await.unwrap();
    assert_eq!(f.metadata().await.unwrap().len(), 10);

    wasio::fs::create_dir_all(dir.join("x/y/z")).await.unwrap();
    wasio::fs::create_dir(dir.join("x/w")).await.unwrap();
    let mut names = Vec::new();
    let mut rd = wasio::fs::read_dir(dir.join("x")).await.unwrap();
    while let Some(e) = rd.next_entry().await.unwrap() {
        assert!(e.file_type().await.unwrap().is_dir());
        names.push(e.file_name().into_string().unwrap());
    }
    names.sort();
    assert_eq!(names, ["w", "y"]);
    let streamed: Vec<_> = wasio::fs::read_dir(&dir).await.unwrap().collect().await;
    assert_eq!(streamed.len(), 4);
    let err = wasio::fs::remove_dir(dir.join("x")).await.unwrap_err();
    assert_ne!(err.kind(), std::io::ErrorKind::NotFound);
    wasio::fs::remove_file(dir.join("a.txt")).await.unwrap();
    assert_eq!(
        wasio::fs::read(dir.join("a.txt")).await.unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    wasio::fs::remove_dir_all(&dir).await.unwrap();
    assert!(!wasio::fs::try_exists(&dir).await.unwrap());
}

#[wasio::test]
async fn a_big_file_copy_lets_other_tasks_run() {
    let dir = common::scratch("fair");
    let big = vec![7u8; 8 << 20];
    wasio::fs::write(dir.join("src"), &big).await.unwrap();
    let ticks = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let t = ticks.clone();
    let ticker = wasio::spawn(async move {
        loop {
            t.set(t.get() + 1);
            wasio::task::yield_now().await;
        }
    });
    wasio::fs::copy(dir.join("src"), dir.join("dst"))
        .await
        .unwrap();
    ticker.abort();
    assert!(
        ticks.get() > 1,
        "the other task ran {} times during the copy",
        ticks.get()
    );
    wasio::fs::remove_dir_all(&dir).await.unwrap();
}

#[wasio::test]
async fn channels_and_locks() {
    let (tx, mut rx) = wasio::sync::mpsc::channel::<u32>(4);
    let producer = wasio::spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    let mut sum = 0;
    while let Some(v) = rx.recv().await {
        sum += v;
    }
    producer.await.unwrap();
    assert_eq!(sum, 4950);

    let m = std::rc::Rc::new(wasio::sync::Mutex::new(0));
    let hs: Vec<_> = (0..10)
        .map(|_| {
            let m = m.clone();
            wasio::spawn(async move {
                let mut g = m.lock().await;
                let v = *g;
                wasio::task::yield_now().await;
                *g = v + 1;
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    assert_eq!(*m.lock().await, 10);

    let (btx, mut brx1) = wasio::sync::broadcast::channel::<u8>(4);
    let mut brx2 = btx.subscribe();
    btx.send(5).unwrap();
    assert_eq!(brx1.recv().await.unwrap(), 5);
    assert_eq!(brx2.recv().await.unwrap(), 5);

    let sem = wasio::sync::Semaphore::new(1);
    let g = sem.acquire().await.unwrap();
    assert!(sem.try_acquire().is_err());
    drop(g);
    assert!(sem.try_acquire().is_ok());

    // Unbounded mpsc, `recv() -> Option`, watch and Notify across tasks.
    let (utx, mut urx) = wasio::sync::mpsc::unbounded_channel();
    let (wtx, mut wrx) = wasio::sync::watch::channel(0u32);
    let notify = std::rc::Rc::new(wasio::sync::Notify::new());
    let n2 = notify.clone();
    let worker = wasio::spawn(async move {
        n2.notified().await;
        for i in 1..=3 {
            utx.send(i).unwrap();
            wtx.send(i).unwrap();
        }
    });
    notify.notify_one();
    let mut got = Vec::new();
    while let Some(v) = urx.recv().await {
        got.push(v);
    }
    worker.await.unwrap();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(*wrx.borrow_and_update(), 3);
}
