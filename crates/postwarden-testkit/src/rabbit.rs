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

/// A RabbitMQ node of the test's own — for what must not be changed on the machine's
/// broker (a plugin, a node that goes away) — with the management plugin, on free ports,
/// its files in a temporary directory, in a process group of its own that is killed on
/// drop. The machine's node is untouched: another node name, another cookie (`HOME`),
/// no shared configuration (`RABBITMQ_CONF_ENV_FILE=/dev/null`).
pub struct PrivateBroker {
    pub amqp_port: u16,
    pub management_port: u16,
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl PrivateBroker {
    /// Starts the node and waits until both its AMQP and management listeners answer.
    pub fn start() -> Self {
        use crate::daemons::free_port;
        use std::os::unix::process::CommandExt;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (amqp_port, management_port, dist_port) = (free_port(), free_port(), free_port());
        let path = |name: &str| dir.path().join(name);
        std::fs::create_dir_all(path("home")).unwrap();
        std::fs::write(path("enabled_plugins"), "[rabbitmq_management].\n").unwrap();
        std::fs::write(
            path("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = {amqp_port}\nmanagement.tcp.port = {management_port}\n\
                 management.tcp.ip = 127.0.0.1\n"
            ),
        )
        .unwrap();
        let node = format!(
            "pw-test-{}-{}@localhost",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let log = std::fs::File::create(path("server.log")).unwrap();
        let child = Command::new("/usr/lib/rabbitmq/bin/rabbitmq-server")
            .env("HOME", path("home"))
            .env("RABBITMQ_NODENAME", &node)
            .env("RABBITMQ_NODE_PORT", amqp_port.to_string())
            .env("RABBITMQ_DIST_PORT", dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
            .env("RABBITMQ_LOG_BASE", path("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf"))
            .env("RABBITMQ_CONF_ENV_FILE", "/dev/null")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("rabbitmq-server starts (Debian's rabbitmq-server package)");
        let mut broker = PrivateBroker {
            amqp_port,
            management_port,
            child,
            dir,
        };
        broker.wait_ready(std::time::Duration::from_secs(90));
        broker
    }

    fn wait_ready(&mut self, within: std::time::Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let amqp = std::net::TcpStream::connect(("127.0.0.1", self.amqp_port)).is_ok();
            if amqp && self.get("/api/overview").0 == 200 {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the private RabbitMQ node exited ({status}): {}",
                    self.server_log()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the private RabbitMQ node is not ready within {within:?}: {}",
                self.server_log()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// `amqp://guest:guest@127.0.0.1:PORT/%2f`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.amqp_port)
    }

    /// `http://guest:guest@127.0.0.1:PORT`.
    pub fn management_url(&self) -> String {
        format!("http://guest:guest@127.0.0.1:{}", self.management_port)
    }

    /// The status and body of a management API GET as guest (`path` from `/api/…`).
    pub fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.management_port))
        else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
        // guest:guest
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic Z3Vlc3Q6Z3Vlc3Q=\r\n\r\n"
        );
        let mut response = String::new();
        if stream.write_all(request.as_bytes()).is_err()
            || stream.read_to_string(&mut response).is_err()
        {
            return (0, String::new());
        }
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        // The script's Erlang VM and its helpers are in the group the script leads.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .output();
        let _ = self.child.wait();
    }
}
