//! Steps 3 to 7 of the decision order over the compiled model, one function
//! each, moving the set of a [`Trace`] and telling its observer.

use crate::engine::{Policy, ProfileKey};
use crate::ids::{KindId, Resource};
use crate::model::{Layer, Schema, Scoped, Slot, StateIx};

use super::text::{action_name, exception_text, exempt_by, names};
use super::{Observer, Quiet, Relation, Rule, Trace, Traced};

impl Policy {
    /// Step 3: the role's sets (or a level's), then the toggles'. The scoped
    /// sets that result.
    pub(super) fn kind_wide_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        key: &ProfileKey,
        k: KindId,
    ) -> Scoped {
        let role = self.schema.roles.get(key.role.index());
        let rs = role
            .and_then(|r| r.sets.get(k.index()))
            .copied()
            .unwrap_or_default();
        t.step_as(Rule::Role, rs.any, true, |t| self.role_text(t, key, k, rs));
        let mut scoped = match key.levels.iter().find(|(lk, _)| *lk == k) {
            Some(&(_, l)) => {
                let (lname, lmask) = t.kind.level(l).cloned().unwrap_or_default();
                t.step_as(Rule::Level, lmask, true, |t| {
                    format!(
                        "level `{lname}` on `{}` replaces the role's set with {}: {}",
                        t.kind.name,
                        t.names(lmask),
                        t.change(t.set, lmask)
                    )
                });
                Scoped {
                    any: lmask,
                    ..Default::default()
                }
            }
            None => rs,
        };
        for &tg in &key.toggles {
            let Some(toggle) = self.schema.toggles.get(tg.index()) else {
                continue;
            };
            if let Some((_, ts)) = toggle.sets.iter().find(|(tk, _)| *tk == k) {
                let before = t.set;
                scoped = scoped.union(*ts);
                t.step(Rule::Toggle, before | ts.any, |t| {
                    let mut text = format!(
                        "toggle `{}` {}",
                        toggle.name,
                        t.change(before, before | ts.any)
                    );
                    if ts.own | ts.managed != 0 {
                        text.push_str(" (and scoped grants)");
                    }
                    text
                });
            }
        }
        scoped
    }

    /// Step 4: the scoped grants the owner earns.
    pub(super) fn scope_step<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        who: Option<&Traced<'_>>,
        r: &Resource,
        scoped: Scoped,
    ) {
        if scoped.own | scoped.managed == 0 {
            return;
        }
        // Scoped grants that did not count bear on a denial of what they hold.
        let missed = (scoped.own | scoped.managed) & t.want != 0 && t.set & t.want == 0;
        let relation = match (who, r.owner) {
            (Some(w), _) => w.owner.clone(),
            (None, Some(o)) => Relation::Other(self.subject_name(o).into()),
            (None, None) => Relation::NoOwner,
        };
        let x = match relation {
            Relation::Own => scoped.any | scoped.own,
            Relation::Managed(_) => scoped.any | scoped.managed,
            Relation::Other(_) | Relation::NoOwner => scoped.any,
        };
        let counted = x != t.set;
        t.step(Rule::Scope, x, |t| match &relation {
            Relation::Own => format!(
                "the subject owns the instance: own-scoped grants count, {}",
                t.change(t.set, x)
            ),
            Relation::Managed(o) => format!(
                "the owner `{o}` is managed by the subject: managed-scoped grants count, {}",
                t.change(t.set, x)
            ),
            Relation::Other(o) => format!(
                "the owner `{o}` is neither the subject nor managed by it: scoped grants do not count"
            ),
            Relation::NoOwner => "no owner given: scoped grants do not count".to_string(),
        });
        if !counted && missed {
            if let Some(last) = t.obs.steps().last_mut() {
                last.relevant = true;
            }
        }
    }

    /// Step 5 for one layer: its rules written in ancestors, outermost first,
    /// then its rules on the instance itself; in each, the restriction and then
    /// the exception.
    pub(super) fn layer_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        layer: &Layer,
        r: &Resource,
        who: &str,
        role_name: Option<&str>,
    ) {
        let k = r.kind;
        let chain = t.kind.chain.clone();
        // INVARIANT (chains): at most `MAX_ANCESTORS` long, so depths fit a `u8`.
        let depths = (0..=chain.len()).filter_map(|d| Some((d, u8::try_from(d).ok()?)));
        for (d, depth) in depths.rev() {
            let (sl, of, id) = if d == 0 {
                (Slot::of(k), k, r.id)
            } else {
                let Some(&a) = chain.get(d - 1) else {
                    continue;
                };
                (
                    Slot::new(k, depth),
                    a,
                    r.ancestors().get(d - 1).map(|x| x.id),
                )
            };
            let place = || {
                if d == 0 {
                    t.kind.name.clone()
                } else {
                    format!("{} in {}", t.kind.name, self.kind_name(of))
                }
            };
            if let Some(res) = layer.restriction(sl) {
                let hit = id.is_some_and(|id| res.ids.binary_search(&id).is_ok());
                let next = if hit {
                    t.set | res.allow
                } else {
                    t.set & !res.deny
                };
                let text = |t: &Trace<'_, O>| {
                    let given = match (d, id) {
                        (0, _) | (_, Some(_)) => "",
                        (_, None) => " (the resource does not say which one it is in)",
                    };
                    format!(
                        "{}'s restriction on {} holds {} only on {}{given}: {}",
                        self.layer_owner(who, role_name, res.origin.role),
                        place(),
                        t.names(res.actions),
                        self.ids_text(of, &res.ids, id, hit),
                        t.change(t.set, next)
                    )
                };
                t.step(Rule::Restriction, next, text);
            }
            if let Some(e) = id.and_then(|id| layer.exception(sl, id)) {
                let next = e.op.affine().apply(t.set);
                t.step(Rule::Exception, next, |t| {
                    format!(
                        "{}'s exception on {} {} {}: {}",
                        self.layer_owner(who, role_name, e.origin.role),
                        place(),
                        self.show_id(of, e.id),
                        exception_text(t, e.op),
                        t.change(t.set, next)
                    )
                });
            }
        }
    }

    /// Step 6: prerequisites on other kinds (kind-wide), then on ancestor
    /// instances (decided in full there, quietly).
    pub(super) fn prerequisite_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        key: &ProfileKey,
        who: Option<&Traced<'_>>,
        r: &Resource,
        sets: &[Scoped],
    ) {
        let kind = t.kind;
        for p in &kind.prerequisites {
            if self.schema.prerequisite_met(p, sets) {
                continue;
            }
            let next = t.set & !kind.close_up(1u64 << p.action);
            t.step(Rule::Prerequisite, next, |t| {
                let other = self.schema.kinds.get(p.kind.index());
                let oname = other.map_or("", |o| o.name.as_str());
                let needs = other.map_or(String::new(), |o| names(o, p.needs));
                let held = other.map_or(String::new(), |o| {
                    if o.available {
                        names(o, sets.get(p.kind.index()).map_or(0, |s| s.any))
                    } else {
                        "nothing (the kind is unavailable)".to_string()
                    }
                });
                format!(
                    "prerequisite: `{}` needs {needs} on `{oname}`, the subject holds {held} there: {}",
                    action_name(kind, p.action),
                    t.change(t.set, next)
                )
            });
        }
        for p in &kind.ancestor_prerequisites {
            let anc = r.ancestor_resource(usize::from(p.depth));
            let held = anc.map(|a| {
                let again = who.map(|w| Traced {
                    name: w.name.clone(),
                    layer: w.layer,
                    owner: Relation::NoOwner,
                });
                let bits = self
                    .evaluate(key, again.as_ref(), 0, &a, Quiet)
                    .map_or(0, |(set, _)| set);
                (a, bits)
            });
            if held.is_some_and(|(_, bits)| bits & p.needs == p.needs) {
                continue;
            }
            let next = t.set & !kind.close_up(1u64 << p.action);
            t.step(Rule::Prerequisite, next, |t| {
                let akind = self.schema.kinds.get(p.kind.index());
                let aname = akind.map_or("", |a| a.name.as_str());
                let there = match &held {
                    None => format!("the resource does not say which `{aname}` it is in"),
                    Some((a, bits)) => format!(
                        "the subject may do {} on `{aname}` {}",
                        akind.map_or(String::new(), |x| names(x, *bits)),
                        a.id.map_or(String::new(), |id| self.show_id(p.kind, id))
                    ),
                };
                format!(
                    "prerequisite on the `{aname}` it is in: `{}` needs {} there, and {there}: {}",
                    action_name(kind, p.action),
                    akind.map_or(String::new(), |a| names(a, p.needs)),
                    t.change(t.set, next)
                )
            });
        }
    }

    /// Step 7: the state's rules.
    pub(super) fn state_steps<O: Observer>(
        &self,
        t: &mut Trace<'_, O>,
        key: &ProfileKey,
        s: StateIx,
    ) {
        let kind = t.kind;
        let sname = kind.state_name(s).unwrap_or("");
        for rule in kind.state_rules.iter().filter(|x| x.state == s) {
            if Schema::state_rule_applies(rule, key) {
                let next = t.set & !rule.hold;
                t.step(Rule::StateRule, next, |t| {
                    format!(
                        "state rule `{sname}` holds {} back: {}",
                        t.names(rule.hold),
                        t.change(t.set, next)
                    )
                });
            } else {
                let relevant = kind.close_up(rule.hold) & t.want & t.set != 0;
                t.note(Rule::StateRule, relevant, |t| {
                    format!(
                        "state rule `{sname}` holds {} back, but not from this subject ({})",
                        t.names(rule.hold),
                        exempt_by(self, rule, key)
                    )
                });
            }
        }
    }
}
