//! Sign-in against a directory (`[auth.ldap]`): a direct bind with a DN made from a
//! template, or a search for the user with a service account and then a bind as the DN
//! found. Every value from the sign-in form is escaped for where it goes (`dn_escape` in a
//! DN, `ldap_escape` in a filter), an empty password is refused before any bind (LDAP
//! would treat it as an anonymous bind and succeed), and the bind's result code is
//! checked: only success signs in.
//!
//! TLS (`ldaps://` or StartTLS) uses rustls with the ring provider, trusting `ca_file` when
//! given and the system's roots otherwise.

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, dn_escape, ldap_escape};
use postwarden_core::config::LdapConfig;
use std::sync::Arc;

/// A directory user who proved their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapUser {
    pub dn: String,
    pub display_name: Option<String>,
    /// A member of `admin_group`.
    pub admin: bool,
}

/// Why a directory sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// Wrong password, unknown user, empty password: the user is told only "refused".
    #[error("the directory refused the sign-in")]
    Refused,
    /// The directory could not be asked (down, TLS, service account): logged for the admin.
    #[error("the directory could not be asked: {0}")]
    Unavailable(String),
}

/// RFC 4511 resultCode invalidCredentials.
const INVALID_CREDENTIALS: u32 = 49;

fn unavailable(what: &str) -> impl Fn(ldap3::LdapError) -> LdapError + '_ {
    move |e| LdapError::Unavailable(format!("{what}: {e}"))
}

/// Checks `password` for `address` against the directory.
pub async fn authenticate(
    config: &LdapConfig,
    address: &str,
    password: &str,
) -> Result<LdapUser, LdapError> {
    if password.is_empty() || !postwarden_core::users::is_address(address) {
        return Err(LdapError::Refused);
    }
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(config.timeout)
        .set_starttls(config.starttls);
    if let Some(ca) = &config.ca_file {
        settings = settings.set_config(Arc::new(client_config(ca)?));
    }
    let (connection, mut ldap) = LdapConnAsync::with_settings(settings, &config.url)
        .await
        .map_err(unavailable("connecting"))?;
    ldap3::drive!(connection);
    ldap.with_timeout(config.timeout);

    let dn = match (&config.bind_dn, &config.base_dn) {
        (Some(template), _) => template
            .replace("{user}", &dn_escape(local))
            .replace("{address}", &dn_escape(address)),
        (None, Some(base)) => {
            let (Some(service_dn), Some(service_password)) =
                (&config.service_dn, &config.service_password)
            else {
                return Err(LdapError::Unavailable(
                    "search-then-bind needs service_dn and service_password".into(),
                ));
            };
            ldap.simple_bind(service_dn, service_password.expose())
                .await
                .and_then(|r| r.success())
                .map_err(unavailable("binding as the service account"))?;
            let filter = config
                .filter
                .replace("{address}", &ldap_escape(address))
                .replace("{user}", &ldap_escape(local));
            let (entries, _) = ldap
                .search(base, Scope::Subtree, &filter, vec!["1.1"])
                .await
                .and_then(|r| r.success())
                .map_err(unavailable("searching for the user"))?;
            match entries.as_slice() {
                [one] => SearchEntry::construct(one.clone()).dn,
                _ => return Err(LdapError::Refused),
            }
        }
        (None, None) => {
            return Err(LdapError::Unavailable(
                "set bind_dn or base_dn in [auth.ldap]".into(),
            ));
        }
    };

    match ldap.simple_bind(&dn, password).await {
        Ok(result) if result.rc == 0 => {}
        Ok(result) if result.rc == INVALID_CREDENTIALS => return Err(LdapError::Refused),
        Ok(result) => {
            return Err(LdapError::Unavailable(format!(
                "bind answered {} {}",
                result.rc, result.text
            )));
        }
        Err(e) => return Err(unavailable("binding as the user")(e)),
    }

    let display_name = ldap
        .search(
            &dn,
            Scope::Base,
            "(objectClass=*)",
            vec!["displayName", "cn"],
        )
        .await
        .and_then(|r| r.success())
        .ok()
        .and_then(|(entries, _)| entries.into_iter().next())
        .map(SearchEntry::construct)
        .and_then(|entry| {
            ["displayName", "cn"]
                .iter()
                .find_map(|a| entry.attrs.get(*a).and_then(|v| v.first().cloned()))
        });
    let admin = match &config.admin_group {
        None => false,
        Some(group) => {
            let filter = format!("(member={})", ldap_escape(&dn));
            ldap.search(group, Scope::Base, &filter, vec!["1.1"])
                .await
                .and_then(|r| r.success())
                .map(|(entries, _)| !entries.is_empty())
                .map_err(unavailable("reading the admin group"))?
        }
    };
    let _ = ldap.unbind().await;
    Ok(LdapUser {
        dn,
        display_name,
        admin,
    })
}

fn client_config(ca: &std::path::Path) -> Result<rustls::ClientConfig, LdapError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| LdapError::Unavailable(format!("reading {}: {e}", ca.display())))?;
    for cert in certs {
        let cert =
            cert.map_err(|e| LdapError::Unavailable(format!("reading {}: {e}", ca.display())))?;
        roots
            .add(cert)
            .map_err(|e| LdapError::Unavailable(format!("{}: {e}", ca.display())))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Unavailable(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
