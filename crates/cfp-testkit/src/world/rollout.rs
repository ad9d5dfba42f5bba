//! Image rollouts: each machine of the rolled-out fleets goes from pending
//! to completed or failed at a seed-chosen time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cfp_model::{FleetId, ImageId, MachineCounts, MachineId, RegionId};

use super::patch::Install;
use super::{FailedMachinesForm, MachineSpec, World};
use crate::rng::{Tag, between, hash, unit};

/// Where one machine of a rollout is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MachineState {
    Pending,
    Completed,
    Failed,
}

/// A seeded decision about `machine` in `install`. The world's own
/// rollout (salt 0) keeps the decisions it always had; a version's install
/// (salted by its id) gets its own.
fn decide(seed: u64, tag: Tag, image: ImageId, machine: MachineId, install: &Install) -> u64 {
    match install.salt {
        0 => hash(seed, tag, &[image.0, machine.0]),
        salt => hash(seed, tag, &[image.0, machine.0, salt]),
    }
}

/// Every machine of the fleets that run `image` in `install` at `now`:
/// its state and when it ends. With `disable_percentage`, a machine still
/// installing `disable_timeout` after the start is disabled (failed) once
/// that share of the machines completed.
pub(crate) fn machine_states(
    world: &World,
    seed: u64,
    image: ImageId,
    install: &Install,
    now: i64,
) -> Vec<(MachineId, MachineState, i64)> {
    let Some(rollout) = world.rollouts.get(&image) else {
        return Vec::new();
    };
    let mut out: Vec<(MachineId, MachineState, i64)> = world
        .machines
        .iter()
        .filter(|(_, m)| rollout.fleets.contains(&m.fleet))
        .map(|(id, _)| {
            let took = between(
                decide(seed, Tag::RolloutTime, image, *id, install),
                *world.timings.rollout_machine.start(),
                *world.timings.rollout_machine.end(),
            );
            let ends = install
                .started
                .saturating_add(i64::try_from(took).unwrap_or(i64::MAX));
            let fails =
                unit(decide(seed, Tag::RolloutFails, image, *id, install)) < rollout.failure_rate;
            let state = if now < ends {
                MachineState::Pending
            } else if fails {
                MachineState::Failed
            } else {
                MachineState::Completed
            };
            (*id, state, ends)
        })
        .collect();
    if let Some((pct, timeout)) = install.disable
        && now >= install.started.saturating_add(timeout)
        && !out.is_empty()
    {
        let completed = out
            .iter()
            .filter(|(_, s, _)| *s == MachineState::Completed)
            .count();
        if completed as f64 * 100.0 / out.len() as f64 >= pct {
            for m in &mut out {
                if m.1 == MachineState::Pending {
                    m.1 = MachineState::Failed;
                }
            }
        }
    }
    out
}

fn add(c: &mut MachineCounts, s: MachineState) {
    match s {
        MachineState::Pending => c.pending += 1,
        MachineState::Completed => c.completed += 1,
        MachineState::Failed => c.failed += 1,
    }
}

/// The counts of an image's rollout at `now`: overall, and per fleet and
/// region (every region each rolled-out fleet spans, machines or not).
pub(crate) struct RolloutCounts {
    pub(crate) total: MachineCounts,
    pub(crate) fleets: BTreeMap<FleetId, (MachineCounts, BTreeMap<RegionId, MachineCounts>)>,
}

pub(crate) fn counts(
    world: &World,
    seed: u64,
    image: ImageId,
    install: &Install,
    now: i64,
) -> RolloutCounts {
    let mut out = RolloutCounts {
        total: MachineCounts::default(),
        fleets: BTreeMap::new(),
    };
    let Some(rollout) = world.rollouts.get(&image) else {
        return out;
    };
    for fleet in &rollout.fleets {
        let regions = world
            .fleets
            .get(fleet)
            .map(|f| {
                f.regions
                    .iter()
                    .map(|r| (*r, MachineCounts::default()))
                    .collect()
            })
            .unwrap_or_default();
        out.fleets
            .insert(*fleet, (MachineCounts::default(), regions));
    }
    for (id, s, _) in machine_states(world, seed, image, install, now) {
        let MachineSpec { fleet, region, .. } = &world.machines[&id];
        let Some((fleet_counts, regions)) = out.fleets.get_mut(fleet) else {
            continue;
        };
        add(&mut out.total, s);
        add(fleet_counts, s);
        add(regions.entry(*region).or_default(), s);
    }
    out
}

/// Writes `"pending_machines": …, ["failed_machines": …,] "completed_machines": …`.
fn write_counts(out: &mut String, c: &MachineCounts, with_failed: bool) {
    let _ = write!(out, "\"pending_machines\":{}", c.pending);
    if with_failed {
        let _ = write!(out, ",\"failed_machines\":{}", c.failed);
    }
    let _ = write!(out, ",\"completed_machines\":{}", c.completed);
}

/// Appends `s` as a JSON string.
pub(crate) fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The image status body. Empty maps are written `[]`, as the vendor's PHP
/// backend does; `failed_machines` inside fleets and regions follows the
/// world's [`FailedMachinesForm`].
pub(crate) fn status_body(world: &World, counts: &RolloutCounts, detail: bool) -> String {
    let mut out = String::with_capacity(if detail { 512 } else { 96 });
    out.push('{');
    let inside = |c: &MachineCounts| match world.failed_machines {
        FailedMachinesForm::Always => true,
        FailedMachinesForm::OmitZeroInside => c.failed > 0,
        FailedMachinesForm::TopLevelOnly => false,
    };
    if detail {
        out.push_str("\"fleets\":");
        if counts.fleets.is_empty() {
            out.push_str("[]");
        } else {
            out.push('{');
            for (i, (fleet, (fc, regions))) in counts.fleets.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"{fleet}\":{{\"regions\":");
                if regions.is_empty() {
                    out.push_str("[]");
                } else {
                    out.push('{');
                    for (j, (region, rc)) in regions.iter().enumerate() {
                        if j > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "\"{region}\":{{\"name\":");
                        let name = world.regions.get(region).map_or("", String::as_str);
                        write_json_str(&mut out, name);
                        out.push(',');
                        write_counts(&mut out, rc, inside(rc));
                        out.push('}');
                    }
                    out.push('}');
                }
                out.push(',');
                write_counts(&mut out, fc, inside(fc));
                out.push('}');
            }
            out.push('}');
        }
        out.push(',');
    }
    write_counts(&mut out, &counts.total, true);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    use crate::world::Rollout;

    fn world() -> World {
        World::default()
    }

    fn at(started: i64) -> Install {
        Install {
            started,
            salt: 0,
            disable: None,
        }
    }

    #[test]
    fn everything_is_pending_at_the_start_and_done_after_the_longest_machine() {
        let w = world();
        let c = counts(&w, 1, ImageId(1), &at(1000), 1000);
        assert_eq!(c.total.pending, 4);
        let c = counts(&w, 1, ImageId(1), &at(1000), 1000 + 300);
        assert_eq!(c.total.pending, 0);
        assert_eq!(c.total.completed + c.total.failed, 4);
    }

    #[test]
    fn an_image_on_no_fleet_writes_empty_maps_as_arrays() {
        let w = world();
        let c = counts(&w, 1, ImageId(2), &at(1000), 1000);
        let body = status_body(&w, &c, true);
        assert_eq!(
            body,
            r#"{"fleets":[],"pending_machines":0,"failed_machines":0,"completed_machines":0}"#
        );
    }

    #[test]
    fn detail_has_fleets_and_regions_with_names() {
        let w = world();
        let c = counts(&w, 1, ImageId(1), &at(1000), 1000);
        let v: Value = serde_json::from_str(&status_body(&w, &c, true)).unwrap();
        assert_eq!(v["fleets"]["1"]["regions"]["1"]["name"], "Europe West");
        assert_eq!(v["fleets"]["1"]["regions"]["1"]["pending_machines"], 2);
        assert_eq!(v["fleets"]["2"]["regions"]["3"]["pending_machines"], 1);
        assert!(v["fleets"]["1"].get("failed_machines").is_none());
        let plain: Value = serde_json::from_str(&status_body(&w, &c, false)).unwrap();
        assert!(plain.get("fleets").is_none());
    }

    /// `disable_percentage` 50 and `disable_timeout` 60 s: once half the
    /// machines completed, those still installing a minute after the start
    /// are disabled (failed); before either condition holds, nothing is.
    #[test]
    fn stragglers_are_disabled_once_enough_machines_completed_after_the_timeout() {
        let w = World::default().rollout(ImageId(1), Rollout::new([FleetId(1), FleetId(2)], 0.0));
        let plain = at(1000);
        let mut ends: Vec<i64> = machine_states(&w, 1, ImageId(1), &plain, 1000)
            .into_iter()
            .map(|(_, _, e)| e)
            .collect();
        ends.sort_unstable();
        // Just after the second machine completed: half of the four.
        let now = ends[1].max(1000 + 60);
        assert!(
            now < ends[2],
            "the seed leaves two machines installing: {ends:?}"
        );
        let disabling = Install {
            disable: Some((50.0, 60)),
            ..at(1000)
        };
        let states = |install: &Install, now| {
            let mut c = MachineCounts::default();
            for (_, s, _) in machine_states(&w, 1, ImageId(1), install, now) {
                add(&mut c, s);
            }
            (c.completed, c.failed, c.pending)
        };
        assert_eq!(states(&plain, now), (2, 0, 2));
        assert_eq!(
            states(&disabling, now),
            (2, 2, 0),
            "the stragglers are disabled"
        );
        // Before the timeout, or with fewer completed than the share, none.
        assert_eq!(states(&disabling, 1000 + 59).1, 0);
        let strict = Install {
            disable: Some((75.0, 60)),
            ..at(1000)
        };
        assert_eq!(states(&strict, now), (2, 0, 2));
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        write_json_str(&mut s, "a\"b\\c\n");
        assert_eq!(s, r#""a\"b\\c\u000a""#);
    }
}
