//! The milter session on arbitrary bytes from the MTA: miltr-server's packet decoding and our
//! session behind it (macros, envelope, headers, body, the verdict at the end). The session
//! must answer or end — never panic, never hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use miltr_server::Server;
use postwarden_core::Config;
use postwarden_filter::Filter;
use postwarden_filter::milter::Session;
use postwarden_filter::quarantine::Quarantine;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::compat::TokioAsyncReadCompatExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn filter() -> Arc<Filter> {
    static FILTER: OnceLock<Arc<Filter>> = OnceLock::new();
    FILTER
        .get_or_init(|| {
            let config = Config::from_toml(
                "[[filter.processors]]\ntype = \"lists\"\nblock_senders = [\"@blocked.example\"]\n",
            )
            .unwrap();
            let quarantine = Quarantine::new(std::env::temp_dir().join("pw-fuzz-quarantine"));
            let filter = runtime()
                .block_on(Filter::build(&config.filter, &config.dns, "fuzz", quarantine, None))
                .unwrap();
            Arc::new(filter)
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let filter = filter();
    runtime().block_on(async {
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let (mut their_read, mut their_write) = tokio::io::split(theirs);
        let input = data.to_vec();
        let client = tokio::spawn(async move {
            let _ = their_write.write_all(&input).await;
            let _ = their_write.shutdown().await;
            let mut answers = Vec::new();
            let _ = their_read.read_to_end(&mut answers).await;
        });
        let mut session = Session::new(filter, 1 << 16);
        let mut server = Server::default_postfix(&mut session);
        let ended = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            server.handle_connection(ours.compat()),
        )
        .await;
        assert!(ended.is_ok(), "the session neither answered nor ended");
        let _ = client.await;
    });
});
