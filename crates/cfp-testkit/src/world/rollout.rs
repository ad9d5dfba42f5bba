//! Image rollouts: each machine of the rolled-out fleets goes from pending
//! to completed or failed at a seed-chosen time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cfp_model::{FleetId, ImageId, MachineCounts, MachineId, RegionId};

use super::{FailedMachinesForm, MachineSpec, Rollout, Timings, World};
use crate::rng::{Tag, between, hash, unit};

/// Where one machine of a rollout is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MachineState {
    Pending,
    Completed,
    Failed,
}

fn machine_state(
    seed: u64,
    timings: &Timings,
    image: ImageId,
    machine: MachineId,
    rollout: &Rollout,
    started: i64,
    now: i64,
) -> MachineState {
    let took = between(
        hash(seed, Tag::RolloutTime, &[image.0, machine.0]),
        *timings.rollout_machine.start(),
        *timings.rollout_machine.end(),
    );
    if now < started.saturating_add(i64::try_from(took).unwrap_or(i64::MAX)) {
        MachineState::Pending
    } else if unit(hash(seed, Tag::RolloutFails, &[image.0, machine.0])) < rollout.failure_rate {
        MachineState::Failed
    } else {
        MachineState::Completed
    }
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
    started: i64,
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
    for (id, MachineSpec { fleet, region, .. }) in &world.machines {
        let Some((fleet_counts, regions)) = out.fleets.get_mut(fleet) else {
            continue;
        };
        let s = machine_state(seed, &world.timings, image, *id, rollout, started, now);
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

    fn world() -> World {
        World::default()
    }

    #[test]
    fn everything_is_pending_at_the_start_and_done_after_the_longest_machine() {
        let w = world();
        let c = counts(&w, 1, ImageId(1), 1000, 1000);
        assert_eq!(c.total.pending, 4);
        let c = counts(&w, 1, ImageId(1), 1000, 1000 + 300);
        assert_eq!(c.total.pending, 0);
        assert_eq!(c.total.completed + c.total.failed, 4);
    }

    #[test]
    fn an_image_on_no_fleet_writes_empty_maps_as_arrays() {
        let w = world();
        let c = counts(&w, 1, ImageId(2), 1000, 1000);
        let body = status_body(&w, &c, true);
        assert_eq!(
            body,
            r#"{"fleets":[],"pending_machines":0,"failed_machines":0,"completed_machines":0}"#
        );
    }

    #[test]
    fn detail_has_fleets_and_regions_with_names() {
        let w = world();
        let c = counts(&w, 1, ImageId(1), 1000, 1000);
        let v: Value = serde_json::from_str(&status_body(&w, &c, true)).unwrap();
        assert_eq!(v["fleets"]["1"]["regions"]["1"]["name"], "Europe West");
        assert_eq!(v["fleets"]["1"]["regions"]["1"]["pending_machines"], 2);
        assert_eq!(v["fleets"]["2"]["regions"]["3"]["pending_machines"], 1);
        assert!(v["fleets"]["1"].get("failed_machines").is_none());
        let plain: Value = serde_json::from_str(&status_body(&w, &c, false)).unwrap();
        assert!(plain.get("fleets").is_none());
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        write_json_str(&mut s, "a\"b\\c\n");
        assert_eq!(s, r#""a\"b\\c\u000a""#);
    }
}
