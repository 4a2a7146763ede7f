//! Group commit for message records: concurrent sessions hand their record and events to
//! one writer task, which stores whatever has queued up in one transaction and then
//! tells each session it is done. One commit serves many messages under load, and each
//! session still waits for its own record before answering Postfix.
//!
//! A batch that fails (one bad record) is retried record by record, so the others are
//! kept; a record that cannot be stored is logged, never fatal: the message itself is
//! already safe by then.

use postwarden_core::Event;
use postwarden_store::{MessageRecord, Store};
use tokio::sync::{mpsc, oneshot};

/// The most records committed together.
const MAX_BATCH: usize = 256;

type Pending = ((MessageRecord, Vec<Event>), oneshot::Sender<()>);

pub struct Recorder {
    queue: mpsc::Sender<Pending>,
}

impl Recorder {
    /// Starts the writer task (it ends when the recorder is dropped).
    pub fn start(store: Store) -> Self {
        let (queue, incoming) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(write(store, incoming));
        Self { queue }
    }

    /// Stores `record` and `events`; returns once they are committed (or given up on).
    pub async fn record(&self, record: MessageRecord, events: Vec<Event>) {
        let (done, committed) = oneshot::channel();
        if self.queue.send(((record, events), done)).await.is_ok() {
            let _ = committed.await;
        }
    }
}

async fn write(store: Store, mut incoming: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (records, waiting): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        if let Err(error) = store.record_messages(&records).await {
            tracing::warn!(%error, count = records.len(), "storing message records together failed; one by one");
            for record in &records {
                if let Err(error) = store.record_messages(std::slice::from_ref(record)).await {
                    tracing::error!(id = %record.0.id, %error, "storing the message record failed");
                }
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use postwarden_core::{Secret, Severity};

    fn record(id: &str) -> MessageRecord {
        MessageRecord {
            id: id.into(),
            time: Utc::now(),
            queue_id: None,
            client_ip: None,
            client_name: None,
            mail_from: String::new(),
            recipients: vec!["a@x.example".into()],
            subject: None,
            size: 1,
            score: 0.0,
            findings: serde_json::json!([]),
            verdicts: serde_json::json!({}),
            reply: "250".into(),
            duration_us: 1,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_records_are_kept_even_when_one_of_them_fails() {
        let dir = tempfile::tempdir().unwrap();
        let url = Secret::new(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("r.db").display()
        ));
        let store = Store::connect(&url, 2).await.unwrap();
        store.migrate().await.unwrap();
        let recorder = std::sync::Arc::new(Recorder::start(store.clone()));
        let event = |id: &str| Event::new(Utc::now(), "mail.spam", Severity::Notice, "filter", id);
        // 50 records at once, one of them a duplicate id that the database refuses.
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let recorder = recorder.clone();
                let id = if i == 49 {
                    "m0".to_string()
                } else {
                    format!("m{i}")
                };
                tokio::spawn(async move { recorder.record(record(&id), vec![event(&id)]).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let events = store
            .events(chrono::DateTime::UNIX_EPOCH, Some("mail."), 100)
            .await
            .unwrap();
        assert_eq!(
            events.len(),
            49,
            "every record but the duplicate, each with its event"
        );
    }
}
