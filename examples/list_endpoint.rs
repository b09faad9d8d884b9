//! A list endpoint: "which cost estimates may I edit?", answered by the database.
//!
//! An in-memory SQLite database (through `rusqlite`, SQLite bundled: no server)
//! holds 100,000 cost estimates with an owner (a user number; some have none, some
//! belong to former staff the policy no longer lists) and a status. The policy is
//! Magnetic-shaped: Admins edit everything, also billed estimates; Managers edit
//! their own and their team's; Premium users edit their own, one of them also two
//! colleagues' estimates by exception; an External Collaborator may only touch the
//! three estimates it was given (a restriction); and only Admins edit a billed
//! estimate (a state rule).
//!
//! For each user the endpoint asks the policy for a [`Filter`], renders it to a
//! SQL `WHERE` fragment with bind values, prints both, and pages through the
//! result with keyset pagination. Then, to show the filter is exact, it scans
//! the whole table calling `can` on every row and compares.
//!
//! Run: `cargo run --example list_endpoint`.

use std::collections::BTreeSet;
use std::error::Error;

use accessmask::{Columns, Policy, PolicyDef, Resource, SqlValue};
use rusqlite::types::Value;
use rusqlite::Connection;

/// The policy. Choices where the seed is vague, written down here:
/// - "approve" needs "edit", "edit" needs "view" (so a billed estimate, which no
///   one but an Admin edits, is approved by no one else either);
/// - a Manager's team is its `manages` list; managing gives edit, not approve.
const POLICY: &str = r#"{
  "kinds": {
    "cost_estimate": {
      "actions": ["view", "edit", "approve"],
      "needs": { "edit": ["view"], "approve": ["edit"] },
      "states": ["DRAFT", "INTERNALLY APPROVED", "BILLED"],
      "state_rules": [{ "state": "BILLED", "hold": ["edit"], "unless_roles": ["Admin"] }]
    }
  },
  "roles": {
    "Admin": { "grants": { "cost_estimate": ["approve"] } },
    "Manager": { "grants": { "cost_estimate": { "actions": ["view"], "own": ["approve"], "managed": ["edit"] } } },
    "Premium": { "grants": { "cost_estimate": { "actions": ["view"], "own": ["edit"] } } },
    "External Collaborator": { "grants": { "cost_estimate": { "own": ["view"] } } }
  },
  "subjects": {
    "ada": { "role": "Admin" },
    "max": { "role": "Manager", "manages": ["pia", "tom"],
             "exceptions": [{ "kind": "cost_estimate", "id": 17, "deny": ["edit"] }] },
    "pia": { "role": "Premium",
             "exceptions": [{ "kind": "cost_estimate", "id": 5, "allow": ["edit"] },
                            { "kind": "cost_estimate", "id": 6, "allow": ["edit"] }] },
    "tom": { "role": "Premium" },
    "eve": { "role": "External Collaborator",
             "restrictions": [{ "kind": "cost_estimate", "actions": ["edit"], "ids": [42, 43, 44] }] }
  }
}"#;

/// Users as the service stores them: its own user numbers.
const USERS: [(&str, i64); 5] = [("ada", 1), ("max", 2), ("pia", 3), ("tom", 4), ("eve", 5)];

/// A former employee's number: owns estimates, unknown to the policy.
const FORMER: i64 = 99;

/// Statuses as the table stores them, and the policy's state for each.
const STATUSES: [(&str, &str); 3] = [
    ("draft", "DRAFT"),
    ("approved", "INTERNALLY APPROVED"),
    ("billed", "BILLED"),
];

const ROWS: i64 = 100_000;
const PAGE: i64 = 5;

fn main() -> Result<(), Box<dyn Error>> {
    let def: PolicyDef = serde_json::from_str(POLICY)?;
    let policy = Policy::compile(&def)?;
    let kind = policy.kind("cost_estimate").ok_or("no kind")?;
    let edit = policy.action("cost_estimate", "edit").ok_or("no edit")?;

    let db = Connection::open_in_memory()?;
    fill(&db)?;

    // How the table stores what the policy names.
    let columns = Columns::new("e.id")
        .owner("e.owner_id")
        .state("e.status")
        .owner_keys(|name| {
            USERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, id)| SqlValue::Int(*id))
        })
        .state_values(|state| {
            STATUSES
                .iter()
                .find(|(_, s)| *s == state)
                .map(|(db, _)| SqlValue::Text((*db).to_string()))
        });

    for (name, _) in USERS {
        let user = policy.subject(name).ok_or("no user")?;
        let filter = policy.filter(user, edit, kind);
        let sql = filter.to_sql(&columns)?;
        println!("== {name} ({}) may edit:", role_of(&def, name));
        println!("   filter: {filter}");
        println!("   WHERE {}", sql.text);
        println!("   binds: {}", binds(&sql.params));

        let params: Vec<Value> = sql.params.iter().map(to_value).collect();
        let count: i64 = db.query_row(
            &format!("SELECT count(*) FROM estimate e WHERE {}", sql.text),
            rusqlite::params_from_iter(params.iter()),
            |row| row.get(0),
        )?;
        // Keyset pagination: the filter's binds, then the last id seen.
        let page_sql = format!(
            "SELECT e.id, e.owner_id, e.status FROM estimate e WHERE ({}) AND e.id > ? \
             ORDER BY e.id LIMIT {PAGE}",
            sql.text
        );
        let mut stmt = db.prepare(&page_sql)?;
        let mut after = 0i64;
        let mut seen = BTreeSet::new();
        let mut pages = 0;
        loop {
            let mut binds = params.clone();
            binds.push(Value::Integer(after));
            let page: Vec<(i64, Option<i64>, Option<String>)> = stmt
                .query_map(rusqlite::params_from_iter(binds), |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect::<Result<_, _>>()?;
            let Some(last) = page.last() else { break };
            after = last.0;
            if pages < 2 {
                let shown: Vec<String> = page
                    .iter()
                    .map(|(id, owner, status)| {
                        format!(
                            "#{id} ({}, {})",
                            owner.map_or("no owner".to_string(), |o| format!("user {o}")),
                            status.as_deref().unwrap_or("no status")
                        )
                    })
                    .collect();
                println!("   page {}: {}", pages + 1, shown.join(", "));
            }
            seen.extend(page.iter().map(|r| r.0));
            pages += 1;
            if pages >= 3 && count > 3 * PAGE {
                // The rest, in one go: an endpoint would stop after one page.
                let rest: Vec<i64> = db
                    .prepare(&format!(
                        "SELECT e.id FROM estimate e WHERE ({}) AND e.id > ? ORDER BY e.id",
                        sql.text
                    ))?
                    .query_map(
                        rusqlite::params_from_iter(
                            params.iter().cloned().chain([Value::Integer(after)]),
                        ),
                        |row| row.get(0),
                    )?
                    .collect::<Result<_, _>>()?;
                seen.extend(rest);
                break;
            }
        }
        println!(
            "   {count} estimates in {} pages of {PAGE}",
            (count + PAGE - 1) / PAGE
        );

        // The same question asked row by row of the engine.
        let expected = scan_with_can(&db, &policy, user, edit, kind)?;
        let mismatches = expected.symmetric_difference(&seen).count();
        println!("   checked against `can` on all {ROWS} rows: {mismatches} mismatches\n");
        if mismatches != 0 {
            return Err(format!("{name}: the filter and `can` disagree").into());
        }
    }
    Ok(())
}

fn role_of(def: &PolicyDef, name: &str) -> String {
    def.subjects
        .get(name)
        .map_or_else(String::new, |s| s.role.clone())
}

/// 100k estimates: ids 1..=100000; owners spread over the users, a former
/// employee and no one; statuses spread over the three and none.
fn fill(db: &Connection) -> Result<(), Box<dyn Error>> {
    db.execute_batch(
        "CREATE TABLE estimate (
             id INTEGER PRIMARY KEY,
             owner_id INTEGER,
             status TEXT,
             amount_cents INTEGER NOT NULL
         );
         CREATE INDEX estimate_owner ON estimate (owner_id);
         BEGIN;",
    )?;
    {
        let mut insert = db.prepare("INSERT INTO estimate VALUES (?1, ?2, ?3, ?4)")?;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for id in 1..=ROWS {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let owner = match x % 8 {
                0 => None,
                1 => Some(FORMER),
                o => USERS.get((o as usize - 2) % USERS.len()).map(|u| u.1),
            };
            let status = match (x >> 8) % 5 {
                0 => None,
                s => STATUSES.get(s as usize % STATUSES.len()).map(|s| s.0),
            };
            insert.execute((id, owner, status, ((x >> 16) % 1_000_000) as i64))?;
        }
    }
    db.execute_batch("COMMIT;")?;
    Ok(())
}

/// Every id `can` allows, reading each row and building its resource.
fn scan_with_can(
    db: &Connection,
    policy: &Policy,
    user: accessmask::SubjectId,
    action: accessmask::ActionId,
    kind: accessmask::KindId,
) -> Result<BTreeSet<i64>, Box<dyn Error>> {
    let mut out = BTreeSet::new();
    let mut stmt = db.prepare("SELECT id, owner_id, status FROM estimate")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let owner: Option<i64> = row.get(1)?;
        let status: Option<String> = row.get(2)?;
        let mut r: Resource = policy.resource(kind).with_id(u64::try_from(id)?);
        if let Some(o) = owner {
            // An owner the policy does not know is related to no one: no owner.
            if let Some(s) = USERS
                .iter()
                .find(|(_, n)| *n == o)
                .and_then(|(name, _)| policy.subject(name))
            {
                r = r.with_owner(s);
            }
        }
        if let Some(status) = status {
            let state = STATUSES
                .iter()
                .find(|(db, _)| *db == status)
                .and_then(|(_, s)| policy.state(kind, s))
                .ok_or("unknown status")?;
            r = r.with_state(state);
        }
        if policy.can(user, action, &r) {
            out.insert(id);
        }
    }
    Ok(out)
}

fn to_value(v: &SqlValue) -> Value {
    match v {
        SqlValue::Int(i) => Value::Integer(*i),
        SqlValue::Text(t) => Value::Text(t.clone()),
    }
}

fn binds(params: &[SqlValue]) -> String {
    let shown: Vec<String> = params
        .iter()
        .map(|p| match p {
            SqlValue::Int(i) => i.to_string(),
            SqlValue::Text(t) => format!("{t:?}"),
        })
        .collect();
    format!("[{}]", shown.join(", "))
}
