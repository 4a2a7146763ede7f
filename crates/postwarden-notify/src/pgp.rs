//! OpenPGP for the e-mail channel: PGP/MIME signing and optional encryption.
//!
//! This module owns the OpenPGP side of outgoing notification mail:
//!
//! * **Signing** ([`Signer::sign_entity`]): an RFC 3156 `multipart/signed` entity whose second
//!   part is an ASCII-armored *detached* OpenPGP signature (binary signature type, SHA-256)
//!   made over exactly the bytes of the first part, the signed MIME entity in its canonical
//!   form with CRLF line ends.
//! * **Encryption** ([`encrypt_entity`]): an RFC 3156 `multipart/encrypted` entity (an
//!   `application/pgp-encrypted` "Version: 1" part and an `application/octet-stream` part with
//!   the armored OpenPGP message) encrypted to a recipient's public key, optionally signed first
//!   (the signed `multipart/signed` entity is what gets encrypted, RFC 3156 §6.1).
//!
//! Both functions take a complete MIME entity (header lines, a blank line, the body) whose lines
//! already end in CRLF, and return the bytes of a new entity: its own `Content-Type` header, a
//! blank line and the multipart body. The caller puts the top-level headers (From, To, Subject,
//! Date, Message-ID, MIME-Version) in front of it.
//!
//! Keys are read with rPGP (pure Rust); only OpenPGP v4 recipient keys are supported for
//! encryption (what GnuPG and the common mail clients use).

use std::fmt;
use std::path::Path;

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, MessageBuilder, SignedKeyDetails,
    SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{KeyFlags, Signature, SignatureType};
use pgp::types::{KeyDetails, KeyVersion, Password, SigningKey, Timestamp};

/// What can go wrong while loading keys, signing or encrypting.
#[derive(Debug, thiserror::Error)]
pub enum PgpError {
    /// The key file could not be read.
    #[error("cannot read OpenPGP key file {path}: {source}")]
    ReadKeyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key text is not an OpenPGP secret key rPGP can parse.
    #[error("cannot parse the OpenPGP secret key in {origin}: {source}")]
    ParseSecretKey {
        /// Where the key came from (a file name or "the armored text").
        origin: String,
        /// Why.
        source: pgp::errors::Error,
    },
    /// The signing key is protected and no passphrase was given.
    #[error("the key in {origin} is protected by a passphrase; set sign_key_passphrase")]
    PassphraseRequired {
        /// Where the key came from.
        origin: String,
    },
    /// The passphrase does not unlock the signing key.
    #[error("cannot unlock the key in {origin} (wrong sign_key_passphrase?): {source}")]
    Unlock {
        /// Where the key came from.
        origin: String,
        /// Why.
        source: pgp::errors::Error,
    },
    /// The key has no primary key or subkey that may sign now.
    #[error(
        "the key in {origin} has no usable signing key (revoked, expired or not signing-capable)"
    )]
    NoSigningKey {
        /// Where the key came from.
        origin: String,
    },
    /// The recipient's public key could not be parsed.
    #[error("cannot parse the recipient's OpenPGP public key: {0}")]
    ParsePublicKey(pgp::errors::Error),
    /// The recipient key is not a v4 key.
    #[error(
        "the recipient key {fingerprint} is an OpenPGP {version:?} key; only v4 keys are supported"
    )]
    UnsupportedRecipient {
        /// The recipient's fingerprint.
        fingerprint: String,
        /// Its key version.
        version: KeyVersion,
    },
    /// The recipient key has no primary key or subkey that may encrypt now.
    #[error(
        "the recipient key {fingerprint} has no usable encryption key (revoked, expired or not encryption-capable)"
    )]
    NoEncryptionKey {
        /// The recipient's fingerprint.
        fingerprint: String,
    },
    /// The entity has a line end other than CRLF.
    #[error(
        "the MIME entity has a bare CR or LF at byte {offset}; lines must end in CRLF (see canonicalize_line_endings)"
    )]
    BareLineEnd {
        /// Byte offset of the offending CR or LF.
        offset: usize,
    },
    /// The entity has no blank line between its header and its body.
    #[error("the data is not a MIME entity: no blank line ends its header")]
    NotAnEntity,
    /// rPGP failed to make the signature.
    #[error("cannot make the OpenPGP signature: {0}")]
    Sign(pgp::errors::Error),
    /// rPGP failed to encrypt.
    #[error("cannot encrypt the message: {0}")]
    Encrypt(pgp::errors::Error),
}

/// Which component of the secret key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Primary,
    Subkey(usize),
}

/// A secret key ready to make PGP/MIME signatures.
///
/// The signing component (the newest valid signing subkey, else the primary key) is unlocked
/// once when the key is loaded, so signing needs no passphrase afterwards.
pub struct Signer {
    key: SignedSecretKey,
    slot: Slot,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("fingerprint", &self.fingerprint())
            .field("signing_key", &self.signing_fingerprint())
            .finish()
    }
}

impl Signer {
    /// Loads an ASCII-armored secret key (as `gpg --armor --export-secret-keys` writes).
    /// `passphrase` is `None` for an unprotected key (and ignored for one).
    pub fn from_armored(text: &str, passphrase: Option<&str>) -> Result<Signer, PgpError> {
        Self::load(text.as_bytes(), "the armored text", passphrase)
    }

    /// Loads a secret key from a file, armored or binary; errors name the file.
    pub fn from_file(path: &Path, passphrase: Option<&str>) -> Result<Signer, PgpError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| PgpError::ReadKeyFile {
            path: origin.clone(),
            source,
        })?;
        Self::load(&bytes, &origin, passphrase)
    }

    /// The key's (primary) fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.primary_key.fingerprint())
    }

    /// Wraps a MIME entity into an RFC 3156 `multipart/signed` entity.
    ///
    /// `entity` is complete: its header lines, a blank line, its body. Every line must already
    /// end in CRLF; a bare LF or CR is an error ([`PgpError::BareLineEnd`]), so convert text
    /// with [`canonicalize_line_endings`] first. RFC 3156 also asks for 7-bit data: the entity
    /// is signed byte for byte as given, so an 8-bit body (or a body line starting with `From `)
    /// survives only relays that pass it unchanged; quoted-printable or base64 bodies are safest.
    ///
    /// Returns the bytes of the whole new entity: its own `Content-Type: multipart/signed;
    /// boundary="…"; micalg=pgp-sha256; protocol="application/pgp-signature"` header (folded),
    /// a blank line, then the two parts (the entity verbatim, then an
    /// `application/pgp-signature` part `signature.asc` with the ASCII-armored detached
    /// signature over exactly the entity bytes) and the closing boundary, all with CRLF line
    /// ends. The caller prepends the top-level headers. Keys whose algorithm needs a longer
    /// hash (ECDSA P-384/P-521, Ed448) sign with SHA-384/512 and `micalg` says so.
    pub fn sign_entity(&self, entity: &[u8]) -> Result<Vec<u8>, PgpError> {
        check_entity(entity)?;
        let hash = self.hash_algorithm();
        let signature = self.armored_signature(entity, hash)?;
        Ok(signed_multipart(entity, &signature, micalg(hash)))
    }

    fn load(bytes: &[u8], origin: &str, passphrase: Option<&str>) -> Result<Signer, PgpError> {
        let mut key = parse_secret_key(bytes, origin)?;
        let slot = signing_slot(&key, now()).ok_or_else(|| PgpError::NoSigningKey {
            origin: origin.to_owned(),
        })?;
        unlock(&mut key, slot, origin, passphrase)?;
        Ok(Signer { key, slot })
    }

    fn signing_fingerprint(&self) -> String {
        match self.slot {
            Slot::Primary => self.fingerprint(),
            Slot::Subkey(i) => format!("{:X}", self.key.secret_subkeys[i].key.fingerprint()),
        }
    }

    /// SHA-256, or SHA-384/512 for keys that need a longer hash (ECDSA P-384/P-521, Ed448).
    fn hash_algorithm(&self) -> HashAlgorithm {
        let preferred = match self.slot {
            Slot::Primary => self.key.primary_key.hash_alg(),
            Slot::Subkey(i) => self.key.secret_subkeys[i].key.hash_alg(),
        };
        match preferred {
            HashAlgorithm::Sha384 => HashAlgorithm::Sha384,
            HashAlgorithm::Sha512 | HashAlgorithm::Sha3_512 => HashAlgorithm::Sha512,
            _ => HashAlgorithm::Sha256,
        }
    }

    /// The armored detached binary signature over `data`, with CRLF line ends.
    fn armored_signature(&self, data: &[u8], hash: HashAlgorithm) -> Result<String, PgpError> {
        let rng = rand_08::thread_rng();
        let pw = Password::empty();
        let signature = match self.slot {
            Slot::Primary => {
                DetachedSignature::sign_binary_data(rng, &self.key.primary_key, &pw, hash, data)
            }
            Slot::Subkey(i) => {
                let subkey = &self.key.secret_subkeys[i].key;
                DetachedSignature::sign_binary_data(rng, subkey, &pw, hash, data)
            }
        }
        .map_err(PgpError::Sign)?;
        let armored = signature
            .to_armored_string(ArmorOptions::default())
            .map_err(PgpError::Sign)?;
        Ok(crate::mime::crlf(&armored))
    }
}

/// Wraps a MIME entity into RFC 3156 `multipart/encrypted`: an `application/pgp-encrypted`
/// "Version: 1" part and an `application/octet-stream` part holding the ASCII-armored OpenPGP
/// message (SEIPD v1, AES-256) encrypted to the newest valid encryption subkey of `recipient`
/// (an armored public key; its primary key if it has no such subkey but may encrypt itself).
///
/// When `signer` is `Some`, the entity is first signed ([`Signer::sign_entity`]) and the
/// `multipart/signed` result is encrypted. `entity` follows the rules of
/// [`Signer::sign_entity`] (CRLF line ends), and so does the return value: the new entity's
/// own `Content-Type` header, a blank line, the two parts; the caller prepends the top-level
/// headers.
pub fn encrypt_entity(
    entity: &[u8],
    recipient_public_key_armored: &str,
    signer: Option<&Signer>,
) -> Result<Vec<u8>, PgpError> {
    check_entity(entity)?;
    let cert = parse_public_key(recipient_public_key_armored)?;
    let plaintext = match signer {
        Some(signer) => signer.sign_entity(entity)?,
        None => entity.to_vec(),
    };
    let armored = encrypt_to(&cert, plaintext)?;
    Ok(encrypted_multipart(&armored))
}

/// Converts every bare LF and bare CR in `data` to CRLF (existing CRLF pairs are kept), the
/// canonical form [`Signer::sign_entity`] and [`encrypt_entity`] require.
pub fn canonicalize_line_endings(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {}
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Key loading and choice of component
// ---------------------------------------------------------------------------------------------

/// What a key component is wanted for.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    Sign,
    Encrypt,
}

impl Purpose {
    fn algorithm_can(self, algorithm: PublicKeyAlgorithm) -> bool {
        match self {
            Purpose::Sign => algorithm.can_sign(),
            Purpose::Encrypt => algorithm.can_encrypt(),
        }
    }

    fn flags_allow(self, flags: &KeyFlags) -> bool {
        match self {
            Purpose::Sign => flags.sign(),
            Purpose::Encrypt => flags.encrypt_comms() || flags.encrypt_storage(),
        }
    }
}

fn now() -> u32 {
    Timestamp::now().as_secs()
}

fn parse_secret_key(bytes: &[u8], origin: &str) -> Result<SignedSecretKey, PgpError> {
    SignedSecretKey::from_reader_single(bytes)
        .map(|(key, _headers)| key)
        .map_err(|source| PgpError::ParseSecretKey {
            origin: origin.to_owned(),
            source,
        })
}

fn parse_public_key(text: &str) -> Result<SignedPublicKey, PgpError> {
    SignedPublicKey::from_reader_single(text.as_bytes())
        .map(|(key, _headers)| key)
        .map_err(PgpError::ParsePublicKey)
}

/// Removes the passphrase protection of the signing component, in memory only.
fn unlock(
    key: &mut SignedSecretKey,
    slot: Slot,
    origin: &str,
    passphrase: Option<&str>,
) -> Result<(), PgpError> {
    let encrypted = match slot {
        Slot::Primary => key.primary_key.secret_params().is_encrypted(),
        Slot::Subkey(i) => key.secret_subkeys[i].key.secret_params().is_encrypted(),
    };
    if !encrypted {
        return Ok(());
    }
    let passphrase = passphrase.ok_or_else(|| PgpError::PassphraseRequired {
        origin: origin.to_owned(),
    })?;
    let password = Password::from(passphrase);
    match slot {
        Slot::Primary => key.primary_key.remove_password(&password),
        Slot::Subkey(i) => key.secret_subkeys[i].key.remove_password(&password),
    }
    .map_err(|source| PgpError::Unlock {
        origin: origin.to_owned(),
        source,
    })
}

/// The newest valid signing subkey, else the primary key if it may sign.
fn signing_slot(key: &SignedSecretKey, now: u32) -> Option<Slot> {
    let primary = &key.primary_key;
    if !certificate_live(&key.details, primary, now) {
        return None;
    }
    key.secret_subkeys
        .iter()
        .enumerate()
        .filter(|(_, sub)| subkey_usable(&sub.signatures, &sub.key, Purpose::Sign, now))
        .filter(|(_, sub)| sub.verify_bindings(primary.public_key()).is_ok())
        .max_by_key(|(_, sub)| sub.key.created_at().as_secs())
        .map(|(i, _)| Slot::Subkey(i))
        .or_else(|| primary_may(&key.details, primary, Purpose::Sign).then_some(Slot::Primary))
}

/// The newest valid encryption subkey, else the primary key if it may encrypt.
fn encryption_slot(cert: &SignedPublicKey, now: u32) -> Option<Slot> {
    let primary = &cert.primary_key;
    if !certificate_live(&cert.details, primary, now) {
        return None;
    }
    cert.public_subkeys
        .iter()
        .enumerate()
        .filter(|(_, sub)| subkey_usable(&sub.signatures, &sub.key, Purpose::Encrypt, now))
        .filter(|(_, sub)| sub.verify_bindings(primary).is_ok())
        .max_by_key(|(_, sub)| sub.key.created_at().as_secs())
        .map(|(i, _)| Slot::Subkey(i))
        .or_else(|| primary_may(&cert.details, primary, Purpose::Encrypt).then_some(Slot::Primary))
}

/// A subkey is usable when it is not revoked, its newest binding signature allows `purpose`
/// and has not expired it, and its algorithm can do `purpose`.
fn subkey_usable(sigs: &[Signature], key: &impl KeyDetails, purpose: Purpose, now: u32) -> bool {
    if sigs
        .iter()
        .any(|s| s.typ() == Some(SignatureType::SubkeyRevocation))
    {
        return false;
    }
    let newest = sigs
        .iter()
        .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
        .max_by_key(|s| s.created().map(Timestamp::as_secs));
    newest.is_some_and(|sig| {
        purpose.flags_allow(&sig.key_flags())
            && !expired(key.created_at(), sig, now)
            && purpose.algorithm_can(key.algorithm())
    })
}

/// The certificate as a whole is neither revoked nor expired.
fn certificate_live(details: &SignedKeyDetails, primary: &impl KeyDetails, now: u32) -> bool {
    details.revocation_signatures.is_empty()
        && newest_self_signature(details, primary)
            .is_none_or(|sig| !expired(primary.created_at(), sig, now))
}

/// The primary key may be used for `purpose`: its algorithm can, and its newest
/// self-signature's key flags allow it (a self-signature without key flags allows anything).
fn primary_may(details: &SignedKeyDetails, primary: &impl KeyDetails, purpose: Purpose) -> bool {
    purpose.algorithm_can(primary.algorithm())
        && newest_self_signature(details, primary).is_none_or(|sig| {
            let flags = sig.key_flags();
            !has_any_flag(&flags) || purpose.flags_allow(&flags)
        })
}

fn has_any_flag(flags: &KeyFlags) -> bool {
    flags.certify()
        || flags.sign()
        || flags.encrypt_comms()
        || flags.encrypt_storage()
        || flags.authentication()
}

/// The newest direct-key or user ID signature issued by the primary key itself.
fn newest_self_signature<'a>(
    details: &'a SignedKeyDetails,
    primary: &impl KeyDetails,
) -> Option<&'a Signature> {
    let fingerprint = primary.fingerprint();
    let key_id = primary.legacy_key_id();
    let by_primary = |sig: &&Signature| {
        sig.issuer_fingerprint().contains(&&fingerprint) || sig.issuer_key_id().contains(&&key_id)
    };
    details
        .direct_signatures
        .iter()
        .chain(details.users.iter().flat_map(|user| user.signatures.iter()))
        .filter(by_primary)
        .max_by_key(|sig| sig.created().map(Timestamp::as_secs))
}

/// `sig` gives the key (created at `created`) an expiration time that has passed.
fn expired(created: Timestamp, sig: &Signature, now: u32) -> bool {
    match sig.key_expiration_time().map(|d| d.as_secs()) {
        Some(secs) if secs > 0 => u64::from(created.as_secs()) + u64::from(secs) <= u64::from(now),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Encryption
// ---------------------------------------------------------------------------------------------

/// Encrypts `plaintext` to `cert`; the armored message with CRLF line ends.
fn encrypt_to(cert: &SignedPublicKey, plaintext: Vec<u8>) -> Result<String, PgpError> {
    let fingerprint = format!("{:X}", cert.fingerprint());
    let version = cert.version();
    if version != KeyVersion::V4 {
        return Err(PgpError::UnsupportedRecipient {
            fingerprint,
            version,
        });
    }
    let slot = encryption_slot(cert, now()).ok_or(PgpError::NoEncryptionKey { fingerprint })?;
    let mut rng = rand_08::thread_rng();
    let mut builder =
        MessageBuilder::from_bytes("", plaintext).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    match slot {
        Slot::Primary => builder.encrypt_to_key(&mut rng, cert),
        Slot::Subkey(i) => builder.encrypt_to_key(&mut rng, &cert.public_subkeys[i]),
    }
    .map_err(PgpError::Encrypt)?;
    let armored = builder
        .to_armored_string(&mut rng, ArmorOptions::default())
        .map_err(PgpError::Encrypt)?;
    Ok(crate::mime::crlf(&armored))
}

// ---------------------------------------------------------------------------------------------
// MIME assembly
// ---------------------------------------------------------------------------------------------

/// Checks that every line of `entity` ends in CRLF and that a blank line ends its header.
fn check_entity(entity: &[u8]) -> Result<(), PgpError> {
    if let Some(offset) = bare_line_end(entity) {
        return Err(PgpError::BareLineEnd { offset });
    }
    if entity.starts_with(b"\r\n") || crate::mime::contains(entity, b"\r\n\r\n") {
        Ok(())
    } else {
        Err(PgpError::NotAnEntity)
    }
}

/// The offset of the first CR not followed by LF or LF not preceded by CR.
fn bare_line_end(data: &[u8]) -> Option<usize> {
    data.iter().enumerate().position(|(i, &b)| match b {
        b'\n' => i == 0 || data[i - 1] != b'\r',
        b'\r' => data.get(i + 1) != Some(&b'\n'),
        _ => false,
    })
}

/// The `micalg` parameter value for `hash` (RFC 3156 §5).
fn micalg(hash: HashAlgorithm) -> &'static str {
    match hash {
        HashAlgorithm::Sha384 => "pgp-sha384",
        HashAlgorithm::Sha512 => "pgp-sha512",
        _ => "pgp-sha256",
    }
}

/// RFC 3156 §5: the entity verbatim, then its detached signature.
fn signed_multipart(entity: &[u8], signature: &str, micalg: &str) -> Vec<u8> {
    let signature = crate::mime::part(
        &[
            (
                "Content-Type",
                "application/pgp-signature; name=\"signature.asc\"",
            ),
            ("Content-Description", "OpenPGP digital signature"),
            (
                "Content-Disposition",
                "attachment; filename=\"signature.asc\"",
            ),
        ],
        signature.as_bytes(),
    );
    crate::mime::multipart(
        "signed",
        Some(&format!(
            "micalg={micalg}; protocol=\"application/pgp-signature\""
        )),
        Some("This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"),
        &[entity, &signature],
    )
}

/// RFC 3156 §4: the version part, then the encrypted message.
fn encrypted_multipart(armored: &str) -> Vec<u8> {
    let version = crate::mime::part(
        &[
            ("Content-Type", "application/pgp-encrypted"),
            ("Content-Description", "PGP/MIME version identification"),
        ],
        b"Version: 1\r\n",
    );
    let message = crate::mime::part(
        &[
            (
                "Content-Type",
                "application/octet-stream; name=\"encrypted.asc\"",
            ),
            ("Content-Description", "OpenPGP encrypted message"),
            ("Content-Disposition", "inline; filename=\"encrypted.asc\""),
        ],
        armored.as_bytes(),
    );
    crate::mime::multipart(
        "encrypted",
        Some("protocol=\"application/pgp-encrypted\""),
        Some("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"),
        &[&version, &message],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_lf_and_bare_cr_are_rejected_with_their_offset() {
        let lf = b"Content-Type: text/plain\r\n\r\nline one\nline two\r\n";
        assert!(matches!(
            check_entity(lf),
            Err(PgpError::BareLineEnd { offset: 36 })
        ));
        let cr = b"Content-Type: text/plain\r\n\r\nline one\rline two\r\n";
        assert!(matches!(
            check_entity(cr),
            Err(PgpError::BareLineEnd { offset: 36 })
        ));
        let first = b"\nx";
        assert!(matches!(
            check_entity(first),
            Err(PgpError::BareLineEnd { offset: 0 })
        ));
    }

    #[test]
    fn entity_needs_a_blank_line_after_its_header() {
        assert!(matches!(
            check_entity(b"just a body line\r\n"),
            Err(PgpError::NotAnEntity)
        ));
        assert!(check_entity(b"Content-Type: text/plain\r\n\r\nbody\r\n").is_ok());
        assert!(check_entity(b"\r\nbody with default headers\r\n").is_ok());
    }

    #[test]
    fn canonicalize_turns_every_line_end_into_crlf() {
        let text = b"a\nb\r\nc\rd\r\r\n";
        let canonical = canonicalize_line_endings(text);
        assert_eq!(canonical, b"a\r\nb\r\nc\r\nd\r\n\r\n");
        assert_eq!(bare_line_end(&canonical), None);
    }

    #[test]
    fn signed_multipart_holds_the_entity_verbatim_between_the_delimiters() {
        let entity = b"Content-Type: text/plain\r\n\r\nhello\r\n";
        let out = signed_multipart(entity, "SIG\r\n", "pgp-sha256");
        let text = String::from_utf8(out).unwrap();
        let b = text.split('"').nth(1).unwrap();
        let start = text.find(&format!("--{b}\r\n")).unwrap() + b.len() + 4;
        let end = text[start..].find(&format!("\r\n--{b}\r\n")).unwrap() + start;
        assert_eq!(&text.as_bytes()[start..end], entity);
        assert!(text.starts_with(&format!(
            "Content-Type: multipart/signed; boundary=\"{b}\";\r\n micalg=pgp-sha256; protocol="
        )));
        assert!(text.ends_with(&format!("SIG\r\n\r\n--{b}--\r\n")));
        assert_eq!(bare_line_end(text.as_bytes()), None);
    }

    #[test]
    fn encrypted_multipart_has_the_version_part_first() {
        let out = String::from_utf8(encrypted_multipart("ARMOR\r\n")).unwrap();
        let version = out.find("Version: 1\r\n").unwrap();
        let octet = out.find("application/octet-stream").unwrap();
        assert!(version < octet);
        assert!(out.contains("protocol=\"application/pgp-encrypted\""));
        assert_eq!(bare_line_end(out.as_bytes()), None);
    }

    /// A fresh v4 key: certify-only Ed25519 primary, an Ed25519 signing subkey and a
    /// Curve25519 encryption subkey (the layout GnuPG users with offline primaries have).
    fn generated_key() -> SignedSecretKey {
        use pgp::composed::{EncryptionCaps, KeyType, SecretKeyParamsBuilder, SubkeyParamsBuilder};
        use pgp::crypto::ecc_curve::ECCCurve;
        let mut sign = SubkeyParamsBuilder::default();
        sign.key_type(KeyType::Ed25519Legacy)
            .can_sign(true)
            .can_encrypt(EncryptionCaps::None);
        let mut encrypt = SubkeyParamsBuilder::default();
        encrypt
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_encrypt(EncryptionCaps::All);
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(false)
            .primary_user_id("Unit Test <unit@example.org>".into())
            .subkeys(vec![sign.build().unwrap(), encrypt.build().unwrap()]);
        let params = params.build().unwrap();
        params.generate(rand_08::thread_rng()).unwrap()
    }

    fn armored_secret(key: &SignedSecretKey) -> String {
        key.to_armored_string(ArmorOptions::default()).unwrap()
    }

    #[test]
    fn debug_shows_fingerprints_but_no_key_material() {
        let key = generated_key();
        let armored = armored_secret(&key);
        let signer = Signer::from_armored(&armored, None).unwrap();
        let debug = format!("{signer:?}");
        let primary = format!("{:X}", key.primary_key.fingerprint());
        let subkey = format!("{:X}", key.secret_subkeys[0].key.fingerprint());
        assert_eq!(
            debug,
            format!("Signer {{ fingerprint: \"{primary}\", signing_key: \"{subkey}\" }}")
        );
        let alternate = format!("{signer:#?}");
        for line in armored.lines().filter(|l| l.len() > 20) {
            assert!(!alternate.contains(line) && !debug.contains(line));
        }
        assert_eq!(signer.fingerprint(), primary);
    }

    #[test]
    fn signs_with_the_signing_subkey_and_the_signature_verifies() {
        let key = generated_key();
        let signer = Signer::from_armored(&armored_secret(&key), None).unwrap();
        assert_eq!(signer.slot, Slot::Subkey(0));
        let entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nGr\xc3\xbc\xc3\x9fe \r\n";
        let out = signer.sign_entity(entity).unwrap();
        let text = String::from_utf8_lossy(&out);
        let start = text.find("-----BEGIN PGP SIGNATURE-----").unwrap();
        let end = text.find("-----END PGP SIGNATURE-----").unwrap() + 27;
        let (sig, _) = DetachedSignature::from_string(&text[start..end]).unwrap();
        let public = key.to_public_key();
        sig.verify(&public.public_subkeys[0], entity).unwrap();
        assert!(sig.verify(&public.public_subkeys[0], b"other").is_err());
        assert!(text.contains("micalg=pgp-sha256"));
    }

    #[test]
    fn encrypts_to_the_encryption_subkey_and_decrypts_back() {
        let key = generated_key();
        let public = key.to_public_key();
        let cert = public.to_armored_string(ArmorOptions::default()).unwrap();
        let entity = b"Content-Type: text/plain\r\n\r\nsecret\r\n";
        let out = encrypt_entity(entity, &cert, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let start = text.find("-----BEGIN PGP MESSAGE-----").unwrap();
        let end = text.find("-----END PGP MESSAGE-----").unwrap() + 25;
        let (message, _) = pgp::composed::Message::from_string(&text[start..end]).unwrap();
        let mut plain = message.decrypt(&Password::empty(), &key).unwrap();
        assert_eq!(plain.as_data_vec().unwrap(), entity);
    }

    #[test]
    fn protected_key_needs_the_right_passphrase() {
        let mut key = generated_key();
        let mut rng = rand_08::thread_rng();
        key.secret_subkeys[0]
            .key
            .set_password(&mut rng, &Password::from("sesame"))
            .unwrap();
        let armored = armored_secret(&key);
        let missing = Signer::from_armored(&armored, None).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the key in the armored text is protected by a passphrase; set sign_key_passphrase"
        );
        let wrong = Signer::from_armored(&armored, Some("wrong")).unwrap_err();
        assert!(matches!(wrong, PgpError::Unlock { .. }), "{wrong}");
        let signer = Signer::from_armored(&armored, Some("sesame")).unwrap();
        signer
            .sign_entity(b"Content-Type: text/plain\r\n\r\nx\r\n")
            .unwrap();
    }

    #[test]
    fn public_key_is_not_a_signer_and_secret_is_not_a_recipient() {
        let key = generated_key();
        let public = key.to_public_key();
        let cert = public.to_armored_string(ArmorOptions::default()).unwrap();
        assert!(Signer::from_armored(&cert, None).is_err());
        let entity = b"Content-Type: text/plain\r\n\r\nx\r\n";
        assert!(matches!(
            encrypt_entity(entity, "garbage", None),
            Err(PgpError::ParsePublicKey(_))
        ));
    }

    #[test]
    fn bad_key_text_gives_a_clear_error() {
        let err = Signer::from_armored("not a key", None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot parse the OpenPGP secret key in the armored text")
        );
    }

    #[test]
    fn missing_key_file_error_names_the_file() {
        let path = Path::new("/nonexistent/postwarden/key.asc");
        let err = Signer::from_file(path, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read OpenPGP key file /nonexistent/postwarden/key.asc: ")
        );
    }
}
