//! Prerequisite cycles: a depth-first search over `(kind, action)` nodes along
//! prerequisite edges, reporting the first cycle found.

use std::collections::HashMap;

use crate::error::PolicyError;
use crate::ids::KindId;
use crate::model::Schema;

use super::kinds::lowest_bit;
use super::Result;

impl Schema {
    /// A depth-first search over `(kind, action)` nodes along prerequisite edges.
    pub(super) fn check_prerequisite_cycles(&self) -> Result<()> {
        // 0: unvisited, 1: on the stack, 2: done.
        let mut mark: HashMap<(KindId, u8), u8> = HashMap::new();
        for (k, kind) in KindId::range(self.kinds.len()).zip(&self.kinds) {
            for p in &kind.prerequisites {
                let mut stack: Vec<(KindId, u8)> = Vec::new();
                if let Some(cycle) = self.visit((k, p.action), &mut mark, &mut stack) {
                    let names: Vec<String> =
                        cycle.iter().map(|&(k, a)| self.node_name(k, a)).collect();
                    let closing = cycle.first().copied().unwrap_or((k, p.action));
                    let kname = self
                        .kinds
                        .get(closing.0.index())
                        .map_or("", |k| k.name.as_str());
                    let index = self
                        .kinds
                        .get(closing.0.index())
                        .and_then(|k| k.prerequisites.iter().find(|p| p.action == closing.1))
                        .map_or(0, |p| p.index);
                    return Err(PolicyError::PrerequisiteCycle {
                        path: format!("kinds.{kname}.prerequisites[{index}]"),
                        cycle: names,
                    });
                }
            }
        }
        Ok(())
    }

    /// A depth-first search from `start` with an explicit stack (prerequisite
    /// chains across many kinds must not overflow the call stack); the first cycle
    /// found, from its first node back to it.
    pub(super) fn visit(
        &self,
        start: (KindId, u8),
        mark: &mut HashMap<(KindId, u8), u8>,
        path: &mut Vec<(KindId, u8)>,
    ) -> Option<Vec<(KindId, u8)>> {
        if mark.get(&start) == Some(&2) {
            return None;
        }
        // Each frame: a node and the nodes it still has to visit.
        type Node = (KindId, u8);
        let mut frames: Vec<(Node, Vec<Node>)> = Vec::new();
        mark.insert(start, 1);
        path.push(start);
        frames.push((start, self.successors(start)));
        while let Some((node, todo)) = frames.last_mut() {
            let node = *node;
            match todo.pop() {
                None => {
                    frames.pop();
                    path.pop();
                    mark.insert(node, 2);
                }
                Some(next) => match mark.get(&next) {
                    Some(2) => {}
                    Some(_) => {
                        let from = path.iter().position(|n| *n == next).unwrap_or(0);
                        let mut cycle: Vec<(KindId, u8)> = path.get(from..).unwrap_or(&[]).to_vec();
                        cycle.push(next);
                        return Some(cycle);
                    }
                    None => {
                        mark.insert(next, 1);
                        path.push(next);
                        frames.push((next, self.successors(next)));
                    }
                },
            }
        }
        None
    }

    /// The `(kind, action)` nodes a node's prerequisites need, in reverse order (so
    /// popping visits them in declaration and bit order).
    pub(super) fn successors(&self, node: (KindId, u8)) -> Vec<(KindId, u8)> {
        let mut out = Vec::new();
        if let Some(kind) = self.kinds.get(node.0.index()) {
            for p in kind.prerequisites.iter().filter(|p| p.action == node.1) {
                let mut rest = p.needs;
                while rest != 0 {
                    out.push((p.kind, lowest_bit(rest)));
                    rest &= rest - 1;
                }
            }
        }
        out.reverse();
        out
    }

    pub(super) fn node_name(&self, k: KindId, a: u8) -> String {
        let kind = self.kinds.get(k.index());
        let kname = kind.map_or("", |k| k.name.as_str());
        let aname = kind
            .and_then(|k| k.actions.get(usize::from(a)))
            .map_or("", String::as_str);
        format!("{kname}.{aname}")
    }
}
