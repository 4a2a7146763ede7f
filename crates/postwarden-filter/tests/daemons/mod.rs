//! Real daemons for the filter's tests, each a child process on its own port, killed on
//! drop: Postfix's smtp-sink (the next hop, from the testkit), SpamAssassin's spamd and
//! ClamAV's clamd (with a signature database the test writes). Readiness is waited for by
//! connecting, never by sleeping a fixed time.

pub use postwarden_testkit::daemons::{Daemon, dumped, free_port, smtp_sink};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The EICAR test file (68 bytes) and its MD5, for a clamd `.hdb` signature.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
const EICAR_MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
/// SpamAssassin's GTUBE string: spamd scores it 1000.
pub const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// spamd with local tests only (no network), as `nobody`.
pub fn spamd() -> Daemon {
    let port = free_port();
    Daemon::start(
        "spamd",
        Command::new("spamd").args([
            "-L",
            "-x",
            &format!("--listen=127.0.0.1:{port}"),
            "-u",
            "nobody",
            "--max-children=2",
            "--syslog=stderr",
        ]),
        port,
        Duration::from_secs(120),
    )
}

/// ClamAV's own test program, from Debian's clamav-testfiles; the archives and mail
/// files beside it (`clam.zip`, …) contain it.
pub const CLAM_TEST_FILES: &str = "/usr/share/clamav-testfiles";

/// clamd with a signature database the test writes (freshclam has no network here):
/// EICAR's hash, and the hash of clamav-testfiles' `clam.exe` as `Clamav.Test.File`, so
/// clamd must unpack an archive or a mail to find it. A 1 MiB stream limit.
pub fn clamd(dir: &Path) -> Daemon {
    let port = free_port();
    let db = dir.join("clamdb");
    std::fs::create_dir_all(&db).unwrap();
    let clam_exe = Path::new(CLAM_TEST_FILES).join("clam.exe");
    let md5sum = Command::new("md5sum")
        .arg(&clam_exe)
        .output()
        .expect("md5sum");
    let clam_md5 = String::from_utf8(md5sum.stdout).unwrap();
    let clam_md5 = clam_md5
        .split_whitespace()
        .next()
        .expect("clam.exe's MD5 (clamav-testfiles installed?)");
    let clam_size = std::fs::metadata(&clam_exe).unwrap().len();
    std::fs::write(
        db.join("test.hdb"),
        format!(
            "{EICAR_MD5}:{}:Eicar-Test-Signature\n{clam_md5}:{clam_size}:Clamav.Test.File\n",
            EICAR.len()
        ),
    )
    .unwrap();
    let config = dir.join("clamd.conf");
    std::fs::write(
        &config,
        format!(
            "Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\nStreamMaxLength 1M\nUser root\nLogFile {}\nPidFile {}\n",
            db.display(),
            dir.join("clamd.log").display(),
            dir.join("clamd.pid").display()
        ),
    )
    .unwrap();
    Daemon::start(
        "clamd",
        Command::new("clamd").args(["-c", config.to_str().unwrap()]),
        port,
        Duration::from_secs(60),
    )
}

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
                 content_filter = postwarden:[127.0.0.1]:{filter_port}\n",
                domains.join(", ")
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
             127.0.0.1:{reinject_port} inet n - n - - smtpd\n  -o content_filter=\n\
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

    fn command(&self, verb: &str) -> std::process::ExitStatus {
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
