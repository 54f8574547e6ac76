//! The state of a licensing screen: what the server says, what the supervisor has
//! ticked since, and the live pool that follows every tick. Plain signals around the
//! domain's `PendingChanges` and `Pool`, so the arithmetic itself is the shared Rust.

use alc_domain::license::Room;
use alc_domain::{
    Agent, AgentId, Block, BulkOutcome, LicenseSet, LicenseSummary, LicenseType, PendingChanges,
    Pool,
};
use leptos::prelude::*;

/// One row showing an agent's boxes: what it shows, pushed to it when it changes.
struct Shown {
    slot: u64,
    id: AgentId,
    saved: LicenseSet,
    shown: RwSignal<LicenseSet>,
}

#[derive(Clone, Copy)]
pub struct LicenseEditor {
    /// The pool as last read from the server.
    summary: RwSignal<Option<LicenseSummary>>,
    /// Unsaved ticks, across pages and searches.
    pending: RwSignal<PendingChanges>,
    /// A save is in flight: boxes and buttons wait for it.
    pub saving: RwSignal<bool>,
    /// The pool as it would be if the pending ticks were saved.
    pub live: Memo<Pool>,
    /// Per type, what its boxes need of `live`. Set (not derived) after every change,
    /// and only when it differs: it changes when the type's availability reaches or
    /// leaves zero, so most ticks re-check no column at all.
    room: [RwSignal<Room>; 4],
    /// The rows on the page, each with its own signal of what it shows. A tick sets
    /// the ticked row's alone: a derived signal per row would have every row's
    /// subscribers (a few dozen nodes each) marked and checked on every tick, which
    /// cost 8 ms of a page of 200 (issue 13).
    rows: StoredValue<(u64, Vec<Shown>)>,
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
        let room = LicenseType::ALL.map(|t| RwSignal::new(live.with_untracked(|p| p.room(t))));
        LicenseEditor {
            summary,
            pending,
            saving: RwSignal::new(false),
            live,
            room,
            rows: StoredValue::new((0, Vec::new())),
        }
    }

    /// The unsaved ticks (read-only: changes go through `update_pending`).
    pub fn pending(&self) -> ReadSignal<PendingChanges> {
        self.pending.read_only()
    }

    /// Replaces the pool as the server reports it.
    pub fn set_summary(&self, summary: LicenseSummary) {
        self.summary.set(Some(summary));
        self.push();
    }

    /// Changes the unsaved ticks (a tick, a discard, a save's end) and pushes what
    /// changed to the rows and columns showing it.
    pub fn update_pending(&self, f: impl FnOnce(&mut PendingChanges)) {
        self.pending.update(f);
        self.push();
    }

    /// Sets each room and each row's shown licenses that differ from what they hold.
    fn push(&self) {
        for t in LicenseType::ALL {
            let room = self.live.with_untracked(|p| p.room(t));
            let r = self.room[t.index()];
            if r.get_untracked() != room {
                r.set(room);
            }
        }
        self.pending.with_untracked(|p| {
            self.rows.with_value(|(_, rows)| {
                for row in rows {
                    let w = p.wanted(row.id, row.saved);
                    if row.shown.try_get_untracked().is_some_and(|s| s != w) {
                        row.shown.set(w);
                    }
                }
            })
        });
    }

    /// Why the box `t` of `agent`, showing `shown`, cannot be flipped (tracks the
    /// type's room in the pool).
    pub fn block(&self, agent: &Agent, shown: LicenseSet, t: LicenseType) -> Option<Block> {
        let want = !shown.has(t);
        Block::check_standing(agent.standing(), shown, t, want)
            .and_then(|()| self.room[t.index()].get().check_toggle(shown, t, want))
            .err()
    }

    /// What the page shows for `agent`: its pending licenses, or the saved ones. The
    /// signal belongs to the calling view and follows every change until it is gone.
    pub fn wanted(&self, agent: &Agent) -> ReadSignal<LicenseSet> {
        let (id, saved) = (agent.id, agent.licenses);
        let shown = RwSignal::new(self.pending.with_untracked(|p| p.wanted(id, saved)));
        let mut slot = 0;
        self.rows.update_value(|(next, rows)| {
            slot = *next;
            *next += 1;
            rows.push(Shown {
                slot,
                id,
                saved,
                shown,
            });
        });
        let rows = self.rows;
        on_cleanup(move || {
            rows.try_update_value(|(_, rows)| rows.retain(|r| r.slot != slot));
        });
        shown.read_only()
    }

    /// Sets license `t` to `want` for each of `agents`, as ticks of their boxes would
    /// (see `PendingChanges::set_many`): what changed, what was already so, and who was
    /// refused and why.
    pub fn set_many(&self, agents: &[Agent], t: LicenseType, want: bool) -> BulkOutcome {
        let saved = self
            .summary
            .with_untracked(|s| s.as_ref().map(LicenseSummary::pool).unwrap_or_default());
        let mut outcome = BulkOutcome::default();
        self.update_pending(|p| outcome = p.set_many(&saved, agents, t, want));
        outcome
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
        self.update_pending(|p| {
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
