//! The batch planner: what the server enforces inside its write transaction, and how it
//! agrees with the per-box checks the browser makes.

use alc_domain::{ErrorCode, FieldPath};
use std::collections::HashMap;

use LicenseType::*;
use alc_domain::*;
use proptest::prelude::*;

fn pool(purchased: [i64; 4], assigned: [i64; 4], channel: bool) -> Pool {
    let mut p = Pool::default();
    for t in LicenseType::ALL {
        p.entitlements.purchased[t] = purchased[t.index()];
        p.assigned[t] = assigned[t.index()];
    }
    p.entitlements.web_chat_channel = channel;
    p
}

fn change(agent_id: i64, license: LicenseType, assigned: bool, version: i64) -> LicenseChange {
    LicenseChange {
        agent_id: AgentId(agent_id),
        license,
        assigned,
        version: Version(version),
    }
}

fn agents(list: &[(i64, i64, &[LicenseType])]) -> HashMap<AgentId, (Version, LicenseSet)> {
    list.iter()
        .map(|(id, v, l)| (AgentId(*id), (Version(*v), l.iter().copied().collect())))
        .collect()
}

#[test]
fn applies_a_valid_batch() {
    let p = pool([2, 1, 1, 1], [1, 0, 0, 0], true);
    let a = agents(&[(1, 1, &[]), (2, 4, &[Voice])]);
    let plan = plan(
        &p,
        |id| a.get(&id).copied(),
        &[
            change(1, Voice, true, 1),
            change(1, Transcription, true, 1),
            change(2, Voice, false, 4),
        ],
    )
    .unwrap();
    assert_eq!(plan.delta[Voice], 0);
    assert_eq!(plan.delta[Transcription], 1);
    assert_eq!(plan.pool_after.assigned[Transcription], 1);
    assert_eq!(plan.updates.len(), 2);
    assert_eq!(
        plan.updates[0].after,
        [Voice, Transcription].into_iter().collect()
    );
    assert!(plan.updates[1].after.is_empty());
}

#[test]
fn refuses_to_exceed_purchased() {
    let p = pool([2, 0, 0, 0], [1, 0, 0, 0], true);
    let a = agents(&[(1, 1, &[]), (2, 1, &[])]);
    let err = plan(
        &p,
        |id| a.get(&id).copied(),
        &[change(1, Voice, true, 1), change(2, Voice, true, 1)],
    )
    .unwrap_err();
    match err {
        BatchError::Invalid {
            code,
            message,
            fields,
        } => {
            assert_eq!(code, ErrorCode::ExceedsPurchased);
            assert!(message.contains("only 1 of 2"), "{message}");
            assert_eq!(fields[0].field, "licenses.voice");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn shrinking_an_over_assigned_type_is_allowed() {
    // Purchases were cut to 1 while 3 are assigned: removing one must still work.
    let p = pool([1, 0, 0, 0], [3, 0, 0, 0], true);
    let a = agents(&[(1, 1, &[Voice])]);
    assert!(plan(&p, |id| a.get(&id).copied(), &[change(1, Voice, false, 1)]).is_ok());
}

#[test]
fn refuses_web_chat_without_channel_and_transcription_without_voice() {
    let p = pool([5, 5, 5, 5], [0; 4], false);
    let a = agents(&[(1, 1, &[]), (2, 1, &[Voice, Transcription])]);
    let err = plan(
        &p,
        |id| a.get(&id).copied(),
        &[
            change(1, WebChat, true, 1),
            change(1, Transcription, true, 1),
            change(2, Voice, false, 1),
        ],
    )
    .unwrap_err();
    let BatchError::Invalid { fields, .. } = err else {
        panic!("{err:?}")
    };
    let codes: Vec<_> = fields.iter().map(|f| (f.field.clone(), f.code)).collect();
    assert_eq!(
        codes,
        [
            (FieldPath::Change(0), ErrorCode::ChannelNotPurchased),
            (FieldPath::Change(1), ErrorCode::TranscriptionNeedsVoice),
            (FieldPath::Change(2), ErrorCode::RequiredByTranscription),
        ]
    );
}

#[test]
fn gone_and_disabled_users_keep_what_they_hold_and_get_nothing_new() {
    let p = pool([5, 5, 5, 5], [2, 0, 0, 0], true);
    let voice: LicenseSet = [Voice].into_iter().collect();
    for (standing, code) in [
        (Standing::Gone, ErrorCode::GoneFromDirectory),
        (Standing::Disabled, ErrorCode::DisabledInDirectory),
    ] {
        let current = |id: AgentId| {
            (id == AgentId(1)).then_some(Current {
                version: Version(1),
                licenses: voice,
                standing,
            })
        };
        let err = plan(&p, current, &[change(1, Sms, true, 1)]).unwrap_err();
        let BatchError::Invalid {
            code: top, fields, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            (top, fields[0].code, fields[0].field.clone()),
            (code, code, FieldPath::Change(0))
        );
        // Taking away is allowed, and so is a box ticked back to what it holds.
        assert!(plan(&p, current, &[change(1, Voice, false, 1)]).is_ok());
        assert!(plan(&p, current, &[change(1, Voice, true, 1)]).is_ok());
    }
}

#[test]
fn voice_and_transcription_can_leave_together() {
    let p = pool([5, 5, 5, 5], [1, 0, 0, 1], false);
    let a = agents(&[(2, 1, &[Voice, Transcription])]);
    assert!(
        plan(
            &p,
            |id| a.get(&id).copied(),
            &[
                change(2, Voice, false, 1),
                change(2, Transcription, false, 1)
            ]
        )
        .is_ok()
    );
}

#[test]
fn stale_and_unknown_agents_conflict() {
    let p = pool([5; 4], [0; 4], true);
    let a = agents(&[(1, 2, &[])]);
    let err = plan(
        &p,
        |id| a.get(&id).copied(),
        &[change(1, Voice, true, 1), change(9, Sms, true, 1)],
    )
    .unwrap_err();
    let BatchError::Conflict { fields, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(fields[0].code, ErrorCode::StaleAgent);
    assert_eq!(fields[1].code, ErrorCode::UnknownAgent);
}

#[test]
fn empty_duplicate_and_huge_batches_are_refused() {
    let p = pool([5; 4], [0; 4], true);
    let a = agents(&[(1, 1, &[])]);
    let get = |id| a.get(&id).copied();
    assert!(
        matches!(plan(&p, get, &[]), Err(BatchError::Invalid { code, .. }) if code == ErrorCode::EmptyBatch)
    );
    let dup = [change(1, Voice, true, 1), change(1, Voice, false, 1)];
    assert!(
        matches!(plan(&p, get, &dup), Err(BatchError::Invalid { fields, .. }) if fields[0].code == ErrorCode::DuplicateChange)
    );
    let huge = vec![change(1, Voice, true, 1); MAX_BATCH_CHANGES + 1];
    assert!(
        matches!(plan(&p, get, &huge), Err(BatchError::Invalid { code, .. }) if code == ErrorCode::BatchTooLarge)
    );
}

#[test]
fn pending_changes_count_and_forget_reverted_ticks() {
    let mut pending = PendingChanges::default();
    let saved: LicenseSet = [Sms].into_iter().collect();
    pending.set(AgentId(7), "Ann", Version(3), saved, Voice, true);
    pending.set(AgentId(7), "Ann", Version(3), saved, Sms, false);
    assert_eq!(pending.len(), 2);
    assert_eq!(pending.delta()[Voice], 1);
    assert_eq!(pending.delta()[Sms], -1);
    let batch = pending.to_batch();
    assert_eq!(batch.changes.len(), 2);
    assert!(
        batch
            .changes
            .iter()
            .all(|c| c.version == Version(3) && c.agent_id == AgentId(7))
    );
    pending.set(AgentId(7), "Ann", Version(3), saved, Voice, false);
    pending.set(AgentId(7), "Ann", Version(3), saved, Sms, true);
    assert!(pending.is_empty());
    assert_eq!(pending.wanted(AgentId(7), saved), saved);
}

/// A small world: a pool and a handful of agents whose holdings obey the rules.
fn world() -> impl Strategy<Value = (Pool, Vec<LicenseSet>)> {
    (
        proptest::array::uniform4(0i64..6),
        any::<bool>(),
        proptest::collection::vec(0u8..16, 1..8),
    )
        .prop_map(|(purchased, channel, raw)| {
            let mut p = pool(purchased, [0; 4], channel);
            let mut holdings = Vec::new();
            for bits in raw {
                let mut set = LicenseSet::EMPTY;
                for t in LicenseType::ALL {
                    if bits & (1 << t.index()) != 0 && p.check_toggle(set, t, true).is_ok() {
                        set.set(t, true);
                        p.assigned[t] += 1;
                    }
                }
                holdings.push(set);
            }
            (p, holdings)
        })
}

proptest! {
    /// Whatever the page lets a supervisor tick, box by box, the server accepts as a
    /// batch, and the counters the page shows are the counts the server ends with.
    #[test]
    fn page_and_server_agree(
        (start, holdings) in world(),
        standings in proptest::collection::vec(0usize..3, 8),
        clicks in proptest::collection::vec((0usize..8, 0usize..4), 0..40),
    ) {
        let standing = |id: AgentId| [Standing::Listed, Standing::Disabled, Standing::Gone][standings[id.0 as usize]];
        let mut pending = PendingChanges::default();
        for (who, which) in clicks {
            let id = AgentId((who % holdings.len()) as i64);
            let t = LicenseType::ALL[which];
            let shown = pending.wanted(id, holdings[id.0 as usize]);
            let live = start.after(pending.delta());
            // What the page checks before it records a tick (LicenseEditor::set).
            if Block::check_standing(standing(id), shown, t, !shown.has(t)).is_ok()
                && live.check_toggle(shown, t, !shown.has(t)).is_ok()
            {
                pending.set(id, "x", Version(1), holdings[id.0 as usize], t, !shown.has(t));
            }
        }
        let live = start.after(pending.delta());
        for t in LicenseType::ALL {
            // The page never shows more assigned than purchased, unless it started so.
            prop_assert!(live.assigned[t] <= start.entitlements.purchased[t].max(start.assigned[t]));
        }
        if pending.is_empty() {
            return Ok(());
        }
        let current = |id: AgentId| {
            holdings.get(id.0 as usize).map(|s| Current {
                version: Version(1),
                licenses: *s,
                standing: standing(id),
            })
        };
        let plan = plan(&start, current, &pending.to_batch().changes);
        prop_assert!(plan.is_ok(), "{:?}", plan);
        let plan = plan.unwrap();
        prop_assert_eq!(plan.pool_after, live);
        for u in &plan.updates {
            prop_assert!(!u.after.has(Transcription) || u.after.has(Voice));
        }
    }

    /// No batch, however wild, makes a type grow past what was purchased.
    #[test]
    fn never_over_purchased(
        (start, holdings) in world(),
        raw in proptest::collection::vec((0i64..10, 0usize..4, any::<bool>(), 0i64..3), 0..30),
    ) {
        let changes: Vec<_> = raw.into_iter().map(|(id, t, on, v)| change(id, LicenseType::ALL[t], on, v)).collect();
        let current = |id: AgentId| holdings.get(id.0 as usize).map(|s| (Version(1), *s));
        if let Ok(plan) = plan(&start, current, &changes) {
            for t in LicenseType::ALL {
                prop_assert!(plan.delta[t] <= 0 || plan.pool_after.assigned[t] <= start.entitlements.purchased[t]);
            }
            for u in &plan.updates {
                prop_assert!(!u.after.has(WebChat) || u.before.has(WebChat) || start.entitlements.web_chat_channel);
            }
        }
    }

    /// Bulk Assign and Remove, mixed with single ticks: every agent is changed, left,
    /// or refused with the reason a tick of its box would meet; the page never goes
    /// past what was purchased, and the server accepts the result with the same counts.
    #[test]
    fn bulk_changes_agree_with_ticks_and_the_server(
        (start, holdings) in world(),
        standings in proptest::collection::vec(0usize..3, 8),
        actions in proptest::collection::vec(
            (proptest::collection::vec(0usize..8, 0..10), 0usize..4, any::<bool>()),
            1..6,
        ),
    ) {
        let standing = |i: usize| [Standing::Listed, Standing::Disabled, Standing::Gone][standings[i]];
        let roster: Vec<Agent> = holdings
            .iter()
            .enumerate()
            .map(|(i, set)| Agent {
                id: AgentId(i as i64),
                name: format!("Agent {i}"),
                email: String::new(),
                extension: String::new(),
                source: AgentSource::RingCentral,
                licenses: *set,
                version: Version(1),
                gone: standing(i) == Standing::Gone,
                disabled: standing(i) == Standing::Disabled,
                no_queue: false,
            })
            .collect();
        let mut pending = PendingChanges::default();
        for (who, which, want) in actions {
            let t = LicenseType::ALL[which];
            let mut picked: Vec<&Agent> = who.iter().map(|w| &roster[w % roster.len()]).collect();
            picked.dedup_by_key(|a| a.id);
            let before = pending.clone();
            let outcome = pending.set_many(&start, picked.iter().copied(), t, want);
            prop_assert_eq!(outcome.changed + outcome.unchanged + outcome.refused.len(), picked.len());
            for r in &outcome.refused {
                let a = &roster[r.agent_id.0 as usize];
                let shown = pending.wanted(a.id, a.licenses);
                prop_assert_eq!(shown, before.wanted(a.id, a.licenses), "a refused agent is untouched");
                prop_assert!(shown.has(t) != want);
                // The reason a tick meets: its standing, or the rule on the live pool.
                let tick = Block::check_standing(a.standing(), shown, t, want)
                    .and_then(|()| start.after(pending.delta()).check_toggle(shown, t, want));
                prop_assert!(tick.is_err(), "{:?} refused, yet a tick would pass", r);
            }
            for a in &picked {
                let shown = pending.wanted(a.id, a.licenses);
                let refused = outcome.refused.iter().any(|r| r.agent_id == a.id);
                prop_assert!(refused || shown.has(t) == want);
            }
        }
        let live = start.after(pending.delta());
        for t in LicenseType::ALL {
            prop_assert!(live.assigned[t] <= start.entitlements.purchased[t].max(start.assigned[t]));
        }
        if pending.is_empty() {
            return Ok(());
        }
        let current = |id: AgentId| {
            holdings.get(id.0 as usize).map(|s| Current {
                version: Version(1),
                licenses: *s,
                standing: standing(id.0 as usize),
            })
        };
        let plan = plan(&start, current, &pending.to_batch().changes);
        prop_assert!(plan.is_ok(), "{:?}", plan);
        prop_assert_eq!(plan.unwrap().pool_after, live);
    }
}
