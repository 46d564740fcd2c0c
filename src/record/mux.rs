//! A minimal MP4 (ISO BMFF) writer for one H.264 video track and an optional copied audio track.
//!
//! In: encoded samples in decode order (video: MP4-format H.264 access units with their tick
//! times; audio: samples copied verbatim with their durations), interleaved by the caller. Out: a
//! progressive MP4 file: `ftyp`, one `mdat` (64-bit size, so files over 4 GiB work), `moov` at the
//! end with `avc1`/`avcC`, exact per-sample durations (`stts`), sync samples (`stss`), chunk
//! tables (`stsc`, `stco`/`co64`), edit lists where a track does not start at zero, and durations
//! in each track's own timescale. Runs on the writer's thread; sample data goes straight to a
//! buffered file, only the tables (about 8 bytes per sample) stay in memory.
//!
//! Own writer rather than `mp4::Mp4Writer` (0.14) because the copy needs what that one cannot
//! write: the input's audio sample entry byte for byte (its `esds` with the full
//! AudioSpecificConfig), edit lists (AAC priming, so audio stays in sync), and track durations
//! without per-sample rounding; it also avoids a `Bytes` allocation per sample.
//!
//! Without [`Mp4Muxer::finish`] the file has no `moov` and no player can open it.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

/// A new chunk starts when the track changes or the current one has this many bytes.
const MAX_CHUNK_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Track {
    Video,
    Audio,
}

/// Sample tables of one track.
#[derive(Debug, Default)]
struct Table {
    sizes: Vec<u32>,
    /// Duration of every sample, in ticks of the track's timescale (video: filled in when the
    /// next sample's time is known, the last one at finish).
    durations: Vec<u32>,
    /// 1-based numbers of the sync samples (video).
    sync: Vec<u32>,
    /// (file offset, sample count) of every chunk.
    chunks: Vec<(u64, u32)>,
    chunk_bytes: u64,
}

impl Table {
    fn total_duration(&self) -> u64 {
        self.durations.iter().map(|&d| u64::from(d)).sum()
    }
}

/// What the `moov` needs besides the sample tables.
#[derive(Debug)]
pub(crate) struct MoovInfo<'a> {
    /// Video track timescale, also used as the movie timescale.
    pub timescale: u32,
    /// Coded picture size.
    pub width: u32,
    pub height: u32,
    pub sps: &'a [u8],
    pub pps: &'a [u8],
    /// Duration of the last video sample (ticks).
    pub last_duration: u32,
    pub audio: Option<AudioTrackInfo<'a>>,
}

#[derive(Debug)]
pub(crate) struct AudioTrackInfo<'a> {
    pub timescale: u32,
    /// The input's sample entry box (`mp4a` with its `esds`), written unchanged.
    pub sample_entry: &'a [u8],
    /// Time before the audio starts, in movie ticks (an empty edit).
    pub delay: u64,
    /// First audio tick that plays (skips encoder priming).
    pub media_time: u64,
    /// How long the audio plays, in movie ticks.
    pub play: u64,
}

pub(crate) struct Mp4Muxer {
    out: BufWriter<File>,
    /// Bytes written so far (the position in the file).
    pos: u64,
    mdat_start: u64,
    video: Table,
    audio: Table,
    /// Tick of the first and of the latest video sample.
    video_first_tick: Option<u64>,
    video_last_tick: u64,
    last_track: Option<Track>,
}

impl Mp4Muxer {
    /// Start the file: `ftyp` and the `mdat` header.
    pub fn start(file: File) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let mut head = Vec::with_capacity(64);
        let ftyp = open(&mut head, b"ftyp");
        head.extend_from_slice(b"isom");
        put_u32(&mut head, 0x200);
        for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
            head.extend_from_slice(brand);
        }
        close(&mut head, ftyp);
        let mdat_start = head.len() as u64;
        // size 1: a 64-bit size follows, patched at the end.
        put_u32(&mut head, 1);
        head.extend_from_slice(b"mdat");
        put_u64(&mut head, 0);
        out.write_all(&head)?;
        Ok(Self {
            out,
            pos: head.len() as u64,
            mdat_start,
            video: Table::default(),
            audio: Table::default(),
            video_first_tick: None,
            video_last_tick: 0,
            last_track: None,
        })
    }

    fn write(&mut self, track: Track, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| io::Error::other("sample over 4 GiB"))?;
        self.out.write_all(data)?;
        let table = match track {
            Track::Video => &mut self.video,
            Track::Audio => &mut self.audio,
        };
        match table.chunks.last_mut() {
            Some((_, n)) if self.last_track == Some(track) && table.chunk_bytes < MAX_CHUNK_BYTES => {
                *n += 1;
                table.chunk_bytes += u64::from(size);
            }
            _ => {
                table.chunks.push((self.pos, 1));
                table.chunk_bytes = u64::from(size);
            }
        }
        table.sizes.push(size);
        self.pos += u64::from(size);
        self.last_track = Some(track);
        Ok(())
    }

    /// Append a video sample presented at `tick` (strictly after the previous one; the caller
    /// checks, and that the gap fits 32 bits).
    pub fn write_video(&mut self, data: &[u8], tick: u64, sync: bool) -> io::Result<()> {
        self.write(Track::Video, data)?;
        if self.video_first_tick.is_none() {
            self.video_first_tick = Some(tick);
        } else {
            self.video.durations.push((tick - self.video_last_tick) as u32);
        }
        self.video_last_tick = tick;
        if sync {
            self.video.sync.push(self.video.sizes.len() as u32);
        }
        Ok(())
    }

    /// Append an audio sample lasting `duration` ticks of the audio timescale.
    pub fn write_audio(&mut self, data: &[u8], duration: u32) -> io::Result<()> {
        self.write(Track::Audio, data)?;
        self.audio.durations.push(duration);
        Ok(())
    }

    pub fn video_samples(&self) -> usize {
        self.video.sizes.len()
    }

    pub fn audio_samples(&self) -> usize {
        self.audio.sizes.len()
    }

    /// Write the `moov`, patch the `mdat` size, flush and sync the file. Returns the file size.
    pub fn finish(mut self, info: &MoovInfo<'_>) -> io::Result<u64> {
        if !self.video.sizes.is_empty() {
            self.video.durations.push(info.last_duration);
        }
        let audio = info.audio.as_ref().filter(|_| !self.audio.sizes.is_empty());
        let moov_start = self.pos;
        let moov = self.build_moov(info, audio);
        self.out.write_all(&moov)?;
        self.pos += moov.len() as u64;
        self.out.flush()?;
        let mut file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(self.mdat_start + 8))?;
        file.write_all(&(moov_start - self.mdat_start).to_be_bytes())?;
        file.sync_data()?;
        Ok(self.pos)
    }

    fn build_moov(&self, info: &MoovInfo<'_>, audio: Option<&AudioTrackInfo<'_>>) -> Vec<u8> {
        let now = mp4_time_now();
        let video_start = self.video_first_tick.unwrap_or(0);
        let video_duration = video_start + self.video.total_duration();
        let audio_duration = audio.map_or(0, |a| a.delay + a.play);
        let movie_duration = video_duration.max(audio_duration);
        let tracks = 1 + u32::from(audio.is_some());

        let mut b = Vec::with_capacity(4096 + 16 * (self.video.sizes.len() + self.audio.sizes.len()));
        let moov = open(&mut b, b"moov");

        // mvhd
        let long = movie_duration > u64::from(u32::MAX);
        let at = open_full(&mut b, b"mvhd", u8::from(long), 0);
        put_times(&mut b, long, now, info.timescale, movie_duration);
        put_u32(&mut b, 0x0001_0000); // rate 1.0
        put_u16(&mut b, 0x0100); // volume 1.0
        b.extend_from_slice(&[0; 10]);
        put_matrix(&mut b);
        b.extend_from_slice(&[0; 24]);
        put_u32(&mut b, tracks + 1);
        close(&mut b, at);

        // Video track.
        let video_edit =
            (video_start > 0).then_some(Edit { delay: video_start, media_time: 0, play: self.video.total_duration() });
        let video_header = TrackHeader {
            id: 1,
            duration: video_duration,
            audio: false,
            width: info.width,
            height: info.height,
            edit: video_edit,
        };
        let trak = open(&mut b, b"trak");
        put_tkhd_and_edts(&mut b, &video_header, now);
        let mdia = open(&mut b, b"mdia");
        put_mdhd(&mut b, now, info.timescale, self.video.total_duration());
        put_hdlr(&mut b, b"vide", "VideoHandler");
        let minf = open(&mut b, b"minf");
        let at = open_full(&mut b, b"vmhd", 0, 1);
        b.extend_from_slice(&[0; 8]);
        close(&mut b, at);
        put_dinf(&mut b);
        let stbl = open(&mut b, b"stbl");
        let stsd = open_full(&mut b, b"stsd", 0, 0);
        put_u32(&mut b, 1);
        put_avc1(&mut b, info);
        close(&mut b, stsd);
        put_sample_tables(&mut b, &self.video, true);
        close(&mut b, stbl);
        close(&mut b, minf);
        close(&mut b, mdia);
        close(&mut b, trak);

        // Audio track.
        if let Some(a) = audio {
            let header = TrackHeader {
                id: 2,
                duration: audio_duration,
                audio: true,
                width: 0,
                height: 0,
                edit: Some(Edit { delay: a.delay, media_time: a.media_time, play: a.play }),
            };
            let trak = open(&mut b, b"trak");
            put_tkhd_and_edts(&mut b, &header, now);
            let mdia = open(&mut b, b"mdia");
            put_mdhd(&mut b, now, a.timescale, self.audio.total_duration());
            put_hdlr(&mut b, b"soun", "SoundHandler");
            let minf = open(&mut b, b"minf");
            let at = open_full(&mut b, b"smhd", 0, 0);
            put_u32(&mut b, 0); // balance, reserved
            close(&mut b, at);
            put_dinf(&mut b);
            let stbl = open(&mut b, b"stbl");
            let stsd = open_full(&mut b, b"stsd", 0, 0);
            put_u32(&mut b, 1);
            b.extend_from_slice(a.sample_entry);
            close(&mut b, stsd);
            put_sample_tables(&mut b, &self.audio, false);
            close(&mut b, stbl);
            close(&mut b, minf);
            close(&mut b, mdia);
            close(&mut b, trak);
        }
        close(&mut b, moov);
        b
    }
}

/// One edit: `delay` of nothing (movie ticks), then media from `media_time` (media ticks) for
/// `play` movie ticks.
#[derive(Debug, Clone, Copy)]
struct Edit {
    delay: u64,
    media_time: u64,
    play: u64,
}

struct TrackHeader {
    id: u32,
    /// Movie ticks, edits included.
    duration: u64,
    audio: bool,
    width: u32,
    height: u32,
    edit: Option<Edit>,
}

fn put_tkhd_and_edts(b: &mut Vec<u8>, t: &TrackHeader, now: u64) {
    let long = t.duration > u64::from(u32::MAX);
    // flags: enabled, in movie, in preview
    let at = open_full(b, b"tkhd", u8::from(long), 3);
    if long {
        put_u64(b, now);
        put_u64(b, now);
    } else {
        put_u32(b, now as u32);
        put_u32(b, now as u32);
    }
    put_u32(b, t.id);
    put_u32(b, 0);
    if long {
        put_u64(b, t.duration);
    } else {
        put_u32(b, t.duration as u32);
    }
    b.extend_from_slice(&[0; 8]);
    put_u16(b, 0); // layer
    put_u16(b, u16::from(t.audio)); // alternate group
    put_u16(b, if t.audio { 0x0100 } else { 0 }); // volume
    put_u16(b, 0);
    put_matrix(b);
    put_u32(b, t.width << 16);
    put_u32(b, t.height << 16);
    close(b, at);

    let Some(edit) = t.edit else { return };
    let long = edit.delay.max(edit.media_time).max(edit.play) > i32::MAX as u64;
    let edts = open(b, b"edts");
    let at = open_full(b, b"elst", u8::from(long), 0);
    let entries: &[(u64, i64)] = &[(edit.delay, -1), (edit.play, edit.media_time as i64)];
    let entries = if edit.delay > 0 { entries } else { &entries[1..] };
    put_u32(b, entries.len() as u32);
    for &(duration, media_time) in entries {
        if long {
            put_u64(b, duration);
            put_u64(b, media_time as u64);
        } else {
            put_u32(b, duration as u32);
            put_u32(b, media_time as i32 as u32);
        }
        put_u32(b, 0x0001_0000); // rate 1.0
    }
    close(b, at);
    close(b, edts);
}

fn put_mdhd(b: &mut Vec<u8>, now: u64, timescale: u32, duration: u64) {
    let long = duration > u64::from(u32::MAX);
    let at = open_full(b, b"mdhd", u8::from(long), 0);
    put_times(b, long, now, timescale, duration);
    put_u16(b, 0x55c4); // "und"
    put_u16(b, 0);
    close(b, at);
}

fn put_hdlr(b: &mut Vec<u8>, handler: &[u8; 4], name: &str) {
    let at = open_full(b, b"hdlr", 0, 0);
    put_u32(b, 0);
    b.extend_from_slice(handler);
    b.extend_from_slice(&[0; 12]);
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    close(b, at);
}

fn put_dinf(b: &mut Vec<u8>) {
    let dinf = open(b, b"dinf");
    let dref = open_full(b, b"dref", 0, 0);
    put_u32(b, 1);
    let url = open_full(b, b"url ", 0, 1); // flag 1: media in this file
    close(b, url);
    close(b, dref);
    close(b, dinf);
}

fn put_avc1(b: &mut Vec<u8>, info: &MoovInfo<'_>) {
    let at = open(b, b"avc1");
    b.extend_from_slice(&[0; 6]);
    put_u16(b, 1); // data reference index
    b.extend_from_slice(&[0; 16]);
    put_u16(b, info.width as u16);
    put_u16(b, info.height as u16);
    put_u32(b, 0x0048_0000); // 72 dpi
    put_u32(b, 0x0048_0000);
    put_u32(b, 0);
    put_u16(b, 1); // frames per sample
    let mut name = [0u8; 32];
    let label = b"webtoonme openh264";
    name[0] = label.len() as u8;
    name[1..=label.len()].copy_from_slice(label);
    b.extend_from_slice(&name);
    put_u16(b, 0x0018); // depth: colour, no alpha
    put_u16(b, 0xffff); // pre-defined -1
    let avcc = open(b, b"avcC");
    b.push(1); // configuration version
    b.extend_from_slice(&info.sps[1..4]); // profile, compatibility, level
    b.push(0xfc | 3); // 4-byte NAL lengths
    b.push(0xe0 | 1);
    put_u16(b, info.sps.len() as u16);
    b.extend_from_slice(info.sps);
    b.push(1);
    put_u16(b, info.pps.len() as u16);
    b.extend_from_slice(info.pps);
    close(b, avcc);
    let pasp = open(b, b"pasp"); // square pixels
    put_u32(b, 1);
    put_u32(b, 1);
    close(b, pasp);
    close(b, at);
}

fn put_sample_tables(b: &mut Vec<u8>, t: &Table, video: bool) {
    // stts: runs of equal durations.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &d in &t.durations {
        match runs.last_mut() {
            Some((n, delta)) if *delta == d => *n += 1,
            _ => runs.push((1, d)),
        }
    }
    let at = open_full(b, b"stts", 0, 0);
    put_u32(b, runs.len() as u32);
    for (n, d) in runs {
        put_u32(b, n);
        put_u32(b, d);
    }
    close(b, at);

    // stss: absent means every sample is a sync sample.
    if video && t.sync.len() < t.sizes.len() {
        let at = open_full(b, b"stss", 0, 0);
        put_u32(b, t.sync.len() as u32);
        t.sync.iter().for_each(|&n| put_u32(b, n));
        close(b, at);
    }

    // stsc: runs of chunks with the same sample count.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (i, &(_, n)) in t.chunks.iter().enumerate() {
        if runs.last().is_none_or(|&(_, last)| last != n) {
            runs.push((i as u32 + 1, n));
        }
    }
    let at = open_full(b, b"stsc", 0, 0);
    put_u32(b, runs.len() as u32);
    for (first, n) in runs {
        put_u32(b, first);
        put_u32(b, n);
        put_u32(b, 1);
    }
    close(b, at);

    let at = open_full(b, b"stsz", 0, 0);
    let constant = t.sizes.first().filter(|&&s| t.sizes.iter().all(|&x| x == s)).copied();
    put_u32(b, constant.unwrap_or(0));
    put_u32(b, t.sizes.len() as u32);
    if constant.is_none() {
        t.sizes.iter().for_each(|&s| put_u32(b, s));
    }
    close(b, at);

    let wide = t.chunks.last().is_some_and(|&(offset, _)| offset > u64::from(u32::MAX));
    let at = open_full(b, if wide { b"co64" } else { b"stco" }, 0, 0);
    put_u32(b, t.chunks.len() as u32);
    for &(offset, _) in &t.chunks {
        if wide {
            put_u64(b, offset);
        } else {
            put_u32(b, offset as u32);
        }
    }
    close(b, at);
}

/// Creation/modification time, timescale, duration (`mvhd`/`mdhd` layout).
fn put_times(b: &mut Vec<u8>, long: bool, now: u64, timescale: u32, duration: u64) {
    if long {
        put_u64(b, now);
        put_u64(b, now);
        put_u32(b, timescale);
        put_u64(b, duration);
    } else {
        put_u32(b, now as u32);
        put_u32(b, now as u32);
        put_u32(b, timescale);
        put_u32(b, duration as u32);
    }
}

fn put_matrix(b: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        put_u32(b, v);
    }
}

/// Seconds since 1904-01-01 (MP4 time), 0 if the clock is before 1970.
fn mp4_time_now() -> u64 {
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    unix + 2_082_844_800
}

fn open(b: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let at = b.len();
    put_u32(b, 0);
    b.extend_from_slice(kind);
    at
}

fn open_full(b: &mut Vec<u8>, kind: &[u8; 4], version: u8, flags: u32) -> usize {
    let at = open(b, kind);
    put_u32(b, (u32::from(version) << 24) | (flags & 0x00ff_ffff));
    at
}

fn close(b: &mut [u8], at: usize) {
    let size = (b.len() - at) as u32;
    b[at..at + 4].copy_from_slice(&size.to_be_bytes());
}

fn put_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_be_bytes());
}
