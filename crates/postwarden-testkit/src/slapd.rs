//! A private OpenLDAP `slapd` for tests: its own `slapd.conf` (mdb, suffix
//! `dc=example,dc=org`, the memberof overlay) in a temporary directory, on its own port,
//! killed on drop. The fixture is loaded through the running server with `ldapadd`, so the
//! overlay sets `memberOf`.
//!
//! Directory: `uid=alice` (alice@example.org, `alicepw`, member of `cn=mailadmins`),
//! `uid=bob` (bob@example.org, `bobpw`), and `uid=o*ll\2c y` (ostar@example.org, `ostarpw`),
//! whose name holds filter and DN metacharacters.
//!
//! [`Slapd::start_tls`] also gives it a certificate (made with `openssl` by a CA of the
//! test's own, for `127.0.0.1`) and an `ldaps://` listener beside the plain one, where
//! StartTLS is offered.

use crate::daemons::{Daemon, free_port};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
pub const ADMIN_PASSWORD: &str = "adminpw";
pub const ADMIN_GROUP: &str = "cn=mailadmins,ou=groups,dc=example,dc=org";

const FIXTURE: &str = "dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
cn: Alice Liddell
sn: Liddell
displayName: Alice Liddell
mail: alice@example.org
userPassword: alicepw

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
mail: bob@example.org
userPassword: bobpw

dn: uid=o*ll\\2c y,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: o*ll, y
cn: O Star
sn: Star
mail: ostar@example.org
userPassword: ostarpw

dn: cn=mailadmins,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: mailadmins
member: uid=alice,ou=people,dc=example,dc=org
";

/// A running slapd with the fixture loaded.
pub struct Slapd {
    pub daemon: Daemon,
    /// With [`Slapd::start_tls`]: the `ldaps://` port and the CA that signed its certificate.
    tls: Option<(u16, std::path::PathBuf)>,
}

fn openssl(args: &[&str], dir: &Path) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Slapd {
    /// Starts slapd in `dir` (which must exist) and loads the fixture.
    pub fn start(dir: &Path) -> Slapd {
        Self::launch(dir, false)
    }

    /// The same with TLS: StartTLS on [`Slapd::url`], and [`Slapd::ldaps_url`].
    pub fn start_tls(dir: &Path) -> Slapd {
        Self::launch(dir, true)
    }

    /// `ldaps://127.0.0.1:PORT` (only with [`Slapd::start_tls`]).
    pub fn ldaps_url(&self) -> String {
        let (port, _) = self.tls.as_ref().expect("started with start_tls");
        format!("ldaps://127.0.0.1:{port}")
    }

    /// The CA certificate (PEM) that signed the server's (only with [`Slapd::start_tls`]).
    pub fn ca_file(&self) -> &Path {
        &self.tls.as_ref().expect("started with start_tls").1
    }

    fn launch(dir: &Path, tls: bool) -> Slapd {
        let db = dir.join("db");
        std::fs::create_dir_all(&db).unwrap();
        let d = dir.display();
        let tls_config = if tls {
            let ec = [
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ];
            let mut ca = vec![
                "req",
                "-x509",
                "-days",
                "2",
                "-subj",
                "/CN=postwarden test CA",
            ];
            ca.extend(ec);
            ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
            openssl(&ca, dir);
            let mut request = vec!["req", "-subj", "/CN=127.0.0.1"];
            request.extend(ec);
            request.extend(["-keyout", "server.key", "-out", "server.csr"]);
            openssl(&request, dir);
            std::fs::write(
                dir.join("server.ext"),
                "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n\
                 extendedKeyUsage = serverAuth\n",
            )
            .unwrap();
            openssl(
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    "server.ext",
                    "-out",
                    "server.pem",
                ],
                dir,
            );
            format!(
                "TLSCACertificateFile {d}/ca.pem\nTLSCertificateFile {d}/server.pem\n\
                 TLSCertificateKeyFile {d}/server.key\n"
            )
        } else {
            String::new()
        };
        std::fs::write(
            dir.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 include /etc/ldap/schema/nis.schema\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload memberof\n\
                 pidfile {d}/slapd.pid\nargsfile {d}/slapd.args\n{tls_config}\
                 database mdb\nmaxsize 104857600\nsuffix \"{SUFFIX}\"\n\
                 rootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PASSWORD}\ndirectory {d}/db\n\
                 index objectClass eq\nindex uid,mail eq\noverlay memberof\n\
                 access to attrs=userPassword by self write by anonymous auth by * none\n\
                 access to * by * read\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let tls_port = tls.then(free_port);
        let mut listen = format!("ldap://127.0.0.1:{port}/");
        if let Some(tls_port) = tls_port {
            listen.push_str(&format!(" ldaps://127.0.0.1:{tls_port}/"));
        }
        let daemon = Daemon::start(
            "slapd",
            Command::new("/usr/sbin/slapd").args([
                "-f",
                &dir.join("slapd.conf").display().to_string(),
                "-h",
                &listen,
                "-d",
                "0",
            ]),
            port,
            Duration::from_secs(20),
        );
        let fixture = dir.join("fixture.ldif");
        std::fs::write(&fixture, FIXTURE).unwrap();
        let output = Command::new("ldapadd")
            .args([
                "-x",
                "-H",
                &format!("ldap://127.0.0.1:{port}"),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-f",
                &fixture.display().to_string(),
            ])
            .stdout(Stdio::null())
            .output()
            .expect("ldapadd (ldap-utils; scripts/test installs it)");
        assert!(
            output.status.success(),
            "ldapadd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Slapd {
            daemon,
            tls: tls_port.map(|port| (port, dir.join("ca.pem"))),
        }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.daemon.port)
    }
}
