//! The SMTP server's parsers on arbitrary bytes: command lines, and DATA fed in arbitrary
//! pieces. Besides "never panics", DATA must give the same message however it is split,
//! and what it accepts must survive dot-stuffing and receiving again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwarden_smtp::{BareNewline, Command, DataReceiver, DataStatus, dot_stuff};

fn receive(pieces: &[&[u8]]) -> Option<(Vec<u8>, usize)> {
    let mut receiver = DataReceiver::new(BareNewline::Normalize, 1 << 20);
    let mut offset = 0;
    for piece in pieces {
        if let DataStatus::Done { consumed } = receiver.feed(piece) {
            return receiver.finish().ok().map(|m| (m, offset + consumed));
        }
        offset += piece.len();
    }
    None
}

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let _ = Command::parse(line);
    }
    let whole = receive(&[data]);
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (a, b) = data.split_at(cut);
    assert_eq!(whole, receive(&[a, b]), "DATA must not depend on how it is split");
    if let Some((message, _)) = whole {
        let again = receive(&[&dot_stuff(&message)]).map(|(m, _)| m);
        assert_eq!(again.as_deref(), Some(&message[..]), "stuffing round trip");
    }
});
