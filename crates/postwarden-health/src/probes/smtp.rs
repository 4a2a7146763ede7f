//! `[health.smtp]`: each address greets with a `220` banner (Postfix's smtpd, the
//! re-injection service on :10025, the filter itself).

use crate::Reading;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub(super) const NAME: &str = "smtp";

/// The banner's text when `lines` (a complete, possibly multi-line reply) is a 220
/// greeting; otherwise what was said instead.
pub fn parse_banner(lines: &[String]) -> Result<String, String> {
    let last = lines.last().ok_or("closed without a greeting")?;
    let code = last.get(..3).unwrap_or_default();
    let text = last.get(4..).unwrap_or_default().trim().to_owned();
    match code {
        "220" => Ok(text),
        _ => Err(format!("greeted with `{}`", last.trim())),
    }
}

pub(super) async fn check(addresses: &[String], timeout: Duration) -> Reading {
    let mut greeted = Vec::new();
    let mut problems = Vec::new();
    for address in addresses {
        match tokio::time::timeout(timeout, banner(address)).await {
            Ok(Ok(text)) => greeted.push(format!("{address}: {text}")),
            Ok(Err(e)) => problems.push(format!("{address}: {e}")),
            Err(_) => problems.push(format!("{address}: no greeting within {timeout:?}")),
        }
    }
    if problems.is_empty() {
        Reading::ok(NAME, greeted.join("; "))
    } else {
        Reading::failing(NAME, problems.join("; "))
    }
}

/// Reads the greeting (all its lines) and says QUIT.
async fn banner(address: &str) -> Result<String, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            break;
        }
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last || lines.len() > 20 {
            break;
        }
    }
    let result = parse_banner(&lines);
    write.write_all(b"QUIT\r\n").await.ok();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners() {
        let one = vec!["220 mx.example.org ESMTP Postfix\r\n".to_owned()];
        assert_eq!(parse_banner(&one).unwrap(), "mx.example.org ESMTP Postfix");
        let multi = vec![
            "220-mx.example.org\r\n".to_owned(),
            "220 ready\r\n".to_owned(),
        ];
        assert_eq!(parse_banner(&multi).unwrap(), "ready");
        let busy = vec!["421 4.3.2 Service shutting down\r\n".to_owned()];
        assert_eq!(
            parse_banner(&busy).unwrap_err(),
            "greeted with `421 4.3.2 Service shutting down`"
        );
        assert_eq!(parse_banner(&[]).unwrap_err(), "closed without a greeting");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(lines in proptest::collection::vec(".{0,40}", 0..4)) {
            let _ = parse_banner(&lines);
        }
    }
}
