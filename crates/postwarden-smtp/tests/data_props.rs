//! Properties of the DATA receiver on arbitrary input (the fuzz target `smtp` checks the
//! same with coverage guidance): no panic, the result does not depend on how the input
//! is split into reads, and an accepted message survives dot-stuffing and receiving again.

use postwarden_smtp::{BareNewline, Command, DataReceiver, DataStatus, dot_stuff};
use proptest::prelude::*;

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

/// Bytes rich in the characters that matter: CR, LF, dots, NUL.
fn smtpish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(b'\r'),
            Just(b'\n'),
            Just(b'.'),
            Just(0u8),
            Just(b'a'),
            any::<u8>()
        ],
        0..400,
    )
}

proptest! {
    #[test]
    fn split_invariant_and_round_trip(data in smtpish(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(data.len() + 1);
        let whole = receive(&[&data]);
        prop_assert_eq!(&whole, &receive(&[&data[..cut], &data[cut..]]));
        if let Some((message, _)) = whole {
            let again = receive(&[&dot_stuff(&message)]).map(|(m, _)| m);
            prop_assert_eq!(again.as_deref(), Some(&message[..]));
        }
    }

    #[test]
    fn any_message_round_trips_through_stuffing(body in smtpish()) {
        // Whatever a client hands us to relay, the next hop receives it with CRLF line ends
        // and nothing cut off: end of DATA only where dot_stuff put it.
        let stuffed = dot_stuff(&body);
        let (message, consumed) = receive(&[&stuffed]).expect("dot_stuff output always ends DATA");
        prop_assert_eq!(consumed, stuffed.len());
        prop_assert_eq!(message.iter().filter(|&&b| b == b'\n').count(), stuffed.iter().filter(|&&b| b == b'\n').count() - 1);
    }

    #[test]
    fn command_parser_never_panics(line in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Command::parse(&line);
    }
}
