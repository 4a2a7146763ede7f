//! postwarden's reports: the numbers come from the store's summaries, [`view`] lays each
//! report out once (totals, tables, charts) independently of its format, and the formats
//! render that one [`View`]: text for a terminal, HTML for a mail body (a minijinja
//! template with auto-escaping, [`html`]), CSV for an attachment, an SMS-sized line. The
//! command line, the scheduler of `postwarden run` and the web console all use it.
//!
//! [`daily`] gathers the daily digest and turns it into one notification per receiver.

pub mod daily;
mod html;
pub mod mls;
mod view;

pub use html::html;
pub use view::{
    Chart, Digest, Heading, Table, View, auth_view, csv, daily_sms, daily_view, text, traffic_view,
};
