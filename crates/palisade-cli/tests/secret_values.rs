//! A security tool must never leak what it finds: scan manifests full of (fake) secrets in
//! every output format, with every rule and the compliance view on, and require that no
//! secret value (nor a long piece of one) appears anywhere in what Palisade writes.

use assert_cmd::Command;

const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DB_PASSWORD: &str = "Str0ng-But-Committed-9f8e7d";
const SMTP_PASSWORD_B64: &str = "c210cC1wYXNzd29yZC0xMjM0NTY3OA=="; // base64 of smtp-password-12345678
const SMTP_PASSWORD: &str = "smtp-password-12345678";
const GITHUB_TOKEN: &str = "ghp_R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng00";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGluaWMiLCJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJlLW5vdC1yZWFs";
const AESCBC_KEY: &str = "c2VjcmV0IGlzIHNlY3VyZSwgaSB0aGluayBzbyBmb3Igc3VyZQ==";
const PEM_BODY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";

fn manifests() -> String {
    format!(
        "\
apiVersion: v1
kind: Secret
metadata: {{name: smtp, namespace: shop}}
type: Opaque
data:
  password: {SMTP_PASSWORD_B64}
stringData:
  db-password: {DB_PASSWORD}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: shop}}
data:
  AWS_ACCESS_KEY_ID: {AWS_KEY}
  AWS_SECRET_ACCESS_KEY: {AWS_SECRET}
  session_token: {JWT}
  app.properties: |
    github.token={GITHUB_TOKEN}
    db.password={DB_PASSWORD}
  tls.key: |
    -----BEGIN PRIVATE KEY-----
    {PEM_BODY}
    -----END PRIVATE KEY-----
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  template:
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - {{name: AWS_SECRET_ACCESS_KEY, value: {AWS_SECRET}}}
            - {{name: GITHUB_TOKEN, value: {GITHUB_TOKEN}}}
            - {{name: DB_PASSWORD, value: {DB_PASSWORD}}}
---
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
            - {{name: key1, secret: {AESCBC_KEY}}}
      - identity: {{}}
"
    )
}

/// Every secret value, and every 10-character window of it: a partial leak is a leak.
fn forbidden() -> Vec<String> {
    let mut out = Vec::new();
    for v in [
        AWS_KEY,
        AWS_SECRET,
        DB_PASSWORD,
        SMTP_PASSWORD_B64,
        SMTP_PASSWORD,
        GITHUB_TOKEN,
        JWT,
        AESCBC_KEY,
        PEM_BODY,
    ] {
        let chars: Vec<char> = v.chars().collect();
        for w in chars.windows(10) {
            out.push(w.iter().collect());
        }
    }
    out
}

#[test]
fn no_output_format_contains_a_secret_value() {
    let dir = std::env::temp_dir().join(format!("palisade-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.yaml"), manifests()).unwrap();
    let mut rules_seen = std::collections::BTreeSet::new();
    for format in ["table", "json", "sarif", "junit"] {
        let out = Command::cargo_bin("palisade")
            .unwrap()
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args([
                "scan",
                "app.yaml",
                "--no-config",
                "--framework",
                "all",
                "-f",
                format,
            ])
            .args(["--write-baseline", "baseline.json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: everything baselined on write"
        );
        let baseline = std::fs::read_to_string(dir.join("baseline.json")).unwrap();
        let text = format!(
            "{}{}{baseline}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for piece in forbidden() {
            assert!(
                !text.contains(&piece),
                "{format} output contains secret material {piece:?}"
            );
        }
        if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            for f in v["findings"].as_array().unwrap() {
                rules_seen.insert(f["rule_id"].as_str().unwrap().to_string());
            }
        }
    }
    // The secrets were found (so the test is not passing by finding nothing).
    for id in ["SEC001", "SEC002", "SEC003", "ENC005"] {
        assert!(
            rules_seen.contains(id),
            "{id} did not report: {rules_seen:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
