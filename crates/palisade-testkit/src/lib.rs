//! Test support: the upstream oracle (tools/oracle, the Kubernetes Go code itself) and a
//! small deterministic random generator for differential tests.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Builds (or reuses) the Go oracle and returns its path. In CI a missing Go toolchain is a
/// failure; on a developer machine without Go the differential tests are skipped loudly.
pub fn oracle() -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/oracle/build.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(Stdio::inherit())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .map(|l| l.trim().to_string()),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the Go oracle must build in CI: {other:?}"
            );
            eprintln!("SKIPPED: the Go oracle could not be built ({other:?})");
            None
        }
    }
}

/// Runs `oracle <command>` with `input` on stdin; one JSON value per output line.
pub fn run_oracle(bin: &str, command: &str, input: &str) -> Vec<Value> {
    let mut child = Command::new(bin)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("oracle starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle runs");
    writer
        .join()
        .expect("writer thread")
        .expect("oracle reads its input");
    assert!(out.status.success(), "oracle {command} failed");
    String::from_utf8(out.stdout)
        .expect("oracle prints UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle prints JSON lines"))
        .collect()
}

/// Deterministic xorshift64* generator, so a failing case reproduces from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// Seed from `var` when set (longer or different local runs), else `default`.
    pub fn from_env(var: &str, default: u64) -> Self {
        Rng::new(
            std::env::var(var)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(default),
        )
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// `None` (absent) or one of `values`.
    pub fn maybe<T: Clone>(&mut self, percent: u64, values: &[T]) -> Option<T> {
        self.chance(percent).then(|| self.pick(values))
    }
}

/// A count from an environment variable, for longer local runs.
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A real kube-apiserver and etcd started by `scripts/testcluster up` (built from the
/// official Go modules on first use, then cached), stopped when dropped.
pub struct TestCluster {
    /// The variables of the run's `env` file: `KUBECONFIG_ADMIN`, `KUBECONFIG_RESTRICTED`,
    /// `APISERVER_URL`, `AUDIT_LOG`, `RESTRICTED_USER`...
    pub env: std::collections::BTreeMap<String, String>,
}

impl TestCluster {
    /// Starts a cluster. In CI a failure to start is a test failure; on a machine without
    /// Go the integration tests are skipped loudly (`None`).
    pub fn start() -> Option<TestCluster> {
        TestCluster::start_with(&[])
    }

    /// Starts a cluster whose kube-apiserver gets `flags` besides the defaults
    /// (`--watch-cache=false`...; for single-valued flags the last one wins).
    pub fn start_with(flags: &[&str]) -> Option<TestCluster> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/testcluster");
        let mut up = Command::new("bash");
        up.arg(script).arg("up");
        if !flags.is_empty() {
            up.arg("--").args(flags);
        }
        let out = up.stderr(Stdio::inherit()).output();
        let last = match &out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .to_string(),
            other => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "the test control plane must start in CI: {other:?}"
                );
                eprintln!("SKIPPED: the test control plane could not start ({other:?})");
                return None;
            }
        };
        let run_dir = last
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("RUN_DIR="))
            .expect("testcluster up prints RUN_DIR= on its last line");
        let text = std::fs::read_to_string(format!("{run_dir}/env")).expect("the run's env file");
        let env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        Some(TestCluster { env })
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{name} is not in the test cluster's env file"))
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/testcluster");
        let _ = Command::new("bash")
            .arg(script)
            .arg("down")
            .arg(self.var("RUN_DIR"))
            .status();
    }
}
