//! A tour of the file system calls, inside the directory given as the
//! first argument: create, write, read, seek, rename, list, stat, symlink,
//! hard link, truncate, unlink, remove. Prints a transcript that is the
//! same natively and under `wasio run --dir HOST::/data fs-tour.wasm /data`,
//! and leaves a known tree behind.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = std::env::args().nth(1).expect("usage: fs-tour DIR");
    let root = Path::new(&root);

    fs::create_dir_all(root.join("tour/nested/deeper"))?;
    println!("created tour/nested/deeper");

    let notes = root.join("tour/notes.txt");
    fs::write(&notes, "hello, wasio\n")?;
    let mut f = OpenOptions::new().append(true).open(&notes)?;
    f.write_all(b"second line\n")?;
    drop(f);
    println!("notes.txt = {:?}", fs::read_to_string(&notes)?);

    let mut f = OpenOptions::new().read(true).write(true).open(&notes)?;
    f.seek(SeekFrom::Start(7))?;
    f.write_all(b"WASIO")?;
    let pos = f.stream_position()?;
    let end = f.seek(SeekFrom::End(0))?;
    println!("after overwrite: position {pos}, length {end}");
    f.seek(SeekFrom::Start(0))?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    println!("notes.txt = {s:?}");
    f.set_len(5)?;
    drop(f);
    println!("truncated to {:?}", fs::read_to_string(&notes)?);

    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(root.join("tour/big.bin"), &big)?;
    let back = fs::read(root.join("tour/big.bin"))?;
    let sum: u64 = back.iter().map(|&b| b as u64).sum();
    println!(
        "big.bin: {} bytes, sum {sum}, same: {}",
        back.len(),
        back == big
    );

    fs::rename(
        root.join("tour/big.bin"),
        root.join("tour/nested/moved.bin"),
    )?;
    println!("renamed big.bin -> nested/moved.bin");

    fs::copy(&notes, root.join("tour/nested/deeper/copy.txt"))?;
    println!("copied notes.txt");

    // `soft_link` is the one symlink call std offers on both platforms.
    #[allow(deprecated)]
    fs::soft_link("notes.txt", root.join("tour/link"))?;
    println!(
        "link -> {}",
        fs::read_link(root.join("tour/link"))?.display()
    );
    println!(
        "through link: {:?}",
        fs::read_to_string(root.join("tour/link"))?
    );
    let lmeta = fs::symlink_metadata(root.join("tour/link"))?;
    println!("link is symlink: {}", lmeta.file_type().is_symlink());

    fs::hard_link(&notes, root.join("tour/hard.txt"))?;
    fs::write(&notes, "hello")?;
    println!(
        "hard.txt sees the write: {:?}",
        fs::read_to_string(root.join("tour/hard.txt"))?
    );

    let meta = fs::metadata(root.join("tour/nested/moved.bin"))?;
    println!(
        "moved.bin: file {}, dir {}, len {}",
        meta.is_file(),
        meta.is_dir(),
        meta.len()
    );
    println!("modified time set: {}", meta.modified().is_ok());

    let mut names: Vec<String> = fs::read_dir(root.join("tour"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    println!("tour/ holds {names:?}");

    fs::remove_file(root.join("tour/hard.txt"))?;
    fs::create_dir(root.join("tour/empty"))?;
    fs::remove_dir(root.join("tour/empty"))?;
    match fs::remove_dir(root.join("tour/nested")) {
        Ok(()) => println!("removed a non-empty dir?!"),
        Err(e) => println!("remove_dir(nested): {}", wasio_examples::errno_name(&e)),
    }
    match fs::read(root.join("tour/missing")) {
        Ok(_) => println!("read a missing file?!"),
        Err(e) => println!("read(missing): {}", wasio_examples::errno_name(&e)),
    }
    println!("done");
    Ok(())
}
