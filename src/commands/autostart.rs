//! `webtoonme autostart on|off|status [--kiosk] [--json]`: start the booth when the booth user
//! logs in, through an XDG autostart entry (GNOME, KDE, Xfce, LXQt and most other desktops read
//! them).
//!
//! In: the action; the user config folder (`$XDG_CONFIG_HOME`, else `~/.config`); the running
//! executable. Out: `<config>/autostart/webtoonme.desktop` written atomically (a temporary file
//! in the same folder, synced, then renamed) or removed; a line, or with `--json` one object
//! (see [`AutostartStatus`]). The entry runs the absolute path of this executable (symlinks
//! resolved) with `live`, and with `--kiosk` `live --fullscreen`: the window's kiosk mode
//! (controls hide, attract screen, Esc twice or the configured leave key leaves it; its timeouts
//! are the config's `[kiosk]` table). Main thread.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// Arguments of `webtoonme autostart`.
#[derive(Debug, clap::Args)]
pub struct AutostartArgs {
    /// on: start `webtoonme live` at login; off: stop doing so; status: whether it is on and what it runs.
    #[arg(value_enum)]
    pub action: AutostartAction,
    /// With `on`: start fullscreen in kiosk mode (`live --fullscreen`).
    #[arg(long)]
    pub kiosk: bool,
    /// Print JSON (`{ "on", "file", "command", "kiosk", "program_exists" }`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AutostartAction {
    On,
    Off,
    Status,
}

/// The entry's file name inside `<config>/autostart/`.
pub const ENTRY_FILE: &str = "webtoonme.desktop";

/// What `autostart --json` prints (after `on` and `off` too: the state they left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutostartStatus {
    /// An entry is there and not disabled (`Hidden=true` or `X-GNOME-Autostart-enabled=false`).
    pub on: bool,
    /// The entry's path (whether or not it exists).
    pub file: String,
    /// The program and its arguments the entry runs (empty when there is no entry).
    pub command: Vec<String>,
    /// The entry starts the window fullscreen (kiosk mode).
    pub kiosk: bool,
    /// Whether the program the entry runs is still there (None without an entry).
    pub program_exists: Option<bool>,
}

pub fn run(args: &AutostartArgs) -> anyhow::Result<()> {
    if args.kiosk && args.action != AutostartAction::On {
        anyhow::bail!("autostart: --kiosk goes with `on` (`webtoonme autostart on --kiosk`)");
    }
    let config = crate::paths::user_config_dir()
        .context("autostart: no config folder (neither XDG_CONFIG_HOME nor HOME is set)")?;
    let changed = match args.action {
        AutostartAction::On => {
            let exe = crate::paths::current_exe().context("autostart: cannot tell where this program is")?;
            enable(&config, &exe, args.kiosk)?;
            true
        }
        AutostartAction::Off => disable(&config)?,
        AutostartAction::Status => false,
    };
    let status = status(&config)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(());
    }
    match (args.action, status.on) {
        (AutostartAction::Off, _) if changed => println!("autostart off: removed {}", status.file),
        (AutostartAction::Off, _) => println!("autostart was already off ({} does not exist)", status.file),
        (_, false) if status.program_exists.is_some() => {
            println!("autostart: off ({} is there but disabled by the desktop)", status.file)
        }
        (_, false) => println!("autostart: off ({} does not exist)", status.file),
        (_, true) => {
            let mode = if status.kiosk { "fullscreen kiosk" } else { "window" };
            println!("autostart: on ({mode}): at login {} runs {}", status.file, status.command.join(" "));
        }
    }
    if status.program_exists == Some(false) {
        println!(
            "warning: {} does not exist any more; run `webtoonme autostart on` from the installed program",
            status.command.first().map_or("the program", String::as_str)
        );
    }
    Ok(())
}

/// `<config>/autostart/webtoonme.desktop`.
pub fn entry_path(config_dir: &Path) -> PathBuf {
    config_dir.join("autostart").join(ENTRY_FILE)
}

/// The arguments the entry gives `exe`.
pub fn live_args(kiosk: bool) -> &'static [&'static str] {
    if kiosk { &["live", "--fullscreen"] } else { &["live"] }
}

/// The desktop entry that starts `exe live` (`--fullscreen` with `kiosk`) at login.
pub fn entry_text(exe: &Path, kiosk: bool) -> anyhow::Result<String> {
    let exe_str = exe.to_str().with_context(|| format!("{}: the program's path is not UTF-8", exe.display()))?;
    if exe_str.contains(['\n', '\r']) {
        anyhow::bail!("{}: the program's path has a line break", exe.display());
    }
    let mut exec = quote_exec_arg(exe_str);
    for a in live_args(kiosk) {
        exec.push(' ');
        exec.push_str(a);
    }
    let comment = if kiosk { "the webtoon booth, fullscreen (kiosk mode)" } else { "the webtoon booth" };
    Ok(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=webtoonme\n\
         Comment=Starts {comment} at login (written by `webtoonme autostart on`)\n\
         Exec={exec}\n\
         Icon=webtoonme\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n"
    ))
}

/// Writes the entry atomically; returns its path.
pub fn enable(config_dir: &Path, exe: &Path, kiosk: bool) -> anyhow::Result<PathBuf> {
    let path = entry_path(config_dir);
    let text = entry_text(exe, kiosk)?;
    let dir = path.parent().expect("the entry is inside a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let tmp = dir.join(format!(".{ENTRY_FILE}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("{}: cannot write: {e}", path.display())
    })?;
    Ok(path)
}

/// Removes the entry; false when there was none.
pub fn disable(config_dir: &Path) -> anyhow::Result<bool> {
    let path = entry_path(config_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(anyhow::anyhow!("{}: cannot remove: {e}", path.display())),
    }
}

/// Whether the entry is there, enabled, and what it runs.
pub fn status(config_dir: &Path) -> anyhow::Result<AutostartStatus> {
    let path = entry_path(config_dir);
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(AutostartStatus { on: false, file, command: Vec::new(), kiosk: false, program_exists: None });
        }
        Err(e) => anyhow::bail!("{file}: cannot read: {e}"),
    };
    let mut in_entry = false;
    let (mut exec, mut hidden, mut enabled) = (None, false, true);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|_| in_entry) else { continue };
        match key.trim() {
            "Exec" => exec = Some(value.trim().to_string()),
            "Hidden" => hidden = value.trim() == "true",
            "X-GNOME-Autostart-enabled" => enabled = value.trim() != "false",
            _ => {}
        }
    }
    let command = exec.as_deref().map(split_exec).unwrap_or_default();
    let program_exists = Some(command.first().is_some_and(|p| Path::new(p).is_file()));
    let kiosk = command.iter().skip(1).any(|a| a == "--fullscreen");
    Ok(AutostartStatus { on: !hidden && enabled && !command.is_empty(), file, command, kiosk, program_exists })
}

/// One Exec argument as the Desktop Entry Specification wants it: quoted when it holds a
/// reserved character (`"`, `` ` ``, `$` and `\` escaped inside), `%` doubled, and then the
/// value's own escaping of `\`.
pub fn quote_exec_arg(arg: &str) -> String {
    const RESERVED: &[char] =
        &[' ', '\t', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')', '`'];
    let arg = arg.replace('%', "%%");
    let quoted = if arg.contains(RESERVED) || arg.is_empty() {
        let mut q = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        arg
    };
    quoted.replace('\\', "\\\\")
}

/// The arguments of an Exec value (the reverse of [`quote_exec_arg`], field codes left as
/// they are).
pub fn split_exec(value: &str) -> Vec<String> {
    // the string value's escapes first
    let mut unescaped = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('s') => unescaped.push(' '),
                Some('n') => unescaped.push('\n'),
                Some('t') => unescaped.push('\t'),
                Some('r') => unescaped.push('\r'),
                Some(other) => unescaped.push(other),
                None => unescaped.push('\\'),
            }
        } else {
            unescaped.push(c);
        }
    }
    let mut args = Vec::new();
    let mut current = String::new();
    let (mut in_arg, mut quoted) = (false, false);
    let mut chars = unescaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                in_arg = true;
            }
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            ' ' | '\t' if !quoted => {
                if in_arg {
                    args.push(std::mem::take(&mut current).replace("%%", "%"));
                    in_arg = false;
                }
            }
            _ => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(current.replace("%%", "%"));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("webtoonme-autostart-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn on_status_off_with_a_temporary_config_folder() {
        let root = temp("cycle");
        let config = root.join("config");
        let exe = root.join("booth app").join("webtoonme");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, "").unwrap();

        let off = status(&config).unwrap();
        assert!(!off.on && off.command.is_empty() && off.program_exists.is_none(), "{off:?}");
        assert!(!disable(&config).unwrap(), "nothing to remove yet");

        let path = enable(&config, &exe, true).unwrap();
        assert_eq!(path, config.join("autostart/webtoonme.desktop"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
        assert!(text.contains(&format!("Exec=\"{}\" live --fullscreen\n", exe.display())), "{text}");
        let on = status(&config).unwrap();
        assert_eq!(
            on,
            AutostartStatus {
                on: true,
                file: path.display().to_string(),
                command: vec![exe.display().to_string(), "live".into(), "--fullscreen".into()],
                kiosk: true,
                program_exists: Some(true),
            }
        );
        // written again without kiosk: replaced, and no temporary file is left
        enable(&config, &exe, false).unwrap();
        let window = status(&config).unwrap();
        assert!(window.on && !window.kiosk, "{window:?}");
        assert_eq!(window.command[1..], ["live".to_string()]);
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, [ENTRY_FILE], "only the entry is in the folder");

        // disabled by the desktop's own settings: there, but off
        std::fs::write(&path, text.replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"))
            .unwrap();
        assert!(!status(&config).unwrap().on);

        // the program moved away
        enable(&config, &exe, true).unwrap();
        std::fs::remove_file(&exe).unwrap();
        assert_eq!(status(&config).unwrap().program_exists, Some(false));

        assert!(disable(&config).unwrap());
        assert!(!path.exists());
        assert!(!status(&config).unwrap().on);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn exec_arguments_survive_any_path() {
        for p in
            ["/usr/lib/webtoonme/webtoonme", "/opt/my booth/web%toonme", r#"/x/$HOME "q" `b` \back\slash/w"#, "/a/b;c"]
        {
            let text = entry_text(Path::new(p), true).unwrap();
            let exec = text.lines().find_map(|l| l.strip_prefix("Exec=")).unwrap();
            assert_eq!(split_exec(exec), [p, "live", "--fullscreen"], "{exec}");
        }
        assert_eq!(quote_exec_arg("/usr/bin/webtoonme"), "/usr/bin/webtoonme");
        assert_eq!(quote_exec_arg("/a b"), "\"/a b\"");
        assert_eq!(quote_exec_arg("/a$b"), "\"/a\\\\$b\"", "the spec's double escaping of a quoted $");
        assert!(entry_text(Path::new("/a\nb"), false).is_err());
    }
}
