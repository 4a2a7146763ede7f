//! Real content scanners for tests, each a child process on its own port, killed on drop:
//! SpamAssassin's spamd and ClamAV's clamd (with a signature database the test writes),
//! and the test strings they recognise.

use crate::daemons::{Daemon, free_port};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
