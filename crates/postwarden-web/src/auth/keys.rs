//! The server's secret: 32 random bytes in `<data_dir>/web.key` (mode 0600), made on the
//! first start. Two keys are derived from it with HMAC-SHA256 and a label, so a digest link
//! can never be replayed as an API token or the other way round.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::io::{self, Write};
use std::path::Path;

/// The derived keys. `Debug` shows nothing of them.
#[derive(Clone)]
pub struct Keys {
    /// Signs API tokens (HS256).
    pub(crate) token: [u8; 32],
    /// Signs digest release links.
    pub(crate) link: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// Reads `<data_dir>/web.key`, or makes it (0600) when absent.
    pub fn load_or_create(data_dir: &Path) -> io::Result<Keys> {
        let path = data_dir.join("web.key");
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= 32 => return Ok(Keys::from_secret(&bytes)),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} is shorter than 32 bytes; remove it and a new one is made \
                         (signed-in users and API tokens then need signing in and issuing anew)",
                        path.display()
                    ),
                ));
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        std::fs::create_dir_all(data_dir)?;
        let secret: [u8; 32] = rand::random();
        let temporary = data_dir.join(format!(".web.key.{}", std::process::id()));
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            file.write_all(&secret)?;
            file.sync_all()?;
        }
        // Another process may have made it meanwhile: the first one wins.
        match std::fs::hard_link(&temporary, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                return Err(e);
            }
        }
        let _ = std::fs::remove_file(&temporary);
        Keys::load_or_create(data_dir)
    }

    /// Keys derived from `secret` (tests give their own).
    pub fn from_secret(secret: &[u8]) -> Keys {
        Keys {
            token: derive(secret, b"postwarden api token v1"),
            link: derive(secret, b"postwarden digest link v1"),
        }
    }
}

fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load_or_create(dir.path()).unwrap();
        let second = Keys::load_or_create(dir.path()).unwrap();
        assert_eq!(first.token, second.token);
        assert_ne!(first.token, first.link, "each purpose has its own key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("web.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "Keys([redacted])");
    }
}
