//! The `fieldsync` command as a user runs it: real process, real HTTP to a
//! mock Portal on 127.0.0.1 (port 0), output read as text.

use std::process::{Command, Output};

use sync_server_mock::{ServerConfig, spawn_blocking_server};

fn fieldsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldsync"))
        .args(args)
        .output()
        .expect("fieldsync runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `fieldsync sync` as the demo technician with `password`.
fn sync_as_tech(server: &str, password: &str, db: &str) -> Output {
    fieldsync(&[
        "sync",
        "--server",
        server,
        "--user",
        "tech",
        "--password",
        password,
        "--db",
        db,
    ])
}

/// A failure is one line on stderr and a non-zero exit, never a panic.
fn assert_one_line_error(o: &Output, contains: &str) {
    assert!(!o.status.success());
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(contains),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn the_demo_tells_the_whole_story() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = fieldsync(&["demo", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "segment dropdown (en)",
        "Groothandel",
        "Detailhandel",
        "segment editable here: true",
        "segment editable here: false",
        "changing the segment to Wholesale is refused",
        "[manager] changed the segment to Wholesale",
        "segment Wholesale (deleted in the Portal)",
        "demo complete",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
    // Not a terminal: plain progress lines, no bar.
    assert!(text.contains("pulled "), "{text}");
    assert!(db.exists(), "the device database is kept where asked");
}

#[test]
fn sync_then_inspect_a_device_database() {
    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tech.db");
    let db = db.to_str().unwrap();
    let out = sync_as_tech(&server.url(), "tech", db);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("downloaded"));

    let segments = stdout(&fieldsync(&["segments", "--db", db, "--locale", "nl"]));
    assert!(
        segments.contains("Detailhandel") && segments.contains("Groothandel"),
        "{segments}"
    );
    assert!(segments.contains("2 segment(s)"));
    let customers = stdout(&fieldsync(&[
        "customers",
        "--db",
        db,
        "--search",
        "bakkerij",
    ]));
    assert!(customers.contains("Bakkerij Janssens"), "{customers}");
    let filtered = stdout(&fieldsync(&[
        "customers",
        "--db",
        db,
        "--segment",
        "seg-wholesale",
    ]));
    assert!(!filtered.contains("Bakkerij Janssens"), "{filtered}");
    let status = stdout(&fieldsync(&["status", "--db", db]));
    assert!(
        status.contains("session: user-tech (technician, org-north)"),
        "{status}"
    );
    assert!(status.contains("waiting for upload: 0"));
    assert!(!status.contains("last successful sync: never"));
}

#[test]
fn errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    assert_one_line_error(&fieldsync(&["segments", "--db", missing]), "no database at");
    assert_one_line_error(
        &fieldsync(&["status", "--db", missing]),
        "run `fieldsync sync` first",
    );

    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let db = dir.path().join("tech.db");
    let db = db.to_str().unwrap();
    let wrong = sync_as_tech(&server.url(), "nope", db);
    assert_one_line_error(&wrong, "refused the credentials");

    let ok = sync_as_tech(&server.url(), "tech", db);
    assert!(ok.status.success());
    assert_one_line_error(
        &fieldsync(&["segments", "--db", db, "--locale", "n!"]),
        "invalid --locale",
    );

    // Nothing listens there: the run gives up after its retries, one line.
    drop(server);
    let offline = sync_as_tech("http://127.0.0.1:9", "tech", db);
    assert_one_line_error(&offline, "network error");
}
