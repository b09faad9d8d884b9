//! Kinds: actions and implications, levels, states, parent chains, state rules
//! and prerequisites.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::def::{IdType, KindDef, PolicyDef};
use crate::error::{check_name, nearest, Item, PolicyError};
use crate::ids::{KindId, MAX_ACTIONS, MAX_ANCESTORS};
use crate::model::{close, AncestorPrerequisite, Kind, Prerequisite, Schema, StateIx, StateRule};

use super::names::{lookup, lookup_in, resolve_list};
use super::Result;

impl Schema {
    /// Each kind's `parent` chain, checked: known kinds, no cycle, at most
    /// [`MAX_ANCESTORS`] deep. Linear in the number of kinds (each chain is
    /// bounded).
    pub(super) fn compile_parents(&mut self, def: &PolicyDef) -> Result<()> {
        if self.kinds.len() >= KindId::LIMIT {
            return Err(PolicyError::Malformed {
                path: "kinds".into(),
                problem: "more kinds than the limit of 16,777,215",
            });
        }
        let mut parents: Vec<Option<KindId>> = Vec::with_capacity(self.kinds.len());
        for (kname, kdef) in def.kinds.iter() {
            parents.push(match &kdef.parent {
                None => None,
                Some(p) => Some(lookup(
                    &self.kind_index,
                    p,
                    format!("kinds.{kname}.parent"),
                    Item::Kind,
                )?),
            });
        }
        for (k, (kname, _)) in def.kinds.iter().enumerate() {
            let mut chain: SmallVec<[KindId; MAX_ANCESTORS]> = SmallVec::new();
            let mut at = parents.get(k).copied().flatten();
            while let Some(p) = at {
                if p.index() == k || chain.contains(&p) {
                    let mut cycle = vec![kname.to_string()];
                    cycle.extend(chain.iter().chain([&p]).map(|&c| self.kind_name_of(c)));
                    if p.index() != k {
                        // Report the loop itself, from its first kind.
                        let from = cycle.iter().position(|c| *c == self.kind_name_of(p));
                        cycle.drain(..from.unwrap_or(0));
                    }
                    return Err(PolicyError::ParentCycle {
                        path: format!("kinds.{kname}.parent"),
                        cycle,
                    });
                }
                if chain.len() == MAX_ANCESTORS {
                    return Err(PolicyError::TooDeep {
                        path: format!("kinds.{kname}.parent"),
                        kind: kname.to_string(),
                        limit: MAX_ANCESTORS,
                    });
                }
                chain.push(p);
                at = parents.get(p.index()).copied().flatten();
            }
            let chain_text = chain.iter().enumerate().fold(0u8, |m, (i, &a)| {
                let text = self.kinds.get(a.index()).is_some_and(|x| x.text_ids);
                m | u8::from(text) << i
            });
            if let Some(kind) = self.kinds.get_mut(k) {
                kind.chain = chain;
                kind.chain_text = chain_text;
            }
        }
        Ok(())
    }

    pub(super) fn kind_name_of(&self, k: KindId) -> String {
        self.kinds
            .get(k.index())
            .map_or(String::new(), |x| x.name.clone())
    }

    /// Each kind's state rules and prerequisites (they name other kinds, roles
    /// and toggles, so they come once every name is indexed).
    pub(super) fn compile_kind_rules(&mut self, def: &PolicyDef) -> Result<()> {
        let mut rules = Vec::with_capacity(self.kinds.len());
        for (kname, kdef) in def.kinds.iter() {
            let (own, kind) = self.kind_of(kname, format!("kinds.{kname}"))?;
            let state_rules = self.state_rules_of(kname, kdef, kind)?;
            let prerequisites = self.prerequisites_of(kname, kdef, own, kind)?;
            rules.push((state_rules, prerequisites));
        }
        for (kind, (state_rules, (prerequisites, on_ancestors))) in self.kinds.iter_mut().zip(rules)
        {
            kind.ancestor_prerequisites = on_ancestors;
            kind.state_rules = state_rules;
            kind.prerequisites = prerequisites;
            number_state_classes(kind);
        }
        self.check_prerequisite_cycles()
    }

    /// The state rules of kind `kname`, their held actions closed up.
    fn state_rules_of(&self, kname: &str, kdef: &KindDef, kind: &Kind) -> Result<Vec<StateRule>> {
        let mut state_rules = Vec::new();
        for (i, r) in kdef.state_rules.iter().enumerate() {
            let path = format!("kinds.{kname}.state_rules[{i}]");
            let state = match kind.state_index.get(&r.state) {
                Some(&s) => s,
                None => {
                    let at =
                        lookup_in(&kind.states, &r.state, format!("{path}.state"), Item::State)?;
                    StateIx::new(at).unwrap_or_default()
                }
            };
            let hold = self.mask(kind, &r.hold, &format!("{path}.hold"))?;
            if hold == 0 {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.hold"),
                    problem: "a state rule holds back no action",
                });
            }
            let roles = resolve_list(
                &self.role_index,
                &r.unless_roles,
                &format!("{path}.unless_roles"),
                Item::Role,
            )?;
            let toggles = resolve_list(
                &self.toggle_index,
                &r.unless_toggles,
                &format!("{path}.unless_toggles"),
                Item::Toggle,
            )?;
            state_rules.push(StateRule {
                index: i,
                state,
                hold: kind.close_up(hold),
                roles,
                toggles,
            });
        }
        Ok(state_rules)
    }

    /// The prerequisites of kind `kname` (number `own`): those on another kind,
    /// and those decided on an ancestor instance.
    fn prerequisites_of(
        &self,
        kname: &str,
        kdef: &KindDef,
        own: KindId,
        kind: &Kind,
    ) -> Result<(Vec<Prerequisite>, Vec<AncestorPrerequisite>)> {
        let mut prerequisites = Vec::new();
        let mut on_ancestors = Vec::new();
        for (i, p) in kdef.prerequisites.iter().enumerate() {
            let path = format!("kinds.{kname}.prerequisites[{i}]");
            let action = self.mask(
                kind,
                std::slice::from_ref(&p.action),
                &format!("{path}.action"),
            )?;
            if action.count_ones() != 1 {
                return Err(PolicyError::Malformed {
                    path: format!("{path}.action"),
                    problem: "a prerequisite is for exactly one action",
                });
            }
            let (k2, other) = self.kind_of(&p.kind, format!("{path}.kind"))?;
            let mut needs = self.mask(other, &p.actions, &format!("{path}.actions"))?;
            if let Some(l) = &p.level {
                let li = self.level(other, l, format!("{path}.level"))?;
                needs |= other.level(li).map_or(0, |l| l.1);
            }
            if needs == 0 {
                return Err(PolicyError::Malformed {
                    path,
                    problem: "a prerequisite needs no action (name `actions` or a `level`)",
                });
            }
            if p.on_ancestor {
                let (depth, _) = self.depth_of(own, kind, &p.kind, format!("{path}.kind"))?;
                on_ancestors.push(AncestorPrerequisite {
                    index: i,
                    action: lowest_bit(action),
                    depth,
                    kind: k2,
                    needs: other.close_down(needs),
                });
                continue;
            }
            prerequisites.push(Prerequisite {
                index: i,
                action: lowest_bit(action),
                kind: k2,
                needs: other.close_down(needs),
            });
        }
        Ok((prerequisites, on_ancestors))
    }
}

/// Numbers the states some rule of `kind` names `1..=n_classes`, in the order
/// of its rules (see [`Kind::state_class`]); other states keep class 0.
fn number_state_classes(kind: &mut Kind) {
    kind.state_class = vec![0; kind.states.len()];
    kind.n_classes = 0;
    for r in &kind.state_rules {
        if let Some(c) = kind.state_class.get_mut(r.state.index()) {
            if *c == 0 {
                kind.n_classes += 1;
                *c = kind.n_classes;
            }
        }
    }
}

/// The bit number of the lowest action of `m` (64 for none).
pub(super) fn lowest_bit(m: u64) -> u8 {
    u8::try_from(m.trailing_zeros()).unwrap_or(u8::MAX)
}

/// The mask of `names` on `kind`; `"*"` is every action. With `kinds`, an action of
/// another kind is reported as such.
pub(super) fn action_mask(
    kind: &Kind,
    names: &[String],
    path: &str,
    kinds: Option<&[Kind]>,
) -> Result<u64> {
    let mut m = 0u64;
    for (j, n) in names.iter().enumerate() {
        let apath = format!("{path}[{j}]");
        if n == "*" {
            m |= kind.all();
            continue;
        }
        if n.is_empty() {
            return Err(PolicyError::EmptyName {
                path: apath,
                what: Item::Action,
            });
        }
        let Some(&bit) = kind.action_index.get(n.as_str()) else {
            if let Some(owner) = kinds
                .into_iter()
                .flatten()
                .find(|k| k.name != kind.name && k.action_index.contains_key(n.as_str()))
            {
                return Err(PolicyError::ForeignAction {
                    path: apath,
                    action: n.clone(),
                    kind: kind.name.clone(),
                    owner: owner.name.clone(),
                });
            }
            return Err(PolicyError::Unknown {
                path: apath,
                what: Item::Action,
                name: n.clone(),
                suggestion: nearest(n, kind.actions.iter().map(String::as_str)),
            });
        };
        let b = 1u64 << bit;
        if m & b != 0 && names.iter().take(j).any(|p| p == n) {
            return Err(PolicyError::Duplicate {
                path: apath,
                what: Item::Action,
                name: n.clone(),
            });
        }
        m |= b;
    }
    Ok(m)
}

/// A kind's own parts: actions, implications, levels, states, availability. State
/// rules and prerequisites need the other names and come later.
pub(super) fn compile_kind(name: &str, k: &KindDef) -> Result<Kind> {
    let path = format!("kinds.{name}");
    let action_index = index_actions(name, k, &path)?;
    let n = k.actions.len();
    let mut kind = Kind {
        name: name.to_string(),
        def: k.clone(),
        actions: k.actions.clone(),
        action_index,
        down: (0..n).map(|i| 1u64 << i).collect(),
        up: vec![0; n],
        levels: Vec::new(),
        states: Vec::new(),
        state_index: HashMap::with_capacity(k.states.len()),
        state_class: vec![0; k.states.len()],
        n_classes: 0,
        state_rules: Vec::new(),
        prerequisites: Vec::new(),
        ancestor_prerequisites: Vec::new(),
        available: k.available,
        chain: SmallVec::new(),
        text_ids: k.ids == IdType::String,
        chain_text: 0,
    };
    close_implications(&mut kind, k, &path)?;
    index_states(&mut kind, k, &path)?;
    compile_levels(&mut kind, k, &path)?;
    Ok(kind)
}

/// Each action's bit, checking the number of actions and their names.
fn index_actions(name: &str, k: &KindDef, path: &str) -> Result<HashMap<String, u8>> {
    if k.actions.len() > MAX_ACTIONS {
        return Err(PolicyError::TooManyActions {
            path: format!("{path}.actions"),
            kind: name.to_string(),
            given: k.actions.len(),
            limit: MAX_ACTIONS,
        });
    }
    let mut action_index = HashMap::with_capacity(k.actions.len());
    // At most `MAX_ACTIONS` (64) actions: every bit fits a `u8`.
    for ((i, a), bit) in k.actions.iter().enumerate().zip(0..=u8::MAX) {
        if a == "*" {
            return Err(PolicyError::EmptyName {
                path: format!("{path}.actions[{i}]"),
                what: Item::Action,
            });
        }
        check_name(a, Item::Action, || format!("{path}.actions[{i}]"))?;
        if action_index.insert(a.clone(), bit).is_some() {
            return Err(PolicyError::Duplicate {
                path: format!("{path}.actions[{i}]"),
                what: Item::Action,
                name: a.clone(),
            });
        }
    }
    Ok(action_index)
}

/// `down` and `up` of `kind` from the direct implications of `k.needs`, closed
/// transitively.
fn close_implications(kind: &mut Kind, k: &KindDef, path: &str) -> Result<()> {
    // Direct implications, then the transitive closure by iterating to a fixed
    // point (at most 64 rounds; cycles simply make their actions equivalent).
    let mut seen = Vec::new();
    for (a, needs) in k.needs.iter() {
        let npath = format!("{path}.needs.{a}");
        let Some(&bit) = kind.action_index.get(a) else {
            return Err(PolicyError::Unknown {
                path: npath,
                what: Item::Action,
                name: a.to_string(),
                suggestion: nearest(a, kind.actions.iter().map(String::as_str)),
            });
        };
        if seen.contains(&bit) {
            return Err(PolicyError::Duplicate {
                path: npath,
                what: Item::Action,
                name: a.to_string(),
            });
        }
        seen.push(bit);
        let m = action_mask(kind, needs, &npath, None)?;
        if let Some(d) = kind.down.get_mut(usize::from(bit)) {
            *d |= m;
        }
    }
    loop {
        let next: Vec<u64> = kind.down.iter().map(|&d| close(&kind.down, d)).collect();
        if next == kind.down {
            break;
        }
        kind.down = next;
    }
    for (i, &d) in kind.down.iter().enumerate() {
        let mut rest = d;
        while rest != 0 {
            let j = usize::from(lowest_bit(rest));
            rest &= rest - 1;
            if let Some(u) = kind.up.get_mut(j) {
                *u |= 1u64 << i;
            }
        }
    }
    Ok(())
}

/// The kind's states, numbered in declaration order.
fn index_states(kind: &mut Kind, k: &KindDef, path: &str) -> Result<()> {
    for ((i, s), ix) in k
        .states
        .iter()
        .enumerate()
        .zip(StateIx::range(k.states.len()))
    {
        let spath = format!("{path}.states[{i}]");
        check_name(s, Item::State, || spath.clone())?;
        if kind.state_index.insert(s.clone(), ix).is_some() {
            return Err(PolicyError::Duplicate {
                path: spath,
                what: Item::State,
                name: s.clone(),
            });
        }
        kind.states.push(s.clone());
    }
    Ok(())
}

/// The kind's levels, each closed down and holding every level below it.
fn compile_levels(kind: &mut Kind, k: &KindDef, path: &str) -> Result<()> {
    let mut below: Option<(String, u64)> = None;
    for (i, (lname, actions)) in k.levels.iter().enumerate() {
        if lname.is_empty() {
            return Err(PolicyError::EmptyName {
                path: format!("{path}.levels."),
                what: Item::Level,
            });
        }
        check_name(lname, Item::Level, || format!("{path}.levels[{i}]"))?;
        let lpath = format!("{path}.levels.{lname}");
        if kind.level_index(lname).is_some() {
            return Err(PolicyError::Duplicate {
                path: lpath,
                what: Item::Level,
                name: lname.to_string(),
            });
        }
        let m = kind.close_down(action_mask(kind, actions, &lpath, None)?);
        if let Some((bname, bm)) = &below {
            let missing = bm & !m;
            if missing != 0 {
                let action = kind
                    .actions
                    .get(usize::from(lowest_bit(missing)))
                    .cloned()
                    .unwrap_or_default();
                return Err(PolicyError::LevelOrder {
                    path: lpath,
                    level: lname.to_string(),
                    below: bname.clone(),
                    action,
                });
            }
        }
        below = Some((lname.to_string(), m));
        kind.levels.push((lname.to_string(), m));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{schema, schema_error};

    /// The mask of the named actions of the schema's first kind.
    fn bits(s: &crate::model::Schema, names: &[&str]) -> u64 {
        let kind = &s.kinds[0];
        names
            .iter()
            .fold(0, |m, n| m | 1u64 << kind.action_index[*n])
    }

    const CHAIN: &str = r#"{"kinds": {"doc": {"actions": ["view", "edit", "approve", "share"],
        "needs": {"approve": ["edit"], "edit": ["view"]},
        "levels": {"Read": ["view"], "Write": ["edit"]},
        "states": ["draft", "billed", "archived"],
        "state_rules": [{"state": "billed", "hold": ["edit"]}]}}}"#;

    #[test]
    fn implications_close_transitively_both_ways() {
        // MODEL 8: adding an action adds what it needs; removing one removes what
        // needs it. approve -> edit -> view, so approve needs view too.
        let s = schema(CHAIN);
        let k = &s.kinds[0];
        let approve = bits(&s, &["approve"]);
        let view = bits(&s, &["view"]);
        assert_eq!(
            k.close_down(approve),
            bits(&s, &["approve", "edit", "view"])
        );
        assert_eq!(k.close_up(view), bits(&s, &["view", "edit", "approve"]));
        // An action nothing needs and that needs nothing stays alone.
        assert_eq!(k.close_down(bits(&s, &["share"])), bits(&s, &["share"]));
    }

    #[test]
    fn a_level_mask_holds_what_its_actions_need() {
        let s = schema(CHAIN);
        let k = &s.kinds[0];
        let write = k.level_index("Write").and_then(|l| k.level(l)).unwrap();
        assert_eq!(write.1, bits(&s, &["edit", "view"]));
        assert!(
            k.level_index("Read") < k.level_index("Write"),
            "declared order"
        );
    }

    #[test]
    fn a_level_must_hold_every_action_of_the_level_below() {
        let e = schema_error(
            r#"{"kinds": {"k": {"actions": ["a", "b"], "levels": {"Low": ["a"], "High": ["b"]}}}}"#,
        );
        assert!(e.contains("kinds.k.levels.High"), "{e}");
    }

    #[test]
    fn only_ruled_states_get_a_keep_mask_of_their_own() {
        let s = schema(CHAIN);
        let k = &s.kinds[0];
        assert_eq!(k.n_classes, 1);
        assert_eq!(k.state_class, [0, 1, 0], "draft, billed, archived");
        // A state rule's hold is closed up: holding edit holds approve.
        assert_eq!(k.state_rules[0].hold, bits(&s, &["edit", "approve"]));
    }

    #[test]
    fn more_than_64_actions_is_an_error_naming_the_limit() {
        let actions: Vec<String> = (0..65).map(|i| format!("\"a{i}\"")).collect();
        let e = schema_error(&format!(
            r#"{{"kinds": {{"k": {{"actions": [{}]}}}}}}"#,
            actions.join(",")
        ));
        assert!(e.contains("65") && e.contains("64"), "{e}");
    }

    #[test]
    fn parent_chains_run_parent_first_and_refuse_cycles() {
        let s = schema(
            r#"{"kinds": {"org": {"actions": ["v"]}, "repo": {"actions": ["v"], "parent": "org"},
                "pr": {"actions": ["v"], "parent": "repo"}}}"#,
        );
        let chain: Vec<&str> = s.kinds[2]
            .chain
            .iter()
            .map(|k| s.kinds[k.index()].name.as_str())
            .collect();
        assert_eq!(chain, ["repo", "org"]);
        let e = schema_error(
            r#"{"kinds": {"a": {"actions": ["v"], "parent": "b"}, "b": {"actions": ["v"], "parent": "a"}}}"#,
        );
        assert!(e.contains("cycle") || e.contains("parent"), "{e}");
    }

    #[test]
    fn prerequisites_are_closed_down_and_cycles_refused() {
        let s = schema(
            r#"{"kinds": {"sync": {"actions": ["run"],
                  "prerequisites": [{"action": "run", "kind": "upload", "actions": ["edit"]}]},
                "upload": {"actions": ["view", "edit"], "needs": {"edit": ["view"]}}}}"#,
        );
        let p = &s.kinds[0].prerequisites[0];
        assert_eq!(p.kind.index(), 1);
        assert_eq!(p.needs, 0b11, "edit needs view: both are needed");
        let e = schema_error(
            r#"{"kinds": {"a": {"actions": ["x"], "prerequisites": [{"action": "x", "kind": "b", "actions": ["y"]}]},
                "b": {"actions": ["y"], "prerequisites": [{"action": "y", "kind": "a", "actions": ["x"]}]}}}"#,
        );
        assert!(e.contains("a.x") && e.contains("b.y"), "{e}");
    }
}
