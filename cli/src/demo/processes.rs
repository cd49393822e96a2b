//! The demo's roles that run as their own processes, as an operator runs them: each a `bithive`
//! subcommand with its own files in its own directory of the demo home, so no process of the
//! demo holds another role's secrets (issue #43). Today: the blinding service.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::demo::platform::{fail, DemoError};

/// How long a role has to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a role has to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The `bithive` binary the roles run: `BITHIVE_EXE`, else this program when it is `bithive`,
/// else the `bithive` beside the directory this program is in (a test binary in
/// `target/<profile>/deps` runs `target/<profile>/bithive`, which cargo builds for the tests).
pub fn bithive_exe() -> Result<PathBuf, DemoError> {
    if let Some(p) = std::env::var_os("BITHIVE_EXE") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().map_err(|e| fail("the bithive binary")(&e))?;
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

/// A role running as a child process of the demo.
pub struct RoleProcess {
    name: &'static str,
    child: Child,
    /// What its ready line said after the prefix (the URL it listens on).
    pub ready: String,
}

impl RoleProcess {
    /// Starts `bithive <args>` and waits for the stdout line starting with `ready_prefix`.
    /// Its logs (warnings and errors) go to the demo's stderr.
    pub async fn start(
        name: &'static str,
        args: Vec<OsString>,
        ready_prefix: &str,
    ) -> Result<Self, DemoError> {
        let exe = bithive_exe()?;
        let mut child = Command::new(&exe)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(name)(&format!("{}: {e}", exe.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| fail(name)(&"no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix(ready_prefix) {
                    return Ok(Some(rest.trim().to_string()));
                }
            }
            Ok::<_, std::io::Error>(None)
        })
        .await;
        let ready = match ready {
            Ok(Ok(Some(r))) => r,
            Ok(Ok(None)) => {
                let status = child.wait().await.map_err(|e| fail(name)(&e))?;
                return Err(fail(name)(&format!(
                    "exited ({status}) before it was ready"
                )));
            }
            Ok(Err(e)) => return Err(fail(name)(&e)),
            Err(_) => return Err(fail(name)(&"not ready after 60 s")),
        };
        // Keep reading its stdout, so a full pipe never blocks it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { name, child, ready })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM (the role shuts down gracefully), then waits; killed if it does not stop in time.
    /// An exit other than success is an error.
    pub async fn stop(mut self) -> Result<(), DemoError> {
        if let Some(pid) = self.child.id() {
            // `kill` rather than libc: no unsafe code for one signal.
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(s)) if s.success() => Ok(()),
            Ok(Ok(s)) => Err(fail(self.name)(&format!("stopped with {s}"))),
            Ok(Err(e)) => Err(fail(self.name)(&e)),
            Err(_) => {
                let _ = self.child.kill().await;
                Err(fail(self.name)(
                    &"did not stop within 10 s of SIGTERM: killed",
                ))
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
