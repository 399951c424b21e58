//! The tutorial's ISBN program: one producer guesses ten-digit ISBNs and puts each on
//! an asyncio-style `Queue` with `put_nowait`; eight consumers take them with `get`,
//! look each one up over HTTP, print the books found, and mark it `task_done`.
//!
//! ```text
//! cargo run --example isbn-consumers
//! ```
//!
//! The tutorial asks openlibrary.org; this program starts its own loopback HTTP
//! server that answers the same request (`GET /api/books?bibkeys=ISBN:...&format=json`)
//! with `{}` for an unknown ISBN and a small JSON record for a "known" one (one whose
//! ISBN-10 check digit is right, about one guess in eleven), so it needs no network.
//! The tutorial's producer guesses forever; this one stops after `GUESSES`, waits
//! with `queue.join()` until every guess was looked up, then shuts the queue down,
//! which ends the consumers.
//!
//! ```text
//! asyncio                                        ferrio
//! queue = asyncio.Queue()                        let queue = Queue::new(0);
//! queue.put_nowait(random_isbn)                  queue.put_nowait(isbn)?
//! isbn = await queue.get()                       let isbn = queue.get().await?
//! async with session.get(url) as resp: ...       open_connection(addr), one request
//! queue.task_done()                              queue.task_done()?
//! await asyncio.gather(producer, *consumers)     create_task each, then gather
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ferrio::streams::{StreamReader, StreamWriter};
use ferrio::sync::Queue;
use ferrio::{open_connection, start_server};

const NUM_CONSUMERS: usize = 8;
const GUESSES: usize = 120;
/// The tutorial's pause between guesses (0.05 s), shortened so the run is quick.
const GUESS_EVERY: Duration = Duration::from_millis(5);

/// Whether a ten-digit string is a valid ISBN-10 (weighted digit sum divisible by 11).
fn is_valid_isbn10(isbn: &str) -> bool {
    let digits: Vec<u32> = isbn.chars().filter_map(|c| c.to_digit(10)).collect();
    digits.len() == 10
        && digits
            .iter()
            .zip((1..=10).rev())
            .map(|(digit, weight)| digit * weight)
            .sum::<u32>()
            % 11
            == 0
}

/// The stand-in for openlibrary.org: one request per connection, as the tutorial's
/// fresh `ClientSession` per lookup makes.
async fn books_api(mut reader: StreamReader, mut writer: StreamWriter) {
    let Ok(request_line) = reader.readline().await else {
        return;
    };
    while let Ok(header) = reader.readline().await {
        if header == b"\r\n" || header.is_empty() {
            break;
        }
    }
    let request = String::from_utf8_lossy(&request_line);
    let isbn = request
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.split("ISBN:").nth(1))
        .and_then(|rest| rest.split('&').next())
        .unwrap_or_default()
        .to_string();
    let body = if is_valid_isbn10(&isbn) {
        format!(
            "{{\"ISBN:{isbn}\": {{\"bib_key\": \"ISBN:{isbn}\", \"title\": \"Book {}\"}}}}",
            &isbn[..4]
        )
    } else {
        "{}".to_string()
    };
    writer.write(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let _ = writer.close().await;
}

/// `GET`s the book record of `isbn` and returns the JSON body.
async fn lookup(addr: SocketAddr, isbn: &str) -> io::Result<String> {
    let (mut reader, mut writer) = open_connection(addr).await?;
    let path = format!("/api/books?bibkeys=ISBN:{isbn}&format=json");
    writer.write(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    writer.drain().await?;
    let status = reader.readline().await?;
    if !status.starts_with(b"HTTP/1.1 200") {
        return Err(io::Error::other(
            String::from_utf8_lossy(&status).into_owned(),
        ));
    }
    let mut content_length = 0;
    loop {
        let header = reader.readline().await?;
        if header == b"\r\n" || header.is_empty() {
            break;
        }
        let header = String::from_utf8_lossy(&header);
        if let Some(value) = header.strip_prefix("Content-Length:") {
            content_length = value.trim().parse().map_err(io::Error::other)?;
        }
    }
    let body = reader.readexactly(content_length).await?;
    String::from_utf8(body).map_err(io::Error::other)
}

/// A ten-digit guess, like the tutorial's `randint(0, 9)` ten times.
fn random_isbn(state: &mut u64) -> String {
    (0..10)
        .map(|_| {
            // xorshift64: good enough for guessing digits.
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            char::from(b'0' + (*state % 10) as u8)
        })
        .collect()
}

async fn producer(queue: Queue<String>) {
    let mut state = RandomState::new().build_hasher().finish() | 1;
    for _ in 0..GUESSES {
        // Unbounded, so `put_nowait` never finds the queue full.
        queue
            .put_nowait(random_isbn(&mut state))
            .expect("an unbounded queue is never full");
        ferrio::sleep(GUESS_EVERY).await;
    }
}

/// Looks up ISBNs until the queue is shut down; returns (lookups, books found).
async fn consumer(consumer_idx: usize, queue: Queue<String>, addr: SocketAddr) -> (usize, usize) {
    let (mut lookups, mut found) = (0, 0);
    while let Ok(isbn) = queue.get().await {
        match lookup(addr, &isbn).await {
            Ok(book_descriptor) if book_descriptor != "{}" => {
                found += 1;
                println!(
                    "Consumer {consumer_idx} found valid ISBN. Current queue size: {}. \
                     Discovered book: {book_descriptor}",
                    queue.qsize()
                );
            }
            Ok(_) => {}
            Err(error) => eprintln!("Consumer {consumer_idx}: lookup of {isbn} failed: {error}"),
        }
        lookups += 1;
        queue.task_done().expect("one task_done per get");
    }
    (lookups, found)
}

#[ferrio::main]
async fn main() -> io::Result<()> {
    let server = start_server(books_api, "127.0.0.1:0").await?;
    let addr = server.local_addr().expect("a TCP server has an address");

    let queue = Queue::new(0);
    let consumers: Vec<_> = (0..NUM_CONSUMERS)
        .map(|idx| ferrio::create_task(consumer(idx, queue.clone(), addr)))
        .collect();
    producer(queue.clone()).await;
    // Every guess looked up, then the consumers' `get` ends with `QueueShutDown`.
    queue.join().await;
    queue.shutdown(false);

    let mut lookups = 0;
    let mut found = 0;
    for result in ferrio::gather(consumers).await {
        let (n, f) = result.expect("a consumer task ends normally");
        lookups += n;
        found += f;
    }
    println!(
        "{GUESSES} guesses, {lookups} looked up by {NUM_CONSUMERS} consumers, {found} books found"
    );
    assert_eq!(lookups, GUESSES, "every guess was looked up exactly once");
    server.close();
    Ok(())
}
