//! The demo's roles that run as their own processes, as an operator runs them: each a `bithive`
//! subcommand with its own files in its own directory of the demo home, so no process of the
//! demo holds another role's secrets (issue #43): the blinding service and the relayer, and
//! the key authority's one-shot commands.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::demo::platform::{fail, DemoError};

/// How long a role has to become ready (the relayer loads its ONNX models first), and a
/// one-shot role to finish.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// `bithive <args>` with the demo's settings: warnings and errors logged, no stdin, and the
/// kernel's SIGTERM to it when the demo dies (even by SIGKILL), so no role outlives the demo.
fn command(exe: &std::path::Path, args: &[OsString]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    // SAFETY: prctl is async-signal-safe and touches only the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// How the demo knows a role is up.
pub enum Ready<'a> {
    /// It printed a stdout line starting with this (the rest, e.g. its URL, is kept).
    Line(&'a str),
    /// It accepts connections on this address (its `/health`).
    Listening(SocketAddr),
}

/// The `bithive` binary the roles run: `BITHIVE_EXE`, else this program when it is `bithive`,
/// else the `bithive` beside the directory this program is in (a test binary in
/// `target/<profile>/deps` runs `target/<profile>/bithive`, which cargo builds for the tests).
pub fn bithive_exe() -> Result<PathBuf, DemoError> {
    if let Some(p) = std::env::var_os("BITHIVE_EXE") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().map_err(|e| fail("the bithive binary")(&e))?;
    // Linux names a program whose file was replaced while it ran (a rebuild, an upgrade)
    // "<path> (deleted)"; the file now at <path> is the one to run.
    let me = match me.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
        Some(path) => PathBuf::from(path),
        None => me,
    };
    let name = format!("bithive{}", std::env::consts::EXE_SUFFIX);
    if me.file_name().is_some_and(|n| n == name.as_str()) {
        return Ok(me);
    }
    me.parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join(&name))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            fail("the bithive binary")(&"not found beside this program: set BITHIVE_EXE")
        })
}

/// Runs `bithive <args>` to its end (a one-shot role, such as the key authority's commands);
/// its stdout goes to the demo's stderr; an exit other than success is an error.
pub async fn run_once(name: &'static str, args: Vec<OsString>) -> Result<(), DemoError> {
    let exe = bithive_exe()?;
    let out = tokio::time::timeout(START_TIMEOUT, command(&exe, &args).output())
        .await
        .map_err(|_| fail(name)(&"did not finish within 120 s"))?
        .map_err(|e| fail(name)(&format!("{}: {e}", exe.display())))?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        eprintln!("{name}: {line}");
    }
    match out.status.success() {
        true => Ok(()),
        false => Err(fail(name)(&format!("exited ({})", out.status))),
    }
}

/// A role running as a child process of the demo.
pub struct RoleProcess {
    name: &'static str,
    child: Child,
    /// How long it has to stop after SIGTERM before it is killed.
    stop_timeout: Duration,
    /// What its ready line said after the prefix (the URL it listens on).
    pub ready: String,
}

impl RoleProcess {
    /// Starts `bithive <args>` and waits until it is [`Ready`]. Its stdout (other than the ready
    /// line) and its logs (warnings and errors) go to the demo's stderr.
    pub async fn start(
        name: &'static str,
        args: Vec<OsString>,
        ready: Ready<'_>,
        stop_timeout: Duration,
    ) -> Result<Self, DemoError> {
        let exe = bithive_exe()?;
        let mut child = command(&exe, &args)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| fail(name)(&format!("{}: {e}", exe.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| fail(name)(&"no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = match ready {
            Ready::Line(prefix) => {
                let waited = tokio::time::timeout(START_TIMEOUT, async {
                    while let Some(line) = lines.next_line().await? {
                        if let Some(rest) = line.strip_prefix(prefix) {
                            return Ok(Some(rest.trim().to_string()));
                        }
                    }
                    Ok::<_, std::io::Error>(None)
                })
                .await;
                match waited {
                    Ok(Ok(Some(r))) => {
                        forward(name, lines);
                        r
                    }
                    Ok(Ok(None)) => {
                        let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
                            .await
                            .map_err(|_| fail(name)(&"closed its stdout before it was ready"))?
                            .map_err(|e| fail(name)(&e))?;
                        return Err(fail(name)(&format!(
                            "exited ({status}) before it was ready"
                        )));
                    }
                    Ok(Err(e)) => return Err(fail(name)(&e)),
                    Err(_) => return Err(fail(name)(&"not ready after 120 s")),
                }
            }
            Ready::Listening(addr) => {
                forward(name, lines);
                let deadline = tokio::time::Instant::now() + START_TIMEOUT;
                loop {
                    if let Some(status) = child.try_wait().map_err(|e| fail(name)(&e))? {
                        return Err(fail(name)(&format!(
                            "exited ({status}) before it was ready"
                        )));
                    }
                    // Its own server: an HTTP answer on `/health`, from a child still running
                    // (another process holding the port would answer without it).
                    if answers_http(addr).await && child.try_wait().ok().flatten().is_none() {
                        break format!("http://{addr}");
                    }
                    if tokio::time::Instant::now() > deadline {
                        return Err(fail(name)(&format!("not listening on {addr} after 120 s")));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Ok(Self {
            name,
            child,
            stop_timeout,
            ready,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM (the role shuts down gracefully), then waits; killed if it does not stop in time.
    /// An exit other than success is an error.
    pub async fn stop(mut self) -> Result<(), DemoError> {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: a signal to our own child, whose pid is held (not yet reaped).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        match tokio::time::timeout(self.stop_timeout, self.child.wait()).await {
            Ok(Ok(s)) if s.success() => Ok(()),
            Ok(Ok(s)) => Err(fail(self.name)(&format!("stopped with {s}"))),
            Ok(Err(e)) => Err(fail(self.name)(&e)),
            Err(_) => {
                let _ = self.child.kill().await;
                let secs = self.stop_timeout.as_secs();
                Err(fail(self.name)(&format!(
                    "did not stop within {secs} s of SIGTERM: killed"
                )))
            }
        }
    }

    /// Fails when the role has exited (it should run until stopped).
    pub fn check_running(&mut self) -> Result<(), DemoError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(s)) => Err(fail(self.name)(&format!("exited ({s})"))),
            Err(e) => Err(fail(self.name)(&e)),
        }
    }
}

/// Reads a role's stdout to the end onto the demo's stderr, so a full pipe never blocks it.
fn forward(
    name: &'static str,
    mut lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) {
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{name}: {line}");
        }
    });
}

/// Whether `addr` answers `GET /health` with an HTTP status line (any status).
async fn answers_http(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        let req = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut head = [0u8; 8];
        s.read_exact(&mut head).await.ok()?;
        Some(head.starts_with(b"HTTP/1."))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), exchange).await,
        Ok(Some(true))
    )
}
