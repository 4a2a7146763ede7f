//! A private OpenLDAP `slapd` for tests: its own `slapd.conf` (mdb, suffix
//! `dc=example,dc=org`, the memberof overlay) in a temporary directory, on its own port,
//! killed on drop. The fixture is loaded through the running server with `ldapadd`, so the
//! overlay sets `memberOf`.
//!
//! Directory: `uid=alice` (alice@example.org, `alicepw`, member of `cn=mailadmins`),
//! `uid=bob` (bob@example.org, `bobpw`), and `uid=o*ll\2c y` (ostar@example.org, `ostarpw`),
//! whose name holds filter and DN metacharacters.

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
}

impl Slapd {
    /// Starts slapd in `dir` (which must exist) and loads the fixture.
    pub fn start(dir: &Path) -> Slapd {
        let db = dir.join("db");
        std::fs::create_dir_all(&db).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 include /etc/ldap/schema/nis.schema\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload memberof\n\
                 pidfile {d}/slapd.pid\nargsfile {d}/slapd.args\n\
                 database mdb\nmaxsize 104857600\nsuffix \"{SUFFIX}\"\n\
                 rootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PASSWORD}\ndirectory {d}/db\n\
                 index objectClass eq\nindex uid,mail eq\noverlay memberof\n\
                 access to attrs=userPassword by self write by anonymous auth by * none\n\
                 access to * by * read\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let daemon = Daemon::start(
            "slapd",
            Command::new("/usr/sbin/slapd").args([
                "-f",
                &dir.join("slapd.conf").display().to_string(),
                "-h",
                &format!("ldap://127.0.0.1:{port}/"),
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
        Slapd { daemon }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.daemon.port)
    }
}
