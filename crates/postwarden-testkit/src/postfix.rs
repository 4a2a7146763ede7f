//! A private, real Postfix instance for tests: its own configuration, queue and ports.

use crate::daemons::free_port;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A private Postfix instance (own configuration, queue and ports; nothing on port 25):
/// mail submitted to `port` goes through `content_filter` to `filter_port`, comes back on
/// `reinject_port` (the filter's next hop), and the virtual delivery agent writes every recipient's copy to the
/// one Maildir `mail_dir()/inbox/` (all recipient domains are `*.example` given at start).
pub struct Postfix {
    root: PathBuf,
    pub port: u16,
}

impl Postfix {
    pub fn start(root: &Path, filter_port: u16, reinject_port: u16, domains: &[&str]) -> Self {
        Self::start_with(root, filter_port, reinject_port, domains, "")
    }

    /// As [`Postfix::start`], with more `main.cf` lines (`main_extra`); `{etc}` in them is
    /// the configuration directory, for lookup tables written there before the start.
    pub fn start_with(
        root: &Path,
        filter_port: u16,
        reinject_port: u16,
        domains: &[&str],
        main_extra: &str,
    ) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let port = free_port();
        for dir in ["etc", "queue", "data", "mail"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        // The postfix user must reach the queue; the virtual agent writes as nobody.
        for dir in [root, root.parent().unwrap()] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        chown(&root.join("data"), "postfix");
        chown(&root.join("mail"), "nobody");
        let r = root.display();
        std::fs::write(
            root.join("etc/main.cf"),
            format!(
                "compatibility_level = 3.6\nqueue_directory = {r}/queue\ndata_directory = {r}/data\n\
                 mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = mx.test.example\n\
                 mydestination =\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n\
                 smtpd_relay_restrictions = permit_mynetworks, reject\nsmtputf8_enable = yes\n\
                 virtual_mailbox_domains = {}\nvirtual_mailbox_base = {r}/mail\nvirtual_mailbox_maps = static:inbox/\n\
                 virtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n\
                 maillog_file = {r}/maillog\nmaillog_file_prefixes = {r}\n\
                 content_filter = postwarden:[127.0.0.1]:{filter_port}\n{}\n",
                domains.join(", "),
                main_extra.replace("{etc}", &format!("{r}/etc"))
            ),
        )
        .unwrap();
        // No chroot anywhere, so nothing needs copying into the queue directory.
        let services = [
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "virtual unix - n n - - virtual",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ];
        // What `postwarden postfix-config` prints, on this instance's ports.
        let sandwich = format!(
            "127.0.0.1:{port} inet n - n - - smtpd\n\
             postwarden unix - - n - 4 smtp\n  -o smtp_send_xforward_command=yes\n  -o disable_mime_output_conversion=yes\n\
             127.0.0.1:{reinject_port} inet n - n - - smtpd\n  -o content_filter=\n  -o smtpd_sender_restrictions=\n\
             \x20 -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters\n\
             \x20 -o smtpd_authorized_xforward_hosts=127.0.0.0/8\n"
        );
        std::fs::write(
            root.join("etc/master.cf"),
            services.join("\n") + "\n" + &sandwich,
        )
        .unwrap();
        let postfix = Self {
            root: root.to_path_buf(),
            port,
        };
        let status = postfix.command("start");
        assert!(status.success(), "postfix start failed: {}", postfix.log());
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "postfix not listening: {}",
                postfix.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        postfix
    }

    /// The instance's configuration directory (for `postfix -c`, `postqueue -c`).
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("etc")
    }

    /// Runs `postfix -c DIR VERB` (`stop`, `start`, …) and returns whether it succeeded.
    pub fn command(&self, verb: &str) -> std::process::ExitStatus {
        Command::new("postfix")
            .args(["-c", &self.root.join("etc").display().to_string(), verb])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("postfix is installed (scripts/test installs it)")
    }

    /// Postfix's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("maillog")).unwrap_or_default()
    }

    /// The delivered messages (Maildir files), in no particular order.
    pub fn delivered(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.root.join("mail/inbox/new"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }

    /// Waits (polling, up to 60 s) until `ready` holds for this instance.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "waited 60 s for {what}; postfix log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.command("stop");
    }
}

fn chown(path: &Path, user: &str) {
    let status = Command::new("chown")
        .args([user, &path.display().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "chown {user} {}", path.display());
}
