//! Who wears which character: each track gets one (the default for new tracks, round-robin
//! when "everyone different" is on, or what the user picked), and someone who leaves and comes
//! back within a few seconds gets theirs back.
//!
//! In: the track ids present in each frame (with their face centres) and the frame time; user
//! choices. Out: a character index per track. Pure state on the stylize thread (or the UI thread
//! that forwards choices).

/// How new tracks get a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssignMode {
    /// Everyone wears the default character.
    #[default]
    Default,
    /// Each new person gets the next character in the list.
    RoundRobin,
}

#[derive(Debug, Clone)]
struct Worn {
    track: u32,
    character: usize,
    center: [f32; 2],
    last_seen: f64,
    present: bool,
}

/// Character assignment for tracked people.
#[derive(Debug, Clone)]
pub struct CharacterAssigner {
    pub mode: AssignMode,
    /// Index of the default character.
    pub default: usize,
    /// Number of installed characters.
    pub count: usize,
    /// How long someone who left keeps their character (seconds).
    pub memory_s: f64,
    next_round_robin: usize,
    worn: Vec<Worn>,
    /// Characters that failed (their pack's model broke): nobody gets them.
    disabled: Vec<bool>,
}

impl CharacterAssigner {
    pub fn new(count: usize, default: usize) -> Self {
        Self {
            mode: AssignMode::Default,
            default: default.min(count.saturating_sub(1)),
            count: count.max(1),
            memory_s: 5.0,
            next_round_robin: default,
            worn: Vec::new(),
            disabled: vec![false; count.max(1)],
        }
    }

    /// Nobody wears `character` any more (its pack broke): its wearers and the default move to
    /// the next character that works. Returns false when none is left.
    pub fn disable(&mut self, character: usize) -> bool {
        if let Some(d) = self.disabled.get_mut(character) {
            *d = true;
        }
        let Some(next) = self.working_from(character) else { return false };
        for w in self.worn.iter_mut().filter(|w| w.character == character) {
            w.character = next;
        }
        if self.default == character {
            self.default = next;
        }
        true
    }

    /// New people wear `character` (the next one that works when it is disabled).
    pub fn set_default(&mut self, character: usize) {
        let c = character.min(self.count - 1);
        self.default = self.working_from(c).unwrap_or(c);
    }

    /// Whether `character` was disabled.
    pub fn is_disabled(&self, character: usize) -> bool {
        self.disabled.get(character).copied().unwrap_or(false)
    }

    /// `from`, or the next character after it that is not disabled.
    fn working_from(&self, from: usize) -> Option<usize> {
        (0..self.count).map(|k| (from + k) % self.count).find(|&c| !self.is_disabled(c))
    }

    /// Update with the tracks of this frame (id, face centre in pixels) at time `t` seconds.
    pub fn update(&mut self, tracks: impl IntoIterator<Item = (u32, [f32; 2])>, t: f64) {
        for w in &mut self.worn {
            w.present = false;
        }
        for (id, center) in tracks {
            if let Some(w) = self.worn.iter_mut().find(|w| w.track == id) {
                w.center = center;
                w.last_seen = t;
                w.present = true;
                continue;
            }
            // someone who left recently, nearest to where this face appears, hands over
            let returning = self
                .worn
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.present && t - w.last_seen <= self.memory_s && w.last_seen <= t)
                .min_by(|a, b| {
                    let d = |w: &Worn| (w.center[0] - center[0]).powi(2) + (w.center[1] - center[1]).powi(2);
                    d(a.1).total_cmp(&d(b.1))
                })
                .map(|(i, _)| i);
            let character = match returning {
                Some(i) => self.worn.swap_remove(i).character,
                None => self.pick_new(),
            };
            self.worn.push(Worn { track: id, character, center, last_seen: t, present: true });
        }
        let memory = self.memory_s;
        self.worn.retain(|w| w.present || (t - w.last_seen <= memory && w.last_seen <= t));
    }

    fn pick_new(&mut self) -> usize {
        match self.mode {
            AssignMode::Default => self.default,
            AssignMode::RoundRobin => {
                let c = self.working_from(self.next_round_robin % self.count).unwrap_or(self.default);
                self.next_round_robin = c + 1;
                c
            }
        }
    }

    /// The character a track wears (the default for unknown tracks).
    pub fn character_of(&self, track: u32) -> usize {
        self.worn.iter().find(|w| w.track == track).map_or(self.default, |w| w.character)
    }

    /// Give a track a specific character (a click on the face, `--character` for everyone).
    pub fn set(&mut self, track: u32, character: usize) {
        let character = self.working_from(character % self.count).unwrap_or(character % self.count);
        if let Some(w) = self.worn.iter_mut().find(|w| w.track == track) {
            w.character = character;
        }
    }

    /// Everyone gets a character again, from the default on (what a pick in the carousel or the
    /// "everyone different" toggle does): the people in view in the order given, then those who
    /// left within the memory (they would otherwise come back in their old character), one
    /// character apart in round robin, all the default otherwise. Round robin goes on after the
    /// last of them. Runs on a user's choice, not per frame.
    pub fn respread(&mut self, in_view: impl IntoIterator<Item = u32>) {
        let step = usize::from(self.mode == AssignMode::RoundRobin);
        let mut order: Vec<u32> = in_view.into_iter().collect();
        for w in &self.worn {
            if !order.contains(&w.track) {
                order.push(w.track);
            }
        }
        for (k, &track) in order.iter().enumerate() {
            self.set(track, self.default + k * step);
        }
        self.next_round_robin = (self.default + order.len() * step) % self.count;
    }

    /// Next character for this track (what a click on a face does).
    pub fn cycle(&mut self, track: u32) {
        let c = (self.character_of(track) + 1) % self.count;
        self.set(track, c); // a disabled character is skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_gives_new_people_different_characters() {
        let mut a = CharacterAssigner::new(4, 0);
        a.mode = AssignMode::RoundRobin;
        a.update([(1, [100.0, 100.0]), (2, [500.0, 100.0]), (3, [900.0, 100.0])], 0.0);
        let cs: Vec<usize> = (1..=3).map(|t| a.character_of(t)).collect();
        assert_eq!(cs, vec![0, 1, 2]);
    }

    #[test]
    fn someone_back_within_memory_keeps_their_character() {
        let mut a = CharacterAssigner::new(4, 0);
        a.update([(1, [100.0, 100.0])], 0.0);
        a.set(1, 3);
        a.update([], 1.0); // left
        a.update([(7, [120.0, 110.0])], 3.0); // back, new track id, near the old place
        assert_eq!(a.character_of(7), 3);
        // gone longer than the memory: a newcomer gets the default
        a.update([], 4.0);
        a.update([(9, [120.0, 110.0])], 10.0);
        assert_eq!(a.character_of(9), 0);
    }

    #[test]
    fn a_new_default_reaches_people_out_of_view_too() {
        let mut a = CharacterAssigner::new(4, 0);
        a.update([(1, [100.0, 100.0]), (2, [500.0, 100.0])], 0.0);
        a.update([(1, [100.0, 100.0])], 0.5); // 2 missed in this frame (turned away, a detector miss)
        a.default = 3;
        a.respread([1]);
        a.update([(1, [100.0, 100.0]), (2, [500.0, 100.0])], 0.6); // 2 is back
        assert_eq!((a.character_of(1), a.character_of(2)), (3, 3), "nobody comes back in the old character");
        a.mode = AssignMode::RoundRobin;
        a.default = 1;
        a.respread([2, 1]);
        assert_eq!((a.character_of(2), a.character_of(1)), (1, 2));
        a.update([(1, [100.0, 100.0]), (2, [500.0, 100.0]), (5, [900.0, 100.0])], 0.7);
        assert_eq!(a.character_of(5), 3, "round robin goes on after the people it spread");
    }

    #[test]
    fn a_disabled_character_is_worn_by_nobody() {
        let mut a = CharacterAssigner::new(3, 1);
        a.update([(1, [0.0, 0.0]), (2, [100.0, 0.0])], 0.0);
        a.set(2, 0);
        assert!(a.disable(1));
        assert_eq!((a.character_of(1), a.character_of(2), a.default), (2, 0, 2), "wearers and the default move on");
        a.cycle(2);
        assert_eq!(a.character_of(2), 2, "cycling skips it");
        a.mode = AssignMode::RoundRobin;
        a.respread([1, 2]);
        assert_eq!((a.character_of(1), a.character_of(2)), (2, 0));
        assert!(a.disable(0));
        assert!(!a.disable(2), "none left");
    }

    #[test]
    fn cycling_wraps_around() {
        let mut a = CharacterAssigner::new(3, 2);
        a.update([(1, [0.0, 0.0])], 0.0);
        a.cycle(1);
        assert_eq!(a.character_of(1), 0);
    }
}
