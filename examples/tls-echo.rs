//! TLS over ferrio's `TcpStream` with futures-rustls: futures-io crates plug in with no
//! glue. The server's certificate is self-signed, made at run time with rcgen; the
//! client trusts exactly that certificate.
//!
//! rustls runs on the `ring` crypto provider here: it builds in a fraction of the time
//! of the default `aws-lc-rs` (which compiles a large C library with cmake), which
//! matters on a small CI machine.
//!
//! Run: `cargo run --example tls-echo`

use std::io;
use std::sync::Arc;

use ferrio::net::{TcpListener, TcpStream};
use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use futures_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use futures_rustls::{TlsAcceptor, TlsConnector};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A certificate for `localhost` and its key, made now.
fn self_signed() -> Result<
    (
        rustls::pki_types::CertificateDer<'static>,
        PrivateKeyDer<'static>,
    ),
    Error,
> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    Ok((certified.cert.der().clone(), key.into()))
}

/// Echoes lines back over TLS until the client closes.
async fn serve_one(acceptor: TlsAcceptor, stream: TcpStream) -> io::Result<()> {
    let tls = acceptor.accept(stream).await?;
    let (reader, mut writer) = futures_lite::io::split(tls);
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
        writer
            .write_all(format!("echo: {}\n", line?).as_bytes())
            .await?;
        writer.flush().await?;
    }
    writer.close().await
}

#[ferrio::main]
async fn main() -> Result<(), Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (cert, key) = self_signed()?;

    let server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)?;
    let acceptor = TlsAcceptor::from(Arc::new(server_config));

    let mut roots = RootCertStore::empty();
    roots.add(cert)?;
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(client_config));

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("TLS echo server on {addr}");
    let server = ferrio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        serve_one(acceptor, stream).await
    });

    let stream = TcpStream::connect(addr).await?;
    let mut tls = connector
        .connect(ServerName::try_from("localhost")?, stream)
        .await?;
    let (_, session) = tls.get_ref();
    println!(
        "client: handshake done, {:?} with {:?}",
        session.protocol_version().expect("negotiated"),
        session
            .negotiated_cipher_suite()
            .expect("negotiated")
            .suite()
    );
    tls.write_all(b"hello over TLS\nsecond line\n").await?;
    tls.flush().await?;
    tls.close().await?; // sends close_notify; the server's reader ends
    let mut reply = String::new();
    tls.read_to_string(&mut reply).await?;
    print!("client got:\n{reply}");
    assert_eq!(reply, "echo: hello over TLS\necho: second line\n");

    server.await.expect("the server task finished")?;
    println!("server closed cleanly");
    Ok(())
}
