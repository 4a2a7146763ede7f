//! SMTP as the content filter speaks it, in two layers.
//!
//! The protocol layer is pure — bytes in, values out, no I/O — so it can be fuzzed and
//! property-tested: [`command`] parses client command lines, [`data`] receives the DATA
//! section (ends only on CRLF.CRLF, removes dot-stuffing, handles bare LF like Postfix 3.9)
//! and stuffs it again for relaying, and [`reply`] parses server replies.
//!
//! The I/O layer runs on tokio: [`server`] is the receiving session, an explicit state
//! machine that hands each complete transaction to a [`server::Handler`]; [`client`] relays
//! a transaction to the next hop (Postfix's re-injection smtpd).

pub mod client;
pub mod command;
pub mod data;
mod io;
pub mod reply;
pub mod server;

pub use command::{Command, CommandError, MailParams};
pub use data::{BareNewline, DataReceiver, DataStatus, crlf_line_ends, dot_stuff};
pub use reply::Reply;
