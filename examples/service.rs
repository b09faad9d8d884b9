//! A small service whose users live in its own SQLite database, not in the policy.
//!
//! The policy (kinds, roles, toggles, levels, rules) is the Magnetic seed document
//! with its subjects left out: configuration every replica compiles. Each request
//! loads its user's row (role, toggles, levels, exceptions, managed users) from the
//! database, builds a [`Principal`] and answers its checks. An admin change is a
//! plain `UPDATE` in the database; the next request sees it. The engine keeps no
//! user table.
//!
//! Run with `cargo run --example service`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::error::Error;

use accessmask::{ExceptionDef, Policy, PolicyDef, Principal, PrincipalDef, Resource};
use rusqlite::{params, Connection};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const POLICY: &str = include_str!("policies/magnetic.json");

/// The service's schema and a few users.
fn open() -> Result<Connection> {
    let db = Connection::open_in_memory()?;
    db.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL);
         CREATE TABLE user_toggles (user_id INTEGER NOT NULL, toggle TEXT NOT NULL);
         CREATE TABLE user_levels (user_id INTEGER NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL,
                                   PRIMARY KEY (user_id, kind));
         CREATE TABLE user_exceptions (user_id INTEGER NOT NULL, kind TEXT NOT NULL, instance INTEGER NOT NULL,
                                       allow TEXT NOT NULL DEFAULT '', deny TEXT NOT NULL DEFAULT '');
         CREATE TABLE user_manages (manager_id INTEGER NOT NULL, user_id INTEGER NOT NULL);

         INSERT INTO users VALUES (1, 'ada', 'Admin'), (2, 'max', 'Manager'),
                                  (3, 'pam', 'Premium'), (4, 'tim', 'Time Tracker');
         INSERT INTO user_toggles VALUES (3, 'Can Add Opportunities and Projects');
         INSERT INTO user_levels VALUES (3, 'cost_estimate', 'Can edit and approve'),
                                        (2, 'cost_estimate', 'Can view');
         INSERT INTO user_exceptions VALUES (3, 'cost_estimate', 9, '', 'approve');
         INSERT INTO user_manages VALUES (2, 3), (2, 4);",
    )?;
    Ok(db)
}

fn words(text: String) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// One user's row, as the request handler loads it.
fn load_row(db: &Connection, user: u64) -> Result<PrincipalDef> {
    let user = i64::try_from(user)?;
    let role: String =
        db.query_row("SELECT role FROM users WHERE id = ?1", [user], |r| r.get(0))?;
    let mut row = PrincipalDef::new(role);
    let mut q = db.prepare("SELECT toggle FROM user_toggles WHERE user_id = ?1")?;
    row.toggles = q
        .query_map([user], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut q = db.prepare("SELECT kind, level FROM user_levels WHERE user_id = ?1")?;
    for pair in q.query_map([user], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (kind, level) = pair?;
        row.levels.insert(kind, level);
    }
    let mut q =
        db.prepare("SELECT kind, instance, allow, deny FROM user_exceptions WHERE user_id = ?1")?;
    for e in q.query_map([user], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })? {
        let (kind, id, allow, deny) = e?;
        row.exceptions.push(ExceptionDef::allow_deny(
            kind,
            u64::try_from(id)?,
            words(allow),
            words(deny),
        ));
    }
    let mut q = db.prepare("SELECT user_id FROM user_manages WHERE manager_id = ?1")?;
    row.manages = q
        .query_map([user], |r| r.get::<_, i64>(0))?
        .map(|k| Ok(u64::try_from(k?)?.into()))
        .collect::<Result<_>>()?;
    Ok(row)
}

/// A request: load the row, build the principal (about a microsecond), check.
fn request(
    db: &Connection,
    policy: &Policy,
    user: u64,
    action: &str,
    kind: &str,
    at: impl Fn(Resource) -> Resource,
) -> Result<bool> {
    let principal: Principal = policy.principal(user, &load_row(db, user)?)?;
    let act = policy
        .action(kind, action)
        .ok_or_else(|| format!("no action {kind}.{action}"))?;
    let resource = at(policy.resource(act.kind()));
    let why = policy.explain_principal(&principal, act, &resource);
    println!("{why}\n");
    Ok(why.allowed())
}

fn main() -> Result<()> {
    // The policy without its subjects: users live in the database.
    let mut doc: PolicyDef = serde_json::from_str(POLICY)?;
    doc.subjects = Default::default();
    let policy = Policy::compile(&doc)?;
    assert_eq!(policy.subject_count(), 0);
    let db = open()?;

    let estimates = policy.kind("cost_estimate").ok_or("no cost_estimate")?;
    let billed = policy.state(estimates, "billed").ok_or("no billed")?;

    println!("== pam (Premium, Can edit and approve on cost estimates) ==");
    assert!(request(&db, &policy, 3, "approve", "cost_estimate", |r| r
        .with_id(7))?);
    // Her own exception: not estimate 9.
    assert!(!request(
        &db,
        &policy,
        3,
        "approve",
        "cost_estimate",
        |r| r.with_id(9)
    )?);
    // Once billed, only Admins edit.
    assert!(!request(&db, &policy, 3, "edit", "cost_estimate", |r| r
        .with_id(7)
        .with_state(billed))?);

    println!("== max (Manager) reads the headers of the users he manages ==");
    assert!(request(&db, &policy, 2, "view_header", "email", |r| r
        .with_id(100)
        .with_owner_key(3))?);
    assert!(!request(&db, &policy, 2, "view_header", "email", |r| r
        .with_id(101)
        .with_owner_key(1))?);
    assert!(!request(&db, &policy, 2, "view_content", "email", |r| r
        .with_id(100)
        .with_owner_key(3))?);

    println!("== an admin raises max's level in the database ==");
    assert!(!request(&db, &policy, 2, "edit", "cost_estimate", |r| r.with_id(7))?);
    db.execute(
        "UPDATE user_levels SET level = ?1 WHERE user_id = ?2 AND kind = 'cost_estimate'",
        params!["Can edit", 2],
    )?;
    // The next request loads the new row: no engine-side table to update.
    assert!(request(&db, &policy, 2, "edit", "cost_estimate", |r| r.with_id(7))?);

    println!("== tim is promoted in the database ==");
    assert!(!request(&db, &policy, 4, "edit", "contact", |r| r.with_id(5))?);
    db.execute("UPDATE users SET role = 'Premium' WHERE id = 4", [])?;
    assert!(request(&db, &policy, 4, "edit", "contact", |r| r.with_id(5))?);

    println!("== a row naming a role the policy lacks is a typed error ==");
    db.execute("UPDATE users SET role = 'Premum' WHERE id = 4", [])?;
    let err = policy.principal(4, &load_row(&db, 4)?).unwrap_err();
    println!("{err}");
    assert_eq!(
        err.to_string(),
        "principal.role: unknown role `Premum` (did you mean `Premium`?)"
    );
    Ok(())
}
