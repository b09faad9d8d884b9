//! The checks behind the fuzz targets, shared by the fuzz package
//! (`tests/fuzz/src/lib.rs`) and the root crate's `tests/fuzz_regressions.rs`
//! (both include this file with `#[path]`), so a saved input replays through
//! exactly the code the fuzzer ran. It and the `changes` target's seeds
//! (`seeds/changes/`) sit outside `tests/fuzz/`, which has a manifest of its own
//! and so is left out of the published package.
//!
//! Every check panics on failure: libFuzzer reports a panic as a crash.

use accessmask::{Change, ChangeError, IdDef, IdType, Policy, PolicyDef, Query, Resource};

/// A small policy using every feature, with admin rules, as a base for changes.
pub const MINI: &str = r#"{
  "kinds": {
    "doc": {
      "actions": ["view", "comment", "edit", "delete", "publish"],
      "needs": { "comment": ["view"], "edit": ["view"], "delete": ["edit"], "publish": ["edit"] },
      "levels": { "None": [], "Read": ["view", "comment"], "Write": ["view", "comment", "edit"],
                  "Full": ["view", "comment", "edit", "delete", "publish"] },
      "states": ["draft", "live", "archived"],
      "state_rules": [
        { "state": "archived", "hold": ["edit"], "unless_roles": ["Admin"], "unless_toggles": ["Archivist"] },
        { "state": "live", "hold": ["delete"] }
      ],
      "prerequisites": [ { "action": "publish", "kind": "channel", "level": "Use" } ]
    },
    "channel": {
      "actions": ["see", "post"],
      "needs": { "post": ["see"] },
      "levels": { "Off": [], "Use": ["see"], "Own": ["see", "post"] }
    },
    "legacy": { "actions": ["open", "spin", "loop"], "needs": { "spin": ["loop"], "loop": ["spin"] }, "available": false },
    "admin": { "actions": ["set_levels", "manage_users", "define_roles", "grant_any"] }
  },
  "roles": {
    "Admin": { "grants": { "doc": ["*"], "channel": { "level": "Own" }, "legacy": ["*"], "admin": ["*"] } },
    "Viewer": {
      "grants": { "doc": { "level": "Read", "own": ["edit"], "managed": ["delete"] }, "channel": ["see"] },
      "exceptions": [ { "kind": "doc", "id": 7, "deny": ["comment"] }, { "kind": "doc", "id": 8, "level": "Write" } ],
      "restrictions": [ { "kind": "channel", "actions": ["post"], "ids": [1, 2] } ]
    },
    "Editor": {
      "base": "Viewer",
      "grants": { "doc": ["edit"], "admin": { "managed": ["set_levels"] } },
      "remove": { "doc": ["comment"] },
      "exceptions": [ { "kind": "doc", "id": 7, "allow": ["comment"] } ]
    },
    "Nobody": {}
  },
  "toggles": {
    "Archivist": { "grants": { "doc": ["edit"] } },
    "Publisher": { "grants": { "doc": { "own": ["publish"] }, "channel": ["post"] } }
  },
  "subjects": {
    "ada": { "role": "Admin", "manages": ["bo", "cy"] },
    "bo": { "role": "Editor", "toggles": ["Publisher"], "manages": ["cy"],
            "exceptions": [ { "kind": "doc", "id": 7, "deny": ["edit"] } ] },
    "cy": { "role": "Viewer", "levels": { "doc": "Write" },
            "restrictions": [ { "kind": "doc", "actions": ["edit"], "ids": [3] } ] },
    "dee": { "role": "Nobody", "toggles": ["Archivist"] },
    "émile 名": { "role": "Viewer" }
  },
  "admin": [
    { "changes": ["set_level", "set_toggle", "set_exception"], "requires": { "kind": "admin", "action": "set_levels" } },
    { "changes": ["add_subject", "remove_subject", "set_role", "set_manages"], "requires": { "kind": "admin", "action": "manage_users" } },
    { "changes": ["define_role"], "requires": { "kind": "admin", "action": "define_roles" } },
    { "changes": ["set_level"], "kinds": ["channel"], "requires": { "kind": "admin", "action": "grant_any" }, "may_grant_beyond_own": true }
  ]
}"#;

/// The base policies the `changes` target starts from.
pub const BASES: [&str; 5] = [
    MINI,
    include_str!("../../examples/policies/magnetic.json"),
    include_str!("../../examples/policies/magnews.json"),
    include_str!("../../examples/policies/real_magnet.json"),
    include_str!("../../examples/policies/thrive.json"),
];

/// How much of a policy [`check_policy`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Questions asked, at most (spread over subjects, kinds and actions).
    pub questions: usize,
    /// Of those, how many are also explained (explain allocates and formats).
    pub explained: usize,
    /// Of those, for how many `who_can` is checked.
    pub who_can: usize,
    /// Whether to render the matrices and diff the policy with its round trip
    /// (both walk the whole policy).
    pub whole: bool,
}

/// For a policy checked once.
pub const FULL: Budget = Budget {
    questions: 240,
    explained: 80,
    who_can: 24,
    whole: true,
};

/// For each snapshot of a sequence of changes.
pub const LIGHT: Budget = Budget {
    questions: 16,
    explained: 4,
    who_can: 2,
    whole: false,
};

/// A question by names, so two policies can be asked the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    subject: String,
    kind: String,
    action: String,
    /// A number for a kind with number ids, a string for one with string ids.
    id: Option<IdDef>,
    /// Ancestors, parent first (a prefix of the kind's chain), ids as for `id`.
    ancestors: Vec<(String, IdDef)>,
    state: Option<String>,
    owner: Option<String>,
}

/// Instance `id` of `kind` in `p`: a string resolved by the policy, a number as it is.
fn instance(p: &Policy, kind: accessmask::KindId, id: &IdDef) -> accessmask::Instance {
    match id {
        IdDef::Number(n) => kind.instance(*n),
        IdDef::String(s) => p.instance(kind, s),
    }
}

impl Question {
    fn resolve(
        &self,
        p: &Policy,
    ) -> Option<(accessmask::SubjectId, accessmask::ActionId, Resource)> {
        let s = p.subject(&self.subject)?;
        let a = p.action(&self.kind, &self.action)?;
        let mut r = p.resource(a.kind());
        if let Some(id) = &self.id {
            r = r.with_instance(instance(p, a.kind(), id));
        }
        for (kind, id) in &self.ancestors {
            r = r.within(instance(p, p.kind(kind)?, id));
        }
        if let Some(state) = &self.state {
            r = r.with_state(p.state(a.kind(), state)?);
        }
        if let Some(owner) = &self.owner {
            r = r.with_owner(p.subject(owner)?);
        }
        Some((s, a, r))
    }

    /// The question as a query of the crate's query language.
    fn query(&self) -> Query {
        Query {
            subject: self.subject.clone(),
            action: self.action.clone(),
            kind: self.kind.clone(),
            id: self.id.clone(),
            ancestors: self.ancestors.clone(),
            state: self.state.clone(),
            owner: self.owner.clone(),
        }
    }

    /// Whether the query language can write the question's names: each is one
    /// word (no whitespace), and a kind has no `:` (names may hold both; ids
    /// are quoted when they need it).
    fn writable(&self) -> bool {
        let word = |n: &str| !n.contains(char::is_whitespace);
        let kind = |n: &str| word(n) && !n.contains(':');
        word(&self.subject)
            && word(&self.action)
            && kind(&self.kind)
            && self.ancestors.iter().all(|(k, _)| kind(k))
            && self.state.as_deref().map_or(true, word)
            && self.owner.as_deref().map_or(true, word)
    }
}

/// A string id no policy names: it resolves to "unnamed".
const UNNAMED_ID: &str = "fuzz: no rule names this id";

/// The ids `def`'s rules name, numbers and strings apart (at most `n` each).
fn named_ids(def: &PolicyDef, n: usize) -> (Vec<u64>, Vec<String>) {
    let (mut numbers, mut strings) = (Vec::new(), Vec::new());
    let rules = def
        .roles
        .iter()
        .map(|(_, r)| (&r.exceptions, &r.restrictions))
        .chain(
            def.subjects
                .iter()
                .map(|(_, s)| (&s.exceptions, &s.restrictions)),
        );
    for (exceptions, restrictions) in rules {
        let ids = exceptions
            .iter()
            .map(|e| &e.id)
            .chain(restrictions.iter().flat_map(|x| x.ids.iter()));
        for id in ids {
            match id {
                IdDef::Number(x) if numbers.len() < n && !numbers.contains(x) => numbers.push(*x),
                IdDef::String(x) if strings.len() < n && !strings.contains(x) => {
                    strings.push(x.clone())
                }
                _ => {}
            }
        }
    }
    (numbers, strings)
}

/// A bounded, varied set of questions about `p`: subjects x kinds x actions x a
/// few resources (no id, ids its exceptions and restrictions name, a string id
/// no rule names, ancestors up the kind's chain, states, owners).
pub fn questions(p: &Policy, def: &PolicyDef, budget: usize) -> Vec<Question> {
    let (numbers, strings) = named_ids(def, 4);
    let mut number_ids: Vec<IdDef> = vec![IdDef::Number(0), IdDef::Number(u64::MAX)];
    number_ids.extend(numbers.into_iter().map(IdDef::Number));
    let mut string_ids: Vec<IdDef> = vec![IdDef::from(UNNAMED_ID)];
    string_ids.extend(strings.into_iter().map(IdDef::String));
    let kind_def = |name: &str| def.kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| k);
    let ids_of = |name: &str| match kind_def(name).map(|k| k.ids) {
        Some(IdType::String) => &string_ids,
        _ => &number_ids,
    };
    // The kind's ancestors, parent first (at most MAX_ANCESTORS, and no cycle:
    // the policy compiled).
    let chain = |name: &str| {
        let mut out: Vec<String> = Vec::new();
        let mut at = kind_def(name).and_then(|k| k.parent.clone());
        while let Some(parent) = at {
            if out.len() >= accessmask::MAX_ANCESTORS || out.contains(&parent) {
                break;
            }
            at = kind_def(&parent).and_then(|k| k.parent.clone());
            out.push(parent);
        }
        out
    };
    let subjects: Vec<String> = p
        .subjects()
        .take(6)
        .map(|s| p.subject_name(s).to_string())
        .collect();
    let kinds: Vec<_> = p.kinds().take(8).collect();
    let total: usize = kinds
        .iter()
        .map(|&k| p.actions(k).len().min(6))
        .sum::<usize>()
        * subjects.len();
    // Spread the budget over every subject and kind instead of the first few.
    let step = total.div_ceil(budget.max(1)).max(1);
    let mut out = Vec::new();
    let mut n = 0usize;
    for (si, subject) in subjects.iter().enumerate() {
        for &kind in &kinds {
            let name = p.kind_name(kind);
            let ids = ids_of(name);
            let chain = chain(name);
            for (ai, action) in p.actions(kind).take(6).enumerate() {
                n += 1;
                if (n - 1) % step != 0 {
                    continue;
                }
                let variant = si + ai + out.len();
                let states = p.states(kind);
                let n_states = states.len();
                let state = match variant % 3 {
                    0 => None,
                    _ => p
                        .states(kind)
                        .nth(variant % n_states.max(1))
                        .map(|s| p.state_name(s).to_string()),
                };
                let owner = match variant % 4 {
                    0 => None,
                    1 => Some(subject.clone()),
                    _ => subjects.get((si + variant) % subjects.len()).cloned(),
                };
                // No id one time in (ids + 1); ancestors: a prefix of the chain.
                let id = ids.get(variant % (ids.len() + 1)).cloned();
                let ancestors = chain
                    .iter()
                    .take(variant % (chain.len() + 1))
                    .enumerate()
                    .filter_map(|(d, a)| {
                        let pool = ids_of(a);
                        let id = pool.get((variant + d) % pool.len().max(1))?;
                        Some((a.clone(), id.clone()))
                    })
                    .collect();
                out.push(Question {
                    subject: subject.clone(),
                    kind: name.to_string(),
                    action: p.action_name(action).to_string(),
                    id,
                    ancestors,
                    state,
                    owner,
                });
            }
        }
    }
    out
}

/// The query language on a question of `p`: the question's text reads back as
/// the same query and resolves to the same ids; the question line of its
/// explanation (`why`, if explained) reads back as the same question, when
/// every name is one word and every string id is one the policy names and
/// needs no quotes (an unnamed one prints as `(unnamed)`, and until the
/// explanation quotes ids, one that needs quotes does not read back).
fn check_query_text(
    p: &Policy,
    q: &Question,
    asked: (accessmask::SubjectId, accessmask::ActionId, Resource),
    why: Option<&accessmask::Explanation>,
    context: &dyn Fn() -> String,
) {
    if !q.writable() {
        return;
    }
    let query = q.query();
    let text = query.to_string();
    match Query::parse(&text, "q") {
        Ok(back) => assert_eq!(back, query, "{}`{text}` reads back otherwise", context()),
        Err(e) => panic!("{}`{text}` does not read back: {e}", context()),
    }
    match query.resolve(p, "q") {
        Ok(ids) => assert_eq!(ids, asked, "{}`{text}` resolves otherwise", context()),
        Err(e) => panic!("{}`{text}` does not resolve: {e}", context()),
    }
    let Some(why) = why else { return };
    let printable = |id: &IdDef| match id {
        IdDef::Number(_) => true,
        IdDef::String(s) => s != UNNAMED_ID,
    };
    if !(q.id.iter().all(printable) && q.ancestors.iter().all(|(_, id)| printable(id))) {
        return;
    }
    let question = why.question();
    let back = Query::parse(question, "q")
        .and_then(|back| back.resolve(p, "q"))
        .unwrap_or_else(|e| {
            panic!(
                "{}the question `{question}` does not read back: {e}",
                context()
            )
        });
    assert_eq!(
        back,
        asked,
        "{}the question `{question}` reads back as another question",
        context()
    );
}

/// Checks that must hold of any compiled policy. `def` is what `p` answers for.
/// `context` prefixes the message of a failure.
pub fn check_policy(p: &Policy, def: &PolicyDef, budget: Budget, context: &dyn Fn() -> String) {
    let qs = questions(p, def, budget.questions);
    for (i, q) in qs.iter().enumerate() {
        let Some((s, a, r)) = q.resolve(p) else {
            panic!(
                "{}question {q:?} does not resolve in the policy it was made from",
                context()
            );
        };
        let can = p.can(s, a, &r);
        assert_eq!(
            p.allowed(s, &r).contains(a),
            can,
            "{}allowed disagrees with can on {q:?}",
            context()
        );
        let why = (i < budget.explained).then(|| p.explain(s, a, &r));
        if let Some(why) = &why {
            assert_eq!(
                why.allowed(),
                can,
                "{}explain disagrees with can on {q:?}:\n{why}",
                context()
            );
            let _ = why.to_string();
        }
        check_query_text(p, q, (s, a, r), why.as_ref(), context);
        if i < budget.who_can {
            let who = p.who_can(a, &r);
            let expected: Vec<_> = p.subjects().filter(|&x| p.can(x, a, &r)).collect();
            assert_eq!(
                who,
                expected,
                "{}who_can disagrees with can on {q:?}",
                context()
            );
        }
    }
    if budget.whole {
        for role in p.roles() {
            for kind in p.kinds() {
                let _ = p.role_allowed(role, kind).to_string();
            }
        }
        let _ = p.role_matrix().to_markdown();
        let _ = p.level_matrix().to_markdown();
    }

    // Export, through JSON, and compile again: the same answers.
    let exported = p.to_definition();
    let text = serde_json::to_vec(&exported).expect("an exported definition serializes");
    let read: PolicyDef = match serde_json::from_slice(&text) {
        Ok(d) => d,
        Err(e) => panic!(
            "{}an exported definition does not read back: {e}\n{}",
            context(),
            String::from_utf8_lossy(&text)
        ),
    };
    assert_eq!(
        read,
        exported,
        "{}the JSON round trip changed the definition",
        context()
    );
    let again = match Policy::compile(&read) {
        Ok(a) => a,
        Err(e) => panic!(
            "{}an exported definition does not compile: {e}\n{}",
            context(),
            String::from_utf8_lossy(&text)
        ),
    };
    assert_eq!(
        again.to_definition(),
        exported,
        "{}export is not a fixed point",
        context()
    );
    assert_eq!(again.subject_count(), p.subject_count());
    for q in &qs {
        let (Some((s, a, r)), Some((s2, a2, r2))) = (q.resolve(p), q.resolve(&again)) else {
            panic!(
                "{}question {q:?} does not resolve after the round trip",
                context()
            );
        };
        assert_eq!(
            p.allowed(s, &r).bits(),
            again.allowed(s2, &r2).bits(),
            "{}the round trip changed the answer to {q:?}",
            context()
        );
        assert_eq!(p.can(s, a, &r), again.can(s2, a2, &r2));
    }
    if !budget.whole {
        return;
    }
    let diff = p.diff(&again);
    assert!(
        diff.is_empty(),
        "{}diff after a round trip is not empty:\n{diff}",
        context()
    );
}

/// The `compile` target: any bytes; those that read as a policy document and
/// compile are checked with [`check_policy`].
pub fn compile_target(data: &[u8]) {
    let Ok(def) = serde_json::from_slice::<PolicyDef>(data) else {
        return;
    };
    if let Ok(p) = Policy::compile(&def) {
        check_policy(&p, &def, FULL, &String::new);
    }
}

/// Choices read from the input bytes; past the end, every choice is 0.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::from(self.byte()) % n
        }
    }

    fn chance(&mut self, in_16: u8) -> bool {
        self.byte() % 16 < in_16
    }

    /// One of `names`, or now and then a name that is not one of them.
    fn name(&mut self, names: &[String]) -> String {
        if names.is_empty() || self.chance(1) {
            return match self.below(6) {
                0 => String::new(),
                1 => "ghost".into(),
                2 => "ünïcødé 名前".into(),
                3 => names.first().map_or("x".into(), |n| format!("{n}x")),
                4 => "*".into(),
                _ => names.first().map_or("y".into(), |n| n.to_uppercase()),
            };
        }
        names[self.below(names.len())].clone()
    }

    fn names(&mut self, names: &[String]) -> Vec<String> {
        (0..self.below(4)).map(|_| self.name(names)).collect()
    }

    fn id(&mut self) -> u64 {
        match self.below(8) {
            0 => u64::MAX,
            n => n as u64 + u64::from(self.byte() % 4),
        }
    }
}

/// The names a change can be about, read from the current definition.
struct Names {
    subjects: Vec<String>,
    roles: Vec<String>,
    toggles: Vec<String>,
    kinds: Vec<String>,
}

impl Names {
    fn of(def: &PolicyDef) -> Names {
        let keys = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_string).collect();
        Names {
            subjects: keys(&mut def.subjects.iter().map(|(n, _)| n)),
            roles: keys(&mut def.roles.iter().map(|(n, _)| n)),
            toggles: keys(&mut def.toggles.iter().map(|(n, _)| n)),
            kinds: keys(&mut def.kinds.iter().map(|(n, _)| n)),
        }
    }
}

fn actions_of(def: &PolicyDef, kind: &str) -> Vec<String> {
    def.kinds
        .get(kind)
        .map_or(Vec::new(), |k| k.actions.clone())
}

fn levels_of(def: &PolicyDef, kind: &str) -> Vec<String> {
    def.kinds.get(kind).map_or(Vec::new(), |k| {
        k.levels.iter().map(|(n, _)| n.to_string()).collect()
    })
}

fn exception(b: &mut Bytes, def: &PolicyDef, names: &Names) -> accessmask::ExceptionDef {
    let kind = b.name(&names.kinds);
    let actions = actions_of(def, &kind);
    let mut e = accessmask::ExceptionDef {
        kind: kind.clone(),
        id: b.id().into(),
        ..Default::default()
    };
    if b.chance(5) {
        e.level = Some(b.name(&levels_of(def, &kind)));
    }
    if e.level.is_none() || b.chance(1) {
        e.allow = b.names(&actions);
        e.deny = b.names(&actions);
    }
    e
}

fn grant(b: &mut Bytes, def: &PolicyDef, kind: &str) -> accessmask::GrantDef {
    let actions = actions_of(def, kind);
    accessmask::GrantDef {
        level: b.chance(4).then(|| b.name(&levels_of(def, kind))),
        actions: b.names(&actions),
        own: if b.chance(4) {
            b.names(&actions)
        } else {
            Vec::new()
        },
        managed: if b.chance(4) {
            b.names(&actions)
        } else {
            Vec::new()
        },
    }
}

fn subject_def(b: &mut Bytes, def: &PolicyDef, names: &Names) -> accessmask::SubjectDef {
    let mut s = accessmask::SubjectDef {
        role: b.name(&names.roles),
        toggles: if b.chance(4) {
            b.names(&names.toggles)
        } else {
            Vec::new()
        },
        manages: if b.chance(4) {
            b.names(&names.subjects)
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    if b.chance(4) {
        let kind = b.name(&names.kinds);
        let level = b.name(&levels_of(def, &kind));
        s.levels.insert(kind, level);
    }
    if b.chance(4) {
        s.exceptions.push(exception(b, def, names));
    }
    s
}

fn role_def(b: &mut Bytes, def: &PolicyDef, names: &Names) -> accessmask::RoleDef {
    let mut r = accessmask::RoleDef {
        base: b.chance(5).then(|| b.name(&names.roles)),
        ..Default::default()
    };
    for _ in 0..b.below(3) {
        let kind = b.name(&names.kinds);
        let g = grant(b, def, &kind);
        r.grants.insert(kind, g);
    }
    if b.chance(4) {
        let kind = b.name(&names.kinds);
        let actions = b.names(&actions_of(def, &kind));
        r.remove.insert(kind, actions);
    }
    if b.chance(4) {
        r.exceptions.push(exception(b, def, names));
    }
    if b.chance(3) {
        let kind = b.name(&names.kinds);
        let actions = b.names(&actions_of(def, &kind));
        r.restrictions.push(accessmask::RestrictionDef {
            kind,
            actions,
            within: None,
            ids: vec![b.id().into(), b.id().into()],
        });
    }
    r
}

/// One change decoded from bytes, with names mostly taken from `def`.
fn change_from_bytes(b: &mut Bytes, def: &PolicyDef) -> Change {
    let names = Names::of(def);
    let subject = b.name(&names.subjects);
    match b.below(11) {
        0 => Change::AddSubject {
            subject: if b.chance(12) {
                format!("new{}", b.byte())
            } else {
                subject
            },
            def: subject_def(b, def, &names),
        },
        1 => Change::RemoveSubject { subject },
        2 => Change::SetRole {
            subject,
            role: b.name(&names.roles),
        },
        3 => {
            let kind = b.name(&names.kinds);
            Change::SetLevel {
                subject,
                level: b.chance(12).then(|| b.name(&levels_of(def, &kind))),
                kind,
            }
        }
        4 => Change::SetToggle {
            subject,
            toggle: b.name(&names.toggles),
            on: b.chance(10),
        },
        5 => Change::SetException {
            subject,
            exception: exception(b, def, &names),
        },
        6 => Change::RemoveException {
            subject,
            kind: b.name(&names.kinds),
            within: None,
            id: b.id().into(),
        },
        7 => {
            let kind = b.name(&names.kinds);
            let actions = b.names(&actions_of(def, &kind));
            let ids = (0..b.below(3)).map(|_| b.id().into()).collect();
            Change::SetRestriction {
                subject,
                restriction: accessmask::RestrictionDef {
                    kind,
                    actions,
                    within: None,
                    ids,
                },
            }
        }
        8 => Change::RemoveRestriction {
            subject,
            kind: b.name(&names.kinds),
            within: None,
        },
        9 => Change::SetManages {
            subject,
            manages: b.names(&names.subjects),
        },
        _ => Change::DefineRole {
            role: if b.chance(12) {
                b.name(&names.roles)
            } else {
                format!("R{}", b.byte())
            },
            def: role_def(b, def, &names),
        },
    }
}

/// Checks after a change was accepted: the snapshot must export to a definition
/// that compiles to the same answers, and pass [`check_policy`].
fn check_changed(p: &Policy, change: &Change) {
    let def = p.to_definition();
    check_policy(p, &def, LIGHT, &|| {
        format!("after the accepted change {change:?}: ")
    });
}

/// Makes one change (for `actor`, or without checks), checks an accepted one and
/// records it.
fn make(
    p: &mut Policy,
    actor: Option<String>,
    change: Change,
    steps: &mut Vec<(Option<String>, Change)>,
) -> bool {
    let result = match &actor {
        Some(a) => p.apply(a, &change),
        None => p.change(&change),
    };
    let _ = change.to_string();
    let accepted = match result {
        Ok(next) => {
            check_changed(&next, &change);
            *p = next;
            true
        }
        Err(e) => {
            let _ = e.to_string();
            false
        }
    };
    steps.push((actor, change));
    accepted
}

/// The `changes` target. The first byte picks the base policy (bits 0-2), how the
/// changes are read (bit 3: JSON `[[actor or null, change], ...]`, else bytes)
/// and whether batches are also tried (bit 4). Each change is made with
/// [`Policy::apply`] for an actor or [`Policy::change`] without one; nothing may
/// panic, and an accepted change must leave a policy whose export compiles to the
/// same answers.
pub fn changes_target(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let base = BASES[usize::from(head & 7) % BASES.len()];
    let def: PolicyDef = serde_json::from_str(base).expect("a base policy reads");
    let start = Policy::compile(&def).expect("a base policy compiles");

    let mut p = start.clone();
    let mut steps: Vec<(Option<String>, Change)> = Vec::new();
    let mut accepted = false;
    if head & 8 != 0 {
        let Ok(list) = serde_json::from_slice::<Vec<(Option<String>, Change)>>(rest) else {
            return;
        };
        for (actor, change) in list.into_iter().take(32) {
            accepted |= make(&mut p, actor, change, &mut steps);
        }
    } else {
        let mut b = Bytes { data: rest, pos: 0 };
        while !b.done() && steps.len() < 32 {
            let def = p.to_definition();
            let names = Names::of(&def);
            let actor = if b.chance(8) {
                Some(b.name(&names.subjects))
            } else {
                None
            };
            let change = change_from_bytes(&mut b, &def);
            accepted |= make(&mut p, actor, change, &mut steps);
        }
    }

    if accepted {
        check_policy(&p, &p.to_definition(), FULL, &|| {
            "after the changes: ".to_string()
        });
    }
    if head & 16 != 0 && !steps.is_empty() {
        check_batches(&start, &steps);
    }
}

/// A batch of the changes made without an actor (`change_all`) must fail at the
/// first one refused one by one, or end where making them one by one did; the
/// same for one actor's changes (`apply_all`).
fn check_batches(start: &Policy, steps: &[(Option<String>, Change)]) {
    // Without an actor.
    let changes: Vec<Change> = steps.iter().map(|(_, c)| c.clone()).collect();
    let mut cur = start.clone();
    let mut first_refused = None;
    for (i, c) in changes.iter().enumerate() {
        match cur.change(c) {
            Ok(next) => cur = next,
            Err(_) => {
                first_refused = Some(i);
                break;
            }
        }
    }
    match (start.change_all(&changes), first_refused) {
        (Ok(batch), None) => assert_eq!(
            batch.to_definition(),
            cur.to_definition(),
            "change_all ended elsewhere than the changes one by one"
        ),
        (Err(ChangeError::Batch { index, .. }), Some(i)) => {
            assert_eq!(index, i, "change_all failed at another change")
        }
        (got, want) => panic!(
            "change_all gave {:?}, one by one the first refusal was {want:?}",
            got.map(|_| ())
        ),
    }

    // One actor: the first step's, or the first subject.
    let Some(actor) = steps.iter().find_map(|(a, _)| a.clone()).or_else(|| {
        start
            .subjects()
            .next()
            .map(|s| start.subject_name(s).to_string())
    }) else {
        return;
    };
    // A batch is authorized in the snapshot it is asked of and judged for
    // escalation as a whole, so it may be refused where the changes one by one
    // pass (or the reverse); an accepted batch is exactly the changes made.
    match start.apply_all(&actor, &changes) {
        Ok(batch) => {
            let plain = start
                .change_all(&changes)
                .expect("an accepted batch is valid");
            assert_eq!(
                batch.to_definition(),
                plain.to_definition(),
                "apply_all ended elsewhere than the changes made without checks"
            );
        }
        Err(ChangeError::Batch { index, .. }) => {
            assert!(
                index < changes.len(),
                "apply_all named no change of the batch"
            )
        }
        Err(_) => {}
    }
}
