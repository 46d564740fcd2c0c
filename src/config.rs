//! The booth's remembered settings: camera and resolution, execution provider, output folder,
//! mirror, default character, "everyone different", face labels, the kiosk timeouts and leave
//! key, the recording settings (countdown, clip length, photos with the camera picture), sharing
//! (interface and port, link and retention times) and printing (printer, copies, auto-print).
//! Stored as TOML in the platform's config folder.
//!
//! In: the config file (`WEBTOONME_CONFIG` names it; else `$XDG_CONFIG_HOME/webtoonme/config.toml`,
//! else `~/.config/webtoonme/config.toml` on Linux, the usual folder elsewhere). Out: a [`Config`]
//! (defaults when the file is missing; defaults and a message naming the file when it is
//! unreadable or corrupt: never a panic), and the file written atomically (temporary file in the
//! same folder, then rename). Any thread; the window loads it on the main thread before opening
//! and saves it from the UI thread when a setting changes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::perception::runtime::ExecutionChoice;

/// Environment variable naming the config file (tests use a temporary file).
pub const CONFIG_ENV: &str = "WEBTOONME_CONFIG";

/// Camera resolutions the settings panel offers.
pub const RESOLUTIONS: [[u32; 2]; 4] = [[640, 480], [960, 540], [1280, 720], [1920, 1080]];

/// Keys the settings panel offers as the single-press "leave fullscreen" key (besides Esc twice).
pub const LEAVE_KEYS: [&str; 5] = ["F10", "F12", "End", "Q", "Pause"];

/// Execution provider as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    #[default]
    Auto,
    Cpu,
    Cuda,
    Tensorrt,
}

impl Provider {
    pub const ALL: [Provider; 4] = [Provider::Auto, Provider::Cpu, Provider::Cuda, Provider::Tensorrt];

    pub fn choice(self) -> ExecutionChoice {
        match self {
            Provider::Auto => ExecutionChoice::Auto,
            Provider::Cpu => ExecutionChoice::Cpu,
            Provider::Cuda => ExecutionChoice::Cuda,
            Provider::Tensorrt => ExecutionChoice::Tensorrt,
        }
    }

    pub fn from_choice(choice: ExecutionChoice) -> Self {
        match choice {
            ExecutionChoice::Auto => Provider::Auto,
            ExecutionChoice::Cpu => Provider::Cpu,
            ExecutionChoice::Cuda => Provider::Cuda,
            ExecutionChoice::Tensorrt => Provider::Tensorrt,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Auto => "auto (TensorRT, CUDA, CPU)",
            Provider::Cpu => "cpu",
            Provider::Cuda => "cuda",
            Provider::Tensorrt => "tensorrt",
        }
    }
}

/// Kiosk behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Kiosk {
    /// Fullscreen controls hide after this many seconds without input.
    pub hide_controls_after_s: f32,
    /// The attract screen comes after this many seconds with nobody in view (0: never).
    pub attract_after_s: f32,
    /// A key that leaves fullscreen with one press (egui key name, e.g. "F10"); Esc twice always works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_key: Option<String>,
}

impl Default for Kiosk {
    fn default() -> Self {
        Self { hide_controls_after_s: 4.0, attract_after_s: 20.0, leave_key: None }
    }
}

/// Clips, photos and strips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recording {
    /// Seconds counted down before a clip starts and before each strip shot (0: none).
    pub countdown_s: u32,
    /// A clip stops by itself after this many seconds.
    pub max_clip_s: u32,
    /// Photos carry the camera picture beside the webtoon one.
    pub photo_with_original: bool,
}

impl Default for Recording {
    fn default() -> Self {
        Self { countdown_s: 3, max_clip_s: 30, photo_with_original: false }
    }
}

/// Links and QR codes for phones on the booth's network ([`crate::share`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sharing {
    /// Serve links to kept files and show their QR codes.
    pub enabled: bool,
    /// Where phones reach the booth: "auto", an interface name ("wlan0") or one of its
    /// addresses ("192.168.1.20"; "127.0.0.1": this machine only). The server binds only there.
    pub interface: String,
    /// TCP port (0: any free port, said on screen).
    pub port: u16,
    /// How long a link works, hours.
    pub link_hours: u32,
    /// Kept files older than this are deleted with their links, hours (0: never deleted).
    pub retention_hours: u32,
    /// How long the QR code stays on screen, seconds (0: until the next visitor starts).
    pub show_link_s: u32,
}

impl Default for Sharing {
    fn default() -> Self {
        Self {
            enabled: false,
            interface: "auto".into(),
            port: 8080,
            link_hours: 24,
            retention_hours: 0,
            show_link_s: 120,
        }
    }
}

impl Sharing {
    pub fn link(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.link_hours) * 3600)
    }

    /// None: kept files are never deleted.
    pub fn retention(&self) -> Option<std::time::Duration> {
        (self.retention_hours > 0).then(|| std::time::Duration::from_secs(u64::from(self.retention_hours) * 3600))
    }
}

/// Printing through the system's print service ([`crate::share::print`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Printing {
    /// The CUPS printer (None: nothing prints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    pub copies: u32,
    /// Strips print by themselves once kept (else the Print button on the result does it).
    pub auto_print: bool,
    /// Photos print too (by themselves with `auto_print`).
    pub photos: bool,
}

impl Default for Printing {
    fn default() -> Self {
        Self { printer: None, copies: 1, auto_print: false, photos: false }
    }
}

/// Everything the booth remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Camera index used when `--source` is not given.
    pub camera: u32,
    /// Camera resolution asked for, [width, height].
    pub resolution: [u32; 2],
    pub execution_provider: Provider,
    /// Where photos and recordings go.
    pub output_folder: PathBuf,
    /// Mirror camera pictures (like a mirror; files and the demo are never mirrored at start).
    pub mirror: bool,
    /// Character id everyone wears at start (None: the first installed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_character: Option<String>,
    /// Each new person gets a different character.
    pub everyone_different: bool,
    /// Small name labels near faces.
    pub show_labels: bool,
    pub kiosk: Kiosk,
    pub recording: Recording,
    pub sharing: Sharing,
    pub printing: Printing,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            camera: 0,
            resolution: [1280, 720],
            execution_provider: Provider::Auto,
            output_folder: default_output_folder(),
            mirror: true,
            default_character: None,
            everyone_different: false,
            show_labels: false,
            kiosk: Kiosk::default(),
            recording: Recording::default(),
            sharing: Sharing::default(),
            printing: Printing::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// A loaded config, where it came from and what was wrong with the file (if anything).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The file read and written (None: no config folder could be found; nothing is saved).
    pub path: Option<PathBuf>,
    /// A message naming the file when it could not be used (the defaults are used instead).
    pub warning: Option<String>,
}

impl Config {
    /// Where photos and recordings go.
    pub fn output_folder(&self) -> &Path {
        &self.output_folder
    }

    /// Loads the config from [`config_path`]; see [`Config::load_from`].
    pub fn load() -> Loaded {
        match config_path() {
            Some(path) => {
                let (config, warning) = Self::load_from(&path);
                Loaded { config, path: Some(path), warning }
            }
            None => Loaded {
                config: Config::default(),
                path: None,
                warning: Some("no config folder (HOME is not set): settings will not be remembered".into()),
            },
        }
    }

    /// Reads `path`. A missing file gives the defaults silently; an unreadable or corrupt one
    /// gives the defaults and a message naming the file. Out-of-range values are brought into
    /// range (with a message).
    pub fn load_from(path: &Path) -> (Config, Option<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Config::default(), None),
            Err(e) => {
                return (Config::default(), Some(format!("{}: {e} (using the default settings)", path.display())));
            }
        };
        let parsed = crate::quiet_panic::catch_quietly(|| toml::from_str::<Config>(&text));
        let mut config = match parsed {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                let reason = e.to_string().lines().next().unwrap_or("").to_string();
                let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                let at = line.map_or(String::new(), |l| format!(":{l}"));
                return (
                    Config::default(),
                    Some(format!("{}{at}: {reason} (using the default settings)", path.display())),
                );
            }
            Err(_) => {
                return (
                    Config::default(),
                    Some(format!("{}: cannot be parsed (using the default settings)", path.display())),
                );
            }
        };
        let problems = config.sanitize();
        let warning = (!problems.is_empty()).then(|| format!("{}: {}", path.display(), problems.join("; ")));
        (config, warning)
    }

    /// Brings every value into a range the app can use; returns what was changed.
    pub fn sanitize(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let [w, h] = self.resolution;
        if !(160..=7680).contains(&w) || !(120..=4320).contains(&h) {
            problems.push(format!("resolution {w}x{h} is out of range, using 1280x720"));
            self.resolution = [1280, 720];
        }
        let k = &mut self.kiosk;
        if !k.hide_controls_after_s.is_finite() || !(1.0..=600.0).contains(&k.hide_controls_after_s) {
            problems.push(format!("kiosk.hide_controls_after_s {} is outside 1..600", k.hide_controls_after_s));
            k.hide_controls_after_s = Kiosk::default().hide_controls_after_s;
        }
        if !k.attract_after_s.is_finite() || !(0.0..=3600.0).contains(&k.attract_after_s) {
            problems.push(format!("kiosk.attract_after_s {} is outside 0..3600", k.attract_after_s));
            k.attract_after_s = Kiosk::default().attract_after_s;
        }
        if let Some(key) = &k.leave_key
            && eframe::egui::Key::from_name(key).is_none()
        {
            problems.push(format!("kiosk.leave_key '{key}' is not a key name (e.g. F10, End, Q)"));
            k.leave_key = None;
        }
        let r = &mut self.recording;
        if r.countdown_s > 10 {
            problems.push(format!("recording.countdown_s {} is outside 0..10", r.countdown_s));
            r.countdown_s = Recording::default().countdown_s;
        }
        if !(1..=600).contains(&r.max_clip_s) {
            problems.push(format!("recording.max_clip_s {} is outside 1..600", r.max_clip_s));
            r.max_clip_s = Recording::default().max_clip_s;
        }
        let sh = &mut self.sharing;
        if sh.interface.trim().is_empty() {
            sh.interface = Sharing::default().interface;
        }
        if !(1..=720).contains(&sh.link_hours) {
            problems.push(format!("sharing.link_hours {} is outside 1..720", sh.link_hours));
            sh.link_hours = Sharing::default().link_hours;
        }
        if sh.retention_hours > 24 * 366 {
            problems.push(format!("sharing.retention_hours {} is outside 0..8784", sh.retention_hours));
            sh.retention_hours = Sharing::default().retention_hours;
        }
        if sh.retention_hours > 0 && sh.retention_hours < sh.link_hours {
            problems.push(format!(
                "sharing.retention_hours {} is shorter than link_hours {}: links end when their files are deleted, \
                 using {} hours for links",
                sh.retention_hours, sh.link_hours, sh.retention_hours
            ));
            sh.link_hours = sh.retention_hours;
        }
        if sh.show_link_s > 3600 {
            problems.push(format!("sharing.show_link_s {} is outside 0..3600", sh.show_link_s));
            sh.show_link_s = Sharing::default().show_link_s;
        }
        let p = &mut self.printing;
        if !(1..=crate::share::print::MAX_COPIES).contains(&p.copies) {
            problems.push(format!("printing.copies {} is outside 1..{}", p.copies, crate::share::print::MAX_COPIES));
            p.copies = 1;
        }
        if let Some(name) = &p.printer
            && !crate::share::print::is_printer_name(name)
        {
            problems.push(format!("printing.printer '{name}' is not a printer name"));
            p.printer = None;
        }
        if self.output_folder.as_os_str().is_empty() {
            problems.push("output_folder is empty".into());
            self.output_folder = default_output_folder();
        }
        problems
    }

    /// The single-press leave key, when one is set.
    pub fn leave_key(&self) -> Option<eframe::egui::Key> {
        self.kiosk.leave_key.as_deref().and_then(eframe::egui::Key::from_name)
    }

    /// Writes the config to `path` atomically: a temporary file next to it, flushed, then renamed
    /// over the old one (a crash leaves either the old or the new file, never half of one).
    pub fn save_to(&self, path: &Path) -> Result<(), ConfigError> {
        let fail = |reason: String| ConfigError::Write { path: path.to_path_buf(), reason };
        let text = toml::to_string_pretty(self).map_err(|e| fail(e.to_string()))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
        let name = path.file_name().map_or("config.toml".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(b"# webtoonme settings (written by the app; edit while it is closed)\n")?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(e.to_string())
        })
    }
}

/// The config file: `WEBTOONME_CONFIG`, else the platform's config folder + `webtoonme/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    config_dir().map(|d| d.join("webtoonme").join("config.toml"))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn home() -> Option<PathBuf> {
    env_path("HOME").or_else(|| env_path("USERPROFILE"))
}

fn config_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        env_path("APPDATA")
    } else if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Application Support"))
    } else {
        crate::paths::user_config_dir() // the same folder the autostart entry goes into
    }
}

/// `~/Pictures/webtoonme` (`$XDG_PICTURES_DIR/webtoonme` when set), else `./webtoonme`.
pub fn default_output_folder() -> PathBuf {
    let pictures =
        env_path("XDG_PICTURES_DIR").filter(|p| p.is_absolute()).or_else(|| home().map(|h| h.join("Pictures")));
    pictures.unwrap_or_else(|| PathBuf::from(".")).join("webtoonme")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("webtoonme-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join("config.toml")
    }

    #[test]
    fn missing_file_gives_defaults_without_a_message() {
        let (c, warning) = Config::load_from(&temp("missing"));
        assert_eq!(c, Config::default());
        assert!(warning.is_none());
        assert!(c.mirror, "cameras are mirrored by default");
        assert!(c.output_folder().ends_with("webtoonme"));
    }

    #[test]
    fn saved_settings_come_back() {
        let path = temp("roundtrip");
        let mut c = Config {
            camera: 2,
            resolution: [640, 480],
            execution_provider: Provider::Cuda,
            output_folder: "/tmp/booth shots".into(),
            mirror: false,
            default_character: Some("rei".into()),
            everyone_different: true,
            ..Config::default()
        };
        c.kiosk.attract_after_s = 45.0;
        c.kiosk.leave_key = Some("F10".into());
        c.sharing = Sharing {
            enabled: true,
            interface: "wlan0".into(),
            port: 8090,
            link_hours: 48,
            retention_hours: 168,
            show_link_s: 0,
        };
        c.printing = Printing { printer: Some("PDF".into()), copies: 2, auto_print: true, photos: true };
        c.save_to(&path).unwrap();
        let (back, warning) = Config::load_from(&path);
        assert!(warning.is_none(), "{warning:?}");
        assert_eq!(back, c);
        assert_eq!(back.leave_key(), Some(eframe::egui::Key::F10));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("execution_provider = \"cuda\""), "{text}");
        // no temporary file is left next to it
        let left: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn corrupt_file_gives_defaults_and_names_the_file_and_line() {
        let path = temp("corrupt");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "camera = 1\nmirror = \"sometimes\"\n").unwrap();
        let (c, warning) = Config::load_from(&path);
        assert_eq!(c, Config::default());
        let warning = warning.expect("a message");
        assert!(warning.contains(&path.display().to_string()), "{warning}");
        assert!(warning.contains(":2:"), "names the line: {warning}");
        assert!(warning.contains("default settings"), "{warning}");

        std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).unwrap();
        let (c, warning) = Config::load_from(&path);
        assert_eq!(c, Config::default());
        assert!(warning.unwrap().contains(&path.display().to_string()));
    }

    #[test]
    fn partial_file_keeps_the_other_defaults_and_bad_values_are_brought_into_range() {
        let path = temp("partial");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "camera = 3\n[kiosk]\nattract_after_s = -5.0\nleave_key = \"NoSuchKey\"\n").unwrap();
        let (c, warning) = Config::load_from(&path);
        assert_eq!(c.camera, 3);
        assert_eq!(c.resolution, [1280, 720]);
        assert_eq!(c.kiosk.attract_after_s, Kiosk::default().attract_after_s);
        assert_eq!(c.kiosk.leave_key, None);
        let warning = warning.unwrap();
        assert!(warning.contains("attract_after_s") && warning.contains("NoSuchKey"), "{warning}");
    }

    #[test]
    fn sharing_and_printing_values_are_brought_into_range() {
        let path = temp("sharing");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "[sharing]\nlink_hours = 48\nretention_hours = 12\n[printing]\nprinter = \"-o raw\"\ncopies = 99\n",
        )
        .unwrap();
        let (c, warning) = Config::load_from(&path);
        let warning = warning.unwrap();
        assert_eq!(c.sharing.link_hours, 12, "a link never outlives its file");
        assert_eq!(c.sharing.retention(), Some(std::time::Duration::from_secs(12 * 3600)));
        assert_eq!((c.printing.printer.as_deref(), c.printing.copies), (None, 1));
        assert!(warning.contains("retention_hours") && warning.contains("copies") && warning.contains("-o raw"));
        assert!(!Config::default().sharing.enabled, "sharing is off until the operator turns it on");
        assert_eq!(Config::default().sharing.retention(), None);
    }

    #[test]
    fn every_offered_leave_key_and_provider_is_understood() {
        for key in LEAVE_KEYS {
            let c = Config { kiosk: Kiosk { leave_key: Some(key.into()), ..Kiosk::default() }, ..Config::default() };
            assert!(c.leave_key().is_some(), "{key}");
        }
        for p in Provider::ALL {
            assert_eq!(Provider::from_choice(p.choice()), p);
        }
    }

    #[test]
    fn saving_into_an_unwritable_place_is_an_error_naming_the_file() {
        let blocker = temp("blocked");
        std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
        std::fs::write(blocker.parent().unwrap().join("file"), "x").unwrap();
        let path = blocker.parent().unwrap().join("file").join("config.toml");
        let err = Config::default().save_to(&path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
