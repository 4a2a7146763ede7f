//! PGP/MIME signing and encryption checked against real GnuPG (`/usr/bin/gpg`).
//!
//! Each test makes its own GNUPGHOME in a temporary directory, generates keys there with
//! `gpg --quick-gen-key`, feeds the exported keys to `postwarden_notify::pgp`, splits the
//! produced multipart entity as RFC 3156 says and lets gpg verify or decrypt the parts.

use postwarden_notify::{Signer, encrypt_entity};
use postwarden_testkit::gpg::{Gpg, body, find, parts};
use std::process::Output;

/// A sample entity with non-ASCII text, a line starting with "From ", trailing spaces and
/// tabs, and an empty line: all must reach the verifier byte for byte.
const ENTITY: &[u8] = "Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Grüße aus Köln — naïve café ☕\r\n\
From here on, this line starts with \"From \".\r\n\
trailing spaces   \r\n\
\t tab and spaces \t \r\n\
\r\n\
--not-a-boundary\r\n\
last line\r\n"
    .as_bytes();

/// Signs ENTITY with `signer`, checks the structure and returns (signed part, signature).
fn sign_and_split(signer: &Signer) -> (Vec<u8>, Vec<u8>) {
    let signed = signer.sign_entity(ENTITY).unwrap();
    let head = String::from_utf8_lossy(&signed[..find(&signed, b"\r\n\r\n", 0).unwrap()]);
    assert!(
        head.starts_with("Content-Type: multipart/signed; "),
        "{head}"
    );
    assert!(head.contains("micalg=pgp-sha256"), "{head}");
    assert!(
        head.contains("protocol=\"application/pgp-signature\""),
        "{head}"
    );
    let parts = parts(&signed);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], ENTITY, "the first part is the entity verbatim");
    assert!(
        parts[1]
            .starts_with(b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n")
    );
    (parts[0].to_vec(), body(parts[1]).to_vec())
}

/// Asserts gpg says "Good signature" by `fingerprint` with SHA-256 (hash algorithm 8) over
/// binary data (class 00).
fn assert_good(out: &Output, fingerprint: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "gpg --verify failed: {stderr}");
    assert!(stderr.contains("Good signature"), "{stderr}");
    let validsig = status
        .lines()
        .find(|l| l.starts_with("[GNUPG:] VALIDSIG "))
        .expect("VALIDSIG status line");
    let fields: Vec<&str> = validsig.split(' ').collect();
    assert_eq!(fields[2], fingerprint, "{validsig}");
    assert_eq!(fields[9], "8", "hash algorithm SHA-256: {validsig}");
    assert_eq!(fields[10], "00", "binary signature: {validsig}");
}

fn sign_key_roundtrip(algo: &str) {
    let gpg = Gpg::new();
    let uid = "Postwarden Test <pw@example.org>";
    let fingerprint = gpg.generate(uid, algo, "sign", "");
    let signer = Signer::from_armored(&gpg.export_secret(uid, ""), None).unwrap();
    assert_eq!(signer.fingerprint(), fingerprint);
    let (data, signature) = sign_and_split(&signer);
    assert_good(&gpg.verify(&data, &signature), &fingerprint);
}

#[test]
fn ed25519_signature_verifies_with_gpg() {
    sign_key_roundtrip("ed25519");
}

#[test]
fn rsa_signature_verifies_with_gpg() {
    sign_key_roundtrip("rsa2048");
}

#[test]
fn gpg_rejects_the_signature_when_one_byte_changes() {
    let gpg = Gpg::new();
    let uid = "Postwarden Test <pw@example.org>";
    let fingerprint = gpg.generate(uid, "ed25519", "sign", "");
    let signer = Signer::from_armored(&gpg.export_secret(uid, ""), None).unwrap();
    let (data, signature) = sign_and_split(&signer);
    assert_good(&gpg.verify(&data, &signature), &fingerprint);

    let mut flipped = data.clone();
    let i = find(&flipped, "Köln".as_bytes(), 0).unwrap();
    flipped[i] ^= 0x01;
    let out = gpg.verify(&flipped, &signature);
    assert!(!out.status.success(), "a changed byte must not verify");
    assert!(String::from_utf8_lossy(&out.stderr).contains("BAD signature"));

    // Trailing white space is signed too (binary signature, not GnuPG's text mode).
    let stripped = String::from_utf8(data)
        .unwrap()
        .replace("spaces   \r\n", "spaces\r\n");
    let out = gpg.verify(stripped.as_bytes(), &signature);
    assert!(
        !out.status.success(),
        "stripped trailing spaces must not verify"
    );
}

#[test]
fn protected_key_needs_its_passphrase_and_then_verifies() {
    let gpg = Gpg::new();
    let uid = "Protected <protected@example.org>";
    let fingerprint = gpg.generate(uid, "ed25519", "sign", "correct horse");
    let armored = gpg.export_secret(uid, "correct horse");
    let missing = Signer::from_armored(&armored, None).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "the key in the armored text is protected by a passphrase; set sign_key_passphrase"
    );
    assert!(Signer::from_armored(&armored, Some("wrong horse")).is_err());
    let signer = Signer::from_armored(&armored, Some("correct horse")).unwrap();
    let (data, signature) = sign_and_split(&signer);
    assert_good(&gpg.verify(&data, &signature), &fingerprint);
}

#[test]
fn key_file_armored_or_binary_loads_and_errors_name_the_file() {
    let gpg = Gpg::new();
    let uid = "File <file@example.org>";
    let fingerprint = gpg.generate(uid, "ed25519", "sign", "");
    let binary = gpg.path("key.gpg");
    gpg.ok(&[
        "--output",
        binary.to_str().unwrap(),
        "--export-secret-keys",
        uid,
    ]);
    let armored = gpg.path("key.asc");
    std::fs::write(&armored, gpg.export_secret(uid, "")).unwrap();
    for path in [&binary, &armored] {
        let signer = Signer::from_file(path, None).unwrap();
        assert_eq!(signer.fingerprint(), fingerprint);
        let (data, signature) = sign_and_split(&signer);
        assert_good(&gpg.verify(&data, &signature), &fingerprint);
    }
    let missing = gpg.path("missing.asc");
    let err = Signer::from_file(&missing, None).unwrap_err().to_string();
    let expected = format!("cannot read OpenPGP key file {}: ", missing.display());
    assert!(err.starts_with(&expected), "{err}");
    let not_a_key = gpg.path("data.txt");
    std::fs::write(&not_a_key, "hello").unwrap();
    let err = Signer::from_file(&not_a_key, None).unwrap_err().to_string();
    assert!(err.contains(&not_a_key.display().to_string()), "{err}");
}

/// Encrypts ENTITY (signed by `signer` if given) to a fresh gpg key of `algo`; checks the
/// multipart/encrypted structure and returns what gpg decrypts.
fn encrypt_and_decrypt(gpg: &Gpg, algo: &str, signer: Option<&Signer>) -> Vec<u8> {
    let uid = format!("R {algo} <r-{algo}@example.org>");
    gpg.generate(&uid, algo, "default", "");
    let encrypted = encrypt_entity(ENTITY, &gpg.export_public(&uid), signer).unwrap();
    let head = String::from_utf8_lossy(&encrypted[..find(&encrypted, b"\r\n\r\n", 0).unwrap()]);
    assert!(
        head.starts_with("Content-Type: multipart/encrypted; "),
        "{head}"
    );
    assert!(
        head.contains("protocol=\"application/pgp-encrypted\""),
        "{head}"
    );
    let parts = parts(&encrypted);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].starts_with(b"Content-Type: application/pgp-encrypted\r\n"));
    assert_eq!(body(parts[0]), b"Version: 1\r\n");
    assert!(parts[1].starts_with(b"Content-Type: application/octet-stream"));
    let armored = body(parts[1]);
    assert!(armored.starts_with(b"-----BEGIN PGP MESSAGE-----\r\n"));
    gpg.decrypt(armored)
}

#[test]
fn gpg_decrypts_to_the_entity_rsa_recipient() {
    let gpg = Gpg::new();
    // GnuPG 2.2's "default" is RSA with an RSA encryption subkey (later versions: Curve25519).
    assert_eq!(encrypt_and_decrypt(&gpg, "default", None), ENTITY);
}

#[test]
fn gpg_decrypts_to_the_entity_curve25519_recipient() {
    let gpg = Gpg::new();
    assert_eq!(encrypt_and_decrypt(&gpg, "future-default", None), ENTITY);
}

#[test]
fn signed_then_encrypted_decrypts_to_a_signed_entity_gpg_verifies() {
    let gpg = Gpg::new();
    let uid = "Postwarden Test <pw@example.org>";
    let fingerprint = gpg.generate(uid, "ed25519", "sign", "");
    let signer = Signer::from_armored(&gpg.export_secret(uid, ""), None).unwrap();
    let decrypted = encrypt_and_decrypt(&gpg, "future-default", Some(&signer));
    assert!(decrypted.starts_with(b"Content-Type: multipart/signed; "));
    let parts = parts(&decrypted);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], ENTITY);
    assert_good(&gpg.verify(parts[0], body(parts[1])), &fingerprint);
}

#[test]
fn encrypting_to_a_sign_only_key_fails_clearly() {
    let gpg = Gpg::new();
    let uid = "Sign Only <sign-only@example.org>";
    let fingerprint = gpg.generate(uid, "ed25519", "sign", "");
    let err = encrypt_entity(ENTITY, &gpg.export_public(uid), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the recipient key {fingerprint} has no usable encryption key (revoked, expired or not encryption-capable)"
        )
    );
}

#[test]
fn bare_lf_entity_is_refused() {
    let gpg = Gpg::new();
    let uid = "Postwarden Test <pw@example.org>";
    gpg.generate(uid, "ed25519", "sign", "");
    let signer = Signer::from_armored(&gpg.export_secret(uid, ""), None).unwrap();
    let err = signer
        .sign_entity(b"Content-Type: text/plain\n\nbody\n")
        .unwrap_err();
    assert!(
        err.to_string().contains("bare CR or LF at byte 24"),
        "{err}"
    );
}
