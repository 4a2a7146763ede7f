//! Sign-in against a real OpenLDAP (`slapd`, started privately by the test with its own
//! configuration and fixture): the right password signs in and makes the user's row, a
//! wrong or empty one is refused, and a user name with filter metacharacters cannot match
//! someone else's entry.

mod common;

use axum::http::StatusCode;
use common::Console;
use postwarden_core::Role;
use postwarden_store::UserSource;
use postwarden_testkit::slapd::{ADMIN_DN, ADMIN_GROUP, ADMIN_PASSWORD, Slapd};
use postwarden_web::auth::sign_in;

const NOWHERE: &str = "127.0.0.1:9";

#[tokio::test(flavor = "multi_thread")]
async fn a_direct_bind_signs_in_with_the_right_password_only() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path());
    let console = Console::start(
        NOWHERE,
        &format!(
            "[auth.ldap]\nurl = \"{}\"\nbind_dn = \"uid={{user}},ou=people,dc=example,dc=org\"\n\
             admin_group = \"{ADMIN_GROUP}\"\n",
            slapd.url()
        ),
    )
    .await;
    let state = &console.state;

    let alice = sign_in(state, "192.0.2.1", "alice@example.org", "alicepw")
        .await
        .unwrap();
    assert_eq!(alice.source, UserSource::Ldap);
    assert_eq!(alice.role, Role::Admin, "a member of the admin group");
    assert_eq!(alice.display_name.as_deref(), Some("Alice Liddell"));
    let stored = console
        .store
        .user_by_address("alice@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, alice.id, "the first sign-in made the row");
    assert!(
        stored.password_hash.is_none(),
        "no password is kept for a directory user"
    );

    let bob = sign_in(state, "192.0.2.1", "bob@example.org", "bobpw")
        .await
        .unwrap();
    assert_eq!(bob.role, Role::User);

    let wrong = sign_in(state, "192.0.2.2", "bob@example.org", "alicepw")
        .await
        .unwrap_err();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let empty = sign_in(state, "192.0.2.2", "bob@example.org", "")
        .await
        .unwrap_err();
    assert_eq!(
        empty.status,
        StatusCode::UNAUTHORIZED,
        "LDAP would take it as anonymous"
    );
    let nobody = sign_in(state, "192.0.2.2", "nobody@example.org", "x")
        .await
        .unwrap_err();
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert!(
        console
            .store
            .user_by_address("nobody@example.org")
            .await
            .unwrap()
            .is_none()
    );
    // A DN injection: `,` and `=` in the local part are escaped into one RDN value.
    let injected = sign_in(state, "192.0.2.3", "bob,ou=people@example.org", "bobpw")
        .await
        .unwrap_err();
    assert_eq!(injected.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_then_bind_escapes_what_the_user_typed() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start(dir.path());
    let console = Console::start(
        NOWHERE,
        &format!(
            "[auth.ldap]\nurl = \"{}\"\nbase_dn = \"ou=people,dc=example,dc=org\"\n\
             filter = \"(uid={{user}})\"\nservice_dn = \"{ADMIN_DN}\"\nservice_password = \"{ADMIN_PASSWORD}\"\n",
            slapd.url()
        ),
    )
    .await;
    let state = &console.state;
    let bob = sign_in(state, "192.0.2.1", "bob@example.org", "bobpw")
        .await
        .unwrap();
    assert_eq!(bob.role, Role::User);
    // Unescaped, `(uid=o*)` would find `o*ll, y` and the bind with its password would sign
    // in a user who is not that entry.
    let star = sign_in(state, "192.0.2.4", "o*@example.org", "ostarpw")
        .await
        .unwrap_err();
    assert_eq!(star.status, StatusCode::UNAUTHORIZED);
    let wildcard = sign_in(state, "192.0.2.4", "*@example.org", "bobpw")
        .await
        .unwrap_err();
    assert_eq!(wildcard.status, StatusCode::UNAUTHORIZED);
    let closing = sign_in(state, "192.0.2.4", "bob)(uid=*@example.org", "bobpw")
        .await
        .unwrap_err();
    assert_eq!(closing.status, StatusCode::UNAUTHORIZED);
    assert!(
        console
            .store
            .user_by_address("o*@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_that_cannot_be_reached_is_an_outage_not_a_wrong_password() {
    let console = Console::start(
        NOWHERE,
        &format!(
            "[auth.ldap]\nurl = \"ldap://127.0.0.1:{}\"\nbind_dn = \"uid={{user}},ou=people,dc=example,dc=org\"\ntimeout = \"2s\"\n",
            postwarden_testkit::daemons::free_port()
        ),
    )
    .await;
    let error = sign_in(&console.state, "192.0.2.1", "bob@example.org", "bobpw")
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
    // Local users still sign in.
    sign_in(
        &console.state,
        "192.0.2.1",
        "alice@corp.example",
        common::PASSWORD,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn ldaps_and_starttls_sign_in_against_the_trusted_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    let slapd = Slapd::start_tls(dir.path());
    let ldap = |url: &str, starttls: bool, ca: Option<&std::path::Path>| {
        let mut text = format!(
            "[auth.ldap]\nurl = \"{url}\"\nstarttls = {starttls}\ntimeout = \"5s\"\n\
             bind_dn = \"uid={{user}},ou=people,dc=example,dc=org\"\n"
        );
        if let Some(ca) = ca {
            text.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
        }
        text
    };

    let over_ldaps = Console::start(
        NOWHERE,
        &ldap(&slapd.ldaps_url(), false, Some(slapd.ca_file())),
    )
    .await;
    let bob = sign_in(&over_ldaps.state, "192.0.2.1", "bob@example.org", "bobpw")
        .await
        .unwrap();
    assert_eq!(bob.source, UserSource::Ldap);
    let wrong = sign_in(&over_ldaps.state, "192.0.2.2", "bob@example.org", "alicepw")
        .await
        .unwrap_err();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "over TLS too");

    let with_starttls =
        Console::start(NOWHERE, &ldap(&slapd.url(), true, Some(slapd.ca_file()))).await;
    let alice = sign_in(
        &with_starttls.state,
        "192.0.2.1",
        "alice@example.org",
        "alicepw",
    )
    .await
    .unwrap();
    assert_eq!(alice.display_name.as_deref(), Some("Alice Liddell"));

    // A certificate no trusted CA signed is an outage, and no password crosses it.
    for (url, starttls) in [(slapd.ldaps_url(), false), (slapd.url(), true)] {
        let untrusted = Console::start(NOWHERE, &ldap(&url, starttls, None)).await;
        let error = sign_in(&untrusted.state, "192.0.2.3", "bob@example.org", "bobpw")
            .await
            .unwrap_err();
        assert_eq!(
            error.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{url} (starttls {starttls})"
        );
    }
}
