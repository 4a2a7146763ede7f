//! `postwarden scan FILE.eml --from A --to B --client-ip IP --helo NAME --format json` as
//! the contract of "Know who really sent it" has it: the findings with the numeric
//! `phishing` and `bec` scores and the `Authentication-Results` the filter would add,
//! against a DNS server on loopback publishing the sender's SPF and DMARC policy.

use postwarden_testkit::dns::{DnsServer, Zones};
use serde_json::Value;
use std::process::Command;

const SPOOF: &str = "From: \"Bank Security\" <security@bank.example>\r\nTo: alice@example.org\r\n\
Subject: Unusual sign-in activity\r\nMessage-ID: <s1@bank.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>Your account will be suspended.</p>\r\n\
<a href=\"https://bank-example.login-check.example/verify\">https://www.bank.example/login</a>\r\n";

const IMPOSTOR: &str = "From: \"Jane Doe\" <jane.doe.office@gmail.com>\r\nTo: cfo@example.org\r\n\
Subject: Quick favour\r\nMessage-ID: <i1@gmail.com>\r\n\r\n\
Are you available? I need you to buy gift cards for a client today. Keep this confidential.\r\n";

fn scan(dir: &std::path::Path, message: &str, args: &[&str]) -> Value {
    let file = dir.join("message.eml");
    std::fs::write(&file, message).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_postwarden"))
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(dir.join("postwarden.toml"))
        .arg("scan")
        .arg(&file)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_prints_scores_findings_and_the_authentication_results_it_would_add() {
    let dns = DnsServer::start(
        Zones::new()
            .txt("bank.example", "v=spf1 ip4:192.0.2.10 -all")
            .txt("_dmarc.bank.example", "v=DMARC1; p=reject"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("postwarden.toml"),
        format!(
            "data_dir = \"{}\"\n[dns]\nnameservers = [\"{}\"]\n[filter]\nauthserv_id = \"mx.example.org\"\n\
             [[filter.processors]]\ntype = \"auth\"\n\
             [[filter.processors]]\ntype = \"phishing\"\nvips = [\"Jane Doe <ceo@example.org>\"]\nown_domains = [\"example.org\"]\n",
            dir.path().join("data").display(),
            dns.addr()
        ),
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let (spoofed, impostor) = tokio::task::spawn_blocking(move || {
        let spoofed = scan(
            &path,
            SPOOF,
            &[
                "--from",
                "security@bank.example",
                "--to",
                "alice@example.org",
                "--client-ip",
                "203.0.113.5",
                "--helo",
                "mail.attacker.example",
            ],
        );
        let impostor = scan(
            &path,
            IMPOSTOR,
            &[
                "--from",
                "jane.doe.office@gmail.com",
                "--to",
                "cfo@example.org",
            ],
        );
        (spoofed, impostor)
    })
    .await
    .unwrap();

    let results = spoofed["authentication_results"].as_str().unwrap();
    assert!(results.starts_with("mx.example.org;"), "{results}");
    assert!(results.contains("spf=fail"), "{results}");
    assert!(results.contains("dmarc=fail"), "{results}");
    let reasons: Vec<&str> = spoofed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("dmarc_fail: bank.example p=reject")),
        "{reasons:#?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("link_text_mismatch")),
        "{reasons:#?}"
    );
    assert!(spoofed["phishing"].as_f64().unwrap() >= 0.8, "{spoofed}");
    assert!(spoofed["bec"].is_number(), "{spoofed}");
    assert_eq!(spoofed["verdicts"][0]["action"], "reject", "{spoofed}");

    assert!(impostor["bec"].as_f64().unwrap() >= 0.8, "{impostor}");
    assert!(
        impostor["bec_reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("vip_display_name"),
        "{impostor}"
    );
    assert_eq!(
        impostor["verdicts"][0]["action"], "quarantine",
        "{impostor}"
    );
    assert!(
        impostor["authentication_results"]
            .as_str()
            .unwrap()
            .contains("spf=none")
            || impostor["authentication_results"]
                .as_str()
                .unwrap()
                .contains("dmarc=none"),
        "{impostor}"
    );
}
