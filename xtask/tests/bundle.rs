//! The Debian package of the desktop app: `xtask bundle` packages the debug build the test run
//! already has, the package's content is extracted into a scratch root (`dpkg-deb -x`, nothing
//! is installed on the machine), and the installed binary is started under Xvfb far enough to
//! show the sign-in screen. Needs what the end-to-end tests need (Xvfb, dbus-daemon,
//! WebKitWebDriver, tauri-driver) and `cargo build --workspace --bins` (`cargo xtask test`
//! does both); runs in nextest's `desktop-e2e` group (tauri-driver serves one session).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use taller_webview::{free_port, Driver, DriverOptions, Screen};

/// The workspace's debug binaries (this test's `xtask` is one of them).
fn debug_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_xtask")).parent().expect("the target's debug dir").to_owned()
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_installs_an_app_that_opens_on_the_sign_in_screen() {
    let desktop = debug_dir().join("taller-desktop");
    assert!(desktop.is_file(), "{} missing: run `cargo build --workspace --bins`", desktop.display());
    let scratch = tempfile::Builder::new().prefix("taller-bundle-").tempdir().expect("scratch dir");
    let out = scratch.path().join("out");
    run(Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bundle", "--binary"])
        .arg(&desktop)
        .arg("--out-dir")
        .arg(&out)
        .stdout(Stdio::null()));
    let debs: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("the output dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .collect();
    assert_eq!(debs.len(), 1, "one package in {}: {debs:?}", out.display());
    let deb = &debs[0];
    let name = deb.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
    assert!(name.starts_with("taller-desktop_") && name.ends_with(".deb"), "{name}");

    // The control file: what dpkg needs, and the WebKitGTK runtime among the dependencies.
    let fields =
        run(Command::new("dpkg-deb").arg("-f").arg(deb).args(["Package", "Version", "Architecture", "Depends"]));
    assert!(fields.contains("Package: taller-desktop"), "{fields}");
    assert!(fields.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))), "{fields}");
    assert!(fields.contains("libwebkit2gtk-4.1-0"), "the web view's library is a dependency: {fields}");

    // The content, in a scratch root.
    let root = scratch.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root));
    let installed = root.join("usr/bin/taller-desktop");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&installed).expect("the binary").permissions());
    assert_eq!(mode & 0o111, 0o111, "the installed binary is executable");
    let entry = std::fs::read_to_string(root.join("usr/share/applications/app.taller.desktop.desktop")).expect("entry");
    assert!(entry.contains("Exec=taller-desktop\n") && entry.contains("Icon=app.taller.desktop\n"), "{entry}");
    assert!(root.join("usr/share/icons/hicolor/256x256/apps/app.taller.desktop.png").is_file(), "the entry's icon");
    assert!(root.join("usr/share/doc/taller-desktop/copyright").is_file());

    // The installed binary, in the real window: the sign-in screen, in Spanish.
    let screen = Screen::start().expect("Xvfb and a session bus");
    let logs = scratch.path().join("logs.txt");
    let log = std::fs::File::create(&logs).expect("log file");
    let driver = Driver::start(DriverOptions {
        screen: &screen,
        home: &scratch.path().join("home"),
        log_level: "warn",
        stdout: Stdio::from(log.try_clone().expect("log")),
        stderr: Stdio::from(log),
    })
    .expect("tauri-driver");
    // A server that is not there: the sign-in screen shows anyway (it works offline).
    let server = format!("http://127.0.0.1:{}", free_port().expect("port"));
    let args: Vec<OsString> =
        vec!["--data-dir".into(), scratch.path().join("workstation").into(), "--server".into(), server.into()];
    let client = driver.session(&installed, &args, Duration::from_secs(60)).await.unwrap_or_else(|error| {
        panic!("no session with the installed app: {error:#}\n{}", std::fs::read_to_string(&logs).unwrap_or_default())
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let title = loop {
        let shown = client
            .execute(
                "const el = document.querySelector('#credentials-title'); return el ? el.textContent : null;",
                vec![],
            )
            .await
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned));
        match shown {
            Some(text) if text.contains("Iniciar sesión") => break text,
            _ if Instant::now() >= deadline => {
                let _closed = client.close().await;
                panic!("the installed app showed no sign-in screen in 30 s (last: {shown:?})");
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let lang = client.execute("return document.documentElement.lang;", vec![]).await.expect("lang");
    let closed = client.close().await;
    assert!(closed.is_ok(), "the WebDriver session ends: {closed:?}");
    assert_eq!(lang, serde_json::json!("es"), "Spanish first");
    assert!(title.contains("Iniciar sesión"), "{title}");
    drop(driver);
    drop(screen);
}
