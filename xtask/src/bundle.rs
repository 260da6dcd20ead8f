//! `cargo xtask bundle`: a Debian package of the desktop app, built with `dpkg-deb` from the
//! app's binary (the front end is embedded in it), a desktop entry and the icon.
//!
//! The package holds:
//! - `usr/bin/taller-desktop`;
//! - `usr/share/applications/app.taller.desktop.desktop` (the menu entry, in Spanish and English);
//! - `usr/share/icons/hicolor/256x256/apps/app.taller.desktop.png`;
//! - `usr/share/doc/taller-desktop/copyright`;
//! - `DEBIAN/control`, whose `Depends` are the shared libraries the binary links, as
//!   `dpkg-shlibdeps` finds them on this machine (the WebKitGTK 4.1 runtime among them).
//!
//! With `--binary PATH` the given binary is packaged as it is (the tests package the debug
//! build they already have); without it the release build is made first.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cmd;

/// The package's name, the binary's and the desktop entry's id (Tauri's `identifier`).
pub const PACKAGE: &str = "taller-desktop";
pub const APP_ID: &str = "app.taller.desktop";

pub fn bundle(binary: Option<&Path>, out_dir: Option<&Path>) -> Result<PathBuf> {
    let root = cmd::workspace_root();
    let binary = match binary {
        Some(binary) => binary.to_owned(),
        None => {
            cmd::announce("building the desktop app (release)");
            cmd::run(Command::new("npm").args(["run", "build"]).current_dir(root.join("ui")))?;
            cmd::run(cmd::cargo().args(["build", "--release", "-p", PACKAGE]).current_dir(&root))?;
            cmd::target_dir(&root).join("release").join(PACKAGE)
        }
    };
    if !binary.is_file() {
        bail!("{} is not a file: build the desktop app first", binary.display());
    }
    let out_dir = out_dir.map(Path::to_owned).unwrap_or_else(|| cmd::target_dir(&root).join("bundle"));
    let stage = out_dir.join("stage");
    if stage.exists() {
        std::fs::remove_dir_all(&stage).with_context(|| format!("clearing {}", stage.display()))?;
    }
    let version = workspace_version(&root)?;
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;

    let bin_dir = stage.join("usr/bin");
    std::fs::create_dir_all(&bin_dir)?;
    let installed = bin_dir.join(PACKAGE);
    std::fs::copy(&binary, &installed).with_context(|| format!("copying {}", binary.display()))?;
    set_mode(&installed, 0o755)?;
    // Debug information stays out of the package (a debug build's would be most of it).
    cmd::run(Command::new("strip").args(["--strip-debug"]).arg(&installed))?;

    write(&stage.join(format!("usr/share/applications/{APP_ID}.desktop")), &desktop_entry())?;
    let icon = stage.join(format!("usr/share/icons/hicolor/256x256/apps/{APP_ID}.png"));
    std::fs::create_dir_all(icon.parent().context("icon dir")?)?;
    std::fs::copy(root.join("src-tauri/icons/icon.png"), &icon).context("copying the icon")?;
    write(&stage.join(format!("usr/share/doc/{PACKAGE}/copyright")), &copyright(&root)?)?;

    let depends = shared_library_depends(&stage, &installed)?;
    let size_kib = tree_size(&stage)?.div_ceil(1024);
    write(&stage.join("DEBIAN/control"), &control(&version, &arch, &depends, size_kib))?;

    let deb = out_dir.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    cmd::run(Command::new("dpkg-deb").args(["--build", "--root-owner-group", "-Zgzip"]).arg(&stage).arg(&deb))?;
    std::fs::remove_dir_all(&stage).ok();
    cmd::note(&format!("package: {}", deb.display()));
    Ok(deb)
}

fn desktop_entry() -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Taller\nGenericName=Inventario de taller\nGenericName[en]=Workshop inventory\n\
         Comment=Inventario de repuestos, traslados y conteos, también sin conexión\n\
         Comment[en]=Spare parts inventory, transfers and counts, offline too\n\
         Exec={PACKAGE}\nIcon={APP_ID}\nTerminal=false\nCategories=Office;\nStartupWMClass=taller-desktop\n"
    )
}

fn control(version: &str, arch: &str, depends: &str, size_kib: u64) -> String {
    format!(
        "Package: {PACKAGE}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Taller <taller@taller.test>\n\
         Installed-Size: {size_kib}\nDepends: {depends}\nSection: misc\nPriority: optional\n\
         Description: Taller: offline-first inventory for scooter workshops\n \
         The desktop app of Taller: inventory by location, technician movements,\n \
         transfers, counts and warranty claims, with a local replica that keeps\n \
         working without the network and syncs with the Taller server.\n"
    )
}

fn copyright(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let license = manifest_value(&manifest, "license").unwrap_or_else(|| "see the source".to_owned());
    Ok(format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: Taller\n\nFiles: *\nCopyright: The Taller developers\nLicense: {license}\n"
    ))
}

/// `version = "…"` of the workspace's `[workspace.package]`.
fn workspace_version(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    manifest_value(&manifest, "version").context("no version in [workspace.package]")
}

fn manifest_value(manifest: &str, key: &str) -> Option<String> {
    let section = manifest.split("[workspace.package]").nth(1)?;
    section.lines().take_while(|line| !line.trim_start().starts_with('[')).find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// The `Depends` of the binary's shared libraries, from `dpkg-shlibdeps` (it wants a
/// `debian/control` beside the tree it looks at).
fn shared_library_depends(stage: &Path, binary: &Path) -> Result<String> {
    let work = stage.parent().context("stage dir")?.join("shlibdeps");
    std::fs::create_dir_all(work.join("debian"))?;
    write(&work.join("debian/control"), &format!("Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n"))?;
    let out = output(Command::new("dpkg-shlibdeps").arg("-O").arg(binary).current_dir(&work))?;
    std::fs::remove_dir_all(&work).ok();
    let depends = out
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .map(str::to_owned)
        .context("dpkg-shlibdeps gave no shlibs:Depends")?;
    Ok(depends)
}

fn tree_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { tree_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().context("a file in a directory")?)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    set_mode(path, 0o644)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

fn output(command: &mut Command) -> Result<String> {
    let shown = cmd::display(command);
    let out = command.output().with_context(|| format!("running {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_version_is_read_from_its_package_section() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"1.2.3\"\nlicense = \"MIT\"\n\n[workspace.dependencies]\nversion = \"9\"\n";
        assert_eq!(manifest_value(manifest, "version").as_deref(), Some("1.2.3"));
        assert_eq!(manifest_value(manifest, "license").as_deref(), Some("MIT"));
        assert_eq!(manifest_value(manifest, "edition"), None);
    }

    #[test]
    fn the_control_file_has_every_field_dpkg_requires() {
        let control = control("0.1.0", "amd64", "libc6 (>= 2.34)", 1234);
        for field in
            ["Package: taller-desktop", "Version: 0.1.0", "Architecture: amd64", "Maintainer: ", "Description: "]
        {
            assert!(control.contains(field), "{field} in {control}");
        }
        assert!(control.ends_with('\n'));
        // Continuation lines of the description start with a space.
        assert!(control.lines().skip_while(|l| !l.starts_with("Description")).skip(1).all(|l| l.starts_with(' ')));
    }
}
