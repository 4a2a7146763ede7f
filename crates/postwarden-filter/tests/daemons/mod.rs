//! Real daemons for the filter's tests, from the testkit: Postfix's smtp-sink (the next
//! hop), a private Postfix instance, SpamAssassin's spamd and ClamAV's clamd.

pub use postwarden_testkit::daemons::{Daemon, dumped, free_port, smtp_sink};
pub use postwarden_testkit::postfix::Postfix;
pub use postwarden_testkit::scanners::*;
