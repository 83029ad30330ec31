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

/// tokio's file shapes: `max_buf_size` caps each read and write (and a
/// clone keeps it), a vectored write writes every buffer, `DirBuilder`,
/// `try_into_std`, `From<std::fs::File>`, `symlink`, and tokio's `Debug`.
#[wasio::test]
async fn files_have_tokios_shapes() {
    let dir = common::scratch("file-shapes");
    let p = dir.join("f.txt");
    let mut f = wasio::fs::File::create(&p).await.unwrap();
    f.set_max_buf_size(3);
    assert_eq!(f.max_buf_size(), 3);
    // WASI preview1 has no `dup`: a clone is `Unsupported` there.
    #[cfg(not(target_os = "wasi"))]
    assert_eq!(f.try_clone().await.unwrap().max_buf_size(), 3);
    assert_eq!(f.write(b"hello").await.unwrap(), 3);
    f.set_max_buf_size(64);
    let bufs = [
        std::io::IoSlice::new(b"lo, "),
        std::io::IoSlice::new(b"world"),
    ];
    assert_eq!(f.write_vectored(&bufs).await.unwrap(), 9);
    assert!(format!("{f:?}").starts_with("wasio::fs::File { std: "));
    let std_file = f.try_into_std().expect("no operation is ever in flight");
    drop(std_file);
    assert_eq!(wasio::fs::read(&p).await.unwrap(), b"hello, world");

    let mut f = wasio::fs::File::from(std::fs::File::open(&p).unwrap());
    f.set_max_buf_size(5);
    let mut buf = [0u8; 64];
    assert_eq!(f.read(&mut buf).await.unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");

    let nested = dir.join("a/b/c");
    wasio::fs::DirBuilder::new()
        .recursive(true)
        .create(&nested)
        .await
        .unwrap();
    assert!(nested.is_dir());
    let err = wasio::fs::DirBuilder::new()
        .create(dir.join("x/y"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);

    // A relative target: under `wasio run` a link may only point down.
    wasio::fs::symlink("f.txt", dir.join("link")).await.unwrap();
    let meta = wasio::fs::symlink_metadata(dir.join("link")).await.unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(
        wasio::fs::read_to_string(dir.join("link")).await.unwrap(),
        "hello, world"
    );
}

/// `set_max_buf_size(0)` is refused with tokio's message.
#[test]
#[should_panic(expected = "`max_buf_size` must be greater than 0")]
#[cfg(not(target_os = "wasi"))] // a panic is an abort there
fn max_buf_size_of_zero_panics() {
    wasio::block_on(async {
        let dir = common::scratch("max-buf-zero");
        let mut f = wasio::fs::File::create(dir.join("f")).await.unwrap();
        f.set_max_buf_size(0);
    });
}

/// `fs::copy` copies the permissions too, and `set_permissions` works on
/// a path and on an open file (Unix: WASI files have no mode).
#[cfg(unix)]
#[wasio::test]
async fn permissions_are_set_and_copied() {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::scratch("perms");
    let (a, b) = (dir.join("a"), dir.join("b"));
    wasio::fs::write(&a, "x").await.unwrap();
    wasio::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640))
        .await
        .unwrap();
    wasio::fs::copy(&a, &b).await.unwrap();
    let mode = |p| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&b), 0o640);
    let f = wasio::fs::File::open(&b).await.unwrap();
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .await
        .unwrap();
    assert_eq!(mode(&b), 0o600);
}
