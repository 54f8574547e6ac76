//! The state of a licensing screen: what the server says, what the supervisor has
//! ticked since, and the live pool that follows every tick. Plain signals around the
//! domain's `PendingChanges` and `Pool`, so the arithmetic itself is the shared Rust.

use alc_domain::license::Room;
use alc_domain::{Agent, Block, LicenseSet, LicenseSummary, LicenseType, PendingChanges, Pool};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct LicenseEditor {
    /// The pool as last read from the server.
    pub summary: RwSignal<Option<LicenseSummary>>,
    /// Unsaved ticks, across pages and searches.
    pub pending: RwSignal<PendingChanges>,
    /// A save is in flight: boxes and buttons wait for it.
    pub saving: RwSignal<bool>,
    /// The pool as it would be if the pending ticks were saved.
    pub live: Memo<Pool>,
    /// Per type, what its boxes need of `live`: it changes only when the type's
    /// availability reaches or leaves zero, so a tick re-checks the boxes of the row
    /// ticked (its Voice/Transcription pair) and no column, most of the time.
    room: [Memo<Room>; 4],
}

impl LicenseEditor {
    pub fn new(summary: Option<LicenseSummary>) -> Self {
        let summary = RwSignal::new(summary);
        let pending = RwSignal::new(PendingChanges::default());
        // The shell reports the count to a host page (`alc-dirty-change`).
        if let Some(dirty) = use_context::<crate::app::DirtyCount>() {
            Effect::new(move || dirty.0.set(pending.with(PendingChanges::len)));
            on_cleanup(move || {
                dirty.0.try_set(0);
            });
        }
        let live = Memo::new(move |_| {
            let saved = summary.with(|s| s.as_ref().map(LicenseSummary::pool).unwrap_or_default());
            pending.with(|p| saved.after(p.delta()))
        });
        let room = LicenseType::ALL.map(|t| Memo::new(move |_| live.with(|p| p.room(t))));
        LicenseEditor {
            summary,
            pending,
            saving: RwSignal::new(false),
            live,
            room,
        }
    }

    /// Why the box `t` of `agent`, showing `shown`, cannot be flipped (tracks the
    /// type's room in the pool).
    pub fn block(&self, agent: &Agent, shown: LicenseSet, t: LicenseType) -> Option<Block> {
        let want = !shown.has(t);
        Block::check_standing(agent.standing(), shown, t, want)
            .and_then(|()| self.room[t.index()].get().check_toggle(shown, t, want))
            .err()
    }

    /// What the page shows for `agent`: its pending licenses, or the saved ones.
    pub fn wanted(&self, agent: &Agent) -> Memo<LicenseSet> {
        let (id, saved) = (agent.id, agent.licenses);
        let pending = self.pending;
        Memo::new(move |_| pending.with(|p| p.wanted(id, saved)))
    }

    /// Ticks or unticks a box, if the rules allow it; returns whether it did.
    pub fn set(&self, agent: &Agent, t: LicenseType, want: bool) -> bool {
        let shown = self
            .pending
            .with_untracked(|p| p.wanted(agent.id, agent.licenses));
        if Block::check_standing(agent.standing(), shown, t, want).is_err()
            || self
                .live
                .with_untracked(|pool| pool.check_toggle(shown, t, want))
                .is_err()
        {
            return false;
        }
        self.pending.update(|p| {
            p.set(
                agent.id,
                &agent.name,
                agent.version,
                agent.licenses,
                t,
                want,
            )
        });
        true
    }
}
