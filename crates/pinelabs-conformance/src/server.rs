//! A child-process server on a free loopback port, killed on drop, with
//! bounded waits.

use std::{
    fs::File,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};

/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A server process, killed on drop. Its output goes to a log file.
#[derive(Debug)]
pub struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Spawns `command` (to which `port` was given) and waits until it
    /// listens on `127.0.0.1:port`.
    pub fn spawn(mut command: Command, port: u16, name: &str) -> anyhow::Result<Self> {
        let log = std::env::temp_dir().join(format!("pinelabs-{name}-{port}.log"));
        let out = File::create(&log).context("cannot create the server log")?;
        let err = out.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let mut server = Server { child, port, log };
        server.wait_until_listening(name)?;
        println!("==> {name} listening on 127.0.0.1:{port}");
        Ok(server)
    }

    fn wait_until_listening(&mut self, name: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while started.elapsed() < START_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{name} exited with {status} before listening:\n{}",
                    self.log_text()
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!(
            "{name} did not listen within {START_TIMEOUT:?}:\n{}",
            self.log_text()
        )
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything the server printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails when the server's log mentions a spec violation (Prism).
    pub fn assert_no_violations(&self) -> anyhow::Result<()> {
        // Let the server flush the lines of the last requests.
        std::thread::sleep(Duration::from_millis(300));
        let log = self.log_text();
        let violations: Vec<&str> = log
            .lines()
            .filter(|l| l.to_ascii_lowercase().contains("violation"))
            .collect();
        ensure!(
            violations.is_empty(),
            "spec violations reported:\n{}",
            violations.join("\n")
        );
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
