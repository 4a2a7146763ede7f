//! A private vhost on the machine's RabbitMQ for one test: made with `rabbitmqctl`, given
//! to `guest` (who may connect from loopback only), and removed on drop with every broker
//! user that was given permissions on it. The machine's broker itself is never stopped or
//! reconfigured.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The machine's broker.
pub const BROKER: &str = "127.0.0.1:5672";

/// A vhost of one's own.
pub struct Vhost {
    pub name: String,
}

fn rabbitmqctl(args: &[&str]) -> String {
    let output = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (RabbitMQ's tools, as root)");
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Vhost {
    pub fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pw-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        Self { name }
    }

    /// `amqp://guest:guest@127.0.0.1:5672/<vhost>`, through `port` instead when given.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@{BROKER}/{}", self.name)
    }

    /// The same vhost through another port (a TCP proxy).
    pub fn url_via(&self, port: u16) -> String {
        format!("amqp://guest:guest@127.0.0.1:{port}/{}", self.name)
    }

    /// The broker users with permissions on this vhost, other than guest.
    pub fn users(&self) -> Vec<String> {
        rabbitmqctl(&["list_permissions", "-p", &self.name])
            .lines()
            .filter_map(|l| l.split('\t').next())
            .filter(|u| !u.is_empty() && *u != "guest" && *u != "user")
            .map(str::to_owned)
            .collect()
    }

    /// Messages in a queue of this vhost.
    pub fn depth(&self, queue: &str) -> Option<u64> {
        rabbitmqctl(&["list_queues", "-p", &self.name, "name", "messages"])
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(name, _)| *name == queue)
            .and_then(|(_, n)| n.trim().parse().ok())
    }
}

impl Vhost {
    /// Messages delivered to a consumer of a queue and not yet acknowledged.
    pub fn unacked(&self, queue: &str) -> Option<u64> {
        rabbitmqctl(&[
            "list_queues",
            "-p",
            &self.name,
            "name",
            "messages_unacknowledged",
        ])
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(name, _)| *name == queue)
        .and_then(|(_, n)| n.trim().parse().ok())
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let users = std::panic::catch_unwind(|| self.users()).unwrap_or_default();
        for user in users {
            let _ = Command::new("rabbitmqctl")
                .args(["-q", "delete_user", &user])
                .output();
        }
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_vhost", &self.name])
            .output();
    }
}
